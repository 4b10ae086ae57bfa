"""
`make screenshots`: desktop (1280×800) and phone (390×844) pictures of the main pages, in
the light and the dark scheme, written to docs/screenshots/ (or $SCREENSHOTS_DIR). It drives
the browser harness of the tests (conftest.py: a daphne on a scratch database, Chromium),
so it is run by pytest, named on the command line; it is not a test (not test_*.py).
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from rooms.models import Message, Room
from rooms.tests.conftest import befriend

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path(os.environ.get("SCREENSHOTS_DIR") or Path(__file__).resolve().parents[2] / "docs" / "screenshots")
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def conversation(alice, bob, carol):
    befriend(alice, bob, carol)
    direct, _ = Room.objects.get_or_create_direct(alice, bob)
    group = Room.objects.create_group(alice, "Weekend trip", [bob, carol])
    now = timezone.now()
    lines = [
        (direct, bob, "Did you see the photos from Saturday?", 26 * 60),
        (direct, alice, "Not yet! Send them over 🙂", 26 * 60 - 1),
        (direct, bob, "Uploading tonight.", 26 * 60 - 2),
        (group, carol, "Who's driving on Friday?", 90),
        (group, bob, "I can take four people.", 80),
        (group, bob, "Leaving at 6 from the station.", 79),
        (direct, bob, "Here they are — the lake was perfect.", 12),
        (direct, alice, "Wow, beautiful!", 10),
        (direct, alice, "Let's go again next month.", 9),
        (direct, bob, "Deal. I'll book the cabin.", 2),
    ]
    for room, sender, body, minutes_ago in lines:
        message = Message.objects.post(room, sender, body)
        Message.objects.filter(pk=message.pk).update(created_at=now - timedelta(minutes=minutes_ago))
    return direct, group


def test_screenshots(new_page, login_as, alice, bob, carol):
    direct, group = conversation(alice, bob, carol)
    OUT.mkdir(parents=True, exist_ok=True)
    pages = {"chats": "/chat/", "room": f"/chat/{direct.pk}/", "friends": "/friends/", "profile": "/accounts/profile/"}
    for size, viewport in SIZES.items():
        for scheme in ("light", "dark"):
            page = new_page(viewport=viewport, color_scheme=scheme, is_mobile=size == "phone", has_touch=size == "phone")
            page.add_init_script("localStorage.setItem('chat.notify-asked', '1')")  # the question answered
            login_as(page, alice)
            for name, path in pages.items():
                page.goto(path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}-{size}-{scheme}.png"))
            page.context.close()
    login = new_page("/accounts/login/", viewport=SIZES["phone"], is_mobile=True, has_touch=True)
    login.screenshot(path=str(OUT / "login-phone-light.png"))
