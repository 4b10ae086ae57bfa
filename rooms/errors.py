"""
The room rules' refusals. The HTTP views and the socket handlers turn a `RoomError` into a
message for the person who tried (`error.message`); `RoomNotFound` is the one answer for "no
such room" and "not your room", so an outsider learns nothing (HTTP 404).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class RoomError(ValidationError):
    """A room rule was broken; `.message` is meant for the person who tried."""


class RoomNotFound(RoomError):
    """No such room, or the person is not a member of it: the same answer for both."""

    def __init__(self, message=None):
        super().__init__(message or _("This room does not exist."), code="not_found")


class MessageError(RoomError):
    """A message was refused (empty, too long, no longer friends...); nothing was stored."""


class MessageNotFound(RoomNotFound):
    """No such message, or it is in a room the person is not a member of (HTTP 404)."""

    def __init__(self, message=None):
        super().__init__(message or _("This message does not exist."))
