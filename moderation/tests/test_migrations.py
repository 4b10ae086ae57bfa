"""
Reports moved from rooms to moderation: a database made before the move keeps every report,
and the permissions on them (the Moderators group's, and anyone's) move with them.
"""

from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("rooms", "0005_search_words_of_file_names"), ("accounts", "0003_user_session")]
AFTER = [("moderation", "0002_moderators_group")]


def migrate(targets=None):
    """Migrate the test database to targets (every app's latest when None); the apps then."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_the_move():
    """The database as it was before reports moved, with the Moderators group it had then
    (tests that flush the database took the group away); every app's latest afterwards."""
    old = migrate(BEFORE)
    import_module("rooms.migrations.0003_moderators_group").create_moderators_group(old)
    yield old
    migrate()


def test_a_report_made_before_the_move_is_kept_with_its_permissions(before_the_move):
    old = before_the_move
    User, Room, Message = (old.get_model(*name) for name in [("accounts", "User"), ("rooms", "Room"), ("rooms", "Message")])
    Report, Group = old.get_model("rooms", "Report"), old.get_model("auth", "Group")
    alice = User.objects.create(username="alice", username_key="alice", email="alice@example.com", nickname="Alice")
    bob = User.objects.create(username="bob", username_key="bob", email="bob@example.com", nickname="Bob")
    room = Room.objects.create(kind="group", name="Weekend")
    rude = Message.objects.create(room=room, sender=bob, body="rude words")
    Report.objects.create(message=rude, reporter=alice, reason="harassment", note="again")
    granted_before = sorted(Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True))

    new = migrate(AFTER)
    Report, Group = new.get_model("moderation", "Report"), new.get_model("auth", "Group")
    report = Report.objects.get()
    assert (report.message_id, report.reporter_id, report.reason, report.note) == (rude.pk, alice.pk, "harassment", "again")
    moderators = Group.objects.get(name="Moderators").permissions
    assert sorted(moderators.values_list("codename", flat=True)) == granted_before
    assert set(moderators.filter(codename__endswith="_report").values_list("content_type__app_label", flat=True)) == {"moderation"}
