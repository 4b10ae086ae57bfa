"""The limits people meet are written once, in the settings, and reach the pages from there."""

import json

import pytest
from django.test import override_settings

from friends.models import Friendship
from rooms.models import Room

pytestmark = pytest.mark.django_db


def config(response):
    html = response.content.decode()
    start = html.index('<script id="chat-config" type="application/json">') + len('<script id="chat-config" type="application/json">')
    return json.loads(html[start : html.index("</script>", start)])


def test_the_page_hands_its_scripts_the_limits_and_close_codes(client, alice, settings):
    client.force_login(alice)
    found = config(client.get("/chat/"))
    assert found["limits"]["message_max_length"] == settings.MESSAGE_MAX_LENGTH
    assert found["limits"]["typing_every_seconds"] == settings.TYPING_EVERY_SECONDS
    assert found["close"] == {"unauthenticated": 4401, "deactivated": 4403, "too_big": 4009, "too_many": 4429}


def test_the_message_box_takes_its_length_from_the_settings(client, alice, bob):
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    client.force_login(alice)
    with override_settings(MESSAGE_MAX_LENGTH=123):
        html = client.get(f"/chat/{room.pk}/").content.decode()
    assert 'maxlength="123"' in html
