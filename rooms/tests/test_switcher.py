"""The quick switcher's matches: only the person's own rooms and friends, a few at a time."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from friends.models import Friendship
from rooms.models import Room

pytestmark = pytest.mark.django_db
SWITCHER = reverse("rooms:switcher")


def test_rooms_and_friends_by_name_and_nobody_else(client, alice, bob, carol, direct_room):
    Friendship.objects.befriend(alice, carol)
    stranger = UserFactory(username="carlos", nickname="Carlos")
    Friendship.objects.befriend(bob, stranger)
    Room.objects.create_group(bob, "Carpool", [stranger])  # bob's group, not alice's
    client.force_login(alice)
    body = client.get(SWITCHER, {"q": "car"}).content.decode()
    assert "Carol" in body and "start a chat" in body
    assert "Carlos" not in body and "Carpool" not in body
    body = client.get(SWITCHER, {"q": "bo"}).content.decode()
    assert f'id="switch-room-{direct_room.pk}"' in body
    assert 'id="switch-friend-' not in body  # Bob has a room: listed once, as the room


def test_the_matches_are_bounded(client, alice, django_assert_max_num_queries):
    for n in range(20):
        Friendship.objects.befriend(alice, UserFactory(username=f"sam{n}", nickname=f"Sam {n}"))
    client.force_login(alice)
    with django_assert_max_num_queries(4):  # session, user, rooms, friends
        body = client.get(SWITCHER, {"q": "sam"}).content.decode()
    assert body.count('id="switch-friend-') == 5
