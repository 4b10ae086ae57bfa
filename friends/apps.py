from django.apps import AppConfig


class FriendsConfig(AppConfig):
    name = "friends"

    def ready(self):
        from . import sockets  # noqa: F401  (registers with the chat socket)
