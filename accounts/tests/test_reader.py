"""
The reader's language and time zone: the browser's Accept-Language first, the switcher of the
logged-out pages, a language saved in the profile that wins for someone logged in; the
browser's time zone saved once and times shown in it. Through the test client (the sync
path) and Django's AsyncClient (the ASGI handler: the async middleware path).
"""

import re
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
    assert "2025年1月6日 07:30" in response.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_the_async_path_follows_the_browser_when_logged_out():
    response = await AsyncClient().get(LOGIN, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert html_lang(response) == "zh-hans"


# --- The accounts' pages, errors and emails in the reader's language ------------------------

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def without_switcher(html):
    """The page but the language choices' name for Chinese (简体中文: each language in its own words)."""
    return re.sub(r'<option value="zh-hans"[^>]*>简体中文</option>', "", html)


@pytest.mark.parametrize("path", [LOGIN, reverse("accounts:signup"), reverse("accounts:password_reset"), PROFILE,
                                  reverse("accounts:export"), reverse("accounts:delete")])
def test_an_english_reader_sees_no_chinese_on_the_accounts_pages(client, alice, path):
    if path in (PROFILE, reverse("accounts:export"), reverse("accounts:delete")):
        client.force_login(alice)
    page = without_switcher(client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert not CJK.search(page), CJK.search(page)


def test_a_chinese_reader_gets_the_login_page_and_its_errors_in_chinese(client, alice):
    page = client.get(LOGIN, **CHINESE_BROWSER).content.decode()
    assert "<h1>登录</h1>" in page and "忘记密码？" in page
    response = client.post(LOGIN, {"username": "alice", "password": "wrong"}, **CHINESE_BROWSER)
    assert "用户名、邮箱或密码错误。" in response.content.decode()
    english = client.post(LOGIN, {"username": "alice", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Wrong username, email or password." in english.content.decode()


def test_a_chinese_reader_signs_up_in_chinese_and_gets_the_code_by_email_in_chinese(client, mailoutbox):
    signup = reverse("accounts:signup")
    response = client.post(signup, {"action": "send_code", "email": "li@example.com"}, **CHINESE_BROWSER)
    assert "我们已向 li@example.com 发送了 6 位数验证码" in response.content.decode()
    (email,) = mailoutbox
    assert email.subject == "你的注册验证码"
    assert "你的验证码是：" in email.body and "5 分钟内有效" in email.body
    response = client.post(signup, {"action": "create", "code": "000000", "username": "li", "nickname": "",
                                    "password1": "x", "password2": "y"}, **CHINESE_BROWSER)
    page = response.content.decode()
    assert "两次输入的密码不一致。" in page and "验证码不正确，还可以再试 4 次。" in page


def test_a_saved_chinese_profile_page(client, alice):
    alice.language = "zh-hans"
    alice.save()
    client.force_login(alice)
    page = client.get(PROFILE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for words in ("你的个人资料", "昵称和头像", "外观和通知", "跟随系统", "语言和时区", "修改密码",
                  '<span class="nav-label">聊天</span>', '<span class="nav-label">退出登录</span>', "跳到主要内容"):
        assert words in page
    response = client.post(PROFILE, {"action": "privacy"}, follow=True)
    assert "隐私设置已保存。" in response.content.decode()


def test_a_chinese_reader_is_told_in_chinese_that_an_avatar_is_not_a_picture(client, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(alice)
    bad = SimpleUploadedFile("me.png", b"not a picture", content_type="image/png")
    response = client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": bad}, **CHINESE_BROWSER)
    assert response.status_code == 422
    assert "请上传有效的图片（PNG、JPEG、GIF 或 WebP）。" in response.content.decode()


def test_a_chinese_reader_reads_dates_in_chinese(client, alice, bob, old_message):
    bob.language, bob.time_zone = "zh-hans", "Asia/Shanghai"
    bob.save()
    client.force_login(bob)
    page = client.get(reverse("rooms:room", args=[old_message.room_id])).content.decode()
    assert "2025年1月6日 07:30" in page


def test_yesterday_says_so_in_the_readers_language(client, alice, bob, old_message):
    from datetime import timedelta

    from django.utils import timezone

    yesterday = timezone.now() - timedelta(days=1)
    Message.objects.filter(pk=old_message.pk).update(created_at=yesterday)
    clock = timezone.localtime(yesterday).strftime("%H:%M")  # UTC: no zone saved
    client.force_login(alice)
    assert f"Yesterday, {clock}" in client.get(reverse("rooms:room", args=[old_message.room_id])).content.decode()
    alice.language = "zh-hans"
    alice.save()
    assert f"昨天 {clock}" in client.get(reverse("rooms:room", args=[old_message.room_id])).content.decode()


def test_a_chinese_reader_searches_in_chinese(client, alice, bob, old_message):
    Message.objects.post(old_message.room, bob, "我们明天用微信聊天吧")
    client.force_login(alice)
    page = client.get(reverse("rooms:search"), {"q": "微信"}, **CHINESE_BROWSER).content.decode()
    assert "<h1>搜索消息</h1>" in page and "我们明天用<mark>微信</mark>聊天吧" in page
    nothing = client.get(reverse("rooms:search"), {"q": "微博"}, **CHINESE_BROWSER).content.decode()
    assert "没有与“微博”匹配的消息。" in nothing
