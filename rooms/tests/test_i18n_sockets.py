"""
The chat socket per language: every frame a room publishes (a new message, a system line, a
change, reactions) reaches each reader in their language, rendered once per language; an
error frame is said in the reader's language; times in frames are <time datetime> in UTC
(the page says them in its reader's zone: static/js/chat.js).
"""

import json
import re

import pytest
from asgiref.sync import sync_to_async

from friends.models import Friendship
from rooms.models import Message, Room

from .sockets import CHINESE, ENGLISH, frame_with, send, until_sentinel

pytestmark = pytest.mark.django_db(transaction=True)

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")



async def test_a_new_message_reaches_each_reader_in_their_language(alice, bob, carol, group, sockets):
    chinese = await sockets(bob, headers=CHINESE)
    english = await sockets(carol, headers=ENGLISH)
    await sync_to_async(Message.objects.post)(group, alice, "Saturday at 10?")

    [zh] = await until_sentinel(chinese, bob)
    [en] = await until_sentinel(english, carol)
    assert "Saturday at 10?" in zh and "Saturday at 10?" in en
    for words in ["回复", "回应", "加入收藏", "举报"]:
        assert words in zh, words
    for words in ['title="Reply"', 'title="React"', "Add to favorites", ">Report<"]:
        assert words in en, words
    assert not CJK.findall(en)
    # The time: its instant in datetime, its text as the server's default zone has it (UTC).
    sent = await sync_to_async(Message.objects.get)(body="Saturday at 10?")
    assert f'datetime="{sent.created_at.isoformat()}"' in en
    assert f">{sent.created_at:%H:%M}</time>" in en


async def test_a_system_line_reaches_each_reader_in_their_language(alice, bob, carol, group, sockets, django_user_model):
    from accounts.tests.factories import UserFactory

    dave = await sync_to_async(UserFactory)(username="dave", nickname="Dave")
    await sync_to_async(Friendship.objects.befriend)(alice, dave)
    chinese = await sockets(bob, headers=CHINESE)
    english = await sockets(carol, headers=ENGLISH)
    await sync_to_async(group.add_members)(alice, [dave])

    zh = "".join(await until_sentinel(chinese, bob))
    en = "".join(await until_sentinel(english, carol))
    assert "Alice 添加了 Dave。" in zh
    assert "Alice added Dave." in en and not CJK.findall(en)


async def test_a_deleted_message_and_reactions_in_each_language(alice, bob, carol, group, sockets):
    message = await sync_to_async(Message.objects.post)(group, alice, "Oops")
    chinese = await sockets(bob, headers=CHINESE)
    english = await sockets(carol, headers=ENGLISH)
    await sync_to_async(message.react)(bob, "👍")
    await sync_to_async(message.soft_delete)(alice)

    zh = "".join(await until_sentinel(chinese, bob))
    en = "".join(await until_sentinel(english, carol))
    assert "这条消息已被删除。" in zh and "消息已删除" in zh  # the message, and the room list's preview
    assert "This message was deleted." in en and "Message deleted" in en
    assert 'id="reactions-' in en and not CJK.findall(en)


async def test_an_error_frame_is_in_the_readers_language(alice, bob, group, sockets):
    chinese = await sockets(bob, headers=CHINESE)
    english = await sockets(alice, headers=ENGLISH)
    await send(chinese, type="send", room=group.pk, body="   ", client_id="3f0e6c1e-6f0e-4a57-9a43-6a8f0b0e9d11")
    await send(english, type="send", room=group.pk, body="   ", client_id="3f0e6c1e-6f0e-4a57-9a43-6a8f0b0e9d12")
    assert await error(chinese) == {"type": "error", "text": "消息不能为空。", "room": group.pk}
    assert await error(english) == {"type": "error", "text": "The message cannot be empty.", "room": group.pk}

    await send(chinese, type="send", room=999999, body="hello")
    assert (await error(chinese))["text"] == "这个聊天不存在。"


async def error(socket):
    """The next error frame (presence frames may come first)."""
    return json.loads(await frame_with(socket, '"type":"error"'))


async def test_a_room_joined_lists_itself_in_the_readers_language(alice, bob, carol, sockets):
    await sync_to_async(Friendship.objects.befriend)(alice, bob)
    chinese = await sockets(bob, headers=CHINESE)
    room = await sync_to_async(Room.objects.create_group)(alice, "Picnic", [bob])

    frames = "".join(await until_sentinel(chinese, bob))
    assert 'data-live="room-added"' in frames
    assert "Alice 创建了群组，成员有 Bob。" in frames
    assert f'id="room-item-{room.pk}"' in frames
