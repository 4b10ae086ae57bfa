"""
People for moderators: the accounts admin (accounts.admin) with the confirmed and logged ban
and reactivate actions.
"""

from django.contrib import admin, messages

from accounts.admin import UserAdmin
from accounts.models import User

from .. import actions
from ..confirm import confirmation_page, confirmed

admin.site.unregister(User)


@admin.register(User)
class ModeratedUserAdmin(UserAdmin):
    actions = ["ban", "reactivate"]

    @admin.action(description="Ban the selected users (deactivate and disconnect)", permissions=["change"])
    def ban(self, request, queryset):
        users, skipped = actions.bannable(request.user, queryset)
        if not confirmed(request):
            return confirmation_page(
                self,
                request,
                action="ban",
                title="Ban users",
                question="Ban these people? They are logged out of every open tab at once and cannot log in again "
                "until someone reactivates them.",
                button="Yes, ban them",
                items=users,
                skipped=skipped,
            )
        count = actions.ban(request.user, users)
        self.message_user(request, f"{count} user(s) banned: deactivated and disconnected.", messages.SUCCESS)

    @admin.action(description="Reactivate the selected users", permissions=["change"])
    def reactivate(self, request, queryset):
        users, skipped = actions.reactivatable(request.user, queryset)
        if not confirmed(request):
            return confirmation_page(
                self,
                request,
                action="reactivate",
                title="Reactivate users",
                question="Reactivate these people? They can log in again.",
                button="Yes, reactivate them",
                items=users,
                skipped=skipped,
            )
        count = actions.reactivate(request.user, users)
        self.message_user(request, f"{count} user(s) reactivated.", messages.SUCCESS)
