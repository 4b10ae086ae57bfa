from django.apps import AppConfig


class FriendsConfig(AppConfig):
    name = "friends"

    def ready(self):
        from . import data, sockets  # noqa: F401  (register with accounts' data and the chat socket)
