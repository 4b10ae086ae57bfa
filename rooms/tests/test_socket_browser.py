"""The page's socket in a real browser, on htmx's terms: refusals, catching up, reconnecting, uploads."""

import pytest
from playwright.sync_api import expect

from rooms.sockets import RESUME_LIMIT
from rooms.models import Message

from .test_live_browser import lose_connection, open_room, room  # noqa: F401 (the `room` fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A socket that never opens, as behind a proxy that lets no WebSocket through.
NO_SOCKETS = """(() => {
  window.WebSocket = class extends EventTarget {
    constructor(url) { super(); this.url = url; this.readyState = 0; }
    send() { throw new Error("not open"); }
    close() {}
  };
  window.WebSocket.OPEN = 1;
})()"""


def set_box(page, text):
    """Put text in the message box as a script could (past the box's maxlength)."""
    page.evaluate("text => { document.getElementById('message-body').value = text; }", text)


def test_a_refused_message_says_why_under_the_box_and_the_text_comes_back(new_page, login_as, alice, bob, room):
    page = open_room(new_page, login_as, alice, room)
    too_long = "x" * 4001
    set_box(page, too_long)
    page.press("#message-body", "Enter")

    expect(page.locator("#send-error")).to_have_text("The message can be at most 4,000 characters (this one has 4,001).")
    expect(page.locator("#message-body")).to_have_value(too_long)  # nothing typed is lost
    # The next message goes, and the refusal goes with it.
    page.fill("#message-body", "shorter")
    page.press("#message-body", "Enter")
    expect(page.locator("#messages .message .body")).to_have_text(["shorter"])
    expect(page.locator("#send-error")).to_be_hidden()
    assert list(Message.objects.values_list("body", flat=True)) == ["shorter"]


def test_a_frame_too_big_for_the_socket_is_given_back_once_and_the_page_reconnects(new_page, login_as, browser_errors, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    huge = "y" * (70 * 1024)
    set_box(alice_page, huge)
    alice_page.evaluate("""() => {
      window.closedTooBig = 0;
      document.body.addEventListener("htmx:wsClose", e => { if (e.detail.event.code === 4009) window.closedTooBig += 1; });
    }""")
    alice_page.press("#message-body", "Enter")

    # The server closes the socket (4009); the page says why, gives the text back, and does
    # not send it again when it reconnects.
    expect(alice_page.locator("#send-error")).to_have_text("That message is too big to send. Shorten it and send it again.")
    expect(alice_page.locator("#message-body")).to_have_value(huge)
    expect(alice_page.locator("body")).to_have_attribute("data-socket", "open")
    alice_page.fill("#message-body", "the short version")
    alice_page.press("#message-body", "Enter")
    expect(bob_page.locator("#messages .message .body")).to_have_text(["the short version"])
    assert alice_page.evaluate("window.closedTooBig") == 1  # the big frame was not sent again
    assert list(Message.objects.values_list("body", flat=True)) == ["the short version"]


def test_a_page_too_far_behind_reloads_the_room(new_page, login_as, alice, bob, room):
    page = open_room(new_page, login_as, bob, room, droppable=True)
    page.evaluate("window.notReloaded = true")
    lose_connection(page)
    expect(page.locator("#live-notice")).to_be_visible()
    Message.objects.bulk_create([Message(room=room, sender=alice, body=f"while away {n}") for n in range(RESUME_LIMIT + 1)])

    page.context.set_offline(False)
    # Too many to replay over the socket: the page loads the room again, with the newest.
    expect(page.locator("#messages .message .body").last).to_have_text(f"while away {RESUME_LIMIT}", timeout=15000)
    assert page.evaluate("window.notReloaded") is None


def test_a_page_whose_socket_never_opens_sends_over_http(new_page, login_as, alice, bob, room):
    bob_page = open_room(new_page, login_as, bob, room)
    page = new_page()
    page.add_init_script(NO_SOCKETS)
    login_as(page, alice)
    page.goto(f"/chat/{room.pk}/")
    expect(page.locator("body")).to_have_attribute("data-socket", "connecting")

    page.fill("#message-body", "by post")
    page.press("#message-body", "Enter")
    expect(page.locator("#messages .message .body")).to_have_text(["by post"])
    expect(page.locator("#message-body")).to_have_value("")
    expect(bob_page.locator("#messages .message .body")).to_have_text(["by post"])
    page.fill("#message-body", "and again")
    page.press("#message-body", "Enter")
    expect(page.locator("#messages .message .body")).to_have_text(["by post", "and again"])
    assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == ["by post", "and again"]


def test_reconnecting_waits_a_random_time_that_grows_with_each_try_up_to_a_cap(new_page, login_as, alice, room):
    page = open_room(new_page, login_as, alice, room)
    # The delays the ws extension asks for (htmx.config.wsReconnectDelay), 200 per try count.
    delays = page.evaluate("""() => {
      const ask = htmx.config.wsReconnectDelay;
      return [0, 1, 2, 3, 5, 10, 20].map(tries => Array.from({ length: 200 }, () => ask(tries)));
    }""")
    ceilings = [1000, 2000, 4000, 8000, 30000, 30000, 30000]
    for samples, ceiling in zip(delays, ceilings):
        assert all(0 <= d <= ceiling for d in samples)
        assert len(set(samples)) > 150  # spread out: tabs dropped together do not come back in step
        assert max(samples) > ceiling * 0.8 and min(samples) < ceiling * 0.2


def test_files_chosen_together_go_one_after_another_with_progress(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    uploads = []  # each upload request sent and answered, in the order the browser saw them
    alice_page.on("request", lambda r: uploads.append("sent") if r.url.endswith("/files/") else None)
    alice_page.on("response", lambda r: uploads.append("answered") if r.url.endswith("/files/") else None)
    # What the status line showed, each time its bar moved.
    alice_page.evaluate("""() => {
      window.shown = [];
      const status = document.getElementById("upload-status");
      new MutationObserver(() => window.shown.push([status.querySelector("span").textContent, status.querySelector("progress").value]))
        .observe(status.querySelector("progress"), { attributes: true });
    }""")

    alice_page.set_input_files("#attach-input", files=[
        {"name": "first.txt", "mimeType": "text/plain", "buffer": b"1" * 2_000_000},
        {"name": "second.txt", "mimeType": "text/plain", "buffer": b"2" * 10},
    ])
    expect(bob_page.locator("#messages .attachment.file .file-name")).to_have_text(["first.txt", "second.txt"])
    expect(alice_page.locator("#messages .attachment.file .file-name")).to_have_text(["first.txt", "second.txt"])
    expect(alice_page.locator("#upload-status")).to_be_hidden()
    assert uploads == ["sent", "answered", "sent", "answered"]  # the second waited for the first
    shown = alice_page.evaluate("window.shown")
    assert ["Sending first.txt…", 100] in shown and ["Sending second.txt…", 100] in shown
    assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == ["first.txt", "second.txt"]


def test_the_box_of_a_room_opened_in_place_sends_over_the_socket(new_page, login_as, alice, bob, carol, room):
    from friends.models import Friendship
    from rooms.models import Room

    Friendship.objects.befriend(alice, carol)
    carol_room, _ = Room.objects.get_or_create_direct(alice, carol)
    alice_page = open_room(new_page, login_as, alice, room)
    carol_page = open_room(new_page, login_as, carol, carol_room)
    posts = []
    alice_page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    alice_page.locator(f"#room-item-{carol_room.pk} a").click()  # the pane swaps; the socket stays
    expect(alice_page.locator("#room-pane h2")).to_have_text("Carol")
    alice_page.fill("#message-body", "over the same socket")
    alice_page.press("#message-body", "Enter")
    expect(carol_page.locator("#messages .message .body")).to_have_text(["over the same socket"])
    expect(alice_page.locator("#messages .message .body")).to_have_text(["over the same socket"])

    alice_page.go_back()  # the room before, from htmx's history: its box sends over the socket too
    expect(alice_page.locator("#room-pane h2")).to_have_text("Bob")
    alice_page.fill("#message-body", "and back")
    alice_page.press("#message-body", "Enter")
    expect(alice_page.locator("#messages .message .body")).to_have_text(["and back"])
    assert posts == []  # no message went over HTTP
    assert list(Message.objects.order_by("pk").values_list("room_id", "body")) == [
        (carol_room.pk, "over the same socket"), (room.pk, "and back")]
