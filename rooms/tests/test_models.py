import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from friends.models import Friendship
from rooms.models import Membership, Message, MessageError, Room, RoomError, RoomNotFound

from .conftest import befriend

# --- get_or_create_direct -------------------------------------------------------------------


def test_friends_get_one_direct_room_with_both_as_members(alice, bob):
    befriend(alice, bob)

    room, created = Room.objects.get_or_create_direct(alice, bob)

    assert created
    assert room.is_direct
    assert room.direct_key == f"{min(alice.pk, bob.pk)}:{max(alice.pk, bob.pk)}"
    assert set(room.memberships.values_list("user", flat=True)) == {alice.pk, bob.pk}
    assert room.created_by == alice


def test_asking_again_from_either_side_returns_the_same_room(direct_room, alice, bob):
    assert Room.objects.get_or_create_direct(alice, bob) == (direct_room, False)
    assert Room.objects.get_or_create_direct(bob, alice) == (direct_room, False)
    assert Room.objects.count() == 1


def test_existing_room_costs_at_most_three_queries_whatever_the_rooms(
    direct_room, alice, bob, django_assert_max_num_queries
):
    for _ in range(30):
        friend = UserFactory()
        befriend(alice, bob, friend)
        Room.objects.get_or_create_direct(alice, friend)
        Room.objects.get_or_create_direct(bob, friend)

    with django_assert_max_num_queries(3):
        room, created = Room.objects.get_or_create_direct(alice, bob)

    assert (room, created) == (direct_room, False)


def test_only_friends_get_a_new_direct_room(alice, carol):
    with pytest.raises(RoomError, match="Carol is not your friend"):
        Room.objects.get_or_create_direct(alice, carol)
    assert not Room.objects.exists()


def test_nobody_opens_a_direct_room_with_themselves(alice):
    with pytest.raises(RoomError, match="yourself"):
        Room.objects.get_or_create_direct(alice, alice)


def test_former_friends_still_find_their_room(direct_room, alice, bob):
    Friendship.objects.unfriend(alice, bob)

    assert Room.objects.get_or_create_direct(alice, bob) == (direct_room, False)


def test_the_database_refuses_a_second_direct_room_for_a_pair(direct_room):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.create(kind=Room.Kind.DIRECT, direct_key=direct_room.direct_key)


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="the race needs concurrent writers: PostgreSQL only (SQLite serialises every write)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_for_one_pair_make_exactly_one_room():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    befriend(alice, bob)
    threads_count = 24
    start = threading.Barrier(threads_count)
    results, errors = [], []

    def open_room(a, b):
        try:
            start.wait()
            results.append(Room.objects.get_or_create_direct(a, b))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=open_room, args=(alice, bob) if i % 2 else (bob, alice)) for i in range(threads_count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Room.objects.count() == 1
    room = Room.objects.get()
    assert {r.pk for r, _ in results} == {room.pk}
    assert sum(created for _, created in results) == 1
    assert sorted(room.memberships.values_list("user", flat=True)) == sorted([alice.pk, bob.pk])


# --- Groups ---------------------------------------------------------------------------------


def test_a_group_has_its_owner_members_and_a_first_system_message(group, alice, bob, carol):
    assert group.is_group and group.name == "Weekend" and group.direct_key is None
    roles = dict(group.memberships.values_list("user__username", "role"))
    assert roles == {"alice": "owner", "bob": "member", "carol": "member"}
    message = group.messages.get()
    assert message.kind == Message.Kind.SYSTEM
    assert message.body == "Alice created the group with Bob and Carol."


def test_a_group_takes_only_friends(alice, bob, carol):
    befriend(alice, bob)

    with pytest.raises(RoomError, match="Carol is not your friend"):
        Room.objects.create_group(alice, "Trio", [bob, carol])
    assert not Room.objects.exists()


@pytest.mark.parametrize(
    "name, error",
    [("   ", "cannot be empty"), ("x" * 81, "at most 80 characters"), (None, "must be text")],
)
def test_a_group_needs_a_sensible_name(alice, bob, name, error):
    befriend(alice, bob)

    with pytest.raises(RoomError, match=error):
        Room.objects.create_group(alice, name, [bob])


def test_a_group_needs_someone_besides_the_owner(alice):
    with pytest.raises(RoomError, match="at least one friend"):
        Room.objects.create_group(alice, "Alone", [alice])


def test_group_name_is_trimmed_and_members_counted_once(alice, bob):
    befriend(alice, bob)

    room = Room.objects.create_group(alice, "  Book club ", [bob, bob, alice])

    assert room.name == "Book club"
    assert room.memberships.count() == 2


def test_members_add_their_own_friends(group, bob):
    dave = UserFactory(username="dave", nickname="Dave")
    befriend(bob, dave)

    added = group.add_members(bob, [dave])

    assert added == [dave]
    assert group.memberships.filter(user=dave, role=Membership.Role.MEMBER).exists()
    assert group.messages.latest("pk").body == "Bob added Dave."


def test_members_cannot_add_strangers_or_people_already_in(group, bob, carol):
    with pytest.raises(RoomError, match="Carol is not your friend"):
        group.add_members(bob, [carol])
    befriend(bob, carol)
    with pytest.raises(RoomError, match="not in the group yet"):
        group.add_members(bob, [carol])


def test_outsiders_cannot_change_a_group(group):
    dave = UserFactory(username="dave")
    with pytest.raises(RoomNotFound):
        group.add_members(dave, [])
    with pytest.raises(RoomNotFound):
        group.rename(dave, "Mine")
    with pytest.raises(RoomNotFound):
        group.leave(dave)


def test_the_owner_renames_the_group(group, alice):
    group.rename(alice, " Long weekend ")

    group.refresh_from_db()
    assert group.name == "Long weekend"
    assert group.messages.latest("pk").body == "Alice renamed the group to “Long weekend”."


def test_only_the_owner_renames(group, bob):
    with pytest.raises(RoomError, match="Only the owner"):
        group.rename(bob, "Bob's")


def test_a_member_leaves(group, carol):
    group.leave(carol)

    assert not group.memberships.filter(user=carol).exists()
    assert group.messages.latest("pk").body == "Carol left the group."


def test_when_the_owner_leaves_the_longest_standing_member_owns_the_group(group, alice, bob):
    group.leave(alice)

    assert group.memberships.get(user=bob).role == Membership.Role.OWNER
    assert group.messages.latest("pk").body == "Alice left the group. Bob is now the owner."


def test_a_direct_room_cannot_gain_members_be_renamed_or_left(direct_room, alice, carol):
    befriend(alice, carol)
    with pytest.raises(RoomError, match="cannot be added to a direct chat"):
        direct_room.add_members(alice, [carol])
    with pytest.raises(RoomError, match="cannot be renamed"):
        direct_room.rename(alice, "Us")
    with pytest.raises(RoomError, match="cannot leave a direct chat"):
        direct_room.leave(alice)
    assert direct_room.memberships.count() == 2


# --- Message.objects.post ---------------------------------------------------------------------


def test_a_member_posts_a_trimmed_message(direct_room, alice):
    message = Message.objects.post(direct_room, alice, "  hello Bob \n")

    assert message.pk and message.room == direct_room and message.sender == alice
    assert message.body == "hello Bob"
    assert message.kind == Message.Kind.TEXT


@pytest.mark.parametrize(
    "body, error",
    [("", "cannot be empty"), (" \n\t ", "cannot be empty"), ("x" * 4001, "at most 4,000"), (42, "must be text")],
)
def test_empty_overlong_or_odd_bodies_are_refused(direct_room, alice, body, error):
    with pytest.raises(MessageError, match=error):
        Message.objects.post(direct_room, alice, body)
    assert not direct_room.messages.exists()


def test_the_longest_body_fits_and_nul_characters_are_dropped(direct_room, alice):
    assert len(Message.objects.post(direct_room, alice, "x" * 4000).body) == 4000
    assert Message.objects.post(direct_room, alice, "a\x00b").body == "ab"


def test_non_members_cannot_post(direct_room, carol):
    with pytest.raises(RoomNotFound):
        Message.objects.post(direct_room, carol, "let me in")


def test_former_friends_cannot_post_in_their_direct_room(direct_room, alice, bob):
    Friendship.objects.unfriend(alice, bob)

    with pytest.raises(MessageError, match="You and Bob are no longer friends"):
        Message.objects.post(direct_room, alice, "still there?")


def test_group_members_post_whether_or_not_they_are_friends(group, bob):
    assert Message.objects.post(group, bob, "hi all").pk


def test_the_same_client_id_stores_one_message(direct_room, alice):
    client_id = str(uuid.uuid4())

    first = Message.objects.post(direct_room, alice, "once", client_id=client_id)
    again = Message.objects.post(direct_room, alice, "once", client_id=client_id)

    assert again == first
    assert direct_room.messages.count() == 1


def test_a_repeat_refused_now_still_gets_the_message_stored_then(direct_room, alice, bob, settings):
    """A page resending what was stored before it lost its connection gets that message, even
    when a new post would be refused now: over the rate limit, or no longer friends."""
    settings.CHAT_RATE_LIMIT = 1
    client_id = str(uuid.uuid4())
    first = Message.objects.post(direct_room, alice, "once", client_id=client_id)

    assert Message.objects.post(direct_room, alice, "once", client_id=client_id) == first  # over the limit
    Friendship.objects.unfriend(alice, bob)
    assert Message.objects.post(direct_room, alice, "once", client_id=client_id) == first
    with pytest.raises(MessageError, match="no longer friends"):
        Message.objects.post(direct_room, alice, "a new one", client_id=str(uuid.uuid4()))
    assert direct_room.messages.count() == 1


def test_a_repeat_does_not_count_against_the_rate_limit(direct_room, alice, settings):
    settings.CHAT_RATE_LIMIT = 2
    client_id = str(uuid.uuid4())
    Message.objects.post(direct_room, alice, "once", client_id=client_id)
    Message.objects.post(direct_room, alice, "once", client_id=client_id)

    assert Message.objects.post(direct_room, alice, "the second send").body == "the second send"
    with pytest.raises(MessageError, match="too fast"):
        Message.objects.post(direct_room, alice, "a third")


def test_client_ids_belong_to_their_sender(direct_room, alice, bob):
    client_id = uuid.uuid4()

    Message.objects.post(direct_room, alice, "from alice", client_id=client_id)
    Message.objects.post(direct_room, bob, "from bob", client_id=client_id)

    assert direct_room.messages.count() == 2


def test_a_client_id_cannot_be_reused_in_another_room(direct_room, group, alice):
    client_id = uuid.uuid4()
    Message.objects.post(direct_room, alice, "here", client_id=client_id)

    with pytest.raises(MessageError, match="another room"):
        Message.objects.post(group, alice, "there", client_id=client_id)


def test_a_client_id_must_be_a_uuid(direct_room, alice):
    with pytest.raises(MessageError, match="UUID"):
        Message.objects.post(direct_room, alice, "hi", client_id="not-a-uuid")


# --- History and read marks -----------------------------------------------------------------


def test_pages_are_the_newest_fifty_oldest_first_then_older_by_id(direct_room, alice):
    Message.objects.bulk_create([Message(room=direct_room, sender=alice, body=f"m{i}") for i in range(120)])

    first = direct_room.messages.page()
    second = direct_room.messages.page(before=first.oldest_id)
    last = direct_room.messages.page(before=second.oldest_id)

    assert [m.body for m in first.messages] == [f"m{i}" for i in range(70, 120)]
    assert [m.body for m in second.messages] == [f"m{i}" for i in range(20, 70)]
    assert [m.body for m in last.messages] == [f"m{i}" for i in range(20)]
    assert (first.has_older, second.has_older, last.has_older) == (True, True, False)


def test_an_empty_room_has_an_empty_page(direct_room):
    page = direct_room.messages.page()
    assert page.messages == [] and not page.has_older and page.newest_id is None


def test_after_returns_what_came_later_in_order(direct_room, alice, bob):
    first = Message.objects.post(direct_room, alice, "one")
    Message.objects.post(direct_room, bob, "two")
    Message.objects.post(direct_room, alice, "three")

    assert [m.body for m in direct_room.messages.after(first.pk)] == ["two", "three"]


def test_mark_read_moves_forward_only(direct_room, alice, bob):
    first = Message.objects.post(direct_room, bob, "one")
    second = Message.objects.post(direct_room, bob, "two")
    membership = direct_room.memberships.get(user=alice)

    direct_room.mark_read(alice)
    membership.refresh_from_db()
    assert membership.last_read_message_id == second.pk

    direct_room.mark_read(alice, up_to=first.pk)
    membership.refresh_from_db()
    assert membership.last_read_message_id == second.pk


# --- The room list --------------------------------------------------------------------------


def test_room_list_shows_titles_counts_previews_and_unread(direct_room, group, alice, bob):
    Message.objects.post(direct_room, bob, "are you there?")
    Message.objects.post(direct_room, bob, "hello?")
    Message.objects.post(direct_room, alice, "yes")

    rooms = {room.pk: room for room in Room.objects.for_user(alice)}

    direct = rooms[direct_room.pk]
    assert direct.title == "Bob"
    assert direct.member_count == 2
    assert direct.last_message_preview == "yes"
    assert direct.last_message_sender == "Alice"
    assert direct.unread_count == 2  # bob's two; her own never count
    weekend = rooms[group.pk]
    assert weekend.title == "Weekend"
    assert weekend.member_count == 3
    assert weekend.last_message_preview == "Alice created the group with Bob and Carol."
    assert weekend.last_message_sender is None  # a system line names nobody
    assert weekend.unread_count == 0  # she created it herself


def test_bob_sees_the_room_under_alices_nickname_and_reading_clears_unread(direct_room, alice, bob):
    Message.objects.post(direct_room, alice, "hi Bob")

    [room] = Room.objects.for_user(bob)
    assert (room.title, room.unread_count) == ("Alice", 1)

    direct_room.mark_read(bob)
    [room] = Room.objects.for_user(bob)
    assert room.unread_count == 0


def test_room_list_is_newest_activity_first_and_only_the_users_rooms(direct_room, group, alice, bob, carol):
    assert list(Room.objects.for_user(alice)) == [group, direct_room]
    Message.objects.post(direct_room, bob, "bump")
    assert list(Room.objects.for_user(alice)) == [direct_room, group]
    assert list(Room.objects.for_user(carol)) == [group]


def test_room_list_filters_by_title(direct_room, group, alice):
    assert list(Room.objects.for_user(alice).matching("bO")) == [direct_room]
    assert list(Room.objects.for_user(alice).matching("week")) == [group]
    assert list(Room.objects.for_user(alice).matching(" ")) == [group, direct_room]


def test_room_list_preview_is_short(direct_room, alice):
    Message.objects.post(direct_room, alice, "y" * 4000)

    [room] = Room.objects.for_user(alice)
    assert room.last_message_preview == "y" * 119 + "…"  # on load as live (frames' preview)


def test_room_list_preview_hides_a_deleted_message(direct_room, alice):
    Message.objects.post(direct_room, alice, "oops, my password")
    direct_room.messages.update(deleted_at=timezone.now())

    [room] = Room.objects.for_user(alice)
    assert room.last_message_preview == "Message deleted"


def test_room_list_costs_one_query_whatever_the_rooms(alice, django_assert_num_queries):
    friends = UserFactory.create_batch(12)
    befriend(alice, *friends[:6])
    for friend in friends[:6]:
        room, _ = Room.objects.get_or_create_direct(alice, friend)
        Message.objects.post(room, friend, "hello")
    Room.objects.create_group(alice, "Big", friends[:6])
    list(Room.objects.for_user(alice))  # once before: SQLite's connection checks its JSON support at its first read of a JSON field

    with django_assert_num_queries(1):
        rooms = list(Room.objects.for_user(alice))

    assert len(rooms) == 7
    assert {room.unread_count for room in rooms} == {0, 1}


def test_a_direct_room_whose_other_person_is_gone_is_still_listed(direct_room, alice, bob):
    bob.delete()

    [room] = Room.objects.for_user(alice)
    assert room.title == "Deleted user"


def test_a_room_as_seen_by_a_member_has_its_header_in_one_query(group, bob, django_assert_num_queries):
    with django_assert_num_queries(1):
        room = Room.objects.as_seen_by(bob).get(pk=group.pk)

    assert (room.title, room.member_count, room.role, room.other_user_id) == ("Weekend", 3, "member", None)


def test_of_member_finds_a_member_s_room_and_refuses_everyone_else(group, alice, bob, monkeypatch):
    """The post's query (compiled once per process, run with each call's ids): the room, whole,
    for a member; RoomNotFound for someone else, a room that does not exist, and, when asked
    for an active account, a member whose account is deactivated. Its second call compiles
    nothing."""
    from django.db.models.sql.compiler import SQLCompiler

    outsider = UserFactory()
    befriend(bob, outsider)
    other_room = Room.objects.create_group(bob, "Elsewhere", [outsider])
    found = Room.objects.of_member(alice, group.pk, active=True)
    assert (found.pk, found.name, found.kind, found.created_by_id) == (group.pk, "Weekend", Room.Kind.GROUP, alice.pk)
    assert Room.objects.of_member(bob, other_room.pk).name == "Elsewhere"
    for user, room_id in [(outsider, group.pk), (alice, other_room.pk), (alice, other_room.pk + 1000), (alice, 2**63), (alice, 2**70)]:
        for active in (False, True):
            with pytest.raises(RoomNotFound):
                Room.objects.of_member(user, room_id, active=active)

    type(bob).objects.filter(pk=bob.pk).update(is_active=False)
    assert Room.objects.of_member(bob, group.pk).pk == group.pk  # reading what was theirs
    with pytest.raises(RoomNotFound):
        Room.objects.of_member(bob, group.pk, active=True)

    compiled = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *args, **kwargs: compiled.append(1) or as_sql(self, *args, **kwargs))
    assert Room.objects.of_member(alice, group.pk, active=True).pk == group.pk
    assert compiled == []


def test_a_message_posted_to_a_member_s_room_costs_one_read_and_its_insert(group, alice, django_capture_on_commit_callbacks):
    """What the socket's post does (rooms.sockets._post): the room if alice is in it, then the
    insert (its client id is checked by the constraint, not by a query before); rendered once
    per language for the room, a new message asks nobody for its reactions, and alice's
    membership is not asked for again."""
    from django.test.utils import CaptureQueriesContext

    from rooms import actions

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        room = Room.objects.of_member(alice, group.pk)
        actions.post_message(room, alice, "Saturday?", client_id=str(uuid.uuid4()))
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(reads) == 1, reads
    assert '"rooms_room"' in reads[0]
    assert len(writes) == 1 and "rooms_message" in writes[0]
