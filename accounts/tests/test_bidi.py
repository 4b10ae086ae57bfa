"""Bidi controls (U+202A–U+202E, U+2066–U+2069) never reach a nickname or a group name."""

import pytest

from accounts.models import User
from rooms.models import Room, RoomError
from rooms.tests.conftest import befriend

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"
PROFILE = "/accounts/profile/"


def test_a_nickname_loses_its_bidi_controls_in_the_profile(client, alice):
    client.force_login(alice)
    client.post(PROFILE, {"action": "profile", "nickname": f"Ali{RLO}ecnA{PDI}"})
    alice.refresh_from_db()
    assert alice.nickname == "AliecnA"


def test_a_nickname_of_bidi_controls_only_is_empty(client, alice):
    client.force_login(alice)
    response = client.post(PROFILE, {"action": "profile", "nickname": f"{RLO}{LRI} {PDI}"})
    assert response.status_code == 422
    assert "Enter a nickname." in response.text


def test_every_way_of_setting_a_nickname_drops_them(db):
    user = User.objects.create_user("dana", "dana@example.com", "pw-123456789", nickname=f"{LRI}Dana{PDI}\u202a\u202b\u202c\u202d\u2067\u2068")
    assert user.nickname == "Dana"
    assert User.objects.get(pk=user.pk).nickname == "Dana"


def test_a_group_name_loses_its_bidi_controls_when_created_and_renamed(alice, bob):
    befriend(alice, bob)
    group = Room.objects.create_group(alice, f"Trip {RLO}4202", [bob])
    assert group.name == "Trip 4202"
    group.rename(alice, f"{LRI}Paris{PDI}")
    group.refresh_from_db()
    assert group.name == "Paris"
    with pytest.raises(RoomError, match="The group name cannot be empty"):
        group.rename(alice, RLO)


def test_emoji_joined_by_zero_width_joiners_stay_whole(alice, bob):
    befriend(alice, bob)
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    assert Room.objects.create_group(alice, f"{family} home", [bob]).name == f"{family} home"
