"""
Rooms' part of a person's data (accounts.contributors).

The export holds the rooms they are in (the title they see, the members' nicknames), every
message they sent (text, time, room, the message it replied to, when edited or deleted; the
files themselves, in files/), their reactions (the emoji, the message and room, the time),
and the favorites in rooms they are still in (the starred message as they can see it).
Nothing else of other people: no one's messages but those starred, no email, no avatar.

Deleting the account: `rooms.actions.erase_member`.
"""

import posixpath

from accounts import export
from accounts.contributors import contributor

from . import actions
from .models import Favorite, Membership, Message, Room


def file_items(size):
    """A file counts as one item of the export per started FILE_ITEM_BYTES (the work is the copy)."""
    return max(1, -(-(size or 0) // export.FILE_ITEM_BYTES))


def _own_messages(user):
    return Message.objects.filter(sender=user).exclude(kind=Message.Kind.SYSTEM)


def _favorites(user):
    """The favorites user can still see: those in rooms they are a member of."""
    return Favorite.objects.filter(user=user, message__room__memberships__user=user)


@contributor("rooms")
class RoomsData:
    def size(self, user):
        rooms = Membership.objects.filter(user=user).count()
        sizes = _own_messages(user).filter(deleted_at__isnull=True).exclude(file="").values_list("file_size", flat=True)
        files = sum(file_items(size) for size in sizes)
        return rooms + _own_messages(user).count() + files + user.reactions.count() + _favorites(user).count()

    def export(self, user, archive):
        rooms = self._rooms(user, archive)
        titles = {room["id"]: room["title"] for room in rooms}
        return {
            "rooms": rooms,
            "messages": self._messages(user, archive, titles),
            "reactions": self._reactions(user, archive),
            "favorites": self._favorites(user, archive),
        }

    def erase(self, user, *, delete_messages):
        return actions.erase_member(user, delete_messages=delete_messages)

    def _rooms(self, user, archive):
        rooms = []
        seen = Room.objects.as_seen_by(user).prefetch_related("memberships__user").order_by("pk")
        for room in seen:
            members = sorted(room.memberships.all(), key=lambda m: (m.joined_at, m.pk))
            rooms.append(
                {
                    "id": room.pk,
                    "kind": room.kind,
                    "title": room.title,
                    "your_role": room.role,
                    "members": [m.user.display_name for m in members],
                    "created_at": room.created_at.isoformat(),
                }
            )
            archive.advance()
        return rooms

    def _messages(self, user, archive, titles):
        rows = []
        for message in _own_messages(user).order_by("pk").iterator(chunk_size=500):
            row = {
                "id": message.pk,
                "room": message.room_id,
                # A room they left: its title now is not theirs to see.
                "room_title": titles.get(message.room_id),
                "kind": message.kind,
                "text": message.body,
                "reply_to": message.reply_to_id,
                "sent_at": message.created_at.isoformat(),
                "edited_at": message.edited_at.isoformat() if message.edited_at else None,
                "deleted_at": message.deleted_at.isoformat() if message.deleted_at else None,
                "file": None,
            }
            if message.file:
                name = f"files/{message.pk}-{posixpath.basename(message.file.name)}"
                with message.file.open("rb") as stored:
                    row["file"] = archive.add_file(name, stored)
                archive.advance(file_items(message.file_size))
            rows.append(row)
            archive.advance()
        return rows

    def _reactions(self, user, archive):
        rows = []
        for reaction in user.reactions.select_related("message").order_by("pk"):
            rows.append(
                {
                    "emoji": reaction.emoji,
                    "message": reaction.message_id,
                    "room": reaction.message.room_id,
                    "reacted_at": reaction.created_at.isoformat(),
                }
            )
            archive.advance()
        return rows

    def _favorites(self, user, archive):
        rows = []
        favorites = _favorites(user).select_related("message__sender").order_by("pk")
        for favorite in favorites:
            message = favorite.message
            rows.append(
                {
                    "message": message.pk,
                    "room": message.room_id,
                    "starred_at": favorite.created_at.isoformat(),
                    "sender": message.sender.display_name if message.sender else "Deleted user",
                    "text": message.body,
                    "sent_at": message.created_at.isoformat(),
                    "deleted": message.deleted_at is not None,
                }
            )
            archive.advance()
        return rows
