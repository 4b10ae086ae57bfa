"""The add-friend box suggests people as you type (a <datalist> the server fills)."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from friends.models import FriendRequest, Friendship

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_suggestions_as_you_type(new_page, login_as, alice, carol):
    Friendship.objects.befriend(alice, carol)
    carla = UserFactory(username="carla", nickname="Carla Bruni")
    UserFactory(username="zed", nickname="Carlos")
    page = new_page()
    login_as(page, alice)
    page.goto("/friends/")
    box = page.get_by_role("combobox", name="Username")
    box.press_sequentially("Car")
    options = page.locator("#friend-suggestions option")
    expect(options).to_have_count(2)  # Carla and Carlos (zed); not Carol, a friend already
    assert options.evaluate_all("os => os.map(o => [o.value, o.textContent])") == [["carla", "Carla Bruni"], ["zed", "Carlos"]]
    box.press_sequentially("la")
    expect(options).to_have_count(1)
    box.fill("carla")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Friend request sent to Carla Bruni.")).to_be_visible()
    assert FriendRequest.objects.filter(from_user=alice, to_user=carla).exists()
