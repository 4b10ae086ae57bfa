import pytest
from django.test import override_settings
from django.urls import reverse


def test_healthz_answers_ok_when_database_and_layer_are_reachable(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "failed": []}


def test_healthz_names_the_channel_layer_when_it_is_down(client, db):
    broken = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                          "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    with override_settings(CHANNEL_LAYERS=broken):
        from channels.layers import channel_layers

        channel_layers.backends.clear()
        try:
            response = client.get("/healthz")
        finally:
            channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["failed"] == ["channel_layer"]


@pytest.mark.parametrize("name", ["rooms:chat", "friends:list", "friends:requests", "accounts:profile"])
def test_anonymous_pages_redirect_to_login(client, db, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_home_leads_a_logged_in_user_to_the_chats(client, alice):
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("rooms:chat")


def test_healthz_names_the_database_when_it_is_down(client, db, monkeypatch):
    from django.db import OperationalError

    class Unreachable:
        def cursor(self):
            raise OperationalError("could not connect to server")

    monkeypatch.setattr("chatsite.views.connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["database"]}


def test_healthz_names_the_cache_when_it_is_down(client, db, monkeypatch):
    class Unreachable:
        def set(self, *args, **kwargs):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr("chatsite.views.cache", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["cache"]}


def test_every_page_names_the_favicon_and_it_is_served(client, alice):
    for logged_in in (False, True):
        if logged_in:
            client.force_login(alice)
        page = client.get(reverse("accounts:login") if not logged_in else reverse("rooms:chat"))
        assert '<link rel="icon" href="/static/favicon.ico"' in page.content.decode()
    icon = client.get("/favicon.ico", follow=True)
    assert icon.status_code == 200
    assert icon["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
