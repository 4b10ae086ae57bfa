"""
Messages: the invariants, the pages of history, search, and the rules of editing and deleting.
The changes themselves (posting, editing, deleting) are rooms.actions': the methods here that
other code calls (`Message.objects.post`, `message.edit`...) hand over to them.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core import formatting

from .. import search as text_search
from ..attachments import attachment_path, attachment_storage, image_content_type
from ..errors import MessageError, MessageNotFound
from .rooms import PREVIEW_LENGTH, Membership, Room, preview_text

log = logging.getLogger(__name__)


@dataclass
class MessagePage:
    """
    Up to a page of messages, oldest first, and whether older or newer ones exist. A page
    with newer messages is a window into the history, not the live end of the room.
    """

    messages: list
    has_older: bool
    has_newer: bool = False

    @property
    def oldest_id(self):
        return self.messages[0].pk if self.messages else None

    @property
    def newest_id(self):
        return self.messages[-1].pk if self.messages else None


@dataclass
class ListPage:
    """One page of a list (favorites, search results) and where the next one starts, if any."""

    items: list
    next: int | None


def _room_title(user, room_id_field):
    """The title user sees for the room in room_id_field (a correlated subquery)."""
    return Subquery(Room.objects.as_seen_by(user).filter(pk=OuterRef(room_id_field)).values("title")[:1])


class MessageQuerySet(models.QuerySet):
    def shown(self):
        """
        Messages with what the message fragment shows, in a constant number of queries: the
        sender, the message replied to and its sender (joined), the reactions and who made
        them (one prefetch query).
        """
        from .reactions import Reaction

        reactions = Prefetch("reactions", queryset=Reaction.objects.select_related("user").order_by("pk"))
        return self.select_related("sender", "reply_to__sender").prefetch_related(reactions)

    def visible_to(self, user):
        """Messages of the rooms user is a member of: the only ones user may see or act on."""
        return self.filter(room__memberships__user=user)

    def page(self, before=None, size=None):
        """The newest `size` messages (older than id `before` if given), by keyset on the id."""
        size = size or Message.PAGE_SIZE
        messages = self.shown().order_by("-pk")
        if before is not None:
            messages = messages.filter(pk__lt=before)
        rows = list(messages[: size + 1])
        has_newer = before is not None and self.filter(pk__gte=before).exists()
        return MessagePage(messages=rows[:size][::-1], has_older=len(rows) > size, has_newer=has_newer)

    def around(self, message_id, size=None):
        """
        A page of `size` messages around id message_id (a favorite, a search result): it and
        up to half a page after it, and older ones to fill the page. Two keyset queries.
        """
        size = size or Message.PAGE_SIZE
        messages = self.shown()
        newer_size = size - size // 2
        newer = list(messages.filter(pk__gte=message_id).order_by("pk")[: newer_size + 1])
        older_size = size - min(len(newer), newer_size)
        older = list(messages.filter(pk__lt=message_id).order_by("-pk")[: older_size + 1])
        return MessagePage(
            messages=older[:older_size][::-1] + newer[:newer_size],
            has_older=len(older) > older_size,
            has_newer=len(newer) > newer_size,
        )

    def after(self, message_id):
        """Messages newer than message_id, oldest first (catching up after a reconnect)."""
        return self.shown().filter(pk__gt=message_id).order_by("pk")

    def changed_between(self, first_id, last_id):
        """
        The messages with ids from first_id to last_id that were ever edited or deleted, oldest
        first: a page that reconnects gets their current state for the ones it shows.
        """
        changed = Q(edited_at__isnull=False) | Q(deleted_at__isnull=False)
        return self.shown().filter(changed, pk__gte=first_id, pk__lte=last_id).order_by("pk")


class MessageManager(models.Manager.from_queryset(MessageQuerySet)):
    def post(self, room, sender, body, client_id=None, reply_to=None):
        """
        sender posts body in room, as a reply to reply_to (a message of the same room, or its
        id) if given; returns the stored message (`rooms.actions.post_message`).
        """
        from ..actions import post_message

        return post_message(room, sender, body, client_id=client_id, reply_to=reply_to)

    def post_file(self, room, sender, upload, client_id=None):
        """sender sends an uploaded picture or file in room (`rooms.actions.post_file`)."""
        from ..actions import post_file

        return post_file(room, sender, upload, client_id=client_id)

    def system(self, room, actor, event):
        """A system line recording what actor did: an event of rooms.system, said in each reader's
        language (`rooms.actions.post_system_line`)."""
        from ..actions import post_system_line

        return post_system_line(room, actor, event)

    def posted(self, room, sender, client_id):
        """The message sender already stored with client_id, if any (a resend); one in another
        room is refused."""
        stored = self.select_related("sender").filter(sender=sender, client_id=client_id).first()
        if stored is not None and stored.room_id != room.pk:
            raise MessageError(_("This client id was already used for a message in another room."))
        return stored

    def search(self, user, text, offset=0, size=None):
        """
        user's search through the messages of the rooms they are still in (neither deleted
        messages nor system lines): PostgreSQL full-text search, best match first, else every
        word of text in any case, newest first (a search in Chinese too: see rooms/search.py). One query for a page of
        `size` from `offset`; each message comes with its sender, `room_title`, and `snippet`:
        safe HTML with the matches in <mark>.
        """
        text = text_search.clean_query(text)
        size = size or Message.SEARCH_PAGE_SIZE
        if not text:
            return ListPage(items=[], next=None)
        found = (
            self.visible_to(user)
            .filter(deleted_at__isnull=True)
            .exclude(kind=Message.Kind.SYSTEM)
            .select_related("sender")
            .annotate(room_title=_room_title(user, "room_id"))
        )
        connection = connections[self.db]
        if text_search.uses_full_text(connection, text):
            found = text_search.full_text(found, text)
        elif connection.vendor == "postgresql" and text_search.has_cjk(text):
            found = text_search.cjk(found, text)
        else:
            found = text_search.plain(found, text)
        rows = list(found[offset : offset + size + 1])
        for message in rows:
            if hasattr(message, "headline"):
                message.snippet = text_search.headline_html(message.headline)
            else:
                message.snippet = text_search.highlight_html(message.body, text)
        return ListPage(items=rows[:size], next=offset + size if len(rows) > size else None)


def clean_client_id(client_id):
    if client_id in (None, ""):
        return None
    try:
        return uuid.UUID(str(client_id))
    except ValueError:
        raise MessageError(_("The client id must be a UUID.")) from None


class Message(models.Model):
    """
    Something said in a room (text, a picture or a file), or a system line recording a
    change to it.

    Invariants: ids grow with time within the database, so "the latest messages" and "what
    came after id X" are keyset queries on (room, id); a sender uses a client id once
    (a partial unique constraint), which makes resending safe. A picture or a file has its
    file (and a picture its thumbnail) in the attachments storage, and its name as the body.
    A deleted message keeps its place (id, sender, time) but nothing of what it said: its
    body is empty and its files are gone from the storage.
    """

    BODY_MAX_LENGTH = settings.MESSAGE_MAX_LENGTH
    PAGE_SIZE = 50
    SEARCH_PAGE_SIZE = 50
    EDIT_WINDOW = timedelta(seconds=settings.MESSAGE_EDIT_SECONDS)

    class Kind(models.TextChoices):
        TEXT = "text", gettext_lazy("Text")
        IMAGE = "image", gettext_lazy("Picture")
        FILE = "file", gettext_lazy("File")
        SYSTEM = "system", gettext_lazy("System line")

    # The (room, -id) index serves the foreign key too.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages", db_index=False)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    # The body as the page shows it (core.formatting: a safe Markdown subset, cleaned),
    # rendered once when the message is stored or edited; empty for anything but text.
    # Nullable only so that SQLite adds the column in place: a table rebuild there would try
    # to build the PostgreSQL-only search index.
    body_html = models.TextField(null=True, blank=True, editable=False)
    client_id = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Pictures and files (rooms/attachments.py): served only by the rooms:file view.
    file = models.FileField(upload_to=attachment_path, storage=attachment_storage, max_length=300, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    thumbnail = models.FileField(upload_to=attachment_path, storage=attachment_storage, max_length=300, blank=True)
    thumbnail_width = models.PositiveSmallIntegerField(null=True, blank=True)
    thumbnail_height = models.PositiveSmallIntegerField(null=True, blank=True)
    # A reply quotes the message it answers, always one of the same room (rooms.actions).
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    # The room's members it @-mentions (set when stored or edited, never the sender).
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in")
    # A system line's event (rooms/system.py): said in each reader's language when rendered;
    # the body holds it in English. None for every other message.
    event = models.JSONField(null=True, blank=True, editable=False)

    objects = MessageManager()

    class Meta:
        app_label = "rooms"
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_id"],
                condition=Q(client_id__isnull=False),
                name="rooms_message_client_id_once_per_sender",
            ),
        ]
        indexes = [
            models.Index(fields=["room", "-id"], name="message_room_latest_idx"),
            # PostgreSQL only (its migration skips other databases): full-text search.
            text_search.body_index(),
            # PostgreSQL only: the CJK bigrams of the body (Chinese words, rooms/search.py).
            text_search.cjk_index(),
        ]

    # Set by `rooms.actions` on a message just stored, and whether publishing it failed.
    just_stored = False
    broadcast_failed = False

    def __str__(self):
        return f"#{self.pk} in {self.room_id}: {self.body[:40]}"

    def save(self, *args, **kwargs):
        if self.kind == self.Kind.TEXT and self.body and not self.body_html and self.deleted_at is None:
            self.render_body()
        super().save(*args, **kwargs)

    def render_body(self, mentionable=None):
        """
        Set `body_html` from the body (text messages only): returns the ids of the people it
        mentions among `mentionable` (lower-cased username -> user id).
        """
        if self.kind != self.Kind.TEXT or self.deleted_at is not None:
            self.body_html = ""
            return []
        self.body_html, mentioned = formatting.render(self.body, mentionable)
        return mentioned

    def get_absolute_url(self):
        """The room, opened at this message (favorites and search results link here)."""
        return f"{reverse('rooms:room', args=[self.room_id])}?around={self.pk}#message-{self.pk}"

    @property
    def is_system(self):
        return self.kind == self.Kind.SYSTEM

    @property
    def system_text(self):
        """A system line in the active language (its body for a line stored without an event)."""
        from ..system import describe

        return describe(self.event, self.body) if self.event else self.body

    @property
    def is_image(self):
        return self.kind == self.Kind.IMAGE

    @property
    def is_file(self):
        return self.kind == self.Kind.FILE

    @property
    def is_editable(self):
        """A text message not deleted: its sender may edit it until `edit_deadline`."""
        return self.kind == self.Kind.TEXT and self.deleted_at is None

    @property
    def edit_deadline(self):
        return self.created_at + self.EDIT_WINDOW

    @property
    def version(self):
        """
        Grows with each change (an edit, the delete): a page never replaces a message with an
        older state of it, whatever order the replacements arrive in.
        """
        changed = self.deleted_at or self.edited_at
        return int(changed.timestamp() * 1_000_000) if changed else 0

    @property
    def file_content_type(self):
        """What the file is served as: a picture as its verified type, anything else as bytes."""
        return image_content_type(self.file.name) if self.is_image else "application/octet-stream"

    @property
    def thumbnail_content_type(self):
        return image_content_type(self.thumbnail.name)

    @property
    def preview(self):
        """The message as the room list shows it (`preview_text`, the rule on load and live)."""
        if self.is_system and self.deleted_at is None:
            return Truncator(self.system_text).chars(PREVIEW_LENGTH)
        return preview_text(self.kind, self.body, self.deleted_at is not None)

    QUOTE_LENGTH = 80

    @property
    def quote(self):
        """What a reply shows of this message: its first line, shortened (or that it was deleted)."""
        if self.deleted_at is not None:
            return None
        first = (self.body or "").strip().splitlines()[0] if (self.body or "").strip() else ""
        prefix = {self.Kind.IMAGE: "📷 ", self.Kind.FILE: "📎 "}.get(self.kind, "")
        return Truncator(prefix + first).chars(self.QUOTE_LENGTH)

    @property
    def reaction_summary(self):
        """
        The reactions as shown under the message, in the order they were first made: each
        emoji with its count, who made it (names) and their ids (a space-separated list, which
        the reader's stylesheet matches to highlight their own). Reads the prefetched
        reactions of `shown()`; a message just stored has none (no query to say so: it is
        rendered for its room once per language).
        """
        if getattr(self, "just_stored", False):
            return []
        summary = {}
        for reaction in self.reactions.all():
            item = summary.setdefault(reaction.emoji, {"emoji": reaction.emoji, "names": [], "user_ids": []})
            item["names"].append(reaction.user.display_name)
            item["user_ids"].append(str(reaction.user_id))
        for item in summary.values():
            item["count"] = len(item["user_ids"])
            item["user_ids"] = " ".join(item["user_ids"])
            item["names"] = ", ".join(item["names"])
        return list(summary.values())

    def react(self, user, emoji):
        """user's emoji under this message, toggled: True when added, False when removed
        (`rooms.actions.toggle_reaction`); members only."""
        from ..actions import toggle_reaction

        return toggle_reaction(self, user, emoji)

    # --- Rules of changing it (the changes are rooms.actions': conditional updates, so an edit
    # racing a delete can never bring a body back).

    def require_can_edit(self, by):
        """
        Only its sender edits a message: a text message, not deleted, within EDIT_WINDOW of
        sending it, and in a direct room while the two are still friends. Raises
        MessageError, or MessageNotFound for a non-member.
        """
        self._require_member(by)
        if self.sender_id != by.pk or self.is_system:
            raise MessageError(_("You can only edit your own messages."), code="not_yours")
        if self.deleted_at is not None:
            raise MessageError(_("This message was deleted."), code="deleted")
        if self.kind != self.Kind.TEXT:
            raise MessageError(_("Pictures and files cannot be edited: delete it and send another."), code="not_text")
        if timezone.now() > self.edit_deadline:
            minutes = int(self.EDIT_WINDOW.total_seconds() // 60)
            raise MessageError(
                ngettext(
                    "Messages can be edited for %(minutes)d minute after sending.",
                    "Messages can be edited for %(minutes)d minutes after sending.",
                    minutes,
                )
                % {"minutes": minutes},
                code="too_late",
            )
        self.room.require_still_friends(by)

    def edit(self, by, body):
        """by changes the text (`rooms.actions.edit_message`); returns whether it changed."""
        from ..actions import edit_message

        return edit_message(self, by, body)

    def require_can_delete(self, by):
        """
        Its sender deletes a message at any time while a member of the room; a moderator (the
        `rooms.delete_message` permission) deletes any message, in any room. Raises
        MessageError, or MessageNotFound for a non-member.
        """
        if by.has_perm("rooms.delete_message"):
            return
        self._require_member(by)
        if self.sender_id != by.pk or self.is_system:
            raise MessageError(_("You can only delete your own messages."), code="not_yours")

    def soft_delete(self, by):
        """by deletes this message for everyone (`rooms.actions.delete_message`)."""
        from ..actions import delete_message

        return delete_message(self, by)

    def _require_member(self, user):
        Membership.objects.of(user, self.room_id, not_found=MessageNotFound)

    def stored_files(self):
        """The names of this message's files in the attachments storage."""
        return [field.name for field in (self.file, self.thumbnail) if field]

    def delete_files(self):
        delete_stored_files(self.stored_files())


def delete_stored_files(names):
    """Remove files from the attachments storage (a missing one is logged, not an error)."""
    storage = attachment_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            log.warning("attachments: could not delete %s", name, exc_info=True)


@receiver(post_delete, sender=Message, dispatch_uid="rooms.message.delete_files")
def _delete_files_with_message(sender, instance, **kwargs):
    """A message removed from the database (purged, or with its room) takes its files along."""
    files = instance.stored_files()
    if files:
        transaction.on_commit(lambda: delete_stored_files(files), robust=True)
