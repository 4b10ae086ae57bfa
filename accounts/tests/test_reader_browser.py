"""A reader's browser decides: a Chinese browser in Shanghai gets Chinese pages and has its time
zone saved once it logs in; the switcher changes the language of a logged-out page."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_chinese_browser_in_shanghai_reads_chinese_and_its_time_zone_is_saved(new_page, login_as, alice):
    page = new_page("/accounts/login/", locale="zh-CN", timezone_id="Asia/Shanghai")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("登录")
    assert page.evaluate("gettext('Cannot reach the server. Check your connection.')") == "无法连接服务器，请检查网络连接。"

    login_as(page, alice)
    expect(page.locator("#nav-chats .nav-label")).to_have_text("聊天")
    page.wait_for_function("!document.body.dataset.timeZoneUrl")  # site.js sent it
    for _ in range(50):
        alice.refresh_from_db()
        if alice.time_zone:
            break
        page.wait_for_timeout(100)
    assert alice.time_zone == "Asia/Shanghai"
    page.goto("/friends/")
    assert page.evaluate("document.body.dataset.timeZoneUrl") is None  # saved: not sent again


def test_the_switcher_turns_a_logged_out_page_into_english(new_page):
    page = new_page("/accounts/login/", locale="zh-CN")
    expect(page.locator("h1")).to_have_text("登录")
    page.select_option("#language-choice", "en")
    page.click(".language-switcher button[type=submit]")
    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/accounts/signup/")
    expect(page.locator("h1")).to_have_text("Create your account")
