"""
Replies, reactions and mentions: the rules (models and actions), the pages and the socket.
"""

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from rooms.models import Message, MessageError, MessageNotFound, Reaction, Room

from .conftest import befriend
from .sockets import frame_with, send


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


def room_html(client, room, **params):
    response = client.get(reverse("rooms:room", args=[room.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


# --- Replies --------------------------------------------------------------------------------


def test_a_reply_quotes_the_sender_and_first_line_and_links_to_the_original(as_alice, direct_room, alice, bob):
    original = Message.objects.post(direct_room, bob, "Dinner at 8?\nOr later, if you like")
    reply = Message.objects.post(direct_room, alice, "8 is perfect", reply_to=original)
    assert Message.objects.get(pk=reply.pk).reply_to_id == original.pk

    html = room_html(as_alice, direct_room)
    quote = html[html.index(f'id="message-{reply.pk}"') :]
    quote = quote[quote.index('class="reply-quote"') : quote.index("</a>")]
    assert f'data-reply-to="{original.pk}"' in quote
    assert f'href="/chat/{direct_room.pk}/?around={original.pk}#message-{original.pk}"' in quote
    assert "Bob" in quote and "Dinner at 8?" in quote and "Or later" not in quote


def test_a_reply_by_id_as_the_socket_and_the_form_give_it(direct_room, alice, bob):
    original = Message.objects.post(direct_room, bob, "hi")
    assert Message.objects.post(direct_room, alice, "hello", reply_to=str(original.pk)).reply_to == original


def test_a_reply_to_a_message_of_another_room_is_refused_and_nothing_is_stored(direct_room, group, alice, bob):
    elsewhere = Message.objects.post(group, bob, "in the group")
    with pytest.raises(MessageError, match="You can only reply to a message of this room."):
        Message.objects.post(direct_room, alice, "sneaky", reply_to=elsewhere)
    with pytest.raises(MessageError, match="You can only reply to a message of this room."):
        Message.objects.post(direct_room, alice, "sneaky", reply_to=elsewhere.pk)
    with pytest.raises(MessageError, match="You can only reply to a message of this room."):
        Message.objects.post(direct_room, alice, "sneaky", reply_to=2**62)
    with pytest.raises(MessageError, match="must be a message id"):
        Message.objects.post(direct_room, alice, "sneaky", reply_to="first")
    assert not direct_room.messages.filter(body="sneaky").exists()


def test_a_deleted_message_or_a_system_line_cannot_be_replied_to(direct_room, group, alice, bob):
    gone = Message.objects.post(direct_room, bob, "oops")
    gone.soft_delete(bob)
    with pytest.raises(MessageError, match="deleted"):
        Message.objects.post(direct_room, alice, "what?", reply_to=gone)
    line = group.messages.get(kind=Message.Kind.SYSTEM)
    with pytest.raises(MessageError):
        Message.objects.post(group, alice, "re: created", reply_to=line)


def test_a_reply_to_a_message_deleted_later_shows_it_as_deleted(as_alice, direct_room, alice, bob):
    original = Message.objects.post(direct_room, bob, "a secret")
    Message.objects.post(direct_room, alice, "noted", reply_to=original)
    original.soft_delete(bob)
    html = room_html(as_alice, direct_room)
    assert "Original message deleted" in html and "a secret" not in html


def test_reply_without_javascript_opens_the_room_with_the_reply_under_way(as_alice, direct_room, alice, bob):
    original = Message.objects.post(direct_room, bob, "Where do we meet?")
    response = as_alice.get(reverse("rooms:reply", args=[original.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"/chat/{direct_room.pk}/?reply_to={original.pk}#send-form"
    html = room_html(as_alice, direct_room, reply_to=original.pk)
    bar = html[html.index('id="reply-bar"') : html.index('id="message-body"')]
    assert "hidden" not in bar.split(">")[0]
    assert f'name="reply_to" id="reply-to" value="{original.pk}"' in bar and "Where do we meet?" in bar

    response = as_alice.post(reverse("rooms:post_message", args=[direct_room.pk]), {"body": "At the gym", "reply_to": original.pk})
    assert response.status_code == 302
    assert direct_room.messages.get(body="At the gym").reply_to == original


def test_a_reply_bar_for_a_message_of_another_room_is_not_shown(as_alice, direct_room, group, bob):
    elsewhere = Message.objects.post(group, bob, "in the group")
    html = room_html(as_alice, direct_room, reply_to=elsewhere.pk)
    bar = html[html.index('id="reply-bar"') : html.index('id="message-body"')]
    assert 'id="reply-bar" class="reply-bar" hidden' in html and "in the group" not in bar


def test_the_http_fallback_refuses_a_reply_across_rooms_saying_why(as_alice, direct_room, group, bob):
    elsewhere = Message.objects.post(group, bob, "in the group")
    response = as_alice.post(reverse("rooms:post_message", args=[direct_room.pk]), {"body": "x", "reply_to": elsewhere.pk})
    assert response.status_code == 422
    assert "You can only reply to a message of this room." in response.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_a_reply_over_the_socket_reaches_the_room_with_its_quote(alice, bob, sockets):
    room, original = await sync_to_async(_room_with_a_message)(alice, bob)
    alice_socket, bob_socket = await sockets(alice), await sockets(bob)
    await send(alice_socket, type="send", room=room.pk, body="yes!", client_id=None, reply_to=original.pk)
    frame = await frame_with(bob_socket, ">yes!<")
    assert f'data-reply-to="{original.pk}"' in frame and "Shall we climb?" in frame


@pytest.mark.django_db(transaction=True)
async def test_a_reply_across_rooms_over_the_socket_gets_a_clear_error(alice, bob, carol, sockets):
    room, _ = await sync_to_async(_room_with_a_message)(alice, bob)
    _, elsewhere = await sync_to_async(_room_with_a_message)(alice, carol)
    alice_socket = await sockets(alice)
    await send(alice_socket, type="send", room=room.pk, body="sneaky", reply_to=elsewhere.pk)
    error = await frame_with(alice_socket, '"type":"error"')
    assert "You can only reply to a message of this room." in error and f'"room":{room.pk}' in error
    await send(alice_socket, type="send", room=room.pk, body="sneaky", reply_to=[1])
    assert "`reply_to` must be a message id." in await frame_with(alice_socket, '"type":"error"')
    assert not await sync_to_async(Message.objects.filter(body="sneaky").exists)()


def _room_with_a_message(alice, other):
    befriend(alice, other)
    room, _ = Room.objects.get_or_create_direct(alice, other)
    return room, Message.objects.post(room, other, "Shall we climb?")


# --- Reactions ------------------------------------------------------------------------------


def test_react_toggles_true_when_added_false_when_removed(direct_room, alice, bob):
    message = Message.objects.post(direct_room, bob, "I passed!")
    assert message.react(alice, "🎉") is True
    assert message.react(bob, "🎉") is True
    assert message.react(alice, "👍") is True
    assert set(Reaction.objects.values_list("user__username", "emoji")) == {("alice", "👍"), ("alice", "🎉"), ("bob", "🎉")}
    assert message.react(alice, "🎉") is False
    assert set(Reaction.objects.values_list("user__username", "emoji")) == {("alice", "👍"), ("bob", "🎉")}


def test_one_reaction_per_person_message_and_emoji_in_the_database(direct_room, alice, bob):
    from django.db import IntegrityError, transaction

    message = Message.objects.post(direct_room, bob, "hi")
    Reaction.objects.create(message=message, user=alice, emoji="👍")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reaction.objects.create(message=message, user=alice, emoji="👍")


def test_a_non_member_cannot_react_and_learns_nothing(direct_room, bob, carol):
    message = Message.objects.post(direct_room, bob, "private")
    with pytest.raises(MessageNotFound):
        message.react(carol, "👍")
    assert not Reaction.objects.exists()


def test_a_non_member_gets_404_from_the_react_url(client, direct_room, bob, carol):
    message = Message.objects.post(direct_room, bob, "private")
    client.force_login(carol)
    assert client.post(reverse("rooms:react", args=[message.pk]), {"emoji": "👍"}).status_code == 404
    assert client.get(reverse("rooms:react", args=[message.pk])).status_code == 404
    assert not Reaction.objects.exists()


def test_only_offered_emoji_on_messages_still_there(direct_room, group, alice, bob):
    message = Message.objects.post(direct_room, bob, "hi")
    for emoji in ["lol", "", None, "👍👍", "<b>", 3]:
        with pytest.raises(MessageError, match="Choose one of the emoji"):
            message.react(alice, emoji)
    message.soft_delete(bob)
    with pytest.raises(MessageError, match="cannot get reactions"):
        message.react(alice, "👍")
    with pytest.raises(MessageError, match="cannot get reactions"):
        group.messages.get(kind=Message.Kind.SYSTEM).react(alice, "👍")
    assert not Reaction.objects.exists()


def test_reactions_show_under_the_message_with_counts_names_and_whose(as_alice, direct_room, alice, bob):
    message = Message.objects.post(direct_room, bob, "Summit!")
    message.react(bob, "🎉")
    message.react(alice, "🎉")
    message.react(bob, "👍")
    html = room_html(as_alice, direct_room)
    strip = html[html.index(f'id="reactions-{message.pk}"') :]
    strip = strip[: strip.index("</div>")]
    assert f'data-emoji-react="🎉" data-reactors=" {bob.pk} {alice.pk} " title="Bob, Alice"' in strip
    assert '🎉 <span class="count">2</span>' in strip and '👍 <span class="count">1</span>' in strip
    assert strip.index("🎉") < strip.index("👍")  # in the order they were first made
    css = as_alice.get(reverse("rooms:reader_css")).content.decode()
    assert f'.reaction[data-reactors~="{alice.pk}"]' in css


def test_the_react_page_without_javascript_and_the_htmx_answer(as_alice, direct_room, alice, bob):
    message = Message.objects.post(direct_room, bob, "hi")
    page = as_alice.get(reverse("rooms:react", args=[message.pk])).content.decode()
    assert 'name="emoji" value="👍"' in page
    response = as_alice.post(reverse("rooms:react", args=[message.pk]), {"emoji": "👍"})
    assert response.status_code == 302 and Reaction.objects.filter(user=alice, emoji="👍").exists()
    response = as_alice.post(reverse("rooms:react", args=[message.pk]), {"emoji": "👍"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and not Reaction.objects.exists()
    assert f'<div id="reactions-{message.pk}" class="reactions" hx-swap-oob="outerHTML"></div>' in response.content.decode()
    response = as_alice.post(reverse("rooms:react", args=[message.pk]), {"emoji": "nope"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Choose one of the emoji" in response.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_a_reaction_reaches_every_open_page_of_the_room_live(alice, bob, sockets):
    room, message = await sync_to_async(_room_with_a_message)(alice, bob)
    alice_socket, bob_socket = await sockets(alice), await sockets(bob)
    assert await sync_to_async(message.react)(alice, "❤️") is True
    for socket in (alice_socket, bob_socket):
        frame = await frame_with(socket, f'id="reactions-{message.pk}"')
        assert 'hx-swap-oob="outerHTML"' in frame and f'data-reactors=" {alice.pk} "' in frame and "❤️" in frame
    assert await sync_to_async(message.react)(alice, "❤️") is False
    frame = await frame_with(bob_socket, f'id="reactions-{message.pk}"')
    assert 'class="reaction"' not in frame


# --- A pane costs the same whatever its messages ------------------------------------------------


def _history(room, people, size):
    """size messages, each a reply to the one before, with two reactions each."""
    previous = None
    for n in range(size):
        previous = Message.objects.post(room, people[n % 2], f"message {n} @{people[(n + 1) % 2].username}", reply_to=previous)
        previous.react(people[0], "👍")
        previous.react(people[1], "🎉")


def test_the_room_pane_costs_the_same_queries_with_5_or_40_messages(client, alice, bob, settings):
    settings.CHAT_RATE_LIMIT = 1000
    counts = {}
    for n in (5, 40):
        befriend(alice, bob)
        room, _ = Room.objects.get_or_create_direct(alice, bob)
        room.messages.all().delete()
        _history(room, [alice, bob], n)
        client.force_login(alice)
        client.get(reverse("rooms:room", args=[room.pk]))  # warm: sessions, content types
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("rooms:room", args=[room.pk])).content.decode()
        assert html.count('class="reply-quote"') == n - 1 and html.count('class="reaction"') == 2 * n
        counts[n] = len(queries)
    assert counts[5] == counts[40], counts


# --- Mentions -------------------------------------------------------------------------------


def test_a_mention_of_a_member_is_stored_and_highlighted_for_them(client, group, alice, bob, carol):
    message = Message.objects.post(group, alice, "@bob bring the rope, @Carol the snacks, @alice me")
    assert set(message.mentions.values_list("username", flat=True)) == {"bob", "carol"}  # never the sender
    assert f'<span class="mention" data-user-id="{bob.pk}">@bob</span>' in message.body_html
    client.force_login(bob)
    css = client.get(reverse("rooms:reader_css")).content.decode()
    assert f'.mention[data-user-id="{bob.pk}"]' in css


def test_a_mention_of_a_non_member_is_plain_text_and_not_stored(group, alice):
    UserFactory(username="dora", nickname="Dora")
    message = Message.objects.post(group, alice, "ask @dora or @nobody")
    assert not message.mentions.exists()
    assert "mention" not in message.body_html and "@dora" in message.body_html


def test_an_edit_changes_who_is_mentioned(group, alice, bob, carol):
    message = Message.objects.post(group, alice, "hi @bob")
    message.edit(alice, "hi @carol")
    assert list(message.mentions.values_list("username", flat=True)) == ["carol"]


def test_the_room_list_marks_an_unread_mention_until_the_room_is_read(client, group, alice, bob, carol):
    client.force_login(bob)
    chat = reverse("rooms:chat")
    Message.objects.post(group, alice, "hello all")
    assert "mention-marker" not in client.get(chat).content.decode()
    Message.objects.post(group, alice, "@bob are you coming?")
    html = client.get(chat).content.decode()
    item = html[html.index(f'id="room-item-{group.pk}"') :]
    assert 'class="mention-marker"' in item[: item.index("</li>")]
    client.force_login(carol)
    assert "mention-marker" not in client.get(chat).content.decode()
    client.force_login(bob)
    client.get(reverse("rooms:room", args=[group.pk]))  # read
    assert "mention-marker" not in client.get(chat).content.decode()


@pytest.mark.django_db(transaction=True)
async def test_a_mention_reaches_the_room_list_live_naming_who_is_mentioned(alice, bob, sockets):
    room, _ = await sync_to_async(_room_with_a_message)(alice, bob)
    bob_socket = await sockets(bob)
    await sync_to_async(Message.objects.post)(room, alice, "@bob look")
    frame = await frame_with(bob_socket, 'data-live="preview"')
    assert f'data-mentions=" {bob.pk} "' in frame
