"""Suggestions in the add-friend box: by username or nickname prefix, a few, never a friend."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from friends.models import Friendship

pytestmark = pytest.mark.django_db
SUGGEST = reverse("friends:suggest")


def test_people_by_username_or_nickname_start_not_friends_not_yourself(client, alice, bob, carol):
    Friendship.objects.befriend(alice, carol)
    UserFactory(username="carla", nickname="Carla")
    UserFactory(username="zed", nickname="Carlotta")
    UserFactory(username="cartman", nickname="Eric", is_active=False)
    UserFactory(username="oscar", nickname="Oscar")  # "car" inside, not at the start
    client.force_login(alice)
    body = client.get(SUGGEST, {"username": "CAR"}).content.decode()
    assert '<option value="carla">Carla</option>' in body
    assert '<option value="zed">Carlotta</option>' in body
    assert "carol" not in body  # already a friend
    assert "cartman" not in body and "oscar" not in body
    assert client.get(SUGGEST, {"username": "ali"}).content.decode().strip() == ""  # herself
    assert client.get(SUGGEST, {"username": ""}).content.decode().strip() == ""


def test_a_few_at_a_time_in_one_query(client, alice, settings, django_assert_max_num_queries):
    for n in range(12):
        UserFactory(username=f"sam{n:02}", nickname=f"Sam {n}")
    client.force_login(alice)
    with django_assert_max_num_queries(3):  # session, user, the suggestions
        body = client.get(SUGGEST, {"username": "sam"}).content.decode()
    assert body.count("<option") == settings.FRIEND_SUGGESTIONS
