import pytest
from playwright.sync_api import expect

from friends.models import FriendRequest, Friendship

from .factories import FriendshipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alice_and_bob_become_friends_and_part(new_page, login_as, alice, bob):
    alice_page, bob_page = new_page(), new_page()
    login_as(alice_page, alice)
    login_as(bob_page, bob)

    # Alice asks, with a reason.
    alice_page.goto("/friends/")
    alice_page.fill("#add-friend input[name=username]", "bob")
    alice_page.fill("#add-friend input[name=reason]", "We met at the Django meetup")
    alice_page.click("#add-friend button[type=submit]")
    expect(alice_page.locator("#add-friend .notice")).to_have_text("Friend request sent to Bob.")
    expect(alice_page.locator("#add-friend input[name=username]")).to_have_value("")

    # Bob sees it on the notifications page and accepts it in place.
    bob_page.goto("/friends/requests/")
    expect(bob_page.locator("#requests-badge")).to_have_text("1")
    request = bob_page.locator("#incoming li", has_text="Alice")
    expect(request).to_contain_text("We met at the Django meetup")
    expect(request).to_contain_text("just now")
    request.get_by_role("button", name="Accept").click()
    expect(request).to_contain_text("You are friends now")
    expect(bob_page.locator("#requests-badge")).to_be_hidden()
    assert bob_page.url.endswith("/friends/requests/")

    # Both see each other: Alice's list, open all along, shows Bob at once.
    expect(alice_page.locator("#friends li", has_text="Bob")).to_contain_text("@bob")
    expect(alice_page.locator("#friend-count")).to_have_text("1 friend")
    bob_page.click("text=See your friends")
    expect(bob_page.locator("#friends li", has_text="Alice")).to_contain_text("@alice")

    # Alice removes Bob, after confirming; her list updates in place, and so does his, live.
    alice_page.once("dialog", lambda dialog: dialog.accept())
    alice_page.locator("#friends li", has_text="Bob").get_by_role("button", name="Remove").click()
    expect(alice_page.locator("#friend-count")).to_have_text("0 friends")
    expect(alice_page.locator("#friend-rows")).to_contain_text("No friends yet")
    expect(bob_page.locator("#friend-rows")).to_contain_text("No friends yet")
    assert not Friendship.objects.are_friends(alice, bob)


def test_a_friend_removed_before_the_page_s_socket_opened_is_gone_once_it_opens(new_page, login_as, alice, bob):
    """Nothing told this tab: the friendship ended after its list was rendered and before its
    socket joined Bob's group. The list asks for itself again once the socket is open."""
    from friends.actions import unfriend

    FriendshipFactory(user=alice, friend=bob)
    page = new_page()
    login_as(page, bob)

    def open_after_the_change(socket):
        unfriend(alice, bob)  # published to Bob's tabs now: this one's socket is not there yet
        socket.connect_to_server()

    page.route_web_socket("**/ws/chat/", open_after_the_change)
    page.goto("/friends/")
    expect(page.locator("#friend-rows")).to_contain_text("No friends yet")
    expect(page.locator("#friend-count")).to_have_text("0 friends")


def test_the_filter_is_live_and_form_errors_show_in_place(page, login_as, alice, bob, carol):
    FriendshipFactory(user=alice, friend=bob)
    FriendshipFactory(user=alice, friend=carol)
    login_as(page, alice)
    page.goto("/friends/")
    expect(page.locator("#friends li")).to_have_count(2)

    page.fill("#friend-search-q", "CAR")
    expect(page.locator("#friend-count")).to_have_text("1 friend matches “CAR”")
    expect(page.locator("#friends li")).to_have_count(1)
    expect(page.locator("#friends li")).to_contain_text("@carol")

    page.fill("#add-friend input[name=username]", "nobody")
    page.click("#add-friend button[type=submit]")
    expect(page.locator("#id_username_errors")).to_have_text("There is no user with the username “nobody”.")
    page.fill("#add-friend input[name=username]", "carol")
    page.click("#add-friend button[type=submit]")
    expect(page.locator("#id_username_errors")).to_have_text("You are already friends with Carol.")
    # All in place: the filter is still applied.
    expect(page.locator("#friend-search-q")).to_have_value("CAR")


def test_declining_and_cancelling_in_place(new_page, login_as, alice, bob, carol):
    FriendRequest.objects.send(bob, alice, reason="Hi Alice")
    FriendRequest.objects.send(alice, carol, reason="Hi Carol")
    page = new_page()
    login_as(page, alice)
    page.goto("/friends/requests/")
    expect(page.locator("#requests-badge")).to_have_text("1")

    page.locator("#incoming li", has_text="Bob").get_by_role("button", name="Reject").click()
    expect(page.locator("#incoming li", has_text="Bob")).to_contain_text("Rejected")
    expect(page.locator("#requests-badge")).to_be_hidden()

    outgoing = page.locator("#outgoing li", has_text="Carol")
    expect(outgoing).to_contain_text("Pending")
    outgoing.get_by_role("button", name="Cancel").click()
    expect(outgoing).to_contain_text("Cancelled")
    expect(outgoing.get_by_role("button", name="Cancel")).to_have_count(0)
