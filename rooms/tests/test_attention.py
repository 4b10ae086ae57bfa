"""The unread total (tab title, Chats link) and per-room mute, on the server."""

import pytest
from django.urls import reverse

from rooms.models import Membership, Message

pytestmark = pytest.mark.django_db


def test_the_title_and_the_chats_link_count_unread_messages_of_unmuted_rooms(client, alice, bob, carol, direct_room, group):
    Message.objects.post(direct_room, bob, "one")
    Message.objects.post(direct_room, bob, "two")
    Message.objects.post(group, carol, "three")
    Message.objects.post(group, alice, "mine: not unread")
    client.force_login(alice)
    page = client.get("/friends/").content.decode()
    assert "<title>(3) Friends · Chat</title>" in page
    assert 'id="unread-total" class="badge" data-count="3">3<' in page

    # Muting the group: its message counts no more, and that is the person's own setting.
    response = client.post(reverse("rooms:mute", args=[group.pk]), {"muted": "1"})
    assert response.status_code == 302
    assert Membership.objects.get(room=group, user=alice).muted
    assert not Membership.objects.get(room=group, user=bob).muted
    assert "<title>(2) Friends · Chat</title>" in client.get("/friends/").content.decode()

    # Opening the direct room reads it: nothing left to count.
    page = client.get(reverse("rooms:room", args=[direct_room.pk])).content.decode()
    assert "<title>Bob · Chat</title>" in page
    assert 'id="unread-total" class="badge hidden" data-count="0"' in page
    assert "(muted)" in page  # the group's item in the list says so

    client.post(reverse("rooms:mute", args=[group.pk]), {"muted": "0"})
    assert "<title>(1) Friends · Chat</title>" in client.get("/friends/").content.decode()


def test_mute_answers_htmx_with_its_button_and_the_room_item(client, alice, direct_room):
    client.force_login(alice)
    response = client.post(reverse("rooms:mute", args=[direct_room.pk]), {"muted": "1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-pressed="true"' in body and 'data-muted="1"' in body
    assert f'id="room-item-{direct_room.pk}" hx-swap-oob="true"' in body


def test_only_members_mute_a_room(client, carol, direct_room):
    client.force_login(carol)
    assert client.post(reverse("rooms:mute", args=[direct_room.pk]), {"muted": "1"}).status_code == 404
    assert not Membership.objects.filter(room=direct_room, muted=True).exists()


def test_the_unread_total_is_one_bounded_query(alice, bob, direct_room, django_assert_num_queries):
    Message.objects.bulk_create([Message(room=direct_room, sender=bob, body=f"m{i}") for i in range(30)])
    with django_assert_num_queries(1):
        assert Membership.objects.unread_total(alice, most=10) == 10
    assert Membership.objects.unread_total(alice) == 30
    assert Membership.objects.unread_total(bob) == 0
