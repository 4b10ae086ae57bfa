"""Emoji: the palette beside the message box, and emoji kept intact by either database."""

import re

import pytest
from django.urls import reverse

from core.emoji import PALETTE
from rooms.models import Message

SAMPLES = [
    "😀",  # outside the Basic Multilingual Plane (4 bytes in UTF-8)
    "👋🏽",  # with a skin tone modifier
    "🧑‍💻",  # a zero-width-joiner sequence
    "❤️‍🔥",  # with a variation selector
    "🇫🇷",  # a flag: two regional indicators
    "✌️ ✅ ☕",  # from the Basic Multilingual Plane
]


@pytest.mark.parametrize("emoji", SAMPLES)
def test_emoji_survive_storage_search_and_the_page(client, direct_room, alice, bob, emoji):
    body = f"before {emoji} after"
    message = Message.objects.post(direct_room, alice, body)

    assert Message.objects.get(pk=message.pk).body == body
    assert Message.objects.filter(body__contains=emoji).get() == message
    client.force_login(bob)
    assert f"before {emoji} after" in client.get(reverse("rooms:room", args=[direct_room.pk])).text


def test_a_message_of_emoji_only_counts_characters_not_bytes(direct_room, alice):
    body = "😀" * Message.BODY_MAX_LENGTH

    assert Message.objects.post(direct_room, alice, body).body == body


def test_the_palette_is_rendered_by_the_server_with_a_name_for_each_emoji(client, direct_room, alice):
    client.force_login(alice)

    page = client.get(reverse("rooms:room", args=[direct_room.pk])).text

    palette = re.search(r'<details class="emoji-picker">.*?</details>', page, re.S).group(0)
    buttons = re.findall(r'<button type="button" class="emoji" data-emoji="([^"]+)" title="([^"]+)" aria-label="\2">\1</button>', palette)
    assert len(buttons) == sum(len(group.emoji) for group in PALETTE) >= 50
    assert ("👍", "thumbs up") in buttons and ("🧑‍💻", "technologist") in buttons
    assert "http" not in palette  # nothing from a CDN
    assert page.index('id="send-form"') < page.index('class="emoji-picker"') < page.index('id="message-body"')


def test_every_emoji_of_the_palette_is_there_once():
    chars = [char for group in PALETTE for char, _ in group.emoji]

    assert len(chars) == len(set(chars))
