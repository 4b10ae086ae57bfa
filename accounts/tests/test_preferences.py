"""The profile's preferences: the colour scheme (written on <html> by the server) and desktop
notifications."""

import pytest
from django.urls import reverse

PROFILE = reverse("accounts:profile")

pytestmark = pytest.mark.django_db


def test_the_chosen_scheme_is_on_every_page_from_the_server(client, alice):
    client.force_login(alice)
    assert '<html lang="en" data-theme="system">' in client.get("/friends/").content.decode()
    response = client.post(PROFILE, {"action": "preferences", "theme": "dark", "desktop_notifications": "on"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.theme, alice.desktop_notifications) == ("dark", True)
    assert '<html lang="en" data-theme="dark">' in client.get("/chat/").content.decode()


def test_notifications_can_be_switched_off(client, alice):
    client.force_login(alice)
    client.post(PROFILE, {"action": "preferences", "theme": "light"})  # an unticked box is not sent
    alice.refresh_from_db()
    assert (alice.theme, alice.desktop_notifications) == ("light", False)


def test_an_unknown_scheme_is_refused_and_nothing_changes(client, alice):
    client.force_login(alice)
    response = client.post(PROFILE, {"action": "preferences", "theme": "<script>", "desktop_notifications": ""},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    alice.refresh_from_db()
    assert (alice.theme, alice.desktop_notifications) == ("system", True)


def test_logged_out_pages_follow_the_device(client):
    assert '<html lang="en" data-theme="system">' in client.get(reverse("accounts:login")).content.decode()
