from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from .sessions import on_logged_out

        user_logged_out.connect(on_logged_out, dispatch_uid="accounts.sessions.on_logged_out")

        from realtime import registry

        from .models import record_last_seen

        registry.on_presence(record_last_seen)
