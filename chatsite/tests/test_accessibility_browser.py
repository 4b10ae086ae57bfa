"""
Accessibility and the colour schemes, in the browser: axe-core (axe-playwright-python) on
every main page at desktop and phone sizes in the light and the dark scheme, with no serious
or critical violation; the dark scheme changes the page, the profile's choice wins over the
device's; the skip link and the focus ring.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from rooms.models import Favorite, Message
from rooms.tests.conftest import befriend
from friends.models import FriendRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
BAD = {"serious", "critical"}


def background(page, selector="body"):
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).backgroundColor")


def violations(page):
    """axe's serious and critical findings on the page; and no page is wider than the window."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    too_wide = [f"{page.url}: {width[0]} px wide in a {width[1]} px window"] if width[0] > width[1] else []
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in BAD]
    return too_wide + [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at " + "; ".join(", ".join(n["target"]) for n in v["nodes"][:5])
        for v in bad
    ]


@pytest.mark.parametrize("size", SIZES)
def test_no_serious_accessibility_violation_on_the_main_pages(new_page, login_as, alice, bob, carol, size):
    from rooms.models import Room

    befriend(alice, bob)
    FriendRequest.objects.send(carol, alice, reason="We met at the lake")
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    Message.objects.post(room, bob, "Hello Alice, see you at the lake")
    mine = Message.objects.post(room, alice, "See you there")
    Favorite.objects.create(user=alice, message=mine)
    found = []
    for scheme in ("light", "dark"):
        page = new_page("/accounts/login/", color_scheme=scheme, **SIZES[size])
        found += violations(page)
        page.goto("/accounts/signup/")
        found += violations(page)
        login_as(page, alice)
        for path in ("/chat/", f"/chat/{room.pk}/", "/friends/", "/friends/requests/", "/favorites/",
                     "/search/?q=lake", "/accounts/profile/", "/accounts/export/", "/accounts/delete/"):
            page.goto(path)
            page.wait_for_load_state("networkidle")
            found += violations(page)
        page.context.close()
    assert not found, "\n".join(found)


LIGHT_BG, DARK_BG = "rgb(246, 247, 251)", "rgb(15, 18, 24)"


def test_the_dark_scheme_follows_the_device_unless_the_profile_chooses(new_page, login_as, alice):
    dark_device = new_page(color_scheme="dark")
    expect(dark_device.locator("html")).to_have_css("background-color", DARK_BG)  # logged out too
    login_as(dark_device, alice)
    dark_device.goto("/accounts/profile/")
    expect(dark_device.locator("html")).to_have_css("background-color", DARK_BG)
    expect(dark_device.locator("#theme-choices input[value=system]")).to_be_checked()

    # Light, chosen in the profile, wins over the device's dark.
    dark_device.locator("#theme-choices").get_by_label("Light").check()
    dark_device.get_by_role("button", name="Save preferences").click()
    expect(dark_device.locator("html")).to_have_attribute("data-theme", "light")
    expect(dark_device.locator("html")).to_have_css("background-color", LIGHT_BG)
    dark_device.goto("/chat/")
    expect(dark_device.locator("html")).to_have_css("background-color", LIGHT_BG)
    alice.refresh_from_db()
    assert alice.theme == "light"

    # Dark, chosen, on a light device: the page is dark from its first paint (the server
    # writes the scheme on <html>; no script changes it).
    alice.theme = "dark"
    alice.save()
    light_device = new_page(color_scheme="light", java_script_enabled=False)
    login_as(light_device, alice)
    light_device.goto("/friends/")
    expect(light_device.locator("html")).to_have_css("background-color", DARK_BG)
    expect(light_device.locator("html")).to_have_css("color", "rgb(230, 233, 239)")


def test_the_skip_link_and_the_focus_ring(new_page, login_as, alice):
    page = new_page()
    login_as(page, alice)
    page.goto("/friends/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the main content")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0  # on screen while focused
    expect(skip).to_have_css("outline-style", "solid")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the first thing in the main content
    ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert ring[0] == "solid" and ring[1] >= 2
