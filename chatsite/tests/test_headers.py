"""
Every page carries the Content-Security-Policy; pages that depend on who asks are
`Cache-Control: private`. Through the sync path (the test client) and the ASGI path.
"""

import pytest
from django.conf import settings
from django.test import AsyncClient

from accounts.tests.factories import UserFactory
from friends.models import Friendship
from rooms.models import Room

pytestmark = pytest.mark.django_db

PERSONAL = ["/chat/", "/friends/", "/friends/requests/", "/favorites/", "/search/?q=hi", "/accounts/profile/"]
PUBLIC = ["/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"]


def csp(response):
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


def test_the_policy_allows_scripts_and_styles_from_the_site_only():
    policy = dict(part.strip().split(" ", 1) for part in settings.CONTENT_SECURITY_POLICY.split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "'unsafe-inline'" not in settings.CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in settings.CONTENT_SECURITY_POLICY
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("url", PERSONAL)
def test_a_persons_pages_have_the_policy_and_are_private(client, alice, url):
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 200
    assert csp(response)["script-src"] == "'self'"
    assert "private" in response["Cache-Control"]


def test_a_room_page_is_private_too(client, alice, bob):
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    client.force_login(alice)
    response = client.get(f"/chat/{room.pk}/")
    assert "private" in response["Cache-Control"] and "Content-Security-Policy" in response


@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages_have_the_policy_and_their_csrf_token_is_not_cached_publicly(client, url):
    response = client.get(url)
    assert csp(response)["default-src"] == "'self'"
    assert "private" in response["Cache-Control"]


def test_the_admin_and_error_pages_have_the_policy(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    for url, status in [("/admin/", 200), ("/admin/accounts/user/", 200), ("/no-such-page/", 404)]:
        response = client.get(url)
        assert response.status_code == status
        assert csp(response)["script-src"] == "'self'"


def test_an_attachment_keeps_its_own_stricter_policy(client, alice, bob, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rooms.models import Message

    settings.ATTACHMENTS_ROOT = str(tmp_path)
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    message = Message.objects.post_file(room, alice, SimpleUploadedFile("notes.txt", b"hello"))
    client.force_login(bob)
    response = client.get(f"/messages/{message.pk}/file/")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.django_db(transaction=True)
async def test_through_the_asgi_handler_pages_get_the_same_headers(alice):
    client = AsyncClient()
    await client.aforce_login(alice)
    response = await client.get("/friends/")
    assert response.status_code == 200
    assert csp(response)["script-src"] == "'self'"
    assert "private" in response["Cache-Control"]


def test_only_djangos_developer_error_pages_may_style_inline(client, alice, settings):
    """With DEBUG on, the technical 404 page styles itself inline (a developer's page); every
    page of the site, and every error page in production, keeps the whole policy."""
    client.force_login(alice)
    settings.DEBUG = True
    assert csp(client.get("/no-such-page/"))["style-src"] == "'self' 'unsafe-inline'"
    assert csp(client.get("/chat/"))["style-src"] == "'self'"
    settings.DEBUG = False
    assert csp(client.get("/no-such-page/"))["style-src"] == "'self'"
