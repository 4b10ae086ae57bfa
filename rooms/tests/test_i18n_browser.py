"""
Two readers of one group in real browsers, one Chinese in Shanghai, one English in New York:
each reads the chat page, the live messages (their labels, system lines, "is typing") in their
own language, and a live message's time in their own zone (frames come in UTC; live.js says
their <time> in the page's zone).
"""

import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from friends.models import Friendship
from rooms.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")



def open_group(new_page, login_as, user, group, **browser):
    page = new_page("/", **browser)
    login_as(page, user)
    page.goto(f"/chat/{group.pk}/")
    expect(page.locator("body")).to_have_attribute("data-socket", "open")
    return page


def test_live_messages_in_each_readers_language_and_time_zone(new_page, login_as, alice, bob, carol, group):
    bob.language, bob.time_zone = "zh-hans", "Asia/Shanghai"
    bob.save()
    carol.time_zone = "America/New_York"
    carol.save()
    chinese = open_group(new_page, login_as, bob, group, locale="zh-CN", timezone_id="Asia/Shanghai")
    english = open_group(new_page, login_as, carol, group, locale="en-GB", timezone_id="America/New_York")
    expect(chinese.locator("#send-form button[type=submit]")).to_have_text("发送")
    expect(chinese.locator("#messages .message.system p")).to_contain_text("Alice 创建了群组，成员有 Bob和Carol。")
    expect(english.locator("#messages .message.system p")).to_contain_text("Alice created the group with Bob and Carol.")

    # Typing, then a message from alice (an English reader's socket renders nothing for them).
    alice_page = open_group(new_page, login_as, alice, group, locale="en-GB")
    alice_page.locator("#message-body").press_sequentially("Hi al", delay=30)
    expect(chinese.locator(f"#typing-{group.pk}")).to_have_text("Alice 正在输入…")
    expect(english.locator(f"#typing-{group.pk}")).to_have_text("Alice is typing…")
    alice_page.locator("#message-body").press_sequentially("l!")
    alice_page.press("#message-body", "Enter")

    live = chinese.locator("#messages .message:not(.system)").last
    expect(live.locator(".body")).to_have_text("Hi all!")
    message = Message.objects.get(body="Hi all!")
    shanghai = message.created_at.astimezone(ZoneInfo("Asia/Shanghai"))
    new_york = message.created_at.astimezone(ZoneInfo("America/New_York"))
    expect(live.locator(".meta time")).to_have_text(f"{shanghai:%H:%M}")
    expect(live.locator(".reply-action")).to_have_attribute("title", "回复")
    expect(live.locator(".star-add")).to_have_attribute("title", "加入收藏")
    expect(chinese.locator(f"#room-item-{group.pk} time")).to_have_text(f"{shanghai:%H:%M}")

    english_live = english.locator("#messages .message:not(.system)").last
    expect(english_live.locator(".body")).to_have_text("Hi all!")
    expect(english_live.locator(".meta time")).to_have_text(f"{new_york:%H:%M}")
    expect(english_live.locator(".reply-action")).to_have_attribute("title", "Reply")

    # A system line, live: said in each reader's language.
    dave = UserFactory(username="dave", nickname="Dave")
    Friendship.objects.befriend(alice, dave)
    alice_page.goto(f"/chat/{group.pk}/")  # Dave among the friends to add
    alice_page.click(".room-details summary")
    alice_page.check(".room-details input[type=checkbox][value='%d']" % dave.pk)
    alice_page.click(".room-details button:has-text('Add')")
    expect(chinese.locator("#messages .message.system").last).to_contain_text("Alice 添加了 Dave。")
    expect(english.locator("#messages .message.system").last).to_contain_text("Alice added Dave.")

    # The English reader's page holds no Chinese at all, live frames included.
    text = english.evaluate("document.body.innerText + ' ' + Array.from(document.querySelectorAll('[title],[aria-label],[placeholder]')).map(e => (e.title || '') + (e.getAttribute('aria-label') || '') + (e.placeholder || '')).join(' ')")
    assert not CJK.findall(text), CJK.findall(text)[:20]


def test_a_live_refusal_is_said_in_chinese(new_page, login_as, alice, bob, group, settings):
    bob.language = "zh-hans"
    bob.save()
    chinese = open_group(new_page, login_as, bob, group, locale="zh-CN")
    # A message over the length limit: the socket's error frame, in Chinese, under the box.
    chinese.evaluate("document.getElementById('message-body').removeAttribute('maxlength')")
    chinese.fill("#message-body", "x" * (settings.MESSAGE_MAX_LENGTH + 1))
    chinese.press("#message-body", "Enter")
    expect(chinese.locator("#send-error")).to_contain_text("消息最多")
