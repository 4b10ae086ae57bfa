"""What every page of a logged-in person shows of their rooms: the unread total (the tab
title, the Chats link) and, for the page's script, the rooms they muted."""

from functools import cached_property

from django.urls import reverse

from .models import Membership
from .models.rooms import UNREAD_TOTAL_MOST


class Attention:
    """Computed when a template first asks (one query each), then kept for the page."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def unread_total(self):
        return Membership.objects.unread_total(self.user)

    @property
    def unread_display(self):
        return f"{UNREAD_TOTAL_MOST}+" if self.unread_total >= UNREAD_TOTAL_MOST else str(self.unread_total)

    @property
    def config(self):
        """#attention-config, for static/js/attention.js."""
        return {
            "unread": self.unread_total,
            "most": UNREAD_TOTAL_MOST,
            "muted": Membership.objects.muted_room_ids(self.user),
            "notify": self.user.desktop_notifications,
            "room_url": reverse("rooms:room", args=[0]),
        }


def attention(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"attention": Attention(user)}
