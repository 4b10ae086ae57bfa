"""
The chat page on a phone (390×844) and on a desktop (1280×800): two screens on a phone, one
bar of navigation, the composer pinned at the bottom, a message's actions in a menu.
"""

import re

import pytest
from playwright.sync_api import expect

from rooms.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def in_view(page, selector):
    """The element's box lies inside the window (no scrolling needed to see it)."""
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.height > 0 && box.top >= 0 && box.left >= 0
                && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
        }""",
        selector,
    )


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_room_on_a_phone_is_a_screen_of_its_own(new_page, login_as, alice, bob, direct_room):
    Message.objects.bulk_create([Message(room=direct_room, sender=bob, body=f"line {i}") for i in range(40)])
    newest = Message.objects.post(direct_room, bob, "the newest line")
    page = new_page(**PHONE)
    login_as(page, alice)

    # The list of chats is the first screen; the bar of navigation is one row of icons.
    page.goto("/chat/")
    expect(page.locator(".room-list")).to_be_visible()
    expect(page.locator("#room-pane")).to_be_hidden()
    bar = page.locator(".topbar").bounding_box()
    assert bar["height"] <= 56
    expect(page.get_by_role("link", name="Friends")).to_be_visible()  # the label, read out
    assert page_width(page) <= 390

    # The room opens full screen: the newest message and the composer show without scrolling.
    page.locator(f"#room-item-{direct_room.pk} a").click()
    expect(page.locator(".room-list")).to_be_hidden()
    expect(page.locator(f"#message-{newest.pk}")).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    assert in_view(page, f"#message-{newest.pk}")
    assert in_view(page, "#send-form")
    assert in_view(page, "#message-body")
    # The box takes the width its buttons leave.
    buttons = page.evaluate(
        """() => Array.from(document.querySelectorAll('#send-form .composer-tools > *, #send-form button[type=submit]'))
                 .reduce((sum, el) => sum + el.getBoundingClientRect().width, 0)"""
    )
    box = page.locator("#message-body").bounding_box()
    assert box["width"] >= 390 - buttons - 40
    assert page_width(page) <= 390

    # A message's actions are out of sight until a tap on it opens them as a menu.
    message = page.locator(f"#message-{newest.pk}")
    star = message.get_by_role("link", name="Add to favorites")
    menu = message.locator(".message-actions")
    assert menu.bounding_box()["width"] <= 1
    message.locator(".bubble").tap()
    expect(message).to_have_class(re.compile(r"\bmenu-open\b"))
    assert menu.bounding_box()["width"] > 60
    assert in_view(page, f"#message-{newest.pk} .message-actions")
    star.tap()
    expect(message.get_by_role("link", name="Remove from favorites")).to_be_attached()
    expect(message).not_to_have_class(re.compile(r"\bmenu-open\b"))
    # A long press opens it too; Esc closes it.
    message.locator(".bubble").dispatch_event("contextmenu")
    expect(message).to_have_class(re.compile(r"\bmenu-open\b"))
    page.keyboard.press("Escape")
    expect(message).not_to_have_class(re.compile(r"\bmenu-open\b"))

    # Back: the list again, with the address of the list.
    page.get_by_role("link", name="Back to chats").click()
    expect(page.locator(".room-list")).to_be_visible()
    expect(page.locator("#room-pane")).to_be_hidden()
    assert page.url.endswith("/chat/")

    # A room opened by its address on a phone is the room screen at once.
    page.goto(f"/chat/{direct_room.pk}/")
    expect(page.locator(".room-list")).to_be_hidden()
    assert in_view(page, f"#message-{newest.pk}") and in_view(page, "#message-body")


def test_on_a_desktop_the_list_and_the_room_share_the_screen(new_page, login_as, alice, bob, direct_room):
    newest = Message.objects.post(direct_room, bob, "hello there")
    page = new_page(**DESKTOP)
    login_as(page, alice)
    page.goto(f"/chat/{direct_room.pk}/")
    expect(page.locator(".room-list")).to_be_visible()
    expect(page.get_by_role("link", name="Back to chats")).to_be_hidden()
    expect(page.get_by_role("link", name="Chats", exact=False).first).to_be_visible()
    assert in_view(page, f"#message-{newest.pk}") and in_view(page, "#message-body")
    assert page.locator(".topbar").bounding_box()["height"] <= 56
    # Actions show on hover, not before.
    star = page.locator(f"#message-{newest.pk}").get_by_role("link", name="Add to favorites")
    expect(star).to_have_css("opacity", "0")
    page.hover(f"#message-{newest.pk} .bubble")
    expect(star).to_have_css("opacity", "1")
    assert page_width(page) <= 1280
