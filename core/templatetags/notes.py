"""`{{ entry.get_change_message|log_note }}`: an admin log line in the reader's language (core.notes)."""

from django import template

from core import notes

register = template.Library()


@register.filter
def log_note(text):
    return notes.translated(text)
