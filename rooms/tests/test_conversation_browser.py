"""
The conversation's shape in the browser: groups of one sender's messages, day separators (on
load and for live messages), a short room at the bottom, a message opened by link, "Jump to
latest".
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rooms.models import Message, Room

from .conftest import befriend

GROUPED = re.compile(r"\bgrouped\b")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def posted(room, sender, body, ago):
    message = Message.objects.post(room, sender, body)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - ago)
    return message


def test_groups_and_day_separators_on_load_and_live(new_page, login_as, alice, bob, direct_room):
    now = timezone.now()
    if now.hour == 0 and now.minute < 12:
        pytest.skip("the minutes after midnight: 'today' would begin yesterday")
    minutes = lambda n: timedelta(minutes=n)  # noqa: E731
    long_ago = posted(direct_room, bob, "a while back", timedelta(days=9))
    yesterday = posted(direct_room, bob, "yesterday's", timedelta(days=1))
    first = posted(direct_room, bob, "first of today", minutes(9))
    second = posted(direct_room, bob, "a minute later", minutes(8))
    mine = posted(direct_room, alice, "my answer", minutes(7))
    mine_too = posted(direct_room, alice, "and more", minutes(6))
    later = posted(direct_room, bob, "five minutes on", minutes(1))
    # (the server and the browser both run in UTC here)
    alice_page = new_page()
    login_as(alice_page, alice)
    alice_page.goto(f"/chat/{direct_room.pk}/")

    separators = alice_page.locator("#messages .day-separator")
    expect(separators).to_have_count(3)
    labels = separators.all_inner_texts()
    assert labels[1:] == ["Yesterday", "Today"]
    assert str((timezone.now() - timedelta(days=9)).day) in labels[0]
    grouped = lambda m: alice_page.locator(f"#message-{m.pk}")  # noqa: E731
    for message in (second, mine_too):
        expect(grouped(message)).to_have_class(GROUPED)
        expect(grouped(message).locator(".avatar")).to_have_css("visibility", "hidden")
        expect(grouped(message).locator(".sender")).to_be_hidden()
    for message in (long_ago, yesterday, first, mine, later):
        expect(grouped(message)).not_to_have_class(GROUPED)
        expect(grouped(message).locator(".sender")).to_be_visible()

    # Bob writes now: his message joins his group, under no new separator.
    bob_page = new_page()
    login_as(bob_page, bob)
    bob_page.goto(f"/chat/{direct_room.pk}/")
    bob_page.wait_for_load_state("networkidle")
    bob_page.fill("#message-body", "live and grouped")
    bob_page.press("#message-body", "Enter")
    live = alice_page.locator("#messages .message", has_text="live and grouped")
    expect(live).to_have_class(GROUPED)
    expect(separators).to_have_count(3)


def test_a_short_room_starts_by_the_composer_and_a_long_one_jumps(new_page, login_as, alice, bob, carol):
    befriend(alice, bob, carol)
    short, _ = Room.objects.get_or_create_direct(alice, carol)
    only = Message.objects.post(short, carol, "just one line")
    long, _ = Room.objects.get_or_create_direct(alice, bob)
    lines = Message.objects.bulk_create([Message(room=long, sender=bob, body=f"line {i}") for i in range(45)])
    page = new_page()
    login_as(page, alice)

    page.goto(f"/chat/{short.pk}/")
    message = page.locator(f"#message-{only.pk}").bounding_box()
    composer = page.locator("#send-form").bounding_box()
    assert composer["y"] - (message["y"] + message["height"]) < 100  # at the bottom, not the top

    # Opened by link (?around=), the message is in view and highlighted.
    target = lines[5]
    page.goto(f"/chat/{long.pk}/?around={target.pk}")
    expect(page.locator(f"#message-{target.pk}")).to_have_class(re.compile(r"\blinked\b"))
    expect(page.locator(f"#message-{target.pk}")).to_be_in_viewport()

    # Scrolled up in the newest page: "Jump to latest" shows, and brings the newest back.
    page.goto(f"/chat/{long.pk}/")
    jump = page.get_by_role("button", name="Jump to latest")
    expect(jump).to_be_hidden()
    expect(page.locator(f"#message-{lines[-1].pk}")).to_be_in_viewport()
    page.locator("#messages").evaluate("list => list.scrollTop = 0")
    expect(jump).to_be_visible()
    jump.click()
    expect(page.locator(f"#message-{lines[-1].pk}")).to_be_in_viewport()
    expect(jump).to_be_hidden()
    expect(page.locator("#message-body")).to_be_focused()
