"""
Moderation of rooms and messages. Rooms, members and messages are made by people through
the models' rules, so the admin reads them, hides messages and deletes; it adds nothing.
"""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone

from .models import Membership, Message, Room


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    fields = ["user", "role", "joined_at", "last_read_message_id"]
    readonly_fields = fields

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
        return queryset.filter(sender__username__iexact=value) if value else queryset


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["pk", "room", "sender", "kind", "short_body", "created_at", "deleted_at"]
    list_filter = ["kind", RoomFilter, SenderFilter, "created_at"]
    search_fields = ["body"]
    list_select_related = ["room", "sender"]
    readonly_fields = ["room", "sender", "kind", "body", "client_id", "created_at", "edited_at", "deleted_at"]
    date_hierarchy = "created_at"
    actions = ["hide"]

    @admin.display(description="body")
    def short_body(self, message):
        return message.body if len(message.body) <= 80 else message.body[:79] + "…"

    def has_add_permission(self, request):
        return False

    @admin.action(description="Hide the selected messages (shown as deleted)", permissions=["change"])
    def hide(self, request, queryset):
        hidden = queryset.filter(deleted_at__isnull=True).update(deleted_at=timezone.now())
        self.message_user(request, f"{hidden} message(s) hidden.", messages.SUCCESS)
