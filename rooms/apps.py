from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"

    def ready(self):
        from . import data, sockets  # noqa: F401  (register with accounts' data and the chat socket)
