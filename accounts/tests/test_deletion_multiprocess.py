"""
Deleting an account closes the person's sockets on every server process (the Redis channel
layer, as in production). PostgreSQL + Redis pass only, like rooms/tests/test_multiprocess.py.
"""

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.tests.factories import PASSWORD
from realtime.protocol import CLOSE_DEACTIVATED, notice
from realtime.publish import publish, user_group
from rooms.tests.test_multiprocess import REDIS_URL, Tab, closed_code, servers, session_for  # noqa: F401 (servers: a fixture)

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not REDIS_URL, reason="needs Redis (set REDIS_URL): processes share the Redis channel layer"),
]


async def test_deleting_the_account_closes_her_sockets_on_every_process(servers, alice, bob):
    @sync_to_async
    def browser():
        client = Client()
        assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
        return client

    laptop, phone = await browser(), await browser()
    her_tabs = [await Tab.open(server, client.cookies["sessionid"].value) for server in servers for client in (laptop, phone)]
    bobs_tabs = [await Tab.open(server, await sync_to_async(session_for)(bob)) for server in servers]

    response = await sync_to_async(laptop.post)("/accounts/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    for tab in her_tabs:
        assert await closed_code(tab) == CLOSE_DEACTIVATED
    # His stay open: a marker published to him after the deletion reaches both.
    marker = f"still-here-{uuid.uuid4().hex}"
    await sync_to_async(publish)(user_group(bob.pk), notice(marker))
    for tab in bobs_tabs:
        assert await tab.frame_with(marker)
        await tab.close()
