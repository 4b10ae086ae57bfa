"""
The report queue: open reports first (newest first), then resolved ones. Moderators resolve a
report by dismissing it, deleting the message or banning its sender; each is confirmed and
recorded in the admin log, on the report and on what it changed.
"""

from django.contrib import admin, messages
from django.db.models import F
from django.utils.translation import gettext, gettext_lazy, ngettext

from core import notes

from .. import actions
from ..confirm import confirmation_page, confirmed
from ..models import Report
from .rooms import _message_line, attachment_html, excerpt, link


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):

    list_display = [
        "report",
        "status",
        "reason",
        "reported_message",
        "sender",
        "room",
        "reporter",
        "short_note",
        "created_at",
    ]
    list_filter = ["status", "reason", "created_at"]
    search_fields = ["message__body", "note", "reporter__username", "message__sender__username"]
    list_select_related = ["message__sender", "message__room", "reporter"]
    ordering = [F("resolved_at").desc(nulls_first=True), "-pk"]
    show_full_result_count = False
    actions = ["dismiss", "delete_reported_messages", "ban_senders"]
    fieldsets = [
        (None, {"fields": ["status", "reason", "note", "created_at", "reporter_link"]}),
        (
            "Reported message",
            {"fields": ["message_link", "message_body", "message_attachment", "sender_link", "room_link"]},
        ),
        ("Resolution", {"fields": ["resolved_by", "resolved_at"]}),
    ]
    readonly_fields = [
        "status",
        "reason",
        "note",
        "created_at",
        "reporter_link",
        "message_link",
        "message_body",
        "message_attachment",
        "sender_link",
        "room_link",
        "resolved_by",
        "resolved_at",
    ]

    # --- Columns (each reads the joined rows; none queries).

    @admin.display(description="report", ordering="pk")
    def report(self, report):
        return f"#{report.pk}"

    @admin.display(description="message")
    def reported_message(self, report):
        if report.message.deleted_at is not None:
            return "(deleted)"
        return excerpt(report.message.body)

    @admin.display(description="sender", ordering="message__sender__username")
    def sender(self, report):
        sender = report.message.sender
        return link("admin:accounts_user_change", sender.pk, sender.username) if sender else "—"

    @admin.display(description="room", ordering="message__room")
    def room(self, report):
        return link("admin:rooms_room_change", report.message.room_id, report.message.room)

    @admin.display(description="note")
    def short_note(self, report):
        return excerpt(report.note, 60)

    # --- The report's page.

    @admin.display(description="reporter")
    def reporter_link(self, report):
        return link("admin:accounts_user_change", report.reporter_id, report.reporter.username)

    @admin.display(description="message")
    def message_link(self, report):
        return link("admin:rooms_message_change", report.message_id, f"#{report.message_id}")

    @admin.display(description="text")
    def message_body(self, report):
        return "(deleted)" if report.message.deleted_at is not None else report.message.body

    @admin.display(description="picture or file")
    def message_attachment(self, report):
        return attachment_html(report.message)

    @admin.display(description="sender")
    def sender_link(self, report):
        return self.sender(report)

    @admin.display(description="room")
    def room_link(self, report):
        return self.room(report)

    # --- Permissions: moderators read reports and resolve them only through the actions.

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The page of one report has nothing to edit; the actions need the permission.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def has_delete_message_permission(self, request):
        return self.has_change_permission(request) and request.user.has_perm("rooms.delete_message")

    def has_ban_permission(self, request):
        return self.has_change_permission(request) and request.user.has_perm("accounts.change_user")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- Resolving.

    def _reports(self, queryset):
        return list(queryset.select_related("message__sender", "message__room", "reporter"))

    @admin.action(description=gettext_lazy("Dismiss the selected reports (nothing wrong)"), permissions=["change"])
    def dismiss(self, request, queryset):
        reports = self._reports(queryset)
        chosen = [r for r in reports if r.is_open]
        skipped = [
            (_report_line(r), gettext("already resolved (%(status)s)") % {"status": r.get_status_display().lower()})
            for r in reports
            if not r.is_open
        ]
        if not confirmed(request):
            return confirmation_page(
                self,
                request,
                action="dismiss",
                title=gettext("Dismiss reports"),
                question=gettext("Dismiss these reports? The messages stay as they are."),
                button=gettext("Yes, dismiss them"),
                items=[_report_line(r) for r in chosen],
                skipped=skipped,
            )
        count = actions.resolve_reports(request.user, chosen, Report.Status.DISMISSED, notes.REPORT_DISMISSED)
        self.message_user(
            request, ngettext("%(count)d report dismissed.", "%(count)d reports dismissed.", count) % {"count": count}, messages.SUCCESS
        )

    @admin.action(description=gettext_lazy("Delete the reported messages"), permissions=["delete_message"])
    def delete_reported_messages(self, request, queryset):
        reports = self._reports(queryset)
        reported = list({r.message_id: r.message for r in reports}.values())
        chosen, skipped = actions.deletable(reported)
        if not confirmed(request):
            return confirmation_page(
                self,
                request,
                action="delete_reported_messages",
                title=gettext("Delete reported messages"),
                question=gettext(
                    "Delete these messages? Everyone sees “This message was deleted.” instead, at once in "
                    "open tabs, and every open report on them is resolved."
                ),
                button=gettext("Yes, delete them"),
                items=[_message_line(m) for m in chosen],
                skipped=[(_message_line(m), why) for m, why in skipped],
            )
        reported = Report.objects.open().filter(message__in=[m.pk for m in chosen] + [m.pk for m, _ in skipped])
        count = reported.count()
        deleted = actions.delete_messages(request.user, chosen, note=notes.MESSAGE_DELETED_AFTER_REPORT)
        # Deleting resolved the reports on those messages; the ones on messages deleted before stay.
        actions.resolve_reports(request.user, list(reported), Report.Status.MESSAGE_DELETED, notes.REPORT_MESSAGE_DELETED)
        self.message_user(request, _deleted_and_resolved(len(deleted), count), messages.SUCCESS)

    @admin.action(description=gettext_lazy("Ban the senders of the reported messages"), permissions=["ban"])
    def ban_senders(self, request, queryset):
        reports = self._reports(queryset)
        senders = list({r.message.sender_id: r.message.sender for r in reports if r.message.sender}.values())
        chosen, skipped = actions.bannable(request.user, senders)
        if not confirmed(request):
            return confirmation_page(
                self,
                request,
                action="ban_senders",
                title=gettext("Ban senders"),
                question=gettext(
                    "Ban these people? They are logged out of every open tab at once and cannot log in again "
                    "until someone reactivates them. Open reports on these messages are resolved."
                ),
                button=gettext("Yes, ban them"),
                items=chosen,
                skipped=skipped,
            )
        banned = actions.ban(request.user, chosen, note=notes.BANNED_AFTER_REPORT)
        out = [u.pk for u in chosen] + [u.pk for u, _ in skipped if not u.is_active]
        messages_of_banned = [r.message_id for r in reports if r.message.sender_id in out]
        count = actions.resolve_reports(
            request.user,
            Report.objects.filter(message__in=messages_of_banned),
            Report.Status.SENDER_BANNED,
            notes.REPORT_SENDER_BANNED,
        )
        self.message_user(request, _banned_and_resolved(banned, count), messages.SUCCESS)


def _resolved(count):
    return ngettext("%(count)d report resolved", "%(count)d reports resolved", count) % {"count": count}


def _deleted_and_resolved(deleted, resolved):
    deleted_text = ngettext("%(count)d message deleted", "%(count)d messages deleted", deleted) % {"count": deleted}
    return gettext("%(deleted)s; %(resolved)s.") % {"deleted": deleted_text, "resolved": _resolved(resolved)}


def _banned_and_resolved(banned, resolved):
    banned_text = ngettext("%(count)d user banned", "%(count)d users banned", banned) % {"count": banned}
    return gettext("%(deleted)s; %(resolved)s.") % {"deleted": banned_text, "resolved": _resolved(resolved)}


def _report_line(report):
    reason = report.get_reason_display()
    return f"#{report.pk} ({reason}) by {report.reporter.username} on {_message_line(report.message)}"
