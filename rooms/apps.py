from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"

    def ready(self):
        from . import sockets  # noqa: F401  (registers with the chat socket)
