"""
Moderation of rooms, messages and reports. Rooms, members and messages are made by people
through the models' rules, so the admin reads them, deletes messages the way a sender does
(shown as deleted, removed live) and resolves reports; it adds nothing.

Every list stays fast with hundreds of thousands of messages: related rows are joined
(`list_select_related`), no column runs a query per row, people and rooms are filtered by a
text box rather than a select of every user, and no page counts the whole table twice
(`show_full_result_count = False`). rooms/tests/moderation/test_admin_queries.py checks the counts.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count, Exists, F, OuterRef
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.models import username_key

from . import moderation
from .attachments import file_response
from .models import Membership, Message, Report, Room


def _excerpt(text, length=80):
    return text if len(text) <= length else text[: length - 1] + "…"


def _link(viewname, pk, text):
    return format_html('<a href="{}">{}</a>', reverse(viewname, args=[pk]), text)


def _attachment(message):
    """A message's picture (its thumbnail) or file, served by the message admin to moderators."""
    if not message.file:
        return "—"
    file_url = reverse("admin:rooms_message_attachment", args=[message.pk, "file"])
    name = format_html('<a href="{}">{}</a> ({})', file_url, message.body, filesizeformat(message.file_size or 0))
    if not message.thumbnail:
        return name
    thumbnail_url = reverse("admin:rooms_message_attachment", args=[message.pk, "thumbnail"])
    picture = format_html('<a href="{}"><img src="{}" alt="" class="admin-picture"></a>', file_url, thumbnail_url)
    return format_html("{}<br>{}", picture, name)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    fields = ["user", "role", "joined_at", "last_read_message_id"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "room")  # its __str__ names both

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "member_count", "created_by", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["name", "=direct_key"]
    list_select_related = ["created_by"]
    readonly_fields = ["kind", "name", "direct_key", "created_by", "created_at"]
    date_hierarchy = "created_at"
    ordering = ["-pk"]
    show_full_result_count = False
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(ordering="member_count")
    def member_count(self, room):
        return room.member_count

    def has_add_permission(self, request):
        return False


class InputFilter(admin.SimpleListFilter):
    """A text box rather than a link for each of possibly thousands of rooms or people."""

    template = "admin/rooms/input_filter.html"

    def lookups(self, request, model_admin):
        return [(None, None)]  # no fixed choices, but the filter is still shown

    def choices(self, changelist):
        others = {k: v for k, v in changelist.get_filters_params().items() if k != self.parameter_name}
        yield {"value": self.value() or "", "others": [(k, v) for k, values in others.items() for v in values]}


class RoomFilter(InputFilter):
    title = "room (id)"
    parameter_name = "room"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        return queryset.filter(room_id=value) if value.isdigit() else queryset.none()


class SenderFilter(InputFilter):
    title = "sender (username)"
    parameter_name = "sender"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(sender__username_key=username_key(value)) if value else queryset


class MemberFilter(InputFilter):
    title = "member (username)"
    parameter_name = "member"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return queryset.filter(user__username_key=username_key(value)) if value else queryset


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Who is in which room, for moderators following a person or a group."""

    list_display = ["user", "room", "role", "joined_at"]
    list_filter = ["role", MemberFilter, RoomFilter, "joined_at"]
    search_fields = ["user__username", "user__nickname", "room__name"]
    list_select_related = ["user", "room"]
    fields = readonly_fields = ["room", "user", "role", "joined_at", "last_read_message_id"]
    ordering = ["-pk"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


class ReportedFilter(admin.SimpleListFilter):
    title = "reports"
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("open", "With open reports"), ("any", "Ever reported")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(Exists(Report.objects.open().filter(message=OuterRef("pk"))))
        if self.value() == "any":
            return queryset.filter(Exists(Report.objects.filter(message=OuterRef("pk"))))
        return queryset


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["pk", "room", "sender", "kind", "short_body", "created_at", "deleted_at"]
    list_filter = ["kind", ReportedFilter, RoomFilter, SenderFilter, "created_at"]
    search_fields = ["body"]
    list_select_related = ["room", "sender"]
    # Everything read-only; the stored files through attachment_view (they have no URL).
    fields = readonly_fields = [
        "room",
        "sender",
        "kind",
        "body",
        "attachment",
        "client_id",
        "created_at",
        "edited_at",
        "deleted_at",
    ]
    # No date_hierarchy: its links cost a scan of every message per page (0.4 s at 100,000
    # on SQLite); the created_at filter's fixed ranges cost nothing.
    ordering = ["-pk"]
    show_full_result_count = False
    actions = ["delete_messages"]

    @admin.display(description="body")
    def short_body(self, message):
        return _excerpt(message.body)

    @admin.display(description="picture or file")
    def attachment(self, message):
        return _attachment(message)

    def get_urls(self):
        view = self.admin_site.admin_view(self.attachment_view)
        attachment = path("<path:object_id>/attachment/<str:part>/", view, name="rooms_message_attachment")
        return [attachment, *super().get_urls()]

    def attachment_view(self, request, object_id, part):
        """
        A message's file or thumbnail for whoever may view messages here: moderators judge
        reported pictures without being members. The same safe headers as rooms.views.attachment.
        """
        message = self.get_object(request, unquote(object_id))
        if part not in ("file", "thumbnail") or message is None or not self.has_view_permission(request, message):
            raise Http404
        response = file_response(message, part, cache_control="private, no-store")
        if response is None:
            raise Http404
        return response

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        """Removing rows is for superusers (and purge_messages); moderators soft-delete."""
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def has_soft_delete_permission(self, request):
        return request.user.has_perm("rooms.delete_message")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting rows would skip the live removal
        return actions

    @admin.action(description="Delete the selected messages (shown as deleted)", permissions=["soft_delete"])
    def delete_messages(self, request, queryset):
        chosen, skipped = moderation.deletable(queryset.select_related("room", "sender"))
        if not moderation.confirmed(request):
            return moderation.confirmation_page(
                self,
                request,
                action="delete_messages",
                title="Delete messages",
                question="Delete these messages? Everyone sees “This message was deleted.” instead, at once in "
                "open tabs, and the text is gone.",
                button="Yes, delete them",
                items=[_message_line(m) for m in chosen],
                skipped=[(_message_line(m), why) for m, why in skipped],
            )
        deleted = moderation.delete_messages(self, request, chosen)
        reports = Report.objects.filter(message__in=deleted)
        moderation.resolve_reports(self, request, reports, Report.Status.MESSAGE_DELETED, "Resolved: message deleted.")
        self.message_user(request, f"{len(deleted)} message(s) deleted.", messages.SUCCESS)


def _message_line(message):
    sender = message.sender.username if message.sender else "deleted user"
    return f"#{message.pk} by {sender} in {message.room}: “{_excerpt(message.body, 60)}”"


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """
    The report queue: open reports first (newest first), then resolved ones. Moderators
    resolve a report by dismissing it, deleting the message or banning its sender; each
    is confirmed and recorded in the admin log, on the report and on what it changed.
    """

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
        return _excerpt(report.message.body)

    @admin.display(description="sender", ordering="message__sender__username")
    def sender(self, report):
        sender = report.message.sender
        return _link("admin:accounts_user_change", sender.pk, sender.username) if sender else "—"

    @admin.display(description="room", ordering="message__room")
    def room(self, report):
        return _link("admin:rooms_room_change", report.message.room_id, report.message.room)

    @admin.display(description="note")
    def short_note(self, report):
        return _excerpt(report.note, 60)

    # --- The report's page.

    @admin.display(description="reporter")
    def reporter_link(self, report):
        return _link("admin:accounts_user_change", report.reporter_id, report.reporter.username)

    @admin.display(description="message")
    def message_link(self, report):
        return _link("admin:rooms_message_change", report.message_id, f"#{report.message_id}")

    @admin.display(description="text")
    def message_body(self, report):
        return "(deleted)" if report.message.deleted_at is not None else report.message.body

    @admin.display(description="picture or file")
    def message_attachment(self, report):
        return _attachment(report.message)

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

    @admin.action(description="Dismiss the selected reports (nothing wrong)", permissions=["change"])
    def dismiss(self, request, queryset):
        reports = self._reports(queryset)
        chosen = [r for r in reports if r.is_open]
        skipped = [
            (_report_line(r), f"already resolved ({r.get_status_display().lower()})") for r in reports if not r.is_open
        ]
        if not moderation.confirmed(request):
            return moderation.confirmation_page(
                self,
                request,
                action="dismiss",
                title="Dismiss reports",
                question="Dismiss these reports? The messages stay as they are.",
                button="Yes, dismiss them",
                items=[_report_line(r) for r in chosen],
                skipped=skipped,
            )
        count = moderation.resolve_reports(self, request, chosen, Report.Status.DISMISSED, "Resolved: dismissed.")
        self.message_user(request, f"{count} report(s) dismissed.", messages.SUCCESS)

    @admin.action(description="Delete the reported messages", permissions=["delete_message"])
    def delete_reported_messages(self, request, queryset):
        reports = self._reports(queryset)
        reported = list({r.message_id: r.message for r in reports}.values())
        chosen, skipped = moderation.deletable(reported)
        if not moderation.confirmed(request):
            return moderation.confirmation_page(
                self,
                request,
                action="delete_reported_messages",
                title="Delete reported messages",
                question="Delete these messages? Everyone sees “This message was deleted.” instead, at once in "
                "open tabs, and every open report on them is resolved.",
                button="Yes, delete them",
                items=[_message_line(m) for m in chosen],
                skipped=[(_message_line(m), why) for m, why in skipped],
            )
        deleted = moderation.delete_messages(self, request, chosen, why="Deleted after a report")
        gone = [m.pk for m in deleted] + [m.pk for m, _ in skipped]
        count = moderation.resolve_reports(
            self,
            request,
            Report.objects.filter(message__in=gone),
            Report.Status.MESSAGE_DELETED,
            "Resolved: message deleted.",
        )
        self.message_user(request, f"{len(deleted)} message(s) deleted; {count} report(s) resolved.", messages.SUCCESS)

    @admin.action(description="Ban the senders of the reported messages", permissions=["ban"])
    def ban_senders(self, request, queryset):
        reports = self._reports(queryset)
        senders = list({r.message.sender_id: r.message.sender for r in reports if r.message.sender}.values())
        chosen, skipped = moderation.bannable(request.user, senders)
        if not moderation.confirmed(request):
            return moderation.confirmation_page(
                self,
                request,
                action="ban_senders",
                title="Ban senders",
                question="Ban these people? They are logged out of every open tab at once and cannot log in again "
                "until someone reactivates them. Open reports on these messages are resolved.",
                button="Yes, ban them",
                items=chosen,
                skipped=skipped,
            )
        banned = moderation.ban(self, request, chosen, why="Banned after a report")
        out = [u.pk for u in chosen] + [u.pk for u, _ in skipped if not u.is_active]
        messages_of_banned = [r.message_id for r in reports if r.message.sender_id in out]
        count = moderation.resolve_reports(
            self,
            request,
            Report.objects.filter(message__in=messages_of_banned),
            Report.Status.SENDER_BANNED,
            "Resolved: sender banned.",
        )
        self.message_user(request, f"{banned} user(s) banned; {count} report(s) resolved.", messages.SUCCESS)


def _report_line(report):
    reason = report.get_reason_display()
    return f"#{report.pk} ({reason}) by {report.reporter.username} on {_message_line(report.message)}"
