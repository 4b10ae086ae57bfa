"""The "Moderators" group, made by a data migration with exactly the permissions moderators need."""

from django.apps import apps
from django.contrib.auth.models import Group

from .helpers import moderators_migration


def test_the_migration_made_the_group_with_exactly_these_permissions(db):
    group = Group.objects.get(name="Moderators")  # made by migrate on a fresh test database

    granted = sorted(f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all())

    assert granted == [
        "accounts.change_user",
        "accounts.view_user",
        "admin.view_logentry",
        "moderation.change_report",
        "moderation.view_report",
        "rooms.delete_message",
        "rooms.view_membership",
        "rooms.view_message",
        "rooms.view_room",
    ]


def test_making_the_group_again_changes_nothing(moderators):
    before = set(moderators.permissions.values_list("pk", flat=True))
    moderators_migration.set_moderators_group(apps)

    assert Group.objects.filter(name="Moderators").count() == 1
    assert set(moderators.permissions.values_list("pk", flat=True)) == before
