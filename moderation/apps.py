from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self):
        from rooms.signals import message_deleted, messages_deleted

        from .actions import resolve_reports_of_deleted_message, resolve_reports_of_deleted_messages

        message_deleted.connect(resolve_reports_of_deleted_message, dispatch_uid="moderation.deleted_message_reports")
        messages_deleted.connect(resolve_reports_of_deleted_messages, dispatch_uid="moderation.deleted_messages_reports")
