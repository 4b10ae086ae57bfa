from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from friends.models import FriendError, FriendRequest, FriendRequestQuerySet, Friendship

from .factories import FriendRequestFactory, FriendshipFactory

Status = FriendRequest.Status
pytestmark = pytest.mark.django_db


def error_of(call, *args, **kwargs):
    with pytest.raises(FriendError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- Friendship -------------------------------------------------------------------------------


def test_friendship_goes_both_ways(alice, bob, carol):
    FriendshipFactory(user=bob, friend=alice)

    assert Friendship.objects.are_friends(alice, bob)
    assert Friendship.objects.are_friends(bob, alice)
    assert not Friendship.objects.are_friends(alice, carol)
    assert not Friendship.objects.are_friends(alice, alice)
    assert list(Friendship.objects.friends_of(alice)) == [bob]
    assert list(Friendship.objects.friends_of(bob)) == [alice]
    assert list(Friendship.objects.friends_of(carol)) == []


def test_friends_and_their_ids_are_both_sides_of_the_friendships_in_one_query(alice, bob, carol, django_assert_num_queries):
    dave = UserFactory()
    FriendshipFactory(user=bob, friend=alice)
    FriendshipFactory(user=alice, friend=carol)
    FriendshipFactory(user=dave, friend=bob)
    with django_assert_num_queries(1) as queries:
        ids = Friendship.objects.friend_ids(alice)
    assert ids == {bob.pk, carol.pk} == {user.pk for user in Friendship.objects.friends_of(alice)}
    assert "accounts_user" not in queries.captured_queries[0]["sql"]  # the friendships alone
    assert str(Friendship.objects.friends_of(alice).query).count(" IN ") == 1  # not IN (...) OR IN (...)
    assert Friendship.objects.friend_ids(dave) == {bob.pk} and Friendship.objects.friend_ids(UserFactory()) == set()


def test_the_friends_of_many_people_come_in_one_query_each_with_their_own(alice, bob, carol, django_assert_num_queries):
    dave, loner = UserFactory(), UserFactory()
    FriendshipFactory(user=bob, friend=alice)
    FriendshipFactory(user=alice, friend=carol)
    FriendshipFactory(user=dave, friend=bob)
    with django_assert_num_queries(1):
        found = Friendship.objects.friend_ids_of_each([alice, bob, dave, loner])
    assert found == {alice.pk: {bob.pk, carol.pk}, bob.pk: {alice.pk, dave.pk}, dave.pk: {bob.pk}, loner.pk: set()}


def test_befriend_is_idempotent_and_stores_the_pair_once(alice, bob):
    first = Friendship.objects.befriend(bob, alice)
    again = Friendship.objects.befriend(alice, bob)

    assert first == again
    assert Friendship.objects.count() == 1
    assert (first.user_low, first.user_high) == (alice, bob)


def test_nobody_can_befriend_themselves(alice):
    assert error_of(Friendship.objects.befriend, alice, alice).code == "self"


def test_unfriending_removes_the_friendship_for_both(alice, bob, carol):
    FriendshipFactory(user=alice, friend=bob)
    FriendshipFactory(user=alice, friend=carol)

    assert Friendship.objects.unfriend(bob, alice) is True

    assert not Friendship.objects.are_friends(alice, bob)
    assert list(Friendship.objects.friends_of(bob)) == []
    assert list(Friendship.objects.friends_of(alice)) == [carol]
    assert Friendship.objects.unfriend(bob, alice) is False


def test_friend_list_is_ordered_by_nickname_and_searches_nickname_and_username(alice):
    zed = UserFactory(username="zed", nickname="anna banana")
    bob = UserFactory(username="bob", nickname="Bob")
    dora = UserFactory(username="dora_the_explorer", nickname="Dora")
    for friend in (zed, bob, dora):
        FriendshipFactory(user=alice, friend=friend)
    UserFactory(username="bobby", nickname="Not a friend")

    assert list(Friendship.objects.friend_list(alice)) == [zed, bob, dora]
    assert list(Friendship.objects.friend_list(alice, "BOB")) == [bob]
    assert list(Friendship.objects.friend_list(alice, "explorer")) == [dora]
    assert list(Friendship.objects.friend_list(alice, "an")) == [zed]
    assert list(Friendship.objects.friend_list(alice, "nobody")) == []


def test_friend_list_leaves_out_deactivated_people(alice, bob):
    banned = UserFactory(username="banned", is_active=False)
    FriendshipFactory(user=alice, friend=bob)
    FriendshipFactory(user=alice, friend=banned)

    assert list(Friendship.objects.friend_list(alice)) == [bob]


@pytest.mark.parametrize(
    "low, high",
    [("alice", "bob"), ("bob", "alice"), ("alice", "alice")],
    ids=["duplicate", "reversed duplicate", "self"],
)
def test_database_refuses_duplicate_reversed_and_self_friendships(alice, bob, low, high):
    Friendship.objects.create(user_low=alice, user_high=bob)
    people = {"alice": alice, "bob": bob}

    with pytest.raises(IntegrityError), transaction.atomic():
        Friendship.objects.create(user_low=people[low], user_high=people[high])


def test_validation_puts_a_pair_in_its_one_spelling_and_explains_what_is_wrong(alice, bob):
    reversed_pair = Friendship(user_low=bob, user_high=alice)
    reversed_pair.full_clean()
    assert (reversed_pair.user_low, reversed_pair.user_high) == (alice, bob)
    reversed_pair.save()

    with pytest.raises(ValidationError, match="already friends"):
        Friendship(user_low=bob, user_high=alice).full_clean()
    with pytest.raises(ValidationError, match="Nobody can be friends with themselves"):
        Friendship(user_low=alice, user_high=alice).full_clean()


# --- Sending a request ------------------------------------------------------------------------


def test_send_makes_a_pending_request_with_the_reason(alice, bob):
    request = FriendRequest.objects.send(alice, bob, reason="  We met at PyCon.  ")

    request.refresh_from_db()
    assert (request.from_user, request.to_user, request.reason) == (alice, bob, "We met at PyCon.")
    assert request.status == Status.PENDING
    assert not Friendship.objects.are_friends(alice, bob)


def test_the_reason_is_optional_and_at_most_100_characters(alice, bob, carol):
    assert FriendRequest.objects.send(alice, bob).reason == ""
    assert len(FriendRequest.objects.send(alice, carol, reason="x" * 100).reason) == 100

    error = error_of(FriendRequest.objects.send, bob, carol, reason="x" * 101)
    assert error.message == "The reason can be at most 100 characters."
    assert not FriendRequest.objects.outgoing(bob).exists()


def test_nobody_can_ask_themselves(alice):
    error = error_of(FriendRequest.objects.send, alice, alice)
    assert error.message == "You cannot send a friend request to yourself."


def test_nobody_can_ask_someone_who_is_already_a_friend(alice, bob):
    FriendshipFactory(user=alice, friend=bob)

    error = error_of(FriendRequest.objects.send, bob, alice)
    assert error.message == "You are already friends with Alice."
    assert error.code == "already_friends"


def test_a_second_request_while_the_first_is_pending_is_refused(alice, bob):
    FriendRequest.objects.send(alice, bob)

    error = error_of(FriendRequest.objects.send, alice, bob, reason="Please?")
    assert error.message == "You already have a pending request to Bob."
    assert FriendRequest.objects.count() == 1


def test_asking_someone_who_already_asked_you_accepts_their_request(alice, bob):
    theirs = FriendRequest.objects.send(bob, alice, reason="Remember me?")

    result = FriendRequest.objects.send(alice, bob, reason="Hi Bob")

    assert result == theirs
    assert result.status == Status.ACCEPTED
    assert Friendship.objects.are_friends(alice, bob)
    assert FriendRequest.objects.count() == 1


def test_a_crossing_request_that_commits_first_is_accepted_too(alice, bob):
    """Bob's request lands between alice's check and her insert: hers becomes a yes to his."""
    theirs = FriendRequestFactory(from_user=bob, to_user=alice)

    # The locked lookup finds nothing, as it would have a moment before bob's commit.
    with mock.patch.object(FriendRequestQuerySet, "first", return_value=None):
        result = FriendRequest.objects.send(alice, bob)

    assert result == theirs
    assert result.status == Status.ACCEPTED
    assert Friendship.objects.are_friends(alice, bob)


def test_an_inactive_user_cannot_be_asked(alice):
    banned = UserFactory(username="banned", is_active=False)

    assert error_of(FriendRequest.objects.send, alice, banned).code == "no_such_user"


def test_after_a_cancellation_one_can_ask_again(alice, bob):
    FriendRequest.objects.send(alice, bob).cancel()

    again = FriendRequest.objects.send(alice, bob, reason="Second time lucky")

    assert again.is_pending
    assert FriendRequest.objects.between(alice, bob).count() == 2


def test_after_a_rejection_the_sender_waits_a_week_to_ask_again(alice, bob, settings):
    FriendRequest.objects.send(alice, bob).reject()

    with pytest.raises(FriendError) as refused:
        FriendRequest.objects.send(alice, bob, reason="Please?")

    assert refused.value.code == "recently_rejected"
    assert refused.value.message == "Bob declined your last request. You can ask again in 7 days."
    assert FriendRequest.objects.between(alice, bob).count() == 1
    # The one who said no can still change their mind and ask.
    assert FriendRequest.objects.send(bob, alice).is_pending
    # Once the week has passed, the sender can ask again.
    FriendRequest.objects.filter(from_user=bob).delete()
    FriendRequest.objects.update(updated_at=timezone.now() - timedelta(days=settings.FRIEND_REQUEST_RETRY_DAYS, seconds=1))
    assert FriendRequest.objects.send(alice, bob, reason="A week later").is_pending


def test_one_person_sends_at_most_20_friend_requests_an_hour(alice, settings):
    settings.FRIEND_REQUEST_LIMIT = 3
    others = [UserFactory() for _ in range(4)]
    for other in others[:3]:
        FriendRequest.objects.send(alice, other)

    with pytest.raises(FriendError) as refused:
        FriendRequest.objects.send(alice, others[3])

    assert refused.value.message == "You can send at most 3 friend requests an hour. Try again later."
    assert not FriendRequest.objects.filter(to_user=others[3]).exists()


def test_send_to_username_names_an_exact_username_in_any_case(alice, bob):
    request = FriendRequest.objects.send_to_username(alice, "BOB", reason="Hi")

    assert request.to_user == bob


@pytest.mark.parametrize("username", ["bo", "bobby", "nobody", ""])
def test_send_to_username_says_when_there_is_no_such_user(alice, bob, username):
    error = error_of(FriendRequest.objects.send_to_username, alice, username)

    assert error.code == "no_such_user"
    assert error.message == f"There is no user with the username “{username}”."
    assert not FriendRequest.objects.exists()


def test_send_to_username_does_not_reveal_inactive_users(alice):
    UserFactory(username="banned", is_active=False)

    error = error_of(FriendRequest.objects.send_to_username, alice, "banned")
    assert error.message == "There is no user with the username “banned”."


# --- Answering a request ----------------------------------------------------------------------


def test_accepting_makes_both_people_friends(alice, bob):
    request = FriendRequestFactory(from_user=alice, to_user=bob)

    request.accept(by=bob)

    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
    assert Friendship.objects.are_friends(alice, bob)


def test_accepting_is_one_transaction(alice, bob):
    request = FriendRequestFactory(from_user=alice, to_user=bob)

    with mock.patch("friends.actions.befriend", side_effect=IntegrityError("boom")):
        with pytest.raises(IntegrityError):
            request.accept(by=bob)

    request.refresh_from_db()
    assert request.status == Status.PENDING
    assert not Friendship.objects.are_friends(alice, bob)


def test_rejecting_leaves_both_strangers(alice, bob):
    request = FriendRequestFactory(from_user=alice, to_user=bob)

    request.reject(by=bob)

    request.refresh_from_db()
    assert request.status == Status.REJECTED
    assert not Friendship.objects.are_friends(alice, bob)


def test_cancelling_takes_the_request_back(alice, bob):
    request = FriendRequestFactory(from_user=alice, to_user=bob)

    request.cancel(by=alice)

    request.refresh_from_db()
    assert request.status == Status.CANCELLED


@pytest.mark.parametrize(
    "action, actor, role",
    [
        ("accept", "alice", "recipient"),
        ("accept", "carol", "recipient"),
        ("reject", "alice", "recipient"),
        ("reject", "carol", "recipient"),
        ("cancel", "bob", "sender"),
        ("cancel", "carol", "sender"),
    ],
)
def test_only_the_recipient_answers_and_only_the_sender_cancels(alice, bob, carol, action, actor, role):
    request = FriendRequestFactory(from_user=alice, to_user=bob)
    people = {"alice": alice, "bob": bob, "carol": carol}

    error = error_of(getattr(request, action), by=people[actor])

    assert error.message == f"Only the {role} of this request can do that."
    request.refresh_from_db()
    assert request.status == Status.PENDING
    assert not Friendship.objects.are_friends(alice, bob)


@pytest.mark.parametrize(
    "first, then, message",
    [
        ("accept", "accept", "This request was already accepted."),
        ("accept", "reject", "This request was already accepted."),
        ("reject", "accept", "This request was already rejected."),
        ("cancel", "accept", "This request was already cancelled."),
        ("accept", "cancel", "This request was already accepted."),
        ("cancel", "cancel", "This request was already cancelled."),
    ],
)
def test_acting_twice_on_a_request_is_a_clear_error(alice, bob, first, then, message):
    request = FriendRequestFactory(from_user=alice, to_user=bob)
    actor = {"accept": bob, "reject": bob, "cancel": alice}
    getattr(request, first)(by=actor[first])

    error = error_of(getattr(request, then), by=actor[then])

    assert error.message == message
    assert error.code == "not_pending"


def test_a_stale_copy_learns_the_stored_status_when_it_is_too_late(alice, bob):
    request = FriendRequestFactory(from_user=alice, to_user=bob)
    stale = FriendRequest.objects.get(pk=request.pk)
    request.cancel(by=alice)

    error = error_of(stale.accept, by=bob)

    assert error.message == "This request was already cancelled."
    assert stale.status == Status.CANCELLED
    assert not Friendship.objects.are_friends(alice, bob)


def test_friends_can_part_and_ask_again(alice, bob):
    FriendRequest.objects.send(alice, bob).accept(by=bob)
    Friendship.objects.unfriend(bob, alice)

    again = FriendRequest.objects.send(bob, alice)

    assert again.is_pending


def test_waiting_for_is_pending_requests_to_the_user_from_active_people(alice, bob, carol):
    waiting = FriendRequestFactory(from_user=bob, to_user=alice)
    FriendRequestFactory(from_user=carol, to_user=alice, status=Status.REJECTED)
    FriendRequestFactory(from_user=UserFactory(is_active=False), to_user=alice)
    FriendRequestFactory(from_user=alice, to_user=carol)

    assert list(FriendRequest.objects.waiting_for(alice)) == [waiting]


# --- Database constraints on requests ---------------------------------------------------------


@pytest.mark.parametrize("direction", ["same", "reverse"])
def test_database_allows_one_pending_request_per_pair_either_way(alice, bob, direction):
    FriendRequestFactory(from_user=alice, to_user=bob)
    sender, recipient = (alice, bob) if direction == "same" else (bob, alice)

    with pytest.raises(IntegrityError), transaction.atomic():
        FriendRequest.objects.create(from_user=sender, to_user=recipient)


def test_database_keeps_any_number_of_finished_requests(alice, bob):
    for status in (Status.ACCEPTED, Status.REJECTED, Status.CANCELLED, Status.REJECTED):
        FriendRequestFactory(from_user=alice, to_user=bob, status=status)
    FriendRequestFactory(from_user=bob, to_user=alice)

    assert FriendRequest.objects.between(alice, bob).count() == 5


def test_database_refuses_a_request_to_oneself(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        FriendRequest.objects.create(from_user=alice, to_user=alice)


def test_validation_explains_a_second_pending_request(alice, bob):
    FriendRequestFactory(from_user=alice, to_user=bob)

    with pytest.raises(ValidationError, match="already have a pending friend request"):
        FriendRequest(from_user=bob, to_user=alice).full_clean()
