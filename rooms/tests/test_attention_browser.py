"""
Attention in the browser: the tab title and the Chats link count a message that arrives in
another room; a muted room counts no more; desktop notifications for rooms not in view.
"""

import re

import pytest
from playwright.sync_api import expect

from rooms.models import Room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The browser's Notification API, recorded: the page asks and builds notices as it would.
RECORD_NOTICES = """
window.notices = [];
window.Notification = class {
  constructor(title, options) { window.notices.push([title, options.body]); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
"""


def send(page, room, text):
    page.goto(f"/chat/{room.pk}/")
    page.wait_for_load_state("networkidle")
    page.fill("#message-body", text)
    page.press("#message-body", "Enter")
    expect(page.locator("#messages .message", has_text=text)).to_be_visible()


def test_the_title_counts_messages_from_other_rooms_but_not_muted_ones(new_page, login_as, alice, bob, carol, direct_room, group):
    books = Room.objects.create_group(alice, "Books", [bob])
    alice_page = new_page()
    alice_page.add_init_script(RECORD_NOTICES)
    login_as(alice_page, alice)
    alice_page.goto(f"/chat/{direct_room.pk}/")
    alice_page.wait_for_load_state("networkidle")
    expect(alice_page).to_have_title("Bob · Chat")
    unread = alice_page.locator("#unread-total")
    expect(unread).to_be_hidden()

    bob_page = new_page()
    login_as(bob_page, bob)
    send(bob_page, group, "in the group")
    expect(alice_page).to_have_title("(1) Bob · Chat")
    expect(unread).to_have_text(re.compile(r"^1"))
    expect(alice_page.get_by_role("link", name=re.compile("Chats"))).to_contain_text("1 unread")
    assert alice_page.evaluate("window.notices") == [["Weekend", "Bob: in the group"]]

    # In the room she has open, in view: read, not counted, no notice.
    send(bob_page, direct_room, "in our room")
    expect(alice_page.locator("#messages .message", has_text="in our room")).to_be_visible()
    expect(alice_page).to_have_title("(1) Bob · Chat")

    # She opens the group (read now) and mutes it, then goes back to Bob.
    alice_page.locator(f"#room-item-{group.pk} a").click()
    expect(alice_page).to_have_title("Weekend · Chat")
    mute = alice_page.get_by_role("button", name="Mute")
    expect(mute).to_have_attribute("aria-pressed", "false")
    mute.click()
    expect(alice_page.get_by_role("button", name="Mute")).to_have_attribute("aria-pressed", "true")
    expect(alice_page.locator(f"#room-item-{group.pk}")).to_contain_text("(muted)")
    alice_page.locator(f"#room-item-{direct_room.pk} a").click()
    expect(alice_page).to_have_title("Bob · Chat")

    # A message in the muted group, then one in Books: only Books counts and notifies.
    send(bob_page, group, "muted chatter")
    send(bob_page, books, "sentinel from Books")
    expect(alice_page).to_have_title("(1) Bob · Chat")
    expect(alice_page.locator(f"#room-item-{books.pk}")).to_contain_text("sentinel from Books")
    assert alice_page.evaluate("window.notices") == [["Weekend", "Bob: in the group"], ["Books", "Bob: sentinel from Books"]]

    # A reload keeps the count (the server's), and opening Books reads it.
    alice_page.reload()
    expect(alice_page).to_have_title("(1) Bob · Chat")
    alice_page.locator(f"#room-item-{books.pk} a").click()
    expect(alice_page).to_have_title("Books · Chat")
    expect(unread).to_be_hidden()


def test_notifications_are_asked_for_once_and_follow_the_profile(new_page, login_as, alice, bob, direct_room, group):
    page = new_page()
    # The browser's permission: not given yet, until localStorage says otherwise.
    page.add_init_script(RECORD_NOTICES.replace('return "granted"; }', 'return localStorage.getItem("granted") ? "granted" : "default"; }'))
    login_as(page, alice)
    page.goto("/chat/")
    ask = page.get_by_role("region", name="Desktop notifications")
    expect(ask).to_be_visible()
    ask.get_by_role("button", name="Not now").click()
    expect(ask).to_be_hidden()
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(ask).to_be_hidden()  # asked once

    # Switched off in the profile: the title still counts, but no notice comes.
    page.goto("/accounts/profile/")
    page.evaluate("localStorage.setItem('granted', '1')")  # given later, in the browser's settings
    page.get_by_role("checkbox", name="Desktop notifications").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Preferences saved.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Desktop notifications")).not_to_be_checked()
    page.goto(f"/chat/{direct_room.pk}/")
    page.wait_for_load_state("networkidle")
    bob_page = new_page()
    login_as(bob_page, bob)
    send(bob_page, group, "quietly")
    expect(page).to_have_title("(1) Bob · Chat")
    assert page.evaluate("window.notices") == []
