"""
The friend list and the notifications page cost a fixed number of queries, whatever the
number of friends or requests: the same budget holds for 5 and for 200.
"""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from friends.models import FriendRequest

from .factories import FriendRequestFactory, FriendshipFactory

HTMX = {"HX-Request": "true"}
pytestmark = pytest.mark.django_db

# session, user, badge, unread total and muted rooms (rooms.context_processors), count of
# the list, one page of it
FRIEND_LIST_QUERIES = 7
# session, user, badge, unread total, muted rooms, and a count and a page for each list
NOTIFICATIONS_QUERIES = 9
# session, user, the request; in a transaction (2 savepoint queries): lock, update, and the
# friendship's get_or_create (4); then the badge
ACCEPT_QUERIES = 12


def make_friends(user, number):
    for n in range(number):
        friend = UserFactory(avatar=f"avatars/{n}/me.png" if n % 2 else "")
        FriendshipFactory(user=user, friend=friend)


def make_requests(user, number):
    statuses = list(FriendRequest.Status)
    for n in range(number):
        FriendRequestFactory(to_user=user)
        FriendRequestFactory(from_user=user, status=statuses[n % len(statuses)])


@pytest.mark.parametrize("friends", [5, 200])
def test_friend_list(client, alice, django_assert_max_num_queries, friends):
    make_friends(alice, friends)
    client.force_login(alice)

    with django_assert_max_num_queries(FRIEND_LIST_QUERIES):
        response = client.get(reverse("friends:list"))

    assert response.content.decode().count('class="person"') == min(friends, 50)


@pytest.mark.parametrize("friends", [5, 200])
def test_friend_list_filter(client, alice, django_assert_max_num_queries, friends):
    make_friends(alice, friends)
    client.force_login(alice)

    # No badge in the fragment, so no query for it.
    with django_assert_max_num_queries(FRIEND_LIST_QUERIES - 1):
        response = client.get(reverse("friends:list"), {"q": "user"}, headers=HTMX)

    assert response.content.decode().count('class="person"') == min(friends, 50)


@pytest.mark.parametrize("requests", [5, 200])
def test_notifications_page(client, alice, django_assert_max_num_queries, requests):
    make_requests(alice, requests)
    client.force_login(alice)

    with django_assert_max_num_queries(NOTIFICATIONS_QUERIES):
        response = client.get(reverse("friends:requests"))

    assert response.content.decode().count('class="person request"') == 2 * min(requests, 50)


@pytest.mark.parametrize("requests", [5, 200])
def test_accepting_in_place(client, alice, django_assert_max_num_queries, requests):
    make_requests(alice, requests)
    request = FriendRequest.objects.incoming(alice).pending().first()
    client.force_login(alice)

    with django_assert_max_num_queries(ACCEPT_QUERIES):
        response = client.post(reverse("friends:accept", args=[request.pk]), headers=HTMX)

    assert response.status_code == 200
