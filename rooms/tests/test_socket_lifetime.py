"""
An open socket lives no longer than the session it was authenticated by: logging out closes
that session's sockets, a password change those of every other session, a password reset
all of them, and a deactivated account's sessions are deleted and its frames refused.
Through the full ASGI stack with the sessions of real logins (Django's test client).
"""

import json
import re
from importlib import import_module

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from realtime import publish as live
from accounts.actions import deactivate
from friends import frames
from realtime.protocol import CLOSE_DEACTIVATED, CLOSE_UNAUTHENTICATED
from rooms.models import Message

from .sockets import frame_with, send

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSWORD = "a-long-and-unusual-passphrase"


@sync_to_async
def logged_in(user):
    """A browser of its own (a session) that logged in through the login form."""
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def tabs(sockets):
    """Sockets opened by pages of a browser (a test Client with its own session)."""

    async def open_tab(client):
        return await sockets(None, cookie=client.cookies["sessionid"].value)

    return open_tab


async def closed_with(socket):
    output = await socket.receive_output(timeout=3)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def still_open(socket, user):
    """A sentinel: a frame sent to the user's tabs after the event reaches this one first."""
    await sync_to_async(live.publish)(live.user_group(user.pk), frames.requests_badge(7))
    output = await socket.receive_output(timeout=3)
    assert output["type"] == "websocket.send", output
    assert json.loads(output["text"]) == {"type": "badge", "badge": "requests", "count": 7}
    return True


async def test_logging_out_closes_the_sockets_of_that_session_and_no_other(alice, tabs):
    laptop, phone = await logged_in(alice), await logged_in(alice)
    first_tab, second_tab, phone_tab = await tabs(laptop), await tabs(laptop), await tabs(phone)

    assert (await sync_to_async(laptop.post)("/accounts/logout/")).status_code == 302

    assert await closed_with(first_tab) == CLOSE_UNAUTHENTICATED
    assert await closed_with(second_tab) == CLOSE_UNAUTHENTICATED
    assert await still_open(phone_tab, alice)


async def test_a_password_change_closes_the_sockets_of_every_other_session(alice, tabs):
    laptop, phone = await logged_in(alice), await logged_in(alice)
    laptop_tab, phone_tab = await tabs(laptop), await tabs(phone)

    response = await sync_to_async(laptop.post)(
        "/accounts/profile/",
        {"action": "password", "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert "Password changed." in response.content.decode()
    assert await closed_with(phone_tab) == CLOSE_UNAUTHENTICATED
    assert await still_open(laptop_tab, alice)  # the tab that changed it stays connected


async def test_a_password_reset_closes_the_sockets_of_every_session(alice, tabs):
    laptop, phone = await logged_in(alice), await logged_in(alice)
    laptop_tab, phone_tab = await tabs(laptop), await tabs(phone)

    @sync_to_async
    def reset_by_the_emailed_link():
        stranger = Client()
        stranger.post("/accounts/password-reset/", {"email": "alice@example.com"})
        link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[-1].body).group(1)
        form = stranger.get(link, follow=True)
        data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        assert stranger.post(form.redirect_chain[-1][0], data).status_code == 302

    await reset_by_the_emailed_link()

    assert await closed_with(laptop_tab) == CLOSE_UNAUTHENTICATED
    assert await closed_with(phone_tab) == CLOSE_UNAUTHENTICATED


async def test_a_password_set_in_the_admin_closes_the_persons_sockets(alice, bob, tabs):
    root = await sync_to_async(UserFactory)(username="root", is_staff=True, is_superuser=True)
    alice_tab, bob_tab = await tabs(await logged_in(alice)), await tabs(await logged_in(bob))
    admin = await logged_in(root)

    url = f"/admin/accounts/user/{alice.pk}/password/"
    data = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    assert (await sync_to_async(admin.post)(url, data)).status_code == 302

    assert await closed_with(alice_tab) == CLOSE_UNAUTHENTICATED
    assert await still_open(bob_tab, bob)


async def test_deactivating_an_account_deletes_its_sessions(alice, bob):
    laptop, phone, bobs = await logged_in(alice), await logged_in(alice), await logged_in(bob)
    store = import_module(settings.SESSION_ENGINE).SessionStore

    @sync_to_async
    def deactivate_and_look():
        deactivate([alice])
        return [store().exists(c.cookies["sessionid"].value) for c in (laptop, phone, bobs)]

    assert await deactivate_and_look() == [False, False, True]


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "send", "body": "still here?", "client_id": "c0ffee00-0000-4000-8000-000000000001"},  # the post's own query asks
        {"type": "send", "body": 42},  # refused before the post asks: the socket asks then
        {"type": "send", "room": 2**62, "body": "still here?"},  # not a room of hers
        {"type": "typing"},  # the socket asks first
        {"type": "no such frame"},
    ],
)
async def test_a_frame_from_a_user_no_longer_active_is_refused(alice, bob, direct_room, tabs, frame):
    alice_tab = await tabs(await logged_in(alice))
    # Deactivated behind the site's back: no event reaches the socket, only the next frame.
    await sync_to_async(User.objects.filter(pk=alice.pk).update)(is_active=False)

    await send(alice_tab, **{"room": direct_room.pk, **frame})

    assert await closed_with(alice_tab) == CLOSE_DEACTIVATED
    assert not await sync_to_async(Message.objects.filter(body="still here?").exists)()


async def test_an_active_sender_s_post_asks_the_database_once(alice, bob, direct_room, tabs, monkeypatch):
    """The post's query checks that the account is active: no trip of its own for that (a
    typing frame, which asks nothing else, still makes one)."""
    from realtime import consumer

    asked, real = [], consumer._is_active

    async def counted(user_id):
        asked.append(user_id)
        return await real(user_id)

    monkeypatch.setattr(consumer, "_is_active", counted)
    alice_tab, bob_tab = await tabs(await logged_in(alice)), await tabs(await logged_in(bob))
    await send(alice_tab, type="send", room=direct_room.pk, body="one trip", client_id="c0ffee00-0000-4000-8000-000000000002")
    await frame_with(bob_tab, "one trip")
    assert asked == []
    await send(alice_tab, type="typing", room=direct_room.pk)
    await frame_with(bob_tab, '"type":"typing"')
    assert asked == [alice.pk]
