from django import forms
from django.urls import reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import FriendError, FriendRequest


class FriendRequestForm(forms.Form):
    """The add-friend form: an exact username and an optional reason."""

    username = forms.CharField(
        max_length=150,
        label=_("Username"),
        help_text=_("Their username; people whose username or nickname starts with what you type are suggested."),
        # Suggestions as you type (friends:suggest fills the list; list.html has it).
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
                "list": "friend-suggestions",
                "hx-get": reverse_lazy("friends:suggest"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#friend-suggestions",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        ),
    )
    reason = forms.CharField(
        max_length=FriendRequest.REASON_MAX_LENGTH,
        required=False,
        label=_("Reason"),
        help_text=format_lazy(
            _("Optional; they see it with your request. At most {count} characters."), count=FriendRequest.REASON_MAX_LENGTH
        ),
    )

    def send(self, from_user):
        """Send the request; returns it, or None with the errors on the form."""
        if not self.is_valid():
            return None
        try:
            return FriendRequest.objects.send_to_username(
                from_user, self.cleaned_data["username"], reason=self.cleaned_data["reason"]
            )
        except FriendError as error:
            # Every rule send() enforces is about the person asked (the form has already
            # checked the reason's length).
            self.add_error("username", error)
            return None
