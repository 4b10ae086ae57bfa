"""
Rooms, memberships and messages for moderators: they are made by people through the models'
rules, so the admin reads them, deletes messages the way a sender does (shown as deleted,
removed live, its reports resolved) and adds nothing.

Every list stays fast with hundreds of thousands of messages: related rows are joined
(`list_select_related`), no column runs a query per row, people and rooms are filtered by a
text box rather than a select of every user, and no page counts the whole table twice
(`show_full_result_count = False`). moderation/tests/test_admin_queries.py checks the counts.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count, Exists, OuterRef
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy, ngettext

from accounts.models import username_key
from rooms.attachments import file_response
from rooms.models import Membership, Message, Room

from .. import actions
from ..confirm import confirmation_page, confirmed
from ..models import Report


def excerpt(text, length=80):
    return text if len(text) <= length else text[: length - 1] + "…"


def link(viewname, pk, text):
    return format_html('<a href="{}">{}</a>', reverse(viewname, args=[pk]), text)


def attachment_html(message):
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

    template = "admin/moderation/input_filter.html"

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
        return excerpt(message.body)

    @admin.display(description="picture or file")
    def attachment(self, message):
        return attachment_html(message)

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

    @admin.action(description=gettext_lazy("Delete the selected messages (shown as deleted)"), permissions=["soft_delete"])
    def delete_messages(self, request, queryset):
        chosen, skipped = actions.deletable(queryset.select_related("room", "sender"))
        if not confirmed(request):
            return confirmation_page(
                self,
                request,
                action="delete_messages",
                title=gettext("Delete messages"),
                question=gettext(
                    "Delete these messages? Everyone sees “This message was deleted.” instead, at once in "
                    "open tabs, and the text is gone."
                ),
                button=gettext("Yes, delete them"),
                items=[_message_line(m) for m in chosen],
                skipped=[(_message_line(m), why) for m, why in skipped],
            )
        deleted = actions.delete_messages(request.user, chosen)  # their open reports are resolved with them
        self.message_user(
            request,
            ngettext("%(count)d message deleted.", "%(count)d messages deleted.", len(deleted)) % {"count": len(deleted)},
            messages.SUCCESS,
        )


def _message_line(message):
    sender = message.sender.username if message.sender else "deleted user"
    return f"#{message.pk} by {sender} in {message.room}: “{excerpt(message.body, 60)}”"
