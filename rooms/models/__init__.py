"""
Rooms, their members, their messages and the favorites among them: invariants, constraints
and queries. The state changes are rooms.actions'; the refusals are rooms.errors'.
"""

from ..errors import MessageError, MessageNotFound, RoomError, RoomNotFound
from .favorites import Favorite
from .messages import ListPage, Message, MessagePage, clean_client_id, delete_stored_files
from .reactions import Reaction
from .rooms import PREVIEW_LENGTH, Membership, Room, direct_key, names, preview_text

__all__ = [
    "PREVIEW_LENGTH",
    "Reaction",
    "Favorite",
    "ListPage",
    "Membership",
    "Message",
    "MessageError",
    "MessageNotFound",
    "MessagePage",
    "Room",
    "RoomError",
    "RoomNotFound",
    "clean_client_id",
    "delete_stored_files",
    "direct_key",
    "names",
    "preview_text",
]
