"""The keyboard: the quick switcher (Ctrl+K) over rooms and friends, ↑ to edit the last
message, Esc closing what is open, focus in the message box once a room opens."""

import re

import pytest
from playwright.sync_api import expect

from rooms.models import Message, Room

from .conftest import befriend

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_quick_switcher_and_the_message_box(new_page, login_as, alice, bob, carol, group):
    befriend(alice, bob, carol)
    direct, _ = Room.objects.get_or_create_direct(alice, bob)
    Message.objects.post(direct, alice, "an early line")
    Message.objects.post(direct, alice, "a line with a typo")
    page = new_page()
    login_as(page, alice)
    page.goto("/friends/")
    page.wait_for_load_state("networkidle")

    # Ctrl+K, "wee": the Weekend group; Enter opens it, with focus in its message box.
    switcher = page.get_by_role("dialog", name="Go to a chat or a friend")
    expect(switcher).to_be_hidden()
    page.keyboard.press("Control+k")
    expect(switcher).to_be_visible()
    expect(switcher.get_by_role("combobox")).to_be_focused()
    page.keyboard.type("wee")
    expect(switcher.get_by_role("option")).to_have_count(1)
    expect(switcher.get_by_role("option").first).to_contain_text("Weekend")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/chat/{group.pk}/$"))
    expect(page.locator("#message-body")).to_be_focused()

    # Esc closes it; a friend without a room yet (Carol, by her username) gets one.
    page.keyboard.press("Control+k")
    expect(switcher).to_be_visible()
    page.keyboard.press("Escape")
    expect(switcher).to_be_hidden()
    page.keyboard.press("Control+k")
    page.keyboard.type("o")  # Bob's room, and Carol, a friend without one
    options = switcher.get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.first).to_contain_text("Bob")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(options.filter(has_text="Friend")).to_contain_text("Carol")
    page.keyboard.press("ArrowDown")
    expect(options.filter(has_text="Friend")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#room-pane h2")).to_have_text("Carol")
    assert Room.objects.filter(direct_key__isnull=False).count() == 2
    expect(page.locator("#message-body")).to_be_focused()

    # ↑ in the empty box of Bob's room edits her last message there.
    page.keyboard.press("Control+k")
    page.keyboard.type("bob")
    expect(options.first).to_contain_text("Bob")
    page.keyboard.press("Enter")
    expect(page.locator("#room-pane h2")).to_have_text("Bob")
    expect(page.locator("#message-body")).to_be_focused()
    page.keyboard.press("ArrowUp")
    edit_box = page.locator(".edit-form textarea")
    expect(edit_box).to_be_focused()
    expect(edit_box).to_have_value("a line with a typo")


def test_emoji_by_name_with_the_recently_used_first(new_page, login_as, alice, direct_room):
    page = new_page()
    login_as(page, alice)
    page.goto(f"/chat/{direct_room.pk}/")
    palette = page.locator("#send-form .emoji-panel")
    page.locator("#send-form .emoji-picker summary").click()
    search = palette.get_by_role("searchbox", name="Search emoji by name")
    expect(search).to_be_focused()
    expect(palette.locator(".emoji-recent")).to_be_hidden()  # nothing used yet

    # "crying": the two crying faces, nothing else; the second one picked.
    search.fill("crying")
    found = palette.locator(".emoji-found button")
    expect(found).to_have_count(2)
    assert found.evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))") == ["crying face", "loudly crying face"]
    found.nth(1).click()
    expect(page.locator("#message-body")).to_have_value("😭")

    # Used once, it comes first: in the search, and on top of the palette.
    page.locator("#send-form .emoji-picker summary").click()
    expect(palette.locator(".emoji-recent button")).to_have_count(1)
    expect(palette.locator(".emoji-recent button")).to_have_attribute("aria-label", "loudly crying face")
    search.fill("face cry")
    expect(found).to_have_count(2)
    assert found.evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))") == ["loudly crying face", "crying face"]
    search.fill("no such emoji")
    expect(found).to_have_count(0)
    expect(palette.get_by_text("No emoji by that name.")).to_be_visible()
    search.fill("grinning face with sweat")
    search.press("Enter")  # the first match
    expect(page.locator("#message-body")).to_have_value("😭😅")
