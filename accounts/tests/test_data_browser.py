"""Your data in a real browser: exporting it (built in the background, its progress shown) and deleting the account."""

import io
import json
import zipfile

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import User
from accounts.tests.factories import PASSWORD
from rooms.models import Message, Room
from rooms.tests.conftest import befriend

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chatting(alice, bob):
    befriend(alice, bob)
    room, _ = Room.objects.get_or_create_direct(alice, bob)
    Message.objects.post(room, alice, "see you at the crag")
    Message.objects.post(room, bob, "bring the rope")
    return room


def test_she_exports_her_data_built_in_the_background_and_downloads_the_zip(new_page, login_as, alice, chatting):
    # More than the server builds during the request: the background builds it.
    Message.objects.bulk_create(Message(room=chatting, sender=alice, body=f"old note {n}") for n in range(settings.EXPORT_INLINE_ITEMS))
    page = new_page("/accounts/login/")
    login_as(page, alice)
    page.goto("/accounts/profile/")
    page.click("text=Export your data")
    page.wait_for_url("**/accounts/export/")

    page.click("#start-export")

    expect(page.locator("#export-status")).to_contain_text("Your export is being built")
    download_link = page.locator("#export-download")
    expect(download_link).to_be_visible(timeout=20_000)  # the page polls until it is ready
    with page.expect_download() as download:
        download_link.click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    data = json.loads(archive.read("data.json"))
    texts = [m["text"] for m in data["messages"]]
    assert "see you at the crag" in texts and len(texts) == settings.EXPORT_INLINE_ITEMS + 1
    assert "bring the rope" not in json.dumps(data)

    # Once an hour: asking again at once is refused, with when.
    page.click("text=Export again")
    expect(page.locator("#export-status [role=alert]")).to_contain_text("You can export your data once an hour")


def test_she_deletes_her_account_and_bob_keeps_the_chat_under_deleted_user(new_page, login_as, alice, bob, chatting):
    bobs = new_page("/accounts/login/")
    login_as(bobs, bob)
    bobs.goto(f"/chat/{chatting.pk}/")
    expect(bobs.locator("#room-pane")).to_contain_text("see you at the crag")

    page = new_page("/accounts/login/")
    login_as(page, alice)
    page.goto("/accounts/profile/")
    page.click("text=Delete your account")
    page.wait_for_url("**/accounts/delete/")
    page.fill("input[name=password]", "not my password")
    page.click("#delete-account")
    expect(page.locator("#id_password_errors")).to_have_text("This is not your password.")

    page.fill("input[name=password]", PASSWORD)
    page.click("#delete-account")

    page.wait_for_url("**/accounts/deleted/")
    expect(page.get_by_role("status")).to_contain_text("The account alice is gone")
    assert User.objects.get(pk=alice.pk).is_deleted

    bobs.reload()
    expect(bobs.locator("#room-pane")).to_contain_text("see you at the crag")
    expect(bobs.locator(f"#message-{Message.objects.get(body='see you at the crag').pk} .sender")).to_have_text("Deleted user")

    page.goto("/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-form .errorlist")).to_have_text("Wrong username, email or password.")
