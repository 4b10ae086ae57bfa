"""
People for moderators: the accounts admin (accounts.admin) with the confirmed and logged ban
and reactivate actions.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.admin import UserAdmin
from accounts.models import User

from .. import actions
from ..confirm import confirmation_page, confirmed

admin.site.unregister(User)


@admin.register(User)
class ModeratedUserAdmin(UserAdmin):
    actions = ["ban", "reactivate"]

    @admin.action(description=gettext_lazy("Ban the selected users (deactivate and disconnect)"), permissions=["change"])
    def ban(self, request, queryset):
        users, skipped = actions.bannable(request.user, queryset)
        if not confirmed(request):
            return confirmation_page(
                self,
                request,
                action="ban",
                title=_("Ban users"),
                question=_(
                    "Ban these people? They are logged out of every open tab at once and cannot log in again "
                    "until someone reactivates them."
                ),
                button=_("Yes, ban them"),
                items=users,
                skipped=skipped,
            )
        count = actions.ban(request.user, users)
        self.message_user(
            request,
            ngettext("%(count)d user banned: deactivated and disconnected.", "%(count)d users banned: deactivated and disconnected.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Reactivate the selected users"), permissions=["change"])
    def reactivate(self, request, queryset):
        users, skipped = actions.reactivatable(request.user, queryset)
        if not confirmed(request):
            return confirmation_page(
                self,
                request,
                action="reactivate",
                title=_("Reactivate users"),
                question=_("Reactivate these people? They can log in again."),
                button=_("Yes, reactivate them"),
                items=users,
                skipped=skipped,
            )
        count = actions.reactivate(request.user, users)
        self.message_user(
            request, ngettext("%(count)d user reactivated.", "%(count)d users reactivated.", count) % {"count": count}, messages.SUCCESS
        )
