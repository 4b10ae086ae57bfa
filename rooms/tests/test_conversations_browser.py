"""Replying, reacting, mentioning and "Seen" in two real browsers, with the keyboard where it matters."""

import pytest
from playwright.sync_api import expect

from friends.models import Friendship
from rooms.models import Message, Reaction, Room

from .test_live_browser import open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def room(alice, bob):
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    return room


def test_replying_from_the_message_menu_and_jumping_to_the_original(new_page, login_as, alice, bob, room):
    original = Message.objects.post(room, bob, "Shall we climb on Sunday?\nI can drive")
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)

    alice_page.locator(f"#message-{original.pk}").hover()
    alice_page.locator(f"#message-{original.pk} .reply-action").click()
    bar = alice_page.locator("#reply-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("Replying to Bob Shall we climb on Sunday?")
    expect(alice_page.locator("#message-body")).to_be_focused()
    # Esc cancels; Reply again, and the reply goes.
    alice_page.keyboard.press("Escape")
    expect(bar).to_be_hidden()
    alice_page.locator(f"#message-{original.pk}").hover()
    alice_page.locator(f"#message-{original.pk} .reply-action").click()
    alice_page.locator("#message-body").fill("Yes! **Sunday** it is")
    alice_page.keyboard.press("Enter")
    expect(bar).to_be_hidden()

    reply = bob_page.locator(".message", has_text="Sunday it is")
    expect(reply.locator(".reply-quote")).to_have_text("Bob Shall we climb on Sunday?")
    expect(reply.locator(".body strong")).to_have_text("Sunday")
    assert Message.objects.get(body="Yes! **Sunday** it is").reply_to_id == original.pk

    bob_page.evaluate("document.getElementById('messages').scrollTop = document.getElementById('messages').scrollHeight")
    reply.locator(".reply-quote").click()
    expect(bob_page.locator(f"#message-{original.pk}")).to_have_class("message linked")
    assert bob_page.url.endswith(f"/chat/{room.pk}/")  # in place, no page load

    # Bob deletes the original: the quote says so, live, on Alice's page.
    bob_page.on("dialog", lambda dialog: dialog.accept())
    bob_page.locator(f"#message-{original.pk}").hover()
    bob_page.locator(f"#message-{original.pk} .message-actions a", has_text="Delete").click()
    expect(alice_page.locator(f"#message-{original.pk}")).to_have_class("message deleted")
    expect(alice_page.locator(".message", has_text="Sunday it is").locator(".reply-quote")).to_have_text("Original message deleted")


def test_reacting_with_a_quick_emoji_and_the_palette_live_on_both_pages(new_page, login_as, alice, bob, room):
    message = Message.objects.post(room, bob, "I sent the route!")
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)

    alice_page.locator(f"#message-{message.pk}").hover()
    alice_page.locator(f"#message-{message.pk} .react-action").click()
    picker = alice_page.locator("#reaction-picker")
    expect(picker).to_be_visible()
    expect(picker.locator("[data-pick]").first).to_be_focused()
    picker.locator("[data-pick='👍']").first.click()
    expect(picker).to_be_hidden()

    for page in (alice_page, bob_page):
        expect(page.locator(f"#reactions-{message.pk} .reaction")).to_have_text(["👍 1"])
    assert bob_page.locator(f"#reactions-{message.pk} .reaction").get_attribute("title") == "Alice"

    # The full palette, by keyboard: React, More…, an emoji of the palette.
    bob_page.locator(f"#message-{message.pk} .react-action").focus()
    bob_page.keyboard.press("Enter")
    expect(bob_page.locator("#reaction-picker")).to_be_visible()
    bob_page.locator("#reaction-picker .more-reactions").click()
    bob_page.locator("#reaction-picker .all-reactions [data-pick='🚀']").click()
    expect(alice_page.locator(f"#reactions-{message.pk} .reaction")).to_have_text(["👍 1", "🚀 1"])

    # Alice's own reaction is highlighted on her page, not Bob's; clicking it takes it back.
    mine = alice_page.locator(f"#reactions-{message.pk} .reaction").first
    theirs = bob_page.locator(f"#reactions-{message.pk} .reaction").first
    assert mine.evaluate("el => getComputedStyle(el).borderColor") != theirs.evaluate("el => getComputedStyle(el).borderColor")
    mine.click()
    expect(bob_page.locator(f"#reactions-{message.pk} .reaction")).to_have_text(["🚀 1"])
    assert list(Reaction.objects.values_list("emoji", flat=True)) == ["🚀"]

    # Esc closes the picker and gives the focus back.
    alice_page.locator(f"#message-{message.pk} .react-action").focus()
    alice_page.keyboard.press("Enter")
    expect(alice_page.locator("#reaction-picker")).to_be_visible()
    alice_page.keyboard.press("Escape")
    expect(alice_page.locator("#reaction-picker")).to_be_hidden()
    expect(alice_page.locator(f"#message-{message.pk} .react-action")).to_be_focused()


def test_mentioning_with_completion_marks_the_room_and_highlights_the_mention(new_page, login_as, alice, bob, carol):
    Friendship.objects.befriend(alice, bob)
    Friendship.objects.befriend(alice, carol)
    group = Room.objects.create_group(alice, "Crag", [bob, carol])
    alice_page = open_room(new_page, login_as, alice, group)
    bob_page = new_page()
    login_as(bob_page, bob)
    bob_page.goto("/chat/")
    expect(bob_page.locator("body")).to_have_attribute("data-socket", "open")

    box = alice_page.locator("#message-body")
    box.press_sequentially("Rope, @b", delay=20)
    options = alice_page.locator("#mention-menu [role=option]")
    expect(options).to_have_text(["Bob @bob"])
    expect(box).to_have_attribute("aria-activedescendant", "mention-option-0")
    alice_page.keyboard.press("Enter")  # completes, does not send
    expect(alice_page.locator("#mention-menu")).to_be_hidden()
    expect(box).to_have_value("Rope, @bob ")
    box.press_sequentially("and @ca", delay=20)
    alice_page.keyboard.press("Escape")  # closes the list, keeps the text
    expect(box).to_have_value("Rope, @bob and @ca")
    box.press_sequentially("r", delay=20)  # typing on offers again
    expect(options).to_have_text(["Carol @carol"])
    alice_page.keyboard.press("Tab")  # completes too
    expect(box).to_have_value("Rope, @bob and @carol ")
    expect(box).to_be_focused()
    alice_page.keyboard.press("Enter")
    expect(alice_page.locator(".message .body .mention")).to_have_count(2)

    marker = bob_page.locator(f"#room-item-{group.pk} .mention-marker")
    expect(marker).to_have_text("@")
    bob_page.locator(f"#room-item-{group.pk} a").click()
    mention = bob_page.locator(f".message .mention[data-user-id='{bob.pk}']")
    expect(mention).to_have_text("@bob")
    assert mention.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 243, 191)"
    other = bob_page.locator(f".message .mention[data-user-id='{carol.pk}']")
    assert other.evaluate("el => getComputedStyle(el).backgroundColor") != "rgb(255, 243, 191)"
    expect(bob_page.locator(f"#room-item-{group.pk} .mention-marker")).to_have_count(0)


def test_seen_appears_live_and_the_header_says_online_then_last_seen(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    alice_page.locator("#message-body").fill("Are you there?")
    alice_page.keyboard.press("Enter")
    mine = alice_page.locator(".message", has_text="Are you there?")
    expect(mine).to_have_count(1)
    expect(alice_page.locator("#messages .seen")).to_have_count(0)

    bob_page = new_page()
    login_as(bob_page, bob)
    expect(alice_page.locator(f".pane-head .last-seen[data-user-id='{bob.pk}']")).to_have_text("online")
    bob_page.goto(f"/chat/{room.pk}/")  # opening the room reads it
    expect(mine.locator(".seen")).to_have_text("Seen")

    # A newer message: "Seen" waits for Bob, then moves to it (only the latest such message).
    alice_page.locator("#message-body").fill("Sunday?")
    alice_page.keyboard.press("Enter")
    newer = alice_page.locator(".message", has_text="Sunday?")
    expect(newer.locator(".seen")).to_have_text("Seen")  # Bob's open tab reads it as it arrives
    expect(alice_page.locator("#messages .seen")).to_have_count(1)

    bob_page.context.close()
    expect(alice_page.locator(f".pane-head .last-seen[data-user-id='{bob.pk}']")).to_have_text("last seen just now")


def test_the_privacy_switch_hides_seen_both_ways(new_page, login_as, alice, bob, room):
    Message.objects.post(room, alice, "hello")
    bob.hide_activity = True
    bob.save()
    bob_page = new_page()
    login_as(bob_page, bob)
    bob_page.goto(f"/chat/{room.pk}/")
    Message.objects.post(room, bob, "hi")
    alice_page = open_room(new_page, login_as, alice, room)
    expect(alice_page.locator(".message", has_text="hi")).to_have_count(1)
    assert alice_page.locator("#messages .seen").count() == 0
    assert alice_page.locator(".pane-head .last-seen").count() == 0
    bob_page.reload()
    expect(bob_page.locator(".message", has_text="hello")).to_have_count(1)
    assert bob_page.locator("#messages .seen, .pane-head .last-seen").count() == 0


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_on_a_phone_reply_and_react_from_the_tap_menu(new_page, login_as, alice, bob, room):
    message = Message.objects.post(room, bob, "Coffee first?")
    page = new_page(**PHONE)
    login_as(page, alice)
    page.goto(f"/chat/{room.pk}/")
    expect(page.locator("body")).to_have_attribute("data-socket", "open")
    bubble = page.locator(f"#message-{message.pk} .bubble")

    bubble.tap()
    page.locator(f"#message-{message.pk} .react-action").tap()
    picker = page.locator("#reaction-picker")
    expect(picker).to_be_visible()
    box = picker.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # within the screen
    picker.locator("[data-pick='❤️']").first.tap()
    expect(page.locator(f"#reactions-{message.pk} .reaction")).to_have_text(["❤️ 1"])
    page.locator(f"#reactions-{message.pk} .reaction").dispatch_event("contextmenu")  # a long press
    expect(page.locator("#toasts .toast").last).to_have_text("❤️ Alice")

    bubble.tap()
    page.locator(f"#message-{message.pk} .reply-action").tap()
    expect(page.locator("#reply-bar")).to_contain_text("Replying to Bob Coffee first?")
    page.locator("#message-body").fill("Always")
    page.locator("#send-form button[type=submit]").tap()
    expect(page.locator(".message", has_text="Always").locator(".reply-quote")).to_have_text("Bob Coffee first?")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


MARKDOWN_XSS = [
    "**<img src=x onerror=\"window.__xss = 1\">**",
    "[click](javascript:window.__xss=2)",
    '[click](https://example.com" onmouseover="window.__xss=3)',
    "`<script>window.__xss = 4</script>`",
    "> <iframe src=javascript:window.top.__xss=5>",
    "~~<svg/onload=window.__xss=6>~~",
    "[<b onmouseover=window.__xss=7>x</b>](https://example.com)",
    "@bob<img src=x onerror=window.__xss=8>",
]


def test_formatted_xss_payloads_execute_nowhere(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    dialogs = []
    for page in (alice_page, bob_page):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for payload in MARKDOWN_XSS:
        alice_page.fill("#message-body", payload)
        alice_page.press("#message-body", "Enter")
    expect(bob_page.locator("#messages .message .body")).to_have_count(len(MARKDOWN_XSS), timeout=5000)
    for link in bob_page.locator("#messages .message .body a").all():
        link.hover()
    bob_page.wait_for_timeout(300)
    for page in (alice_page, bob_page):
        assert page.evaluate("window.__xss") is None
        assert page.locator("#messages .body script, #messages .body iframe, #messages .body svg, #messages .body img").count() == 0
        for href in page.locator("#messages .body a").evaluate_all("links => links.map(a => a.href)"):
            assert href.startswith("https://")
    assert dialogs == []


def test_a_mention_notifies_even_in_a_muted_room(new_page, login_as, alice, bob, carol, room):
    from rooms.models import Membership

    from .test_attention_browser import RECORD_NOTICES

    Friendship.objects.befriend(alice, carol)
    group = Room.objects.create_group(alice, "Crag", [bob, carol])
    Membership.objects.filter(room=group, user=alice).update(muted=True)
    alice_page = new_page()
    alice_page.add_init_script(RECORD_NOTICES)
    login_as(alice_page, alice)
    alice_page.goto(f"/chat/{room.pk}/")
    expect(alice_page.locator("body")).to_have_attribute("data-socket", "open")
    bob_page = open_room(new_page, login_as, bob, group)

    for text in ("muted chatter", "@alice are you coming?"):
        bob_page.fill("#message-body", text)
        bob_page.press("#message-body", "Enter")
        expect(alice_page.locator(f"#room-item-{group.pk} .room-preview")).to_contain_text(text)
    expect(alice_page.locator(f"#room-item-{group.pk} .mention-marker")).to_have_text("@")
    assert alice_page.evaluate("window.notices") == [["Crag", "Bob: @alice are you coming?"]]


def test_seen_by_n_in_a_group_with_the_names(new_page, login_as, alice, bob, carol):
    Friendship.objects.befriend(alice, bob)
    Friendship.objects.befriend(alice, carol)
    group = Room.objects.create_group(alice, "Crag", [bob, carol])
    alice_page = open_room(new_page, login_as, alice, group)
    alice_page.fill("#message-body", "Who is in on Sunday?")
    alice_page.press("#message-body", "Enter")
    mine = alice_page.locator(".message", has_text="Who is in on Sunday?")
    expect(mine).to_have_count(1)
    for person in (bob, carol):
        page = new_page()
        login_as(page, person)
        page.goto(f"/chat/{group.pk}/")
        expect(page.locator(".message", has_text="Who is in on Sunday?")).to_have_count(1)
    seen = mine.locator(".seen")
    expect(seen).to_have_text("Seen by 2")
    assert seen.get_attribute("title") == "Bob, Carol"
    seen.dispatch_event("contextmenu")  # a long press on a phone
    expect(alice_page.locator("#toasts .toast").last).to_have_text("Seen by Bob, Carol")
