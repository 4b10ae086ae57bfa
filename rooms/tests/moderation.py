"""
Fixtures for the moderation tests: a moderator is a staff user in the "Moderators" group
(not a superuser). Import the ones a test module uses.
"""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.tests.factories import UserFactory

moderators_migration = import_module("rooms.migrations.0003_moderators_group")


@pytest.fixture
def moderators(db):
    """
    The group the data migration made. Tests that flush the database (transaction=True)
    remove it along with every other row, so it is made again here the same way.
    """
    if not Group.objects.filter(name=moderators_migration.GROUP).exists():
        moderators_migration.create_moderators_group(apps)
    return Group.objects.get(name=moderators_migration.GROUP)


@pytest.fixture
def moderator(moderators):
    user = UserFactory(username="mod", nickname="Mod", is_staff=True)
    user.groups.add(moderators)
    return user


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", nickname="Root", is_staff=True, is_superuser=True)


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def run_action(client, model, action, objects, confirm=True, **extra):
    """POST an admin action on objects: the confirmation page, then (confirm) the "yes"."""
    data = {"action": action, "_selected_action": [o.pk for o in objects], **extra}
    page = client.post(changelist(model), data)
    if not confirm:
        return page
    assert page.status_code == 200, page
    assert 'name="post" value="yes"' in page.text
    return client.post(changelist(model), {**data, "post": "yes"}, follow=True)
