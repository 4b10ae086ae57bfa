"""
Read receipts ("Seen"), last seen, and the privacy switch that hides both ways.
"""

import json
import re

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from accounts.models import User
from rooms.models import Message, Room

from .conftest import befriend
from .sockets import frame_with, handled, send, until_sentinel


def receipts_of(html):
    return json.loads(re.search(r'<script id="read-marks" type="application/json">(.*?)</script>', html, re.S).group(1))


def test_the_pane_comes_with_how_far_the_others_read(client, group, alice, bob, carol):
    said = Message.objects.post(group, alice, "who is in?")
    client.force_login(bob)
    client.get(reverse("rooms:room", args=[group.pk]))  # bob reads
    client.force_login(alice)
    receipts = receipts_of(client.get(reverse("rooms:room", args=[group.pk])).content.decode())
    assert receipts["room"] == group.pk and receipts["direct"] is False and receipts["hidden"] is False
    assert receipts["marks"] == [
        {"user": bob.pk, "name": "Bob", "up_to": said.pk},
        {"user": carol.pk, "name": "Carol", "up_to": 0},
    ]


def test_a_member_who_hides_their_activity_is_left_out_and_a_reader_who_hides_sees_none(client, group, alice, bob):
    User.objects.filter(pk=bob.pk).update(hide_activity=True)
    client.force_login(alice)
    marks = receipts_of(client.get(reverse("rooms:room", args=[group.pk])).content.decode())["marks"]
    assert [m["user"] for m in marks] != [] and bob.pk not in [m["user"] for m in marks]
    client.force_login(User.objects.get(pk=bob.pk))
    receipts = receipts_of(client.get(reverse("rooms:room", args=[group.pk])).content.decode())
    assert receipts["hidden"] is True and receipts["marks"] == []


@pytest.mark.django_db(transaction=True)
async def test_a_read_reaches_the_room_as_a_seen_frame(sockets, alice, bob):
    room = await sync_to_async(_direct)(alice, bob)
    said = await sync_to_async(Message.objects.post)(room, alice, "are you there?")
    alice_socket, bob_socket = await sockets(alice), await sockets(bob)
    await send(bob_socket, type="read", room=room.pk, up_to=said.pk)
    frame = json.loads(await frame_with(alice_socket, '"type":"seen"'))
    assert frame == {"type": "seen", "room": room.pk, "user": bob.pk, "name": "Bob", "up_to": said.pk}


@pytest.mark.django_db(transaction=True)
async def test_a_read_that_moves_nothing_or_by_someone_hiding_is_not_told(sockets, alice, bob):
    room = await sync_to_async(_direct)(alice, bob)
    said = await sync_to_async(Message.objects.post)(room, alice, "are you there?")
    alice_socket, bob_socket = await sockets(alice), await sockets(bob)
    await send(bob_socket, type="read", room=room.pk, up_to=said.pk)
    await frame_with(alice_socket, '"type":"seen"')
    await send(bob_socket, type="read", room=room.pk, up_to=said.pk)  # nothing new
    await handled(bob_socket)
    assert not [f for f in await until_sentinel(alice_socket, alice) if '"seen"' in f]

    # Bob turns the privacy switch on: his tab open from before reads without telling.
    await sync_to_async(User.objects.filter(pk=bob.pk).update)(hide_activity=True)
    later = await sync_to_async(Message.objects.post)(room, alice, "hello?")
    await send(bob_socket, type="read", room=room.pk, up_to=later.pk)
    await handled(bob_socket)
    assert not [f for f in await until_sentinel(alice_socket, alice) if '"seen"' in f]
    hidden_socket = await sockets(await sync_to_async(User.objects.get)(pk=bob.pk))
    newest = await sync_to_async(Message.objects.post)(room, alice, "still?")
    await send(hidden_socket, type="read", room=room.pk, up_to=newest.pk)
    await handled(hidden_socket)
    assert not [f for f in await until_sentinel(alice_socket, alice) if '"seen"' in f]


def _direct(alice, bob):
    befriend(alice, bob)
    return Room.objects.get_or_create_direct(alice, bob)[0]


# --- Last seen ------------------------------------------------------------------------------


def header_of(html):
    return re.search(r'<header class="pane-head">.*?</header>', html, re.S).group(0)


def test_a_direct_rooms_header_says_when_the_other_was_last_seen_or_online(client, direct_room, alice, bob, monkeypatch):
    from realtime.presence import presence

    from accounts.models import record_last_seen

    client.force_login(alice)
    url = reverse("rooms:room", args=[direct_room.pk])
    header = header_of(client.get(url).content.decode())
    assert f'data-user-id="{bob.pk}"></span>' in header  # never seen yet: nothing to say (until live news)
    record_last_seen([bob.pk], online=False)
    header = header_of(client.get(url).content.decode())
    assert f'class="last-seen muted small" data-user-id="{bob.pk}">last seen <time' in header
    monkeypatch.setattr(presence, "online", lambda ids: set(ids))
    assert f'data-user-id="{bob.pk}">online</span>' in header_of(client.get(url).content.decode())


def test_last_seen_is_hidden_both_ways_by_the_privacy_switch(client, direct_room, alice, bob):
    from accounts.models import record_last_seen

    record_last_seen([bob.pk], online=False)
    record_last_seen([alice.pk], online=False)
    url = reverse("rooms:room", args=[direct_room.pk])
    User.objects.filter(pk=bob.pk).update(hide_activity=True)
    client.force_login(alice)
    assert "last-seen" not in header_of(client.get(url).content.decode())
    client.force_login(User.objects.get(pk=bob.pk))
    assert "last-seen" not in header_of(client.get(url).content.decode())  # and bob sees nobody's


@pytest.mark.django_db(transaction=True)
async def test_closing_the_last_tab_records_last_seen(sockets, alice):
    first = await sockets(alice)
    second = await sockets(alice)
    await first.disconnect()
    at_one_closed = await sync_to_async(lambda: User.objects.get(pk=alice.pk).last_seen_at)()
    await second.disconnect()
    at_last_closed = await sync_to_async(lambda: User.objects.get(pk=alice.pk).last_seen_at)()
    assert at_last_closed is not None and (at_one_closed is None or at_last_closed > at_one_closed)


def test_the_privacy_switch_in_the_profile(client, alice):
    client.force_login(alice)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'name="hide_activity"' in page and "Hide my read receipts and last seen" in page
    response = client.post(reverse("accounts:profile"), {"action": "privacy", "hide_activity": "on"})
    assert response.status_code == 302
    assert User.objects.get(pk=alice.pk).hide_activity is True
    client.post(reverse("accounts:profile"), {"action": "privacy"})
    assert User.objects.get(pk=alice.pk).hide_activity is False


@pytest.mark.django_db(transaction=True)
async def test_a_storm_of_tabs_records_everyones_last_seen_in_a_few_writes(sockets, monkeypatch):
    """Thousands of sockets reconnecting at once after a restart: one write per batch of
    people coming online, not one per socket (realtime.batches)."""
    import asyncio

    from accounts.tests.factories import UserFactory
    from realtime import registry

    people = await sync_to_async(lambda: [UserFactory() for _ in range(30)])()
    calls = []
    hooks = list(registry.presence_hooks)

    def counted(hook):
        def run(user_ids, online):
            calls.append((len(user_ids), online))
            hook(user_ids, online)

        return run

    monkeypatch.setattr(registry, "presence_hooks", [counted(hook) for hook in hooks])
    tabs = await asyncio.gather(*(sockets(person) for person in people))
    seen = await sync_to_async(lambda: set(User.objects.filter(last_seen_at__isnull=False).values_list("pk", flat=True)))()
    assert {p.pk for p in people} <= seen
    assert sum(n for n, online in calls if online) == 30
    assert len([1 for n, online in calls if online]) < 30  # batched
    assert tabs
