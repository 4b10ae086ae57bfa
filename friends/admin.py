from django.contrib import admin, messages

from .models import FriendError, FriendRequest, Friendship


@admin.register(FriendRequest)
class FriendRequestAdmin(admin.ModelAdmin):
    """
    Requests are sent by people, and their status only moves through the model's methods
    (so accepting always makes a friendship): moderators read them, cancel spam and delete.
    """

    list_display = ["from_user", "to_user", "status", "reason", "created_at", "updated_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["from_user__username", "to_user__username"]
    list_select_related = ["from_user", "to_user"]
    readonly_fields = ["from_user", "to_user", "reason", "status", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["cancel_pending"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Cancel the selected pending requests", permissions=["change"])
    def cancel_pending(self, request, queryset):
        cancelled = 0
        for friend_request in queryset.pending():
            try:
                friend_request.cancel()
            except FriendError:  # answered in the meantime
                continue
            cancelled += 1
        self.message_user(request, f"{cancelled} pending request(s) cancelled.", messages.SUCCESS)


@admin.register(Friendship)
class FriendshipAdmin(admin.ModelAdmin):
    list_display = ["user_low", "user_high", "created_at"]
    search_fields = ["user_low__username", "user_high__username"]
    list_select_related = ["user_low", "user_high"]
    raw_id_fields = ["user_low", "user_high"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"
