"""
The Moderators group, with exactly what moderators need in the admin: read users, rooms,
memberships and messages; ban and reactivate users (the user admin lets a non-superuser
change only the active flag); delete messages (the soft delete, shown as deleted); read and
resolve reports. Make someone a moderator by giving them staff status and this group.

Reports came from rooms: their content type moves with them (so the permissions granted on
them, to the group or to anyone, stay), and the group is set to the list below (first made
by rooms 0003, which history keeps).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = {
    "accounts": ["view_user", "change_user"],
    "rooms": ["view_room", "view_membership", "view_message", "delete_message"],
    "moderation": ["view_report", "change_report"],
}


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="moderation", model="report").exists():
        ContentType.objects.filter(app_label="rooms", model="report").update(app_label="moderation")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="rooms", model="report").exists():
        ContentType.objects.filter(app_label="moderation", model="report").update(app_label="rooms")


def set_moderators_group(apps, schema_editor=None):
    """
    Create (or reset) the group. On a fresh database the permissions do not exist yet (they
    are made after all migrations have run), so make them here first; this is idempotent.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for label in PERMISSIONS:
        app_config = apps.get_app_config(label)
        models_module = getattr(app_config, "models_module", None)
        if models_module is None:  # the migration's historical apps: create_permissions skips those
            app_config.models_module = True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module
    group, _ = Group.objects.get_or_create(name=GROUP)
    permissions = [
        Permission.objects.get(content_type__app_label=label, codename=codename)
        for label, codenames in PERMISSIONS.items()
        for codename in codenames
    ]
    group.permissions.set(permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("rooms", "0006_report_moves_to_moderation"),
        ("accounts", "0003_user_session"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(move_content_type, move_content_type_back),
        migrations.RunPython(set_moderators_group, migrations.RunPython.noop),
    ]
