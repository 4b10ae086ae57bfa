import re

import pytest
from playwright.sync_api import expect

from rooms.models import Message, Room

from .conftest import befriend

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_chat_button_journey(new_page, login_as, alice, bob, carol):
    befriend(alice, bob)
    alice_page, bob_page, carol_page = new_page(), new_page(), new_page()
    login_as(alice_page, alice)

    # Alice presses Chat on Bob and lands in their room, selected and named after him.
    alice_page.goto("/friends/")
    alice_page.locator("#friends li", has_text="Bob").get_by_role("button", name="Chat").click()
    expect(alice_page).to_have_url(re.compile(r"/chat/\d+/$"))
    alice_page.wait_for_load_state()  # the page's scripts run before Enter is pressed
    room = Room.objects.get()
    assert alice_page.url.endswith(f"/chat/{room.pk}/")
    expect(alice_page.locator(".room-item.selected")).to_contain_text("Bob")
    expect(alice_page.locator("#room-pane h2")).to_have_text("Bob")
    expect(alice_page.locator(".empty-room")).to_be_visible()

    # She posts a message (Enter sends); it shows in the pane and the box empties.
    alice_page.fill("#message-body", "Hello Bob!")
    alice_page.press("#message-body", "Enter")
    expect(alice_page.locator("#messages .message").last).to_contain_text("Hello Bob!")
    expect(alice_page.locator("#message-body")).to_have_value("")
    expect(alice_page.locator(".empty-room")).to_be_hidden()
    assert list(room.messages.values_list("body", flat=True)) == ["Hello Bob!"]

    # Pressing Chat again opens the same room.
    alice_page.goto("/friends/")
    alice_page.locator("#friends li", has_text="Bob").get_by_role("button", name="Chat").click()
    expect(alice_page).to_have_url(re.compile(rf"/chat/{room.pk}/$"))
    assert Room.objects.count() == 1

    # Bob's chat page lists the room under Alice's nickname with one unread message.
    login_as(bob_page, bob)
    bob_page.goto("/chat/")
    item = bob_page.locator(f"#room-item-{room.pk}")
    expect(item).to_contain_text("Alice")
    expect(item).to_contain_text("Hello Bob!")
    expect(item.locator(".unread")).to_have_text("1")

    # Carol, not a friend, has no Chat button, and the room is not found for her.
    login_as(carol_page, carol)
    carol_page.goto("/friends/")
    expect(carol_page.get_by_role("button", name="Chat")).to_have_count(0)
    response = carol_page.goto(f"/chat/{room.pk}/")
    assert response.status == 404


def test_switching_rooms_swaps_the_pane_pushes_the_url_and_survives_a_reload(new_page, login_as, alice, bob, carol):
    befriend(alice, bob, carol)
    direct, _ = Room.objects.get_or_create_direct(alice, bob)
    Message.objects.bulk_create([Message(room=direct, sender=bob, body=f"old {i}") for i in range(60)])
    group = Room.objects.create_group(alice, "Weekend", [bob, carol])
    page = new_page()
    login_as(page, alice)

    page.goto(f"/chat/{group.pk}/")
    page.evaluate("window.notReloaded = true")
    page.locator(f"#room-item-{direct.pk} a").click()
    expect(page.locator("#room-pane h2")).to_have_text("Bob")
    expect(page).to_have_url(re.compile(rf"/chat/{direct.pk}/$"))
    expect(page.locator(".room-item.selected")).to_contain_text("Bob")
    assert page.evaluate("window.notReloaded") is True  # swapped by HTMX, not a page load
    expect(page).to_have_title("Bob · Chat")

    # Load older: the ten oldest messages join the fifty shown, without a page load.
    expect(page.locator("#messages .message")).to_have_count(50)
    page.get_by_role("link", name="Load older messages").click()
    expect(page.locator("#messages .message")).to_have_count(60)
    expect(page.locator("#messages .message").first).to_contain_text("old 0")
    assert page.evaluate("window.notReloaded") is True

    page.reload()
    expect(page.locator("#room-pane h2")).to_have_text("Bob")
    expect(page.locator(".room-item.selected")).to_contain_text("Bob")

    # The filter narrows the list as she types.
    page.fill(".room-search input", "week")
    expect(page.locator("#room-items .room-item")).to_have_count(1)
    expect(page.locator("#room-items")).to_contain_text("Weekend")


def test_a_group_is_created_renamed_and_left_in_the_browser(new_page, login_as, alice, bob, carol):
    befriend(alice, bob, carol)
    page = new_page()
    login_as(page, alice)

    page.goto("/chat/")
    page.get_by_role("link", name="New group", exact=True).click()
    page.fill("#id_name", "Book club")
    page.get_by_label("Bob").check()
    page.get_by_label("Carol").check()
    page.get_by_role("button", name="Create group").click()
    expect(page.locator("#room-pane h2")).to_have_text("Book club")
    expect(page.locator("#messages")).to_contain_text("Alice created the group with Bob and Carol.")

    page.locator(".room-details summary").click()
    page.fill("#group-name", "Reading club")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator("#room-pane h2")).to_have_text("Reading club")
    expect(page.locator("#messages")).to_contain_text("Alice renamed the group to “Reading club”.")

    page.locator(".room-details summary").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Leave group").click()
    expect(page).to_have_url(re.compile(r"/chat/$"))
    expect(page.locator("#room-items")).not_to_contain_text("Reading club")
