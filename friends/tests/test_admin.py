import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from friends.models import FriendRequest, Friendship

from .factories import FriendRequestFactory, FriendshipFactory

Status = FriendRequest.Status
pytestmark = pytest.mark.django_db

REQUESTS = reverse("admin:friends_friendrequest_changelist")
FRIENDSHIPS = reverse("admin:friends_friendship_changelist")


def test_requests_can_be_searched_by_username(admin_client, alice, bob, carol):
    FriendRequestFactory(from_user=alice, to_user=bob, reason="alice asks bob")
    FriendRequestFactory(from_user=carol, to_user=alice, reason="carol asks alice")
    FriendRequestFactory(from_user=bob, to_user=carol, reason="bob asks carol")

    response = admin_client.get(REQUESTS, {"q": "carol"})

    assertContains(response, "carol asks alice")
    assertContains(response, "bob asks carol")
    assertNotContains(response, "alice asks bob")


def test_requests_can_be_filtered_by_status(admin_client, alice, bob, carol):
    FriendRequestFactory(from_user=alice, to_user=bob, reason="still waiting")
    FriendRequestFactory(from_user=carol, to_user=bob, reason="said no", status=Status.REJECTED)

    response = admin_client.get(REQUESTS, {"status__exact": "rejected"})

    assertContains(response, "said no")
    assertNotContains(response, "still waiting")


def test_moderators_cancel_pending_requests_through_the_rules(admin_client, alice, bob, carol):
    spam = FriendRequestFactory(from_user=alice, to_user=bob)
    answered = FriendRequestFactory(from_user=alice, to_user=carol, status=Status.ACCEPTED)

    response = admin_client.post(
        REQUESTS, {"action": "cancel_pending", "_selected_action": [spam.pk, answered.pk]}, follow=True
    )

    assertContains(response, "1 pending request(s) cancelled.")
    spam.refresh_from_db()
    answered.refresh_from_db()
    assert (spam.status, answered.status) == (Status.CANCELLED, Status.ACCEPTED)


def test_requests_are_not_made_or_edited_by_hand_in_the_admin(admin_client, alice, bob):
    request = FriendRequestFactory(from_user=alice, to_user=bob)

    assert admin_client.get(reverse("admin:friends_friendrequest_add")).status_code == 403
    admin_client.post(
        reverse("admin:friends_friendrequest_change", args=[request.pk]), {"status": "accepted", "reason": "x"}
    )
    request.refresh_from_db()
    assert request.status == Status.PENDING
    assert not Friendship.objects.exists()


def test_friendships_are_listed_and_searchable(admin_client, alice, bob, carol):
    FriendshipFactory(user=alice, friend=bob)
    FriendshipFactory(user=bob, friend=carol)

    response = admin_client.get(FRIENDSHIPS, {"q": "carol"})

    assertContains(response, "1 result")
    assertContains(response, "bob &amp; carol")


def test_a_friendship_added_in_either_order_is_stored_once(admin_client, alice, bob):
    response = admin_client.post(
        reverse("admin:friends_friendship_add"), {"user_low": bob.pk, "user_high": alice.pk}
    )

    assert response.status_code == 302
    friendship = Friendship.objects.get()
    assert (friendship.user_low, friendship.user_high) == (alice, bob)


def test_the_admin_explains_a_duplicate_or_self_friendship(admin_client, alice, bob):
    FriendshipFactory(user=alice, friend=bob)
    add = reverse("admin:friends_friendship_add")

    assertContains(admin_client.post(add, {"user_low": bob.pk, "user_high": alice.pk}), "already friends")
    assertContains(admin_client.post(add, {"user_low": alice.pk, "user_high": alice.pk}), "friends with themselves")
    assert Friendship.objects.count() == 1
