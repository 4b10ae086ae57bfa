"""
The reader's language and time zone: the browser's Accept-Language first, the switcher of the
logged-out pages, a language saved in the profile that wins for someone logged in; the
browser's time zone saved once and times shown in it. Through the test client (the sync
path) and Django's AsyncClient (the ASGI handler: the async middleware path).
"""

from datetime import datetime, timezone as dt_timezone

import pytest
from django.test import AsyncClient
from django.urls import reverse

from friends.models import Friendship
from rooms.models import Message, Room

LOGIN = reverse("accounts:login")
PROFILE = reverse("accounts:profile")
TIME_ZONE = reverse("accounts:time_zone")
SET_LANGUAGE = reverse("set_language")
CHINESE_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}

pytestmark = pytest.mark.django_db


def html_lang(response):
    text = response.content.decode()
    start = text.index("<html lang=") + len('<html lang="')
    return text[start : text.index('"', start)]


def test_an_english_browser_gets_english(client):
    response = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert html_lang(response) == "en"
    assert response["Content-Language"] == "en"
    assert "Accept-Language" in response["Vary"]


def test_a_chinese_browser_gets_simplified_chinese(client):
    response = client.get(LOGIN, **CHINESE_BROWSER)
    assert html_lang(response) == "zh-hans"
    assert response["Content-Language"] == "zh-hans"


def test_a_browser_language_the_site_does_not_speak_gets_english(client):
    assert html_lang(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")) == "en"


def test_the_switcher_is_on_logged_out_pages_and_its_choice_wins_over_the_browser(client):
    page = client.get(LOGIN, **CHINESE_BROWSER).content.decode()
    assert f'action="{SET_LANGUAGE}"' in page
    assert '<option value="en" lang="en">English</option>' in page

    response = client.post(SET_LANGUAGE, {"language": "en", "next": LOGIN}, **CHINESE_BROWSER)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert html_lang(client.get(LOGIN, **CHINESE_BROWSER)) == "en"


def test_the_switcher_refuses_a_language_the_site_does_not_speak(client):
    client.post(SET_LANGUAGE, {"language": "fr", "next": LOGIN})
    assert html_lang(client.get(LOGIN, **CHINESE_BROWSER)) == "zh-hans"


def test_logged_in_pages_have_no_switcher(client, alice):
    client.force_login(alice)
    assert f'action="{SET_LANGUAGE}"' not in client.get("/friends/").content.decode()


def test_without_a_saved_language_the_browser_decides_for_someone_logged_in(client, alice):
    client.force_login(alice)
    assert html_lang(client.get("/friends/", **CHINESE_BROWSER)) == "zh-hans"
    assert html_lang(client.get("/friends/")) == "en"


def test_a_language_saved_in_the_profile_wins_over_the_browser(client, alice):
    client.force_login(alice)
    response = client.post(PROFILE, {"action": "language", "language": "zh-hans", "time_zone": ""})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.language == "zh-hans"
    assert html_lang(client.get("/friends/", HTTP_ACCEPT_LANGUAGE="en")) == "zh-hans"

    client.post(PROFILE, {"action": "language", "language": "en", "time_zone": ""})
    assert html_lang(client.get("/friends/", **CHINESE_BROWSER)) == "en"


def test_the_profile_refuses_an_unknown_language_or_time_zone_and_changes_nothing(client, alice):
    client.force_login(alice)
    for data in ({"language": "fr", "time_zone": ""}, {"language": "", "time_zone": "Mars/Olympus_Mons"}):
        response = client.post(PROFILE, {"action": "language", **data}, HTTP_HX_REQUEST="true")
        assert response.status_code == 422
        assert "Select a valid choice" in response.content.decode()
    alice.refresh_from_db()
    assert (alice.language, alice.time_zone) == ("", "")


def test_the_browser_time_zone_is_saved_once(client, alice):
    client.force_login(alice)
    assert f'data-time-zone-url="{TIME_ZONE}"' in client.get("/friends/").content.decode()
    assert client.post(TIME_ZONE, {"time_zone": "Asia/Shanghai"}).status_code == 204
    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Shanghai"
    assert "data-time-zone-url" not in client.get("/friends/").content.decode()


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "Asia/Shanghai" * 10])
def test_a_time_zone_zoneinfo_does_not_know_is_refused(client, alice, zone):
    client.force_login(alice)
    response = client.post(TIME_ZONE, {"time_zone": zone})
    assert response.status_code == 422
    assert response.content.decode()
    alice.refresh_from_db()
    assert alice.time_zone == ""


def test_saving_a_time_zone_needs_a_login(client):
    response = client.post(TIME_ZONE, {"time_zone": "Asia/Shanghai"})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.fixture
def old_message(alice, bob):
    """A message alice sent on 5 January 2025 at 23:30 UTC (7:30 the next morning in Shanghai)."""
    Friendship.objects.befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    message = Message.objects.post(room, alice, "Good morning")
    Message.objects.filter(pk=message.pk).update(created_at=datetime(2025, 1, 5, 23, 30, tzinfo=dt_timezone.utc))
    return message


def test_times_are_shown_in_the_readers_time_zone(client, alice, bob, old_message):
    bob.time_zone = "Asia/Shanghai"
    bob.save()
    client.force_login(bob)
    page = client.get(reverse("rooms:room", args=[old_message.room_id])).content.decode()
    assert "6 Jan 2025, 07:30" in page and "5 Jan 2025, 23:30" not in page

    client.force_login(alice)  # no zone saved: UTC
    page = client.get(reverse("rooms:room", args=[old_message.room_id])).content.decode()
    assert "5 Jan 2025, 23:30" in page and "6 Jan 2025, 07:30" not in page


@pytest.mark.django_db(transaction=True)
async def test_the_async_path_uses_the_saved_language_and_time_zone(alice, bob, old_message):
    bob.language, bob.time_zone = "zh-hans", "Asia/Shanghai"
    await bob.asave()
    client = AsyncClient()
    await client.aforce_login(bob)
    response = await client.get(reverse("rooms:room", args=[old_message.room_id]), headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert html_lang(response) == "zh-hans"
    assert "6 Jan 2025, 07:30" in response.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_the_async_path_follows_the_browser_when_logged_out():
    response = await AsyncClient().get(LOGIN, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert html_lang(response) == "zh-hans"
