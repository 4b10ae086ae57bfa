"""
The admin log for moderators: every change made in the admin or by the actions that record
there (bans, deleted messages, resolved reports, deleted accounts), searchable by the
object's name as it was (a deleted account under its old username) and by what was done.
Read only: a log that can be edited is no log. What was done is stored in English and said
in the moderator's language (core.notes).
"""

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.utils.translation import gettext_lazy as _

from core import notes


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag", "what_was_done"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "change_message", "user__username"]
    list_select_related = ["user", "content_type"]
    date_hierarchy = "action_time"
    ordering = ["-action_time", "-pk"]
    show_full_result_count = False
    fields = readonly_fields = ["action_time", "user", "content_type", "object_id", "object_repr", "action_flag", "what_was_done"]

    @admin.display(description=_("change message"), ordering="change_message")
    def what_was_done(self, entry):
        return notes.translated(entry.get_change_message())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
