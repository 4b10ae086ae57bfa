"""
The pieces the pages share, each written once: the avatar, the friend-request row, the
found-message row (favorites and search), the message on the report page; and pages that
show no template source.
"""

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from friends.models import FriendRequest, Friendship
from rooms.models import Favorite, Message, Room

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def dora(db):
    return UserFactory(username="dora", nickname="Dora", avatar="avatars/9/dora.png")


@pytest.fixture
def direct_room(alice, bob):
    Friendship.objects.befriend(alice, bob)
    return Room.objects.get_or_create_direct(alice, bob)[0]


def html_of(response):
    assert response.status_code == 200
    return response.content.decode()


def test_every_avatar_of_the_chat_page_is_a_picture_or_a_letter(client, alice, bob, dora):
    Friendship.objects.befriend(alice, dora)
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, dora)
    Room.objects.create_group(alice, "Weekend", [bob])
    Message.objects.post(room, dora, "hello from Dora")
    Message.objects.post(room, alice, "hello from Alice")
    client.force_login(alice)

    html = html_of(client.get(reverse("rooms:room", args=[room.pk])))

    nav = re.search(r'<a [^>]*id="nav-profile">(.*?)</a>', html, re.S).group(1)
    assert '<span class="avatar tiny" aria-hidden="true">A</span>' in nav  # her own, in the navigation
    room_item = re.search(rf'<li id="room-item-{room.pk}">.*?</li>', html, re.S).group(0)
    assert '<img class="avatar" src="/media/avatars/9/dora.png" alt="">' in room_item
    assert '<span class="avatar group" aria-hidden="true">#</span>' in html  # the group in the list
    pane_head = re.search(r'<header class="pane-head">.*?</header>', html, re.S).group(0)
    assert '<img class="avatar" src="/media/avatars/9/dora.png" alt="">' in pane_head
    messages = dict(re.findall(r'<li id="message-\d+" class="message"[^>]*>\s*(<[^>]*>(?:[^<]*</span>)?)\s*<div class="bubble">.*?<div class="body formatted"><p>([^<]*)</p>', html, re.S))
    assert {body: avatar for avatar, body in messages.items()} == {
        "hello from Dora": '<img class="avatar small" src="/media/avatars/9/dora.png" alt="">',
        "hello from Alice": '<span class="avatar small" aria-hidden="true">A</span>',
    }


def test_the_members_the_friends_the_requests_and_the_profile_show_the_same_avatar(client, alice, bob, dora):
    Friendship.objects.befriend(alice, bob)
    group = Room.objects.create_group(alice, "Weekend", [bob])
    FriendRequest.objects.send(dora, alice, reason="climbing?")
    client.force_login(alice)

    members = html_of(client.get(reverse("rooms:room", args=[group.pk])))
    assert re.search(r'<li class="person">\s*<span class="avatar small" aria-hidden="true">B</span>', members)
    friends = html_of(client.get(reverse("friends:list")))
    assert re.search(rf'<li class="person" id="friend-{bob.pk}">\s*<span class="avatar" aria-hidden="true">B</span>', friends)
    requests = html_of(client.get(reverse("friends:requests")))
    assert re.search(r'<li class="person request" id="request-\d+">\s*<img class="avatar" src="/media/avatars/9/dora.png" alt="">', requests)
    client.force_login(dora)
    profile = html_of(client.get(reverse("accounts:profile")))
    assert '<img class="avatar large" src="/media/avatars/9/dora.png" alt="">' in profile
    assert '<img class="avatar tiny" src="/media/avatars/9/dora.png" alt="">' in profile  # and in her navigation


def row(html, request):
    return re.search(rf'<li class="person request" id="request-{request.pk}">.*?</li>', html, re.S).group(0)


def test_a_request_row_reads_the_same_in_both_lists_with_its_own_actions(client, alice, bob, carol):
    incoming = FriendRequest.objects.send(bob, alice, reason="Hi Alice")
    outgoing = FriendRequest.objects.send(alice, carol, reason="Hi Carol")
    client.force_login(alice)
    html = html_of(client.get(reverse("friends:requests")))

    theirs, mine = row(html, incoming), row(html, outgoing)
    for found, person, reason in ((theirs, bob, "Hi Alice"), (mine, carol, "Hi Carol")):
        assert f'<span class="name">{person.nickname}</span> <span class="muted small username">@{person.username}</span>' in found
        assert f'<q class="reason">{reason}</q>' in found
    assert ">just now</time>" in theirs and ">sent just now</time>" in mine
    assert "Accept" in theirs and "Reject" in theirs and "Cancel" not in theirs
    assert "Cancel" in mine and "Accept" not in mine and '<span class="status status-pending">Pending</span>' in mine

    # The answer to Accept is the same row in its new state.
    answer = html_of(client.post(reverse("friends:accept", args=[incoming.pk]), headers=HTMX))
    assert row(answer, incoming).count("@bob") == 1 and "You are friends now" in row(answer, incoming)
    answer = html_of(client.post(reverse("friends:cancel", args=[outgoing.pk]), headers=HTMX))
    assert '<span class="status status-cancelled">Cancelled</span>' in row(answer, outgoing)
    assert "<form" not in row(answer, outgoing)


def test_favorites_and_search_list_what_they_found_the_same_way(client, alice, bob, direct_room):
    hello = Message.objects.post(direct_room, bob, "see you at the crag")
    favorite = Favorite.objects.add(alice, hello)
    client.force_login(alice)
    meta = (
        f'<a class="found-room" href="{hello.get_absolute_url()}">Bob</a>\n'
        '    · <span class="sender">Bob</span>\n'
        f'    · <time datetime="{hello.created_at.isoformat()}">'
    )

    favorites = html_of(client.get(reverse("rooms:favorites")))
    search = html_of(client.get(reverse("rooms:search"), {"q": "crag"}))
    assert f'<li class="found-message" id="favorite-{favorite.pk}">' in favorites and meta in favorites
    assert '<li class="found-message">' in search and meta in search
    assert '<div class="body formatted"><p>see you at the crag</p></div>' in favorites and ">Remove</button>" in favorites
    assert "<mark>crag</mark>" in search and "Remove" not in search


def test_the_report_page_shows_the_message_as_the_chat_does(client, alice, bob, direct_room):
    rude = Message.objects.post(direct_room, bob, "go away https://example.com/x")
    client.force_login(alice)

    def message_in(html):
        return re.search(rf'<li id="message-{rude.pk}" .*?</li>', html, re.S).group(0)

    chat = html_of(client.get(reverse("rooms:room", args=[direct_room.pk])))
    report = html_of(client.get(reverse("moderation:report_message", args=[direct_room.pk, rude.pk])))
    shown = re.search(r'<ol class="messages reported-message" id="reported-message"[^>]*>(.*?)</ol>', report, re.S).group(1)
    assert message_in(shown) == message_in(chat)
    assert 'rel="noopener nofollow ugc"' in message_in(shown)


@pytest.mark.parametrize("name", ["rooms:chat", "friends:list", "friends:requests", "rooms:favorites", "accounts:profile"])
def test_no_page_shows_its_template_source(client, alice, name):
    client.force_login(alice)
    html = html_of(client.get(reverse(name)))
    assert "{#" not in html and "#}" not in html and "{%" not in html
