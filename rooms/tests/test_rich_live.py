"""Rich messages over the socket: uploads, edits and deletes reach every open page; emoji survive."""

from io import BytesIO

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from rooms.models import Message

from .sockets import connect, frame_with, message_ids, send, until_sentinel

pytestmark = pytest.mark.django_db(transaction=True)

EMOJI = "Hi 👋🏽 — 🧑‍💻 and ❤️‍🔥 in 🇫🇷, plus 𝄞 and 中文"


def png(name="sunset.png"):
    out = BytesIO()
    Image.new("RGB", (640, 480), (250, 120, 40)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


async def test_an_uploaded_picture_reaches_the_other_member_as_a_thumbnail(alice, bob, direct_room):
    bob_socket = await connect(bob)

    @sync_to_async
    def upload():
        client = Client()
        client.force_login(alice)
        return client.post(reverse("rooms:upload", args=[direct_room.pk]), {"file": png()}, HTTP_HX_REQUEST="true")

    assert (await upload()).status_code == 200
    frame = await frame_with(bob_socket, "sunset.png")
    message = await sync_to_async(Message.objects.get)()
    assert f'<img src="/messages/{message.pk}/thumbnail/" width="480" height="360" alt="sunset.png">' in frame
    assert f'href="/messages/{message.pk}/file/"' in frame
    assert "📷 sunset.png" in frame  # the room list's preview
    await bob_socket.disconnect()


async def test_an_edit_replaces_the_message_on_every_open_page(alice, bob, direct_room):
    message = await sync_to_async(Message.objects.post)(direct_room, alice, "See you at 8")
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await sync_to_async(message.edit)(alice, "See you at 9")

    to_bob = await frame_with(bob_socket, "See you at 9")
    to_alice = await frame_with(alice_socket, "See you at 9")
    assert to_bob == to_alice  # rendered once for every reader
    assert f'<li id="message-{message.pk}" class="message"' in to_bob and 'hx-swap-oob="outerHTML"' in to_bob
    assert "(edited)" in to_bob and "See you at 8" not in to_bob
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_a_delete_replaces_the_message_with_the_placeholder_everywhere(alice, bob, direct_room):
    message = await sync_to_async(Message.objects.post)(direct_room, alice, "oops, wrong chat")
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await sync_to_async(message.soft_delete)(alice)

    for socket in (alice_socket, bob_socket):
        frame = await frame_with(socket, "This message was deleted.")
        assert f'id="message-{message.pk}"' in frame and "wrong chat" not in frame
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_nobody_outside_the_room_hears_of_an_edit(alice, bob, carol, direct_room):
    message = await sync_to_async(Message.objects.post)(direct_room, alice, "just us")
    carol_socket = await connect(carol)

    await sync_to_async(message.edit)(alice, "just us two")

    heard = await until_sentinel(carol_socket, carol)
    assert not [frame for frame in heard if "just us" in frame or "message-" in frame]
    await carol_socket.disconnect()


async def test_a_page_that_was_away_resumes_to_the_current_state(alice, bob, direct_room):
    @sync_to_async
    def while_bob_is_away():
        old = Message.objects.post(direct_room, alice, "old news")
        seen = Message.objects.post(direct_room, alice, "seen before")
        new = Message.objects.post(direct_room, alice, "new, then fixed")
        gone = Message.objects.post(direct_room, alice, "new, then regretted")
        new.edit(alice, "new and fixed")
        gone.soft_delete(alice)
        old.edit(alice, "old news, corrected")
        return old, seen, new, gone

    old, seen, new, gone = await while_bob_is_away()
    socket = await connect(bob)
    # The page showed `old` and `seen`: the socket brings what came after them, as it is now...
    await send(socket, type="resume", room=direct_room.pk, after=seen.pk)
    frames = [await frame_with(socket, "new and fixed")] + await until_sentinel(socket, bob)
    resumed = "".join(frames)
    assert message_ids(frames) == [new.pk, gone.pk]
    assert "new and fixed" in resumed and "then fixed" not in resumed
    assert "This message was deleted." in resumed and "regretted" not in resumed
    await socket.disconnect()

    # ...and the changes of the ones it shows come from the room's changes URL.
    @sync_to_async
    def changes():
        client = Client()
        client.force_login(bob)
        return client.get(reverse("rooms:changes", args=[direct_room.pk]), {"from": old.pk, "to": seen.pk}).text

    replaced = await changes()
    assert "old news, corrected" in replaced and f'id="message-{seen.pk}"' not in replaced


async def test_emoji_survive_the_socket_storage_and_the_page(alice, bob, direct_room):
    alice_socket, bob_socket = await connect(alice), await connect(bob)

    await send(alice_socket, type="send", room=direct_room.pk, body=EMOJI)

    frame = await frame_with(bob_socket, "🧑‍💻")
    stored = await sync_to_async(Message.objects.get)(room=direct_room, kind="text")
    assert stored.body == EMOJI
    assert EMOJI in frame

    @sync_to_async
    def page():
        client = Client()
        client.force_login(bob)
        return client.get(reverse("rooms:room", args=[direct_room.pk])).text

    assert EMOJI in await page()
    await alice_socket.disconnect()
    await bob_socket.disconnect()
