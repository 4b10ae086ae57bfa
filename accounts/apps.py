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

        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from .backends import forget_users

        def forget_user(sender, instance, **kwargs):
            forget_users([instance.pk])

        post_save.connect(forget_user, sender=get_user_model(), dispatch_uid="accounts.forget_user.save")
        post_delete.connect(forget_user, sender=get_user_model(), dispatch_uid="accounts.forget_user.delete")
