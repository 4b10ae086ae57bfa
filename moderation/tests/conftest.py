"""
Fixtures for the moderation tests. A moderator is a staff user in the "Moderators" group,
not a superuser; `mod_client` is logged in as one.
"""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from accounts.tests.factories import UserFactory
from rooms.tests.conftest import attachments, befriend, direct_room, group  # noqa: F401  (the rooms' fixtures)

from .helpers import moderators_migration


@pytest.fixture
def moderators(db):
    """
    The group the data migration made. Tests that flush the database (transaction=True)
    remove it along with every other row, so it is made again here the same way.
    """
    if not Group.objects.filter(name=moderators_migration.GROUP).exists():
        moderators_migration.set_moderators_group(apps)
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
