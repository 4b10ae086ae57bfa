"""
The site's pages run under their Content-Security-Policy in a real browser: no page, and
nothing htmx or the site's scripts do on it, is refused by the policy (a refused inline
script, style or eval would be a broken feature).
"""

import pytest

from accounts.tests.factories import UserFactory
from friends.models import FriendRequest, Friendship
from rooms.models import Favorite, Message, Room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects the page's violations from the moment each document starts (CDP-injected, so the
# policy itself does not apply to this script).
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    """A page whose every document is checked for policy violations."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.on("console", lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None)
        page.context.add_init_script(LISTEN)

    def visit(self, path, then=None):
        self.page.goto(path)
        self.page.wait_for_load_state("load")
        if then:
            then(self.page)
        self.page.wait_for_timeout(250)  # htmx's processing and any swap it started
        violations = self.page.evaluate("window.__csp") + self.console
        self.console = []
        assert violations == [], f"{path}: {violations}"


def test_the_main_pages_run_without_a_single_policy_violation(new_page, login_as, alice, bob, carol):
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    hello = Message.objects.post(room, bob, "hello https://example.com")
    Favorite.objects.add(alice, hello)
    FriendRequest.objects.send(carol, alice, reason="We met at the climbing wall")

    watched = Watched(new_page("/accounts/login/"))
    watched.visit("/accounts/login/")
    watched.visit("/accounts/signup/")
    login_as(watched.page, alice)
    watched.visit("/chat/")
    watched.visit(f"/chat/{room.pk}/", then=lambda p: p.wait_for_selector("body[data-socket=open]", state="attached"))
    watched.visit("/friends/", then=lambda p: p.locator("#friend-search input[type=search], input[name=q]").first.fill("bo"))
    watched.visit("/friends/requests/")
    watched.visit("/favorites/")
    watched.visit("/search/?q=hello")
    watched.visit("/accounts/profile/")


def test_the_admin_runs_without_a_policy_violation(new_page, login_as, alice):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    watched = Watched(new_page("/accounts/login/"))
    login_as(watched.page, root)
    for path in ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{alice.pk}/change/", "/admin/rooms/message/"]:
        watched.visit(path)
