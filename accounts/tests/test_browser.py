import re

import pytest
from playwright.sync_api import expect

from accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_newcomer_signs_up_with_the_emailed_code_logs_out_logs_in_by_email_and_renames(page, mailbox):
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "Dana@Example.com")
    page.click("text=Send me a code")

    expect(page.get_by_text("We emailed a 6-digit code to dana@example.com")).to_be_visible()
    expect(page.locator("input[name=code]")).to_be_focused()
    code = re.search(r"\b(\d{6})\b", mailbox.last_to("dana@example.com")).group(1)

    # A wrong code and a short password: both errors at once, the focus on the first.
    page.keyboard.type("000000" if code != "000000" else "111111")
    page.fill("input[name=username]", "dana")
    page.fill("input[name=nickname]", "Dana D.")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "short")
    page.click("button[value=create]")
    expect(page.locator("#id_code_errors")).to_have_text("That code is not right. 4 tries left.")
    expect(page.locator("#id_password1_errors")).to_contain_text("This password is too short.")
    expect(page.locator("input[name=code]")).to_be_focused()

    page.fill("input[name=code]", code)
    page.fill("input[name=username]", "dana")
    page.fill("input[name=nickname]", "Dana D.")
    page.fill("input[name=password1]", "a-long-and-unusual-passphrase")
    page.fill("input[name=password2]", "a-long-and-unusual-passphrase")
    page.click("button[value=create]")

    page.wait_for_url("**/chat/")
    expect(page.locator("#nav-profile .nav-nickname")).to_have_text("Dana D.")
    assert User.objects.get(username="dana").email == "dana@example.com"

    page.click("text=Logout")
    page.wait_for_url("**/accounts/login/")
    page.fill("input[name=username]", "DANA@example.com")
    page.fill("input[name=password]", "a-long-and-unusual-passphrase")
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/chat/")

    page.goto("/accounts/profile/")
    page.fill("input[name=nickname]", "Dana the Bold")
    page.click("button[value=profile]")
    expect(page.locator("#nav-profile .nav-nickname")).to_have_text("Dana the Bold")


def test_wrong_password_shows_the_error_next_to_the_form(page, alice):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not her password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-form .errorlist")).to_have_text("Wrong username, email or password.")
    assert "/accounts/login/" in page.url


def test_the_profile_page_opens_at_its_top_on_a_phone(new_page, login_as, alice):
    page = new_page("/accounts/login/", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    login_as(page, alice)
    page.goto("/accounts/profile/")
    expect(page.get_by_role("heading", name="Your profile")).to_be_in_viewport()
    assert page.evaluate("window.scrollY") == 0
    expect(page.locator("#id_old_password")).not_to_be_focused()
