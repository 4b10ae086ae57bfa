"""
The logged-in user and the session come from the cache (accounts.backends, accounts.sessions),
and every change that must count at once still does: a new password logs the other sessions
out, a deactivated account is logged out everywhere and a reactivated one can log in again.
Each test first loads a page, so the user and the session are in the cache.
"""

import pytest
from django.test import Client
from django.urls import reverse

from accounts import actions
from accounts.backends import UsernameOrEmailBackend

from .factories import PASSWORD

PROFILE = reverse("accounts:profile")
NEW_PASSWORD = "a-long-and-unusual-passphrase"

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    assert client.get(PROFILE).status_code == 200  # now cached
    return client


def test_a_new_password_logs_the_other_sessions_out(alice):
    other_browser = logged_in(alice)
    this_browser = logged_in(alice)
    response = this_browser.post(PROFILE, {"action": "password", "old_password": PASSWORD,
                                           "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})  # fmt: skip
    assert "Password changed." in response.content.decode()

    assert this_browser.get(PROFILE).status_code == 200
    assert other_browser.get(PROFILE).status_code == 302


def test_a_deactivated_account_is_logged_out_at_once(alice):
    browser = logged_in(alice)
    actions.deactivate([alice])
    assert browser.get(PROFILE).status_code == 302


def test_a_reactivated_account_counts_at_once(alice):
    actions.deactivate([alice])
    assert UsernameOrEmailBackend().get_user(alice.pk) is None  # the inactive answer, cached
    actions.reactivate([alice])
    assert UsernameOrEmailBackend().get_user(alice.pk) == alice
    assert Client().post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD}).status_code == 302


def test_a_changed_nickname_shows_on_the_next_page(alice):
    browser = logged_in(alice)
    alice.nickname = "Alice the Second"
    alice.save()
    assert "Alice the Second" in browser.get(PROFILE).content.decode()
