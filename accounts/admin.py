from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "nickname", "email", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "date_joined", "last_login"]
    search_fields = ["username", "nickname", "email"]
    ordering = ["username"]
    readonly_fields = ["avatar_preview", "created_at", "updated_at", "last_login", "date_joined"]
    actions = ["deactivate", "reactivate"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Profile", {"fields": ["nickname", "email", "avatar", "avatar_preview"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "nickname", "email", "password1", "password2"]}),
    ]

    @admin.display(description="Avatar")
    def avatar_preview(self, user):
        if not user.avatar:
            return "—"
        return format_html('<img src="{}" alt="" style="width:64px;height:64px;border-radius:50%">', user.avatar.url)

    @admin.action(description="Deactivate (ban) the selected users", permissions=["change"])
    def deactivate(self, request, queryset):
        """Each user is saved, so their open sockets close at once too (User.save)."""
        banned = list(queryset.exclude(pk=request.user.pk).filter(is_active=True))
        for user in banned:
            user.is_active = False
            user.save(update_fields=["is_active", "updated_at"])
        self.message_user(request, f"{len(banned)} user(s) deactivated; they can no longer log in.", messages.SUCCESS)

    @admin.action(description="Reactivate the selected users", permissions=["change"])
    def reactivate(self, request, queryset):
        count = queryset.update(is_active=True)
        self.message_user(request, f"{count} user(s) reactivated.", messages.SUCCESS)
