"""Live messaging in two real browsers: typing, delivery, the room list, going offline."""

import time

import pytest
from playwright.sync_api import expect

from friends.models import Friendship
from rooms.models import Membership, Message, Room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def room(alice, bob):
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    return room


# The browser's own WebSocket, keeping a hand on each one the page opens (window.openedSockets),
# so that a test can drop the connection as a lost network would. htmx is left alone.
KEEP_SOCKETS = """(() => {
  const Native = window.WebSocket;
  window.openedSockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.openedSockets.push(this); }
  };
})()"""


def open_room(new_page, login_as, user, room, droppable=False):
    page = new_page()
    if droppable:
        page.add_init_script(KEEP_SOCKETS)
    login_as(page, user)
    page.goto(f"/chat/{room.pk}/")
    # Connected: the page's socket is open (the send goes over it from now on) and has said hello.
    expect(page.locator("body")).to_have_attribute("data-socket", "open")
    page.wait_for_timeout(300)
    return page


def lose_connection(page):
    """Go offline. Chromium keeps an open WebSocket through offline emulation, so the page's
    socket is dropped too, as a lost network would drop it (open_room(droppable=True))."""
    page.context.set_offline(True)
    page.evaluate("window.openedSockets.at(-1).close(4000)")


def test_typing_and_a_message_reach_the_other_side_live(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)

    alice_page.locator("#message-body").press_sequentially("Hi Bo", delay=30)
    expect(bob_page.locator(f"#typing-{room.pk}")).to_have_text("Alice is typing…")
    expect(alice_page.locator(f"#typing-{room.pk}")).to_have_text("")

    alice_page.locator("#message-body").press_sequentially("b!")
    alice_page.press("#message-body", "Enter")
    expect(bob_page.locator("#messages .message .body")).to_have_text(["Hi Bob!"], timeout=2000)
    expect(bob_page.locator(f"#room-item-{room.pk} .room-preview")).to_have_text("Hi Bob!")
    expect(bob_page.locator(f"#typing-{room.pk}")).to_have_text("")
    expect(alice_page.locator("#messages .message .body")).to_have_text(["Hi Bob!"])
    expect(alice_page.locator("#message-body")).to_have_value("")
    assert list(Message.objects.values_list("body", flat=True)) == ["Hi Bob!"]


def test_typing_clears_after_five_seconds(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    alice_page.locator("#message-body").press_sequentially("thinking")
    expect(bob_page.locator(f"#typing-{room.pk}")).to_have_text("Alice is typing…")
    expect(bob_page.locator(f"#typing-{room.pk}")).to_have_text("", timeout=7000)


def test_nothing_is_missed_or_doubled_across_a_lost_connection(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room, droppable=True)

    lose_connection(bob_page)
    expect(bob_page.locator("#live-notice")).to_be_visible()
    for n in (1, 2, 3):
        alice_page.fill("#message-body", f"while you were away {n}")
        alice_page.press("#message-body", "Enter")
        expect(alice_page.locator("#messages .message .body").last).to_have_text(f"while you were away {n}")

    # Bob types while offline: the text stays in his box until it is delivered.
    bob_page.fill("#message-body", "sent from the tunnel")
    bob_page.press("#message-body", "Enter")
    expect(bob_page.locator("#message-body")).to_have_value("sent from the tunnel")
    assert not Message.objects.filter(body="sent from the tunnel").exists()

    bob_page.context.set_offline(False)
    expected = [f"while you were away {n}" for n in (1, 2, 3)] + ["sent from the tunnel"]
    expect(bob_page.locator("#messages .message .body")).to_have_text(expected, timeout=15000)
    expect(bob_page.locator("#message-body")).to_have_value("")
    expect(alice_page.locator("#messages .message .body")).to_have_text(expected)
    assert Message.objects.filter(body="sent from the tunnel").count() == 1
    ids = bob_page.locator("#messages .message").evaluate_all("els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)) == 4


def test_other_rooms_count_unread_and_move_to_the_top(new_page, login_as, alice, bob, carol, room):
    Friendship.objects.befriend(alice, carol)
    carol_room, _ = Room.objects.get_or_create_direct(alice, carol)
    Message.objects.post(carol_room, carol, "older news")
    alice_page = open_room(new_page, login_as, alice, carol_room)
    expect(alice_page.locator("#room-items > li").first).to_have_id(f"room-item-{carol_room.pk}")

    bob_page = open_room(new_page, login_as, bob, room)
    for text in ("one", "two"):
        bob_page.fill("#message-body", text)
        bob_page.press("#message-body", "Enter")
    bob_item = alice_page.locator(f"#room-item-{room.pk}")
    expect(bob_item.locator(".badge.unread")).to_have_text("2")
    expect(bob_item.locator(".room-preview")).to_have_text("two")
    expect(alice_page.locator("#room-items > li").first).to_have_id(f"room-item-{room.pk}")


def set_visibility(page, state):
    """As when the tab goes to the background ("hidden") or comes back ("visible")."""
    page.evaluate("""state => {
      Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }""", state)


def wait_until_read(user, room, message, timeout=5):
    """Until the server has recorded that user saw message (the page tells it over the socket)."""
    deadline = time.monotonic() + timeout
    mark = None
    while time.monotonic() < deadline:
        mark = Membership.objects.get(room=room, user=user).last_read_message_id
        if mark >= message.pk:
            return
        time.sleep(0.05)
    raise AssertionError(f"{user}'s read mark is {mark}, not {message.pk}")


def test_messages_seen_live_are_read_when_chats_are_opened_again(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    for text in ("one", "two"):
        bob_page.fill("#message-body", text)
        bob_page.press("#message-body", "Enter")
    expect(alice_page.locator("#messages .message .body")).to_have_text(["one", "two"])
    wait_until_read(alice, room, Message.objects.get(body="two"))

    alice_page.get_by_role("link", name="Chats").click()
    expect(alice_page.locator(f"#room-item-{room.pk} .room-preview")).to_have_text("two")
    expect(alice_page.locator(f"#room-item-{room.pk} .badge.unread")).to_have_count(0)


def test_a_hidden_tab_leaves_messages_unread_until_it_is_shown(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    set_visibility(alice_page, "hidden")
    bob_page.fill("#message-body", "while you look away")
    bob_page.press("#message-body", "Enter")
    expect(alice_page.locator("#messages .message .body")).to_have_text(["while you look away"])
    # Her socket's frames are handled in order: once her typing reaches Bob, any read sent
    # before it has been recorded.
    alice_page.locator("#message-body").press_sequentially("x")
    expect(bob_page.locator(f"#typing-{room.pk}")).to_have_text("Alice is typing…")
    chats = new_page()
    login_as(chats, alice)
    chats.goto("/chat/")
    expect(chats.locator(f"#room-item-{room.pk} .badge.unread")).to_have_text("1")

    set_visibility(alice_page, "visible")
    wait_until_read(alice, room, Message.objects.get(body="while you look away"))
    chats.reload()
    expect(chats.locator(f"#room-item-{room.pk} .room-preview")).to_have_text("while you look away")
    expect(chats.locator(f"#room-item-{room.pk} .badge.unread")).to_have_count(0)


def test_a_friend_coming_online_shows_on_the_friend_list(new_page, login_as, alice, bob, room):
    alice_page = new_page()
    login_as(alice_page, alice)
    alice_page.goto("/friends/")
    expect(alice_page.locator(f"#friend-{bob.pk} .presence")).to_have_attribute("title", "Offline")
    bob_page = new_page()
    login_as(bob_page, bob)
    expect(alice_page.locator(f"#friend-{bob.pk} .presence.online")).to_be_visible()
    bob_page.close()
    expect(alice_page.locator(f"#friend-{bob.pk} .presence.online")).to_have_count(0)


def test_frames_for_what_a_page_does_not_show_are_dropped_quietly(new_page, login_as, browser_errors, alice, bob, room):
    # Alice is on her friend list: no room pane, no room list, no typing line.
    alice_page = new_page()
    login_as(alice_page, alice)
    alice_page.goto("/friends/")
    bob_page = open_room(new_page, login_as, bob, room)
    expect(alice_page.locator(f"#friend-{bob.pk} .presence.online")).to_be_visible()  # her socket is live

    bob_page.locator("#message-body").press_sequentially("are you there?")
    bob_page.press("#message-body", "Enter")
    expect(bob_page.locator("#messages .message .body")).to_have_text(["are you there?"])
    # The last frame for her: Bob went offline. Every frame before it was handled by then.
    bob_page.close()
    expect(alice_page.locator(f"#friend-{bob.pk} .presence.online")).to_have_count(0)
    assert browser_errors.unexpected() == []  # no htmx:oobErrorNoTarget for the room's frames


XSS_PAYLOADS = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss = 2">',
    "<svg/onload=window.__xss=3>",
    '"><iframe src="javascript:window.top.__xss=4">',
    '<a href="javascript:window.__xss=5">click</a>',
    '</li><li hx-get="/accounts/profile/" hx-trigger="load" hx-on::after-request="window.__xss=6">',
    "https://example.com/\"onmouseover=\"window.__xss=7",
]


def test_xss_payloads_sent_over_the_socket_execute_nowhere(new_page, login_as, alice, bob, room):
    alice_page = open_room(new_page, login_as, alice, room)
    bob_page = open_room(new_page, login_as, bob, room)
    dialogs = []
    for page in (alice_page, bob_page):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    for payload in XSS_PAYLOADS:
        alice_page.fill("#message-body", payload)
        alice_page.press("#message-body", "Enter")
    expect(bob_page.locator("#messages .message .body")).to_have_text(XSS_PAYLOADS, timeout=5000)

    bob_page.locator("#messages .message a").first.hover()  # the link payload, pointed at
    bob_page.wait_for_timeout(500)
    for page in (alice_page, bob_page):
        assert page.evaluate("window.__xss") is None
        assert page.locator("#messages script, #messages iframe, #messages svg").count() == 0
    assert dialogs == []
    assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == XSS_PAYLOADS
