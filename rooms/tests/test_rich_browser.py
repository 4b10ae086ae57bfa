"""Rich messages in two real browsers: a picture sent live, starred and found again; edits and deletes live."""

import re
from io import BytesIO

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from rooms.models import Favorite, Message

from .test_live_browser import open_room, room  # noqa: F401 (the `room` fixture: alice and bob's direct room)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png_bytes(size=(800, 600)):
    out = BytesIO()
    Image.new("RGB", size, (40, 160, 90)).save(out, "PNG")
    return out.getvalue()


def test_a_picture_goes_live_is_starred_and_found_then_an_edit_goes_live(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)

    # Bob sends a picture: Alice sees its thumbnail appear without reloading.
    bob_page.set_input_files("#attach-input", files=[{"name": "garden.png", "mimeType": "image/png", "buffer": png_bytes()}])
    thumbnail = alice_page.locator("#messages .message .attachment.picture img")
    expect(thumbnail).to_have_attribute("alt", "garden.png", timeout=5000)
    expect(thumbnail).to_have_js_property("naturalWidth", 480)  # the thumbnail, loaded through the members-only view
    picture = Message.objects.get(kind="image")
    expect(bob_page.locator(f"#message-{picture.pk} img")).to_be_visible()
    expect(bob_page.locator(f"#messages #message-{picture.pk}")).to_have_count(1)  # the socket and the upload's answer: once
    expect(alice_page.locator(f"#room-item-{room.pk} .room-preview")).to_have_text("📷 garden.png")

    # Alice stars it, and finds it on her Favorites page.
    message = alice_page.locator(f"#message-{picture.pk}")
    message.hover()
    message.locator(".star-add").click()
    expect(message.locator(".star-remove")).to_be_visible()
    expect(message.locator(".star-add")).to_be_hidden()
    assert Favorite.objects.filter(user=alice, message=picture).exists()
    favorites = new_page("/")
    login_as(favorites, alice)
    favorites.goto("/favorites/")
    entry = favorites.locator(".found-message").first
    expect(entry.locator(".found-room")).to_have_text("Bob")
    expect(entry.locator(".sender")).to_have_text("Bob")
    expect(entry.locator("img")).to_have_attribute("alt", "garden.png")
    entry.locator(".found-room").click()
    expect(favorites.locator(f"#message-{picture.pk}")).to_have_class(re.compile(r"\blinked\b"))

    # Bob edits a message: Alice sees the change without reloading.
    bob_page.fill("#message-body", "See you at 8")
    bob_page.press("#message-body", "Enter")
    expect(alice_page.locator("#messages .message .body").last).to_have_text("See you at 8")
    sent = Message.objects.get(body="See you at 8")
    mine = bob_page.locator(f"#message-{sent.pk}")
    mine.hover()
    mine.locator(".edit-action").click()
    box = bob_page.locator(f"#edit-body-{sent.pk}")
    expect(box).to_be_focused()
    box.fill("See you at 9")
    box.press("Enter")
    expect(alice_page.locator(f"#message-{sent.pk} .body")).to_have_text("See you at 9")
    expect(alice_page.locator(f"#message-{sent.pk} .edited")).to_have_text("(edited)")
    expect(bob_page.locator(f"#message-{sent.pk} .body")).to_have_text("See you at 9")
    expect(alice_page.locator(f"#room-item-{room.pk} .room-preview")).to_have_text("See you at 9")
    expect(alice_page.locator(f"#message-{sent.pk} .edit-action")).to_be_hidden()  # not hers to edit


def test_a_delete_reaches_the_other_side_and_the_text_is_gone(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    bob_page.fill("#message-body", "wrong window, sorry")
    bob_page.press("#message-body", "Enter")
    expect(alice_page.locator("#messages .message .body").last).to_have_text("wrong window, sorry")
    sent = Message.objects.get(body="wrong window, sorry")

    bob_page.once("dialog", lambda dialog: dialog.accept())
    bob_page.locator(f"#message-{sent.pk}").hover()
    bob_page.locator(f"#message-{sent.pk} .own-action", has_text="Delete").click()

    expect(alice_page.locator(f"#message-{sent.pk} .body")).to_have_text("This message was deleted.")
    expect(bob_page.locator(f"#message-{sent.pk} .body")).to_have_text("This message was deleted.")
    expect(alice_page.locator(f"#room-item-{room.pk} .room-preview")).to_have_text("Message deleted")
    sent.refresh_from_db()
    assert sent.body == "" and sent.deleted_at is not None


def test_emoji_go_in_at_the_cursor(new_page, login_as, alice, room):
    page = open_room(new_page, login_as, alice, room)
    page.fill("#message-body", "See you !")
    page.evaluate("() => { const box = document.getElementById('message-body'); box.setSelectionRange(8, 8); }")

    page.locator(".emoji-picker > summary").click()
    page.get_by_role("button", name="waving hand").click()
    page.locator("#message-body").press_sequentially("x")

    expect(page.locator("#message-body")).to_have_value("See you 👋x!")
    page.locator("#message-body").fill("Cheers 🥳🧑‍💻")
    page.press("#message-body", "Enter")
    expect(page.locator("#messages .message .body").last).to_have_text("Cheers 🥳🧑‍💻")
    assert Message.objects.get().body == "Cheers 🥳🧑‍💻"


def test_a_file_over_the_limit_is_refused_before_it_is_sent(new_page, login_as, alice, room):
    page = open_room(new_page, login_as, alice, room)
    uploads = []
    page.on("request", lambda request: uploads.append(request.url) if "/files/" in request.url else None)
    page.evaluate("() => { document.getElementById('upload-form').dataset.maxBytes = '1000'; }")

    page.set_input_files("#attach-input", files=[{"name": "big.bin", "mimeType": "application/octet-stream", "buffer": b"x" * 5000}])

    expect(page.locator("#send-error")).to_have_text("big.bin is 4.9 KB; files can be at most 1000 bytes.")
    assert uploads == [] and not Message.objects.exists()


def test_a_dropped_file_is_sent_and_offered_for_download(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)

    bob_page.evaluate("""() => {
      const data = new DataTransfer();
      data.items.add(new File(["minutes of the meeting"], "minutes.txt", { type: "text/plain" }));
      const pane = document.getElementById("room-pane");
      pane.dispatchEvent(new DragEvent("dragover", { bubbles: true, cancelable: true, dataTransfer: data }));
      pane.dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: data }));
    }""")

    link = alice_page.locator("#messages .attachment.file")
    expect(link.locator(".file-name")).to_have_text("minutes.txt")
    expect(link.locator(".file-size")).to_have_text("22\xa0bytes")
    with alice_page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "minutes.txt"
    assert open(download.value.path(), "rb").read() == b"minutes of the meeting"


def test_a_search_result_opens_the_room_at_the_message(new_page, login_as, alice, bob, room):
    for n in range(80):
        Message.objects.create(room=room, sender=bob, body=f"filler {n}")
    target = Message.objects.create(room=room, sender=bob, body="the tortoise wins")
    for n in range(80):
        Message.objects.create(room=room, sender=bob, body=f"more filler {n}")
    Message.objects.filter(body="filler 70").update(body="filler 70, edited", edited_at=timezone.now())
    page = new_page()
    login_as(page, alice)

    page.fill("input[name=q][placeholder='Search messages']", "tortoise")
    page.press("input[name=q][placeholder='Search messages']", "Enter")
    expect(page.locator(".found-body mark")).to_have_text("tortoise")
    with page.expect_response(lambda response: "/changes/" in response.url):  # the socket's catching up
        page.locator(".found-room").click()

    linked = page.locator(f"#message-{target.pk}")
    expect(linked).to_have_class(re.compile(r"\blinked\b"))
    page.wait_for_timeout(300)
    expect(linked).to_be_in_viewport()  # still: catching up keeps the reader's place
    expect(page.locator(".newest-link a")).to_have_text("Jump to the newest messages")
    Message.objects.post(room, bob, "meanwhile, live")
    page.wait_for_timeout(500)
    expect(page.locator("#messages .message .body", has_text="meanwhile, live")).to_have_count(0)  # a window, not the live end


def test_the_new_messages_pill_shows_only_for_news_below_the_fold(new_page, login_as, alice, bob, room):
    for n in range(40):
        Message.objects.create(room=room, sender=bob, body=f"earlier {n}")
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    pill = alice_page.locator("#new-messages")
    expect(pill).to_be_hidden()

    bob_page.fill("#message-body", "following along?")
    bob_page.press("#message-body", "Enter")
    expect(alice_page.locator("#messages .message .body").last).to_have_text("following along?")
    expect(pill).to_be_hidden()  # at the bottom already: the page follows

    alice_page.evaluate("document.getElementById('messages').scrollTop = 0")
    bob_page.fill("#message-body", "scroll down!")
    bob_page.press("#message-body", "Enter")
    expect(pill).to_be_visible()

    alice_page.fill("#message-body", "on my way")
    alice_page.press("#message-body", "Enter")
    expect(pill).to_be_hidden()  # her own message: the page shows the newest
    expect(alice_page.locator("#messages .message").last).to_be_in_viewport()


def test_an_edit_arriving_while_a_star_is_on_its_way_loses_neither(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    bob_page.fill("#message-body", "See you at 8")
    bob_page.press("#message-body", "Enter")
    expect(alice_page.locator("#messages .message .body")).to_have_text(["See you at 8"])
    sent = Message.objects.get(body="See you at 8")

    # Alice stars it; her answer is held back until Bob's edit has reached her page.
    held = []
    alice_page.route("**/favorite/", lambda route: held.append((route, route.fetch())))
    message = alice_page.locator(f"#message-{sent.pk}")
    message.hover()
    message.locator(".star-add").click()
    alice_page.wait_for_function("() => document.querySelector('.htmx-request') !== null")
    alice_page.evaluate("""id => document.body.addEventListener("htmx:wsAfterMessage", e => {
      if (e.detail.message.includes(`id="message-${id}"`)) window.editArrived = true;
    })""", sent.pk)
    mine = bob_page.locator(f"#message-{sent.pk}")
    mine.hover()
    mine.locator(".edit-action").click()
    bob_page.locator(f"#edit-body-{sent.pk}").fill("See you at 9")
    bob_page.locator(f"#edit-body-{sent.pk}").press("Enter")
    expect(bob_page.locator(f"#message-{sent.pk} .body")).to_have_text("See you at 9")
    alice_page.wait_for_function("() => window.editArrived")  # the edit reached her page first
    assert Favorite.objects.filter(user=alice, message=sent).exists()
    route, response = held[0]
    route.fulfill(response=response)

    expect(message.locator(".body")).to_have_text("See you at 9")
    expect(message.locator(".star-remove")).to_be_visible()
    expect(message.locator(".star-add")).to_be_hidden()


def test_the_emoji_palette_closes_after_a_pick_on_escape_on_a_click_outside_and_after_sending(new_page, login_as, alice, room):
    page = open_room(new_page, login_as, alice, room)
    palette = page.locator(".emoji-picker")
    panel = page.locator(".emoji-panel")

    page.locator(".emoji-picker > summary").click()
    expect(panel).to_be_visible()
    page.get_by_role("button", name="waving hand").click()
    expect(panel).to_be_hidden()
    expect(page.locator("#message-body")).to_have_value("👋")
    expect(page.locator("#message-body")).to_be_focused()

    page.locator(".emoji-picker > summary").click()
    expect(panel).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    page.locator(".emoji-picker > summary").click()
    expect(panel).to_be_visible()
    page.locator("#room-pane h2").click()
    expect(panel).to_be_hidden()

    page.locator(".emoji-picker > summary").click()
    page.locator("#message-body").press("Enter")
    expect(page.locator("#messages .message .body")).to_have_text(["👋"])
    expect(panel).to_be_hidden()
    expect(palette).not_to_have_attribute("open", "")


def test_the_palette_opening_does_not_take_the_focus_back_from_the_message_box(new_page, login_as, alice, room):
    # The palette puts the cursor in its search as it opens (its toggle event comes a moment
    # after the click). Someone who has already gone back to the message box by then keeps it:
    # Enter sends what they typed, it is not swallowed by the palette's search.
    page = open_room(new_page, login_as, alice, room)
    page.fill("#message-body", "on my way")
    page.evaluate("""() => {
        document.querySelector(".emoji-picker").open = true;
        document.getElementById("message-body").focus();
    }""")
    expect(page.locator(".emoji-panel")).to_be_visible()
    expect(page.locator("#message-body")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#messages .message .body")).to_have_text(["on my way"])
    expect(page.locator(".emoji-panel")).to_be_hidden()


CONTRAST = """link => {
  const rgb = value => value.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = value => {
    const [r, g, b] = rgb(value).map(c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const text = luminance(getComputedStyle(link).color);
  const background = luminance(getComputedStyle(link.closest(".bubble")).backgroundColor);
  return (Math.max(text, background) + 0.05) / (Math.min(text, background) + 0.05);
}"""


def test_links_stand_out_in_your_own_messages_and_in_others(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    alice_page.fill("#message-body", "the menu: https://example.com/menu")
    alice_page.press("#message-body", "Enter")
    for page in (alice_page, bob_page):  # her own bubble (the accent colour), and his view of it
        link = page.locator("#messages .message .body a")
        expect(link).to_have_text("https://example.com/menu")
        assert link.evaluate(CONTRAST) >= 4.5  # WCAG AA for text


def test_a_refused_file_says_why_until_the_next_good_send(new_page, login_as, alice, room):
    page = open_room(new_page, login_as, alice, room)
    error = page.locator("#send-error")
    not_a_picture = {"name": "holiday.png", "mimeType": "image/png", "buffer": b"not a picture"}

    page.set_input_files("#attach-input", files=[not_a_picture])
    expect(error).to_have_text("holiday.png is not a valid image (PNG, JPEG, GIF or WebP).")
    page.set_input_files("#attach-input", files=[{"name": "garden.png", "mimeType": "image/png", "buffer": png_bytes()}])
    expect(page.locator("#messages .message img")).to_have_count(1)
    expect(error).to_be_hidden()

    page.set_input_files("#attach-input", files=[not_a_picture])
    expect(error).to_be_visible()
    page.fill("#message-body", "that one did not work")
    page.press("#message-body", "Enter")
    expect(page.locator("#messages .message .body").last).to_have_text("that one did not work")
    expect(error).to_be_hidden()
