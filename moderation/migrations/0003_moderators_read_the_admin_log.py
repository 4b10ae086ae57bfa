"""
Moderators also read the admin log (moderation.admin.log): every moderator's actions, and
the accounts people deleted themselves or operators deleted (accounts.actions.delete_account),
which "Recent actions" shows no one but whoever did it. The group is set to the list below.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = {
    "accounts": ["view_user", "change_user"],
    "admin": ["view_logentry"],
    "rooms": ["view_room", "view_membership", "view_message", "delete_message"],
    "moderation": ["view_report", "change_report"],
}


def set_moderators_group(apps, schema_editor=None):
    """Create (or reset) the group, making the permissions first on a fresh database (idempotent)."""
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
        ("moderation", "0002_moderators_group"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(set_moderators_group, migrations.RunPython.noop)]
