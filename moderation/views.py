"""
Reporting a message to the moderators: the page behind a message's "Report" link.

The link is part of the message fragment, which is rendered once for every reader (a live
push goes to everyone in the room), so it cannot know who reads it. This page does: it
looks the room up among the reader's own rooms (404 for anyone else, as every room URL),
and `Report.objects` holds the rules (not your own message, not twice...). The moderators
work through the reports in the admin (moderation/admin.py, ReportAdmin).
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from rooms.models import Room, RoomNotFound

from .models import Report, ReportError

TEMPLATE = "moderation/report.html"


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=Report.Reason.choices, widget=forms.RadioSelect, label=_("What is wrong with it?"))
    note = forms.CharField(
        required=False,
        max_length=Report.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("A note for the moderators (optional)"),
    )


@require_http_methods(["GET", "POST"])
def report_message(request, room_id, message_id):
    """The report form for one message of one of the reader's rooms; POST files the report."""
    room = get_object_or_404(Room.objects.as_seen_by(request.user), pk=room_id)
    message = get_object_or_404(room.messages.select_related("sender"), pk=message_id)
    form = ReportForm(request.POST if request.method == "POST" else None)
    refusal = None
    try:
        Report.objects.require_can_report(message, request.user)
    except RoomNotFound:
        raise Http404 from None
    except ReportError as error:
        refusal = error.message

    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            Report.objects.file(message, request.user, form.cleaned_data["reason"], form.cleaned_data["note"])
        except RoomNotFound:
            raise Http404 from None
        except ReportError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, gettext("Thank you. The moderators will look at this message."))
            back = f"{room.get_absolute_url()}#message-{message.pk}"
            return HttpResponseClientRedirect(back) if request.htmx else redirect(back)

    context = {"room": room, "message": message, "form": form, "refusal": refusal}
    status = 422 if request.method == "POST" else 200
    template = f"{TEMPLATE}#report-section" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)
