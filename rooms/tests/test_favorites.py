"""Favorites: starring messages of your rooms, the Favorites page, and opening a room at a message."""

import re

import pytest
from django.db import IntegrityError
from django.urls import reverse

from accounts.tests.factories import UserFactory
from rooms.models import Favorite, Message, MessageError, MessageNotFound, Room

from .conftest import befriend

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def hello(direct_room, bob):
    return Message.objects.post(direct_room, bob, "Hello Alice")


def favorite_url(message, action="favorite"):
    return reverse(f"rooms:{action}", args=[message.pk])


# --- The rules ------------------------------------------------------------------------------


def test_a_member_stars_a_message_once(hello, alice):
    first = Favorite.objects.add(alice, hello)
    again = Favorite.objects.add(alice, hello)

    assert first == again
    assert Favorite.objects.filter(user=alice).count() == 1


def test_the_database_keeps_one_favorite_per_person_and_message(hello, alice):
    Favorite.objects.create(user=alice, message=hello)

    with pytest.raises(IntegrityError):
        Favorite.objects.create(user=alice, message=hello)


def test_nobody_stars_a_message_of_a_room_they_are_not_in(hello, carol):
    with pytest.raises(MessageNotFound):
        Favorite.objects.add(carol, hello)
    assert not Favorite.objects.exists()


def test_a_deleted_message_cannot_be_starred(hello, alice, bob):
    hello.soft_delete(bob)

    with pytest.raises(MessageError, match="was deleted"):
        Favorite.objects.add(alice, hello)


def test_unstarring_removes_only_ones_own_favorite(hello, alice, bob):
    Favorite.objects.add(alice, hello)
    Favorite.objects.add(bob, hello)

    Favorite.objects.remove(bob, hello)
    Favorite.objects.remove(bob, hello)  # nothing left: nothing happens

    assert list(Favorite.objects.values_list("user__username", flat=True)) == ["alice"]


# --- Starring through the URLs --------------------------------------------------------------


def test_starring_over_htmx_answers_with_the_rooms_stars(client, hello, alice, direct_room):
    client.force_login(alice)

    response = client.post(favorite_url(hello), **HTMX)

    assert response.status_code == 200
    starred = re.search(rf'<link rel="stylesheet" id="starred-{direct_room.pk}" href="([^"]+)" hx-swap-oob="true">', response.text)
    assert client.get(starred.group(1)).text.strip().startswith(f":is(#message-{hello.pk})")
    assert Favorite.objects.filter(user=alice, message=hello).exists()

    response = client.post(favorite_url(hello, "unfavorite"), **HTMX)

    unstarred = re.search(rf'id="starred-{direct_room.pk}" href="([^"]+)" hx-swap-oob="true"', response.text).group(1)
    assert unstarred != starred.group(1)  # a new URL, so the browser fetches the new rules
    assert client.get(unstarred).text.strip() == ""
    assert not Favorite.objects.exists()


def test_starring_without_javascript_asks_then_goes_back_to_the_message(client, hello, alice):
    client.force_login(alice)

    page = client.get(favorite_url(hello))
    done = client.post(favorite_url(hello))

    assert "Add this message to your favorites?" in page.text and "Hello Alice" in page.text
    assert done["Location"] == hello.get_absolute_url()


def test_unstarring_from_the_favorites_page_goes_back_there_but_never_elsewhere(client, hello, alice):
    Favorite.objects.add(alice, hello)
    client.force_login(alice)

    back = client.post(favorite_url(hello, "unfavorite"), {"next": "/favorites/"})
    Favorite.objects.add(alice, hello)
    elsewhere = client.post(favorite_url(hello, "unfavorite"), {"next": "https://evil.example/"})

    assert back["Location"] == "/favorites/"
    assert elsewhere["Location"] == hello.get_absolute_url()


def test_a_non_member_gets_404_and_stars_nothing(client, hello, carol):
    client.force_login(carol)

    for action in ("favorite", "unfavorite"):
        assert client.get(favorite_url(hello, action)).status_code == 404
        assert client.post(favorite_url(hello, action)).status_code == 404
        assert client.post(favorite_url(hello, action), **HTMX).status_code == 404
    assert not Favorite.objects.exists()


def test_another_members_unstar_leaves_your_favorite(client, hello, alice, bob):
    Favorite.objects.add(alice, hello)
    client.force_login(bob)

    client.post(favorite_url(hello, "unfavorite"), **HTMX)

    assert Favorite.objects.filter(user=alice, message=hello).exists()


def test_the_chat_page_fills_the_stars_of_the_readers_favorites_only(client, direct_room, hello, alice, bob):
    other = Message.objects.post(direct_room, alice, "not starred")
    Favorite.objects.add(alice, hello)
    Favorite.objects.add(bob, other)
    client.force_login(alice)

    response = client.get(reverse("rooms:room", args=[direct_room.pk]))

    url = re.search(r'<link rel="stylesheet" id="starred-\d+" href="([^"]+)">', response.text).group(1)
    stylesheet = client.get(url)
    assert stylesheet["Content-Type"].startswith("text/css")
    assert stylesheet.text.strip() == f":is(#message-{hello.pk}) .message-actions {{ --star-add: none; --star-remove: inline-flex; }}"


def test_the_stars_stylesheet_of_someone_elses_room_is_not_found(client, direct_room, carol):
    client.force_login(carol)
    assert client.get(reverse("rooms:starred_css", args=[direct_room.pk])).status_code == 404


# --- The Favorites page ---------------------------------------------------------------------


def test_favorites_are_listed_newest_first_with_room_sender_time_and_a_link(client, alice, bob, carol, direct_room):
    befriend(alice, carol)
    group = Room.objects.create_group(alice, "Climbing", [bob, carol])
    first = Message.objects.post(direct_room, bob, "first words")
    second = Message.objects.post(group, carol, "second words")
    Favorite.objects.add(alice, first)
    Favorite.objects.add(alice, second)
    client.force_login(alice)

    response = client.get(reverse("rooms:favorites"))

    assert response.status_code == 200
    text = response.text
    assert text.index("second words") < text.index("first words")
    assert f'<a class="found-room" href="/chat/{group.pk}/?around={second.pk}#message-{second.pk}">Climbing</a>' in text
    assert f'<a class="found-room" href="/chat/{direct_room.pk}/?around={first.pk}#message-{first.pk}">Bob</a>' in text
    assert '<span class="sender">Carol</span>' in text
    assert f'datetime="{second.created_at.isoformat()}"' in text


def test_the_favorites_of_a_room_you_left_are_not_listed(client, alice, bob, carol):
    befriend(alice, bob, carol)
    group = Room.objects.create_group(alice, "Climbing", [bob, carol])
    said = Message.objects.post(group, carol, "in the group")
    Favorite.objects.add(bob, said)
    group.leave(bob)
    client.force_login(bob)

    response = client.get(reverse("rooms:favorites"))

    assert "in the group" not in response.text
    assert "No favorites yet" in response.text


def test_favorites_show_pictures_and_files_as_in_the_chat(client, direct_room, alice, bob):
    picture = Message.objects.create(
        room=direct_room, sender=bob, kind="image", body="cat.png", file="rooms/x/cat.png",
        thumbnail="rooms/x/thumbnail.jpg", thumbnail_width=480, thumbnail_height=360,
    )
    Favorite.objects.add(alice, picture)
    client.force_login(alice)

    response = client.get(reverse("rooms:favorites"))

    assert f'<img src="/messages/{picture.pk}/thumbnail/" width="480" height="360" alt="cat.png">' in response.text


def test_favorites_load_50_at_a_time(client, direct_room, alice, bob):
    messages = [Message.objects.create(room=direct_room, sender=bob, body=f"note {n}") for n in range(55)]
    for message in messages:
        Favorite.objects.add(alice, message)
    client.force_login(alice)

    first = client.get(reverse("rooms:favorites"))
    more = re.search(r'hx-get="\?before=(\d+)"', first.text).group(1)
    rest = client.get(reverse("rooms:favorites"), {"before": more}, **HTMX)

    assert first.text.count('class="found-message"') == 50
    assert "note 54" in first.text and "note 4<" not in first.text
    assert rest.text.count('class="found-message"') == 5
    assert "<html" not in rest.text and "Show more" not in rest.text


def test_the_favorites_page_costs_the_same_with_3_or_50_favorites(
    client, alice, bob, carol, django_assert_max_num_queries
):
    befriend(alice, bob, carol)
    rooms = [Room.objects.get_or_create_direct(alice, bob)[0], Room.objects.create_group(alice, "G", [bob, carol])]
    client.force_login(alice)

    def star(n):
        for i in range(n):
            sender = UserFactory() if i % 7 == 0 else bob
            if sender != bob:
                rooms[1].memberships.create(user=sender)
            Favorite.objects.add(alice, Message.objects.create(room=rooms[i % 2], sender=sender, body=f"m{i}"))

    star(3)
    with django_assert_max_num_queries(6) as few:
        client.get(reverse("rooms:favorites"))
    star(47)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("rooms:favorites"))
    assert response.text.count('class="found-message"') == 50


# --- Opening a room at a message ------------------------------------------------------------


def test_the_room_opens_around_the_message_as_a_window_into_its_history(client, direct_room, alice, bob):
    messages = [Message.objects.create(room=direct_room, sender=bob, body=f"line {n}") for n in range(120)]
    target = messages[40]
    client.force_login(alice)

    response = client.get(target.get_absolute_url())

    shown = [int(i) for i in re.findall(r'<li id="message-(\d+)"', response.text)]
    assert len(shown) == 50 and target.pk in shown
    assert shown == sorted(shown) and shown[0] == messages[15].pk and shown[-1] == messages[64].pk
    assert "data-history" in response.text
    assert "Jump to the newest messages" in response.text
    assert 'id="send-form"' not in response.text  # replying happens at the newest messages
    assert "Load older messages" in response.text


def test_a_recent_message_opens_the_live_end_of_the_room(client, direct_room, alice, bob):
    messages = [Message.objects.create(room=direct_room, sender=bob, body=f"line {n}") for n in range(80)]
    client.force_login(alice)

    response = client.get(messages[-3].get_absolute_url())

    shown = [int(i) for i in re.findall(r'<li id="message-(\d+)"', response.text)]
    assert len(shown) == 50 and shown[-1] == messages[-1].pk
    assert "data-history" not in response.text and 'id="send-form"' in response.text


def test_around_a_message_of_another_room_shows_only_this_rooms_messages(client, direct_room, alice, bob, carol):
    befriend(alice, carol)
    elsewhere, _ = Room.objects.get_or_create_direct(alice, carol)
    secret = Message.objects.post(elsewhere, carol, "for alice only")
    Message.objects.post(direct_room, alice, "hi bob")
    client.force_login(bob)

    response = client.get(f"/chat/{direct_room.pk}/?around={secret.pk}")

    assert response.status_code == 200
    assert "for alice only" not in response.text
    assert client.get(secret.get_absolute_url()).status_code == 404
