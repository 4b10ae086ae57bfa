"""Reporting a message: the rules on Report.objects, the report page and the Report link."""

import pytest
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from rooms.models import Message, RoomNotFound
from moderation.models import Report, ReportError

from rooms.tests.conftest import befriend


@pytest.fixture
def rude(group, bob):
    """bob says something rude in alice's group "Weekend" (alice, bob, carol)."""
    return Message.objects.post(group, bob, "you are all idiots")


def report_url(message):
    return reverse("moderation:report_message", args=[message.room_id, message.pk])


# --- The rules ------------------------------------------------------------------------------


def test_a_member_reports_a_message_with_a_reason_and_a_note(rude, alice):
    report = Report.objects.file(rude, alice, Report.Reason.HARASSMENT, "  third time this week \x00 ")

    assert (report.message, report.reporter, report.reason) == (rude, alice, "harassment")
    assert report.note == "third time this week"
    assert report.status == Report.Status.OPEN and report.is_open


def test_each_member_reports_once(rude, alice, carol):
    Report.objects.file(rude, alice, Report.Reason.SPAM)
    Report.objects.file(rude, carol, Report.Reason.SPAM)

    with pytest.raises(ReportError, match="already reported"):
        Report.objects.file(rude, alice, Report.Reason.OTHER)
    assert Report.objects.count() == 2


def test_the_database_holds_one_report_per_person_and_message(rude, alice):
    Report.objects.create(message=rude, reporter=alice, reason="spam")

    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(message=rude, reporter=alice, reason="hate")


def test_a_race_past_the_check_is_still_refused_clearly(rude, alice, monkeypatch):
    Report.objects.create(message=rude, reporter=alice, reason="spam")
    monkeypatch.setattr(Report.objects, "require_can_report", lambda message, reporter: None)

    with pytest.raises(ReportError, match="already reported"):
        Report.objects.file(rude, alice, Report.Reason.SPAM)


def test_a_non_member_cannot_report(rude, db):
    outsider = UserFactory(username="dave")

    with pytest.raises(RoomNotFound):
        Report.objects.file(rude, outsider, Report.Reason.SPAM)
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("own", "your own message"),
        ("system", "System lines cannot be reported"),
        ("deleted", "was deleted"),
    ],
)
def test_what_cannot_be_reported(rude, group, alice, bob, case, error):
    message = {
        "own": rude,
        "system": group.messages.get(kind=Message.Kind.SYSTEM),
        "deleted": rude,
    }[case]
    reporter = bob if case == "own" else alice
    if case == "deleted":
        Message.objects.filter(pk=rude.pk).update(deleted_at=timezone.now(), body="")
        message.refresh_from_db()

    with pytest.raises(ReportError, match=error):
        Report.objects.file(message, reporter, Report.Reason.SPAM)


@pytest.mark.parametrize(("reason", "note"), [("rude", ""), ("spam", "x" * 501)])
def test_the_reason_comes_from_the_list_and_the_note_is_short(rude, alice, reason, note):
    with pytest.raises(ReportError):
        Report.objects.file(rude, alice, reason, note)


# --- The page --------------------------------------------------------------------------------


def test_the_report_page_shows_the_message_and_the_reasons(client, rude, alice):
    client.force_login(alice)

    page = client.get(report_url(rude))

    assert page.status_code == 200
    assert "you are all idiots" in page.text and "Weekend" in page.text
    for label in Report.Reason.labels:
        assert str(label) in page.text  # lazy: in the reader's language


def test_reporting_files_the_report_and_goes_back_to_the_message(client, rude, alice):
    client.force_login(alice)

    response = client.post(report_url(rude), {"reason": "harassment", "note": "not ok"}, follow=True)

    report = Report.objects.get()
    assert (report.reporter, report.reason, report.note) == (alice, "harassment", "not ok")
    assert response.redirect_chain[-1][0] == f"/chat/{rude.room_id}/#message-{rude.pk}"
    assert "The moderators will look at this message" in response.text


def test_with_htmx_errors_come_back_as_the_form_and_success_redirects(client, rude, alice):
    client.force_login(alice)

    invalid = client.post(report_url(rude), {"reason": ""}, headers={"HX-Request": "true"})
    valid = client.post(report_url(rude), {"reason": "spam"}, headers={"HX-Request": "true"})

    assert invalid.status_code == 422
    assert invalid.text.lstrip().startswith('<section class="card" id="report-section">')
    assert "This field is required" in invalid.text
    assert valid.status_code == 200 and valid["HX-Redirect"] == f"/chat/{rude.room_id}/#message-{rude.pk}"


def test_a_second_report_is_refused_on_the_page(client, rude, alice):
    client.force_login(alice)
    client.post(report_url(rude), {"reason": "spam"})

    page = client.get(report_url(rude))
    again = client.post(report_url(rude), {"reason": "hate"})

    assert "You have already reported this message." in page.text
    section = page.text.split('id="report-section"')[1].split("</section>")[0]  # not the page's other forms
    assert "<form" not in section
    assert again.status_code == 422
    assert Report.objects.count() == 1


def test_ones_own_message_shows_why_instead_of_a_form(client, rude, bob):
    client.force_login(bob)

    page = client.get(report_url(rude))

    assert "You cannot report your own message." in page.text
    assert not Report.objects.exists()


def test_a_non_member_gets_404(client, rude, db):
    client.force_login(UserFactory(username="dave"))

    assert client.get(report_url(rude)).status_code == 404
    assert client.post(report_url(rude), {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


def test_a_message_of_another_room_gets_404(client, rude, alice, carol):
    befriend(alice, carol)
    from rooms.models import Room

    other, _ = Room.objects.get_or_create_direct(alice, carol)
    client.force_login(alice)

    assert client.get(reverse("moderation:report_message", args=[other.pk, rude.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, rude):
    response = client.get(report_url(rude))

    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# --- The link in the message fragment -------------------------------------------------------------


def test_the_report_link_is_the_same_for_every_reader(rude, alice, bob, carol):
    readers = (alice, bob, carol)
    seen = {render_to_string("rooms/report_button.html", {"message": rude, "user": user}) for user in readers}

    [html] = seen
    assert f'href="{report_url(rude)}"' in html


def test_system_lines_and_deleted_messages_have_no_report_link(group, rude):
    system = group.messages.get(kind=Message.Kind.SYSTEM)
    rude.deleted_at = timezone.now()

    assert "href" not in render_to_string("rooms/report_button.html", {"message": system})
    assert "href" not in render_to_string("rooms/report_button.html", {"message": rude})


# --- In the reader's language ---------------------------------------------------------------

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def test_a_chinese_reader_reports_in_chinese(client, rude, alice):
    client.force_login(alice)
    page = client.get(report_url(rude), **CHINESE).content.decode()
    assert "<h1>举报消息</h1>" in page and "这条消息有什么问题？" in page and "垃圾信息或广告" in page
    assert "Bob 于" in page and "在 <a" in page
    refused = client.post(report_url(rude), {"reason": "not-a-reason"}, **CHINESE)
    assert refused.status_code == 422 and "选择一个有效的选项" in refused.content.decode()  # Django's own catalogue
    done = client.post(report_url(rude), {"reason": "spam"}, follow=True, **CHINESE)
    assert "谢谢你的举报，管理员会查看这条消息。" in done.content.decode()
    again = client.get(report_url(rude), **CHINESE).content.decode()
    assert "你已经举报过这条消息了。" in again


def test_an_english_reader_reports_in_english(client, rude, alice):
    client.force_login(alice)
    page = client.get(report_url(rude), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "What is wrong with it?" in page and "Spam or advertising" in page and "举报" not in page
