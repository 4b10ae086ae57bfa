"""A socket's frames in its reader's language: one rendering per language, each socket gets its own."""

import pytest
from asgiref.sync import sync_to_async
from django.utils.translation import gettext

from realtime.protocol import notice
from realtime.publish import per_language, publish, user_group
from rooms.tests.sockets import CHINESE, ENGLISH, until_sentinel

pytestmark = pytest.mark.django_db(transaction=True)



def test_per_language_renders_each_language_with_its_translations():
    frames = per_language(lambda: gettext("Log in"))
    assert frames == {"en": "Log in", "zh-hans": "登录"}


async def test_each_socket_gets_the_frame_in_its_readers_language(alice, sockets):
    chinese = await sockets(alice, headers=CHINESE)
    english = await sockets(alice, headers=ENGLISH)
    plain = await sockets(alice)  # no Accept-Language: the site's default
    frame = {"en": "<p id='x'>Hello</p>", "zh-hans": "<p id='x'>你好</p>"}
    await sync_to_async(publish)(user_group(alice.pk), frame)
    assert await chinese.receive_from() == "<p id='x'>你好</p>"
    assert await english.receive_from() == "<p id='x'>Hello</p>"
    assert await plain.receive_from() == "<p id='x'>Hello</p>"
    await sync_to_async(publish)(user_group(alice.pk), notice("sentinel"))
    for socket in (chinese, english, plain):  # one frame each, nothing more
        assert await socket.receive_from() == notice("sentinel")


async def test_a_language_saved_in_the_profile_wins_over_the_browsers(alice, sockets):
    alice.language = "zh-hans"
    await sync_to_async(alice.save)()
    socket = await sockets(alice, headers=ENGLISH)
    await sync_to_async(publish)(user_group(alice.pk), {"en": "<p>Hello</p>", "zh-hans": "<p>你好</p>"})
    assert await until_sentinel(socket, alice) == ["<p>你好</p>"]
