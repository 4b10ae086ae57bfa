"""
The browser guard (conftest.py's BrowserErrors): every browser test fails on a response of
500 or more, an uncaught error in a page or an error on the console, unless it named that
error beforehand with a reason. These tests make each happen and look at what the guard saw;
each then clears it, so that its own teardown passes.
"""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seen_and_cleared(browser_errors):
    page_errors = browser_errors.unexpected()
    browser_errors.seen.clear()
    return page_errors


def test_a_console_error_and_an_uncaught_error_are_caught(page, browser_errors):
    page.goto("/accounts/login/")
    page.evaluate("console.error('something broke')")
    page.evaluate("setTimeout(() => { throw new TypeError('no such thing') }, 0)")
    page.evaluate("new Promise(resolve => setTimeout(resolve, 50))")
    errors = seen_and_cleared(browser_errors)
    assert any("console error: something broke" in e for e in errors), errors
    assert any("uncaught error in the page" in e and "no such thing" in e for e in errors), errors


def test_a_server_error_response_is_caught(page, browser_errors):
    page.route("**/accounts/login/", lambda route: route.fulfill(status=502, body="bad gateway"))
    page.goto("/accounts/login/")
    errors = seen_and_cleared(browser_errors)
    assert any(e.startswith("HTTP 502 for GET ") and e.endswith("/accounts/login/") for e in errors), errors


def test_client_errors_are_answers_not_failures(page, browser_errors):
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert page.evaluate("fetch('/chat/1/messages/', {method: 'POST'}).then(r => r.status)") == 403  # no CSRF token
    page.evaluate("console.error('sentinel')")  # logged after the two answers
    errors = seen_and_cleared(browser_errors)
    assert len(errors) == 1 and "sentinel" in errors[0], errors


def test_an_error_named_with_its_reason_is_allowed(page, browser_errors):
    with pytest.raises(ValueError):
        browser_errors.expect("anything", reason=" ")
    browser_errors.expect(r"console error: the expected one", reason="this test logs it on purpose")
    page.goto("/accounts/login/")
    page.evaluate("console.error('the expected one')")
    page.evaluate("console.error('another one')")
    errors = seen_and_cleared(browser_errors)
    assert len(errors) == 1 and "another one" in errors[0]
