"""
Rooms, their members and their messages.

Every rule about rooms lives here, on the managers and models. The HTTP views and the
WebSocket consumer call the same methods and turn a `RoomError` into a message for the person
who tried (`error.message`); `RoomNotFound` is the one answer for "no such room" and "not your
room", so an outsider learns nothing (HTTP 404).
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, connections, models, transaction
from django.db.models import Case, F, Func, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat, Substr
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_text_list

from accounts.models import without_bidi_controls
from friends.models import Friendship

from . import frames, live
from . import search as text_search
from .attachments import Attachment, AttachmentError, attachment_path, attachment_storage, image_content_type
from .limits import allow_send, per_window, rate_limit_message, renames

log = logging.getLogger(__name__)


class RoomError(ValidationError):
    """A room rule was broken; `.message` is meant for the person who tried."""


class RoomNotFound(RoomError):
    """No such room, or the person is not a member of it: the same answer for both."""

    def __init__(self, message="This room does not exist."):
        super().__init__(message, code="not_found")


class MessageError(RoomError):
    """A message was refused (empty, too long, no longer friends...); nothing was stored."""


class MessageNotFound(RoomNotFound):
    """No such message, or it is in a room the person is not a member of (HTTP 404)."""

    def __init__(self, message="This message does not exist."):
        super().__init__(message)


def direct_key(a, b):
    """The one spelling of a pair of users: "<low id>:<high id>"."""
    low, high = sorted((a.pk, b.pk))
    return f"{low}:{high}"


def clean_text(value, *, what, max_length, error=MessageError):
    """Trimmed text without NUL characters (PostgreSQL refuses them), 1..max_length long."""
    if not isinstance(value, str):
        raise error(f"The {what} must be text.")
    value = value.replace("\x00", "").strip()
    if not value:
        raise error(f"The {what} cannot be empty.")
    if len(value) > max_length:
        raise error(f"The {what} can be at most {max_length:,} characters (this one has {len(value):,}).")
    return value


def _count(queryset):
    """A correlated subquery counting the rows of queryset: `SELECT COUNT(id) ... WHERE ...`."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=models.IntegerField())


def _preview():
    """A message as the room list shows it (as `Message.preview`): its first 120 characters,
    a picture or a file by its name, or that it was deleted."""
    return Case(
        When(deleted_at__isnull=False, then=Value("Message deleted")),
        When(kind="image", then=Concat(Value("📷 "), Substr("body", 1, 118))),
        When(kind="file", then=Concat(Value("📎 "), Substr("body", 1, 118))),
        default=Substr("body", 1, 120),
    )


def _author():
    """Who the room list names before a preview: the sender, but nobody for a system line."""
    return Case(When(kind=Message.Kind.SYSTEM, then=Value(None)), default=F("sender__nickname"))


# --- Rooms ----------------------------------------------------------------------------------


class RoomQuerySet(models.QuerySet):
    def with_member(self, user):
        """Rooms the user is a member of (no annotations: for checks and actions)."""
        return self.filter(memberships__user=user)

    def as_seen_by(self, user):
        """
        The user's rooms, each annotated with what its header shows, in one query:

        - `title`: the other person's nickname for a direct room, the name for a group;
        - `other_user_id`, `other_avatar`: the other person in a direct room (its avatar file);
        - `member_count`;
        - `role`, `last_read_message_id`: the user's own membership.
        """
        others = Membership.objects.filter(room=OuterRef("pk")).exclude(user=user)
        return (
            self.with_member(user)
            # The same join as the filter above: this user's membership row.
            .annotate(last_read_message_id=F("memberships__last_read_message_id"), role=F("memberships__role"))
            .annotate(
                title=Case(
                    When(
                        kind=Room.Kind.DIRECT,
                        then=Coalesce(Subquery(others.values("user__nickname")[:1]), Value("Deleted user")),
                    ),
                    default=F("name"),
                ),
                other_user_id=Case(
                    When(kind=Room.Kind.DIRECT, then=Subquery(others.values("user_id")[:1])),
                    default=None,
                    output_field=models.BigIntegerField(),
                ),
                other_avatar=Case(
                    When(kind=Room.Kind.DIRECT, then=Subquery(others.values("user__avatar")[:1])),
                    default=Value(""),
                    output_field=models.CharField(),
                ),
                member_count=_count(Membership.objects.filter(room=OuterRef("pk"))),
            )
        )

    def for_user(self, user):
        """
        The user's rooms as the room list shows them, newest activity first, in one query
        whatever the number of rooms, members or messages: `as_seen_by()`, and

        - `last_message_preview`: its first 120 characters, unless deleted (None: no messages);
        - `last_message_sender`: who wrote it (None for a system message);
        - `activity_at`: the last message's time, else the room's creation;
        - `unread_count`: messages by others after the user's read mark.
        """
        latest = Message.objects.filter(room=OuterRef("pk")).order_by("-pk")
        unread = Message.objects.filter(room=OuterRef("pk"), pk__gt=OuterRef("last_read_message_id")).exclude(
            sender=user
        )
        return (
            self.as_seen_by(user)
            .annotate(
                last_message_preview=Subquery(latest.annotate(preview=_preview()).values("preview")[:1]),
                last_message_sender=Subquery(latest.annotate(author=_author()).values("author")[:1]),
                activity_at=Coalesce(Subquery(latest.values("created_at")[:1]), "created_at"),
                unread_count=_count(unread),
            )
            .order_by("-activity_at", "-pk")
        )

    def matching(self, search):
        """Rooms whose title contains search (any case); call it on `for_user()`."""
        search = (search or "").strip()
        return self.filter(title__icontains=search) if search else self


class RoomManager(models.Manager.from_queryset(RoomQuerySet)):
    def get_or_create_direct(self, user, other):
        """
        The one direct room of user and other, created if missing: returns (room, created).

        One query when the room exists. Otherwise only friends get a new room, inserted in a
        savepoint: the unique direct key makes a concurrent second insert fail, and the loser
        of that race reads and returns the winner's room.
        """
        if user.pk == other.pk:
            raise RoomError("You cannot open a chat with yourself.")
        key = direct_key(user, other)
        room = self.filter(direct_key=key).first()
        if room is not None:
            return room, False
        if not Friendship.objects.are_friends(user, other):
            raise RoomError(f"You can only chat with friends, and {other.display_name} is not your friend yet.")
        try:
            with transaction.atomic():
                room = self.create(kind=Room.Kind.DIRECT, direct_key=key, created_by=user)
                Membership.objects.bulk_create([Membership(room=room, user=user), Membership(room=room, user=other)])
                room._announce_joined([user, other])
        except IntegrityError:
            return self.get(direct_key=key), False
        return room, True

    def create_group(self, owner, name, members):
        """
        A group named name with owner and the chosen members, who must be owner's friends.

        Records who created it with whom as the room's first (system) message.
        """
        name = Room.clean_name(name)
        invited = _others(members, owner)
        if not invited:
            raise RoomError("Choose at least one friend for the group.")
        _require_friends(owner, invited)
        with transaction.atomic():
            room = self.create(kind=Room.Kind.GROUP, name=name, created_by=owner)
            Membership.objects.bulk_create(
                [Membership(room=room, user=owner, role=Membership.Role.OWNER)]
                + [Membership(room=room, user=user) for user in invited]
            )
            room._announce_joined([owner, *invited])
            Message.objects.system(room, owner, f"{owner.display_name} created the group with {_names(invited)}.")
        return room


def _others(users, user):
    """users without user and without repeats, in their given order."""
    seen = {user.pk}
    unique = []
    for other in users:
        if other.pk not in seen:
            seen.add(other.pk)
            unique.append(other)
    return unique


def _require_friends(user, others):
    """Raise RoomError naming those of others who are not user's friends (one query)."""
    friends = Friendship.objects.friends_of(user).filter(pk__in=[o.pk for o in others])
    friend_ids = set(friends.values_list("pk", flat=True))
    strangers = [o for o in others if o.pk not in friend_ids]
    if strangers:
        raise RoomError(f"You can only add your friends; {_names(strangers)} {_is_are(strangers)} not your friend.")


def _names(users):
    return get_text_list([u.display_name for u in users], "and")


def _is_are(users):
    return "is" if len(users) == 1 else "are"


class Room(models.Model):
    """
    A conversation: a direct room between two friends, or a named group.

    Invariants: a direct room has a `direct_key` ("<low user id>:<high user id>"), unique in
    the database, so each pair has at most one direct room; it has exactly those two members,
    no name, and never gains or loses members. A group has a name and no key; its members come
    and go, and each change is recorded as a system message.
    """

    NAME_MAX_LENGTH = settings.GROUP_NAME_MAX_LENGTH

    class Kind(models.TextChoices):
        DIRECT = "direct", "Direct"
        GROUP = "group", "Group"

    kind = models.CharField(max_length=6, choices=Kind.choices)
    name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)
    direct_key = models.CharField(max_length=41, null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoomManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["direct_key"], name="rooms_room_one_direct_room_per_pair"),
            models.CheckConstraint(
                condition=(
                    Q(kind="direct", direct_key__isnull=False, name="")
                    | (Q(kind="group", direct_key__isnull=True) & ~Q(name=""))
                ),
                name="rooms_room_direct_has_key_group_has_name",
            ),
        ]

    def __str__(self):
        return self.name if self.is_group else f"direct {self.direct_key}"

    def save(self, *args, **kwargs):
        self.name = without_bidi_controls(self.name)  # whoever sets it (the admin included)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("rooms:room", args=[self.pk])

    @property
    def is_direct(self):
        return self.kind == self.Kind.DIRECT

    @property
    def is_group(self):
        return self.kind == self.Kind.GROUP

    @property
    def other_avatar_url(self):
        """The other person's avatar in a direct room from `for_user()`, or "" for initials."""
        avatar = getattr(self, "other_avatar", "")
        return default_storage.url(avatar) if avatar else ""

    @classmethod
    def clean_name(cls, name):
        """Trimmed, 1..80 characters, without bidi controls (which could disguise the name)."""
        name = without_bidi_controls(name) if isinstance(name, str) else name
        return clean_text(name, what="group name", max_length=cls.NAME_MAX_LENGTH, error=RoomError)

    def direct_user_ids(self):
        """The two user ids of a direct room, read from its key."""
        low, high = self.direct_key.split(":")
        return int(low), int(high)

    def membership_of(self, user):
        """The user's membership, or RoomNotFound when the user is not a member."""
        membership = self.memberships.filter(user=user).first()
        if membership is None:
            raise RoomNotFound()
        return membership

    def members(self):
        """The members' memberships with their users: the owner first, then by joining."""
        return self.memberships.select_related("user").order_by("-role", "joined_at", "pk")

    def mark_read(self, user, up_to=None):
        """
        Move user's read mark to the room's newest message, or its newest up to message id
        up_to: it never moves back, and never past a message that exists (one query).
        """
        messages = self.messages.order_by("-pk")
        if up_to is not None:
            messages = messages.filter(pk__lte=up_to)
        newest = Subquery(messages.values("pk")[:1])
        Membership.objects.filter(room=self, user=user, last_read_message_id__lt=newest).update(
            last_read_message_id=newest
        )

    def require_can_post(self, user):
        """Only members post, and in a direct room only while the two are still friends."""
        self.membership_of(user)
        self.require_still_friends(user)

    def require_still_friends(self, user):
        """In a direct room, user and the other person must still be friends to add anything."""
        if self.is_direct:
            User = get_user_model()
            other_id = next(pk for pk in self.direct_user_ids() if pk != user.pk)
            if not Friendship.objects.are_friends(user, User(pk=other_id)):
                other = User.objects.get(pk=other_id)
                raise MessageError(
                    f"You and {other.display_name} are no longer friends, so you cannot send messages here."
                )

    # --- Groups: each change locks the room row, so concurrent changes apply one at a time.

    def _locked_membership(self, user, refused):
        if self.is_direct:
            raise RoomError(refused)
        Room.objects.select_for_update().get(pk=self.pk)
        return self.membership_of(user)

    def add_members(self, by, users):
        """by (a member) adds some of their friends; returns those who were not members yet."""
        with transaction.atomic():
            self._locked_membership(by, "People cannot be added to a direct chat; create a group instead.")
            candidates = _others(users, by)
            _require_friends(by, candidates)
            present = set(self.memberships.filter(user__in=candidates).values_list("user_id", flat=True))
            added = [user for user in candidates if user.pk not in present]
            if not added:
                raise RoomError("Choose at least one friend who is not in the group yet.")
            Membership.objects.bulk_create([Membership(room=self, user=user) for user in added])
            self._announce_joined(added)
            Message.objects.system(self, by, f"{by.display_name} added {_names(added)}.")
        return added

    def rename(self, by, name):
        """The owner renames the group, at most GROUP_RENAME_LIMIT times per window (each
        rename puts a line in front of every member)."""
        name = self.clean_name(name)
        with transaction.atomic():
            membership = self._locked_membership(by, "A direct chat cannot be renamed.")
            if membership.role != Membership.Role.OWNER:
                raise RoomError("Only the owner can rename the group.")
            if name == self.name:
                return
            if not renames.allow(self.pk):
                often = f"{settings.GROUP_RENAME_LIMIT} times {per_window(settings.GROUP_RENAME_WINDOW)}"
                raise RoomError(f"A group can be renamed at most {often}. Wait a moment and try again.")
            self.name = name
            self.save(update_fields=["name"])
            Message.objects.system(self, by, f"{by.display_name} renamed the group to “{name}”.")

    def leave(self, user):
        """
        user leaves the group. When the owner leaves, the longest-standing member becomes the
        owner. A group nobody is left in stays, with its history, for moderators.
        """
        with transaction.atomic():
            membership = self._locked_membership(user, "You cannot leave a direct chat.")
            membership.delete()
            text = f"{user.display_name} left the group."
            if membership.role == Membership.Role.OWNER:
                heir = self.memberships.select_related("user").order_by("joined_at", "pk").first()
                if heir is not None:
                    heir.role = Membership.Role.OWNER
                    heir.save(update_fields=["role"])
                    text += f" {heir.user.display_name} is now the owner."
            Message.objects.system(self, user, text)
            self._announce_left(user)

    # --- Live membership: the sockets of people who join or leave follow the room at once.

    def _announce_joined(self, users):
        """
        After commit, each user's open tabs join the room's live group, list the room and get
        its messages from this point on (`since`: the newest id before they joined), including
        any broadcast before their tabs were in the group.
        """
        since = self.messages.order_by("-pk").values_list("pk", flat=True).first() or 0
        event = {"kind": "room.joined", "room": self.pk, "since": since}
        transaction.on_commit(
            lambda: [live.broadcast(live.user_group(user.pk), event=event) for user in users], robust=True
        )

    def _announce_left(self, user):
        """After commit, the user's open tabs stop receiving the room."""
        event = {"kind": "room.left", "room": self.pk}
        transaction.on_commit(lambda: live.broadcast(live.user_group(user.pk), event=event), robust=True)


class Membership(models.Model):
    """
    A user's place in a room: unique per room and user (a database constraint).

    `last_read_message_id` is a read mark: messages with a greater id are unread. It is a
    plain id rather than a foreign key, so it keeps working if a message is removed.
    """

    class Role(models.TextChoices):
        # "owner" > "member" as strings: ordering by "-role" puts owners first.
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    # The unique (room, user) and the (user, room) indexes serve both foreign keys.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    role = models.CharField(max_length=6, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_read_message_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="rooms_membership_once_per_room"),
        ]
        indexes = [models.Index(fields=["user", "room"], name="membership_user_room_idx")]

    def __str__(self):
        return f"{self.user} in {self.room} ({self.role})"


# --- Messages -------------------------------------------------------------------------------


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
    def visible_to(self, user):
        """Messages of the rooms user is a member of: the only ones user may see or act on."""
        return self.filter(room__memberships__user=user)

    def page(self, before=None, size=None):
        """The newest `size` messages (older than id `before` if given), by keyset on the id."""
        size = size or Message.PAGE_SIZE
        messages = self.select_related("sender").order_by("-pk")
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
        messages = self.select_related("sender")
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
        return self.select_related("sender").filter(pk__gt=message_id).order_by("pk")

    def changed_between(self, first_id, last_id):
        """
        The messages with ids from first_id to last_id that were ever edited or deleted, oldest
        first: a page that reconnects gets their current state for the ones it shows.
        """
        changed = Q(edited_at__isnull=False) | Q(deleted_at__isnull=False)
        return self.select_related("sender").filter(changed, pk__gte=first_id, pk__lte=last_id).order_by("pk")


class MessageManager(models.Manager.from_queryset(MessageQuerySet)):
    def post(self, room, sender, body, client_id=None):
        """
        sender posts body in room; returns the stored message.

        The body is trimmed and must be 1 to 4,000 characters. Only members post, and in a
        direct room only while the two are friends. A client id makes the post idempotent: the
        same (sender, client id) returns the message already stored (a database constraint
        settles concurrent repeats). Over the send rate limit nothing is stored. Raises
        MessageError, or RoomNotFound for a non-member.

        A new message has `just_stored` set and is broadcast to the room after the transaction
        commits (nobody sees a message that was rolled back); `broadcast_failed` then says
        whether the channel layer could not be reached.
        """
        body = clean_text(body, what="message", max_length=Message.BODY_MAX_LENGTH)
        client_id = _clean_client_id(client_id)
        if client_id is not None and (stored := self._posted(room, sender, client_id)):
            return stored
        room.require_can_post(sender)
        return self._store(Message(room=room, sender=sender, body=body, client_id=client_id))

    def post_file(self, room, sender, upload, client_id=None):
        """
        sender sends an uploaded file in room: a message of kind image or file; returns it.

        The rules of `post()` hold (members only, friends in a direct room, an idempotent
        client id, the send rate limit), checked before the upload is read, and those of
        `Attachment.from_upload`: at most ATTACHMENT_MAX_BYTES, and a file named as a picture
        must be a valid PNG, JPEG, GIF or WebP (it gets a thumbnail). The body is the file's
        name, so the room list and search see it. Raises MessageError, or RoomNotFound for a
        non-member.
        """
        client_id = _clean_client_id(client_id)
        if client_id is not None and (stored := self._posted(room, sender, client_id)):
            return stored
        room.require_can_post(sender)
        try:
            attachment = Attachment.from_upload(upload)
        except AttachmentError as error:
            raise MessageError(str(error), code="attachment") from None
        message = Message(
            room=room,
            sender=sender,
            client_id=client_id,
            kind=attachment.kind,
            body=attachment.name,
            file=attachment.file,
            file_size=attachment.size,
            thumbnail=attachment.thumbnail,
            thumbnail_width=attachment.thumbnail_width,
            thumbnail_height=attachment.thumbnail_height,
        )
        return self._store(message)

    def _store(self, message):
        """Count the send against the rate limit, store message and broadcast it after commit."""
        if not allow_send(message.sender_id):
            raise MessageError(rate_limit_message(), code="rate_limited")
        try:
            with transaction.atomic():
                message.save()
                message.just_stored = True
                transaction.on_commit(message.broadcast, robust=True)
                return message
        except IntegrityError:
            message.delete_files()  # written to the storage before the insert failed
            stored = self._posted(message.room, message.sender, message.client_id) if message.client_id else None
            if stored is None:
                raise
            return stored

    def _posted(self, room, sender, client_id):
        stored = self.select_related("sender").filter(sender=sender, client_id=client_id).first()
        if stored is not None and stored.room_id != room.pk:
            raise MessageError("This client id was already used for a message in another room.")
        return stored

    def system(self, room, actor, text):
        """A system message recording what actor did (joins, leaves, renames), sent live after commit."""
        message = self.create(room=room, sender=actor, kind=Message.Kind.SYSTEM, body=text)
        transaction.on_commit(message.broadcast, robust=True)
        return message

    def search(self, user, text, offset=0, size=None):
        """
        user's search through the messages of the rooms they are still in (neither deleted
        messages nor system lines): PostgreSQL full-text search, best match first, else every
        word of text in any case, newest first (see rooms/search.py). One query for a page of
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
        if text_search.uses_full_text(connections[self.db], text):
            found = text_search.full_text(found, text)
        else:
            found = text_search.plain(found, text)
        rows = list(found[offset : offset + size + 1])
        for message in rows:
            if hasattr(message, "headline"):
                message.snippet = text_search.headline_html(message.headline)
            else:
                message.snippet = text_search.highlight_html(message.body, text)
        return ListPage(items=rows[:size], next=offset + size if len(rows) > size else None)


def _clean_client_id(client_id):
    if client_id in (None, ""):
        return None
    try:
        return uuid.UUID(str(client_id))
    except ValueError:
        raise MessageError("The client id must be a UUID.") from None


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
        TEXT = "text", "Text"
        IMAGE = "image", "Image"
        FILE = "file", "File"
        SYSTEM = "system", "System"

    # The (room, -id) index serves the foreign key too.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages", db_index=False)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(max_length=BODY_MAX_LENGTH)
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

    objects = MessageManager()

    class Meta:
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
        ]

    # Set by `Message.objects.post` on a message it has just stored, and by `broadcast`.
    just_stored = False
    broadcast_failed = False

    def __str__(self):
        return f"#{self.pk} in {self.room_id}: {self.body[:40]}"

    def get_absolute_url(self):
        """The room, opened at this message (favorites and search results link here)."""
        return f"{reverse('rooms:room', args=[self.room_id])}?around={self.pk}#message-{self.pk}"

    @property
    def is_system(self):
        return self.kind == self.Kind.SYSTEM

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
        """The message as the room list shows it (as `_preview()` says it in SQL)."""
        if self.deleted_at is not None:
            return "Message deleted"
        if self.is_image:
            return f"📷 {self.body}"
        if self.is_file:
            return f"📎 {self.body}"
        return self.body

    # --- Changes: each one is an update conditional on the message not being deleted yet, so
    # an edit racing a delete can never bring a body back; pages are told after commit.

    def require_can_edit(self, by):
        """
        Only its sender edits a message: a text message, not deleted, within EDIT_WINDOW of
        sending it, and in a direct room while the two are still friends. Raises
        MessageError, or MessageNotFound for a non-member.
        """
        self._require_member(by)
        if self.sender_id != by.pk or self.is_system:
            raise MessageError("You can only edit your own messages.", code="not_yours")
        if self.deleted_at is not None:
            raise MessageError("This message was deleted.", code="deleted")
        if self.kind != self.Kind.TEXT:
            raise MessageError("Pictures and files cannot be edited: delete it and send another.", code="not_text")
        if timezone.now() > self.edit_deadline:
            minutes = int(self.EDIT_WINDOW.total_seconds() // 60)
            raise MessageError(f"Messages can be edited for {minutes} minutes after sending.", code="too_late")
        self.room.require_still_friends(by)

    def edit(self, by, body):
        """
        by changes the text of this message (see `require_can_edit`); it is marked edited and
        replaced live on every open page of the room. An edit counts against the send rate
        limit. Returns whether the text changed.
        """
        body = clean_text(body, what="message", max_length=self.BODY_MAX_LENGTH)
        self.require_can_edit(by)
        if body == self.body:
            return False
        if not allow_send(by.pk):
            raise MessageError(rate_limit_message(), code="rate_limited")
        edited_at = timezone.now()
        with transaction.atomic():
            if not Message.objects.filter(pk=self.pk, deleted_at__isnull=True).update(body=body, edited_at=edited_at):
                raise MessageError("This message was deleted.", code="deleted")
            self.body, self.edited_at = body, edited_at
            transaction.on_commit(self.broadcast_change, robust=True)
        return True

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
            raise MessageError("You can only delete your own messages.", code="not_yours")

    def soft_delete(self, by):
        """
        by deletes this message (see `require_can_delete`). The body is blanked and the files
        leave the storage for good; the message keeps its place, shows as deleted, and is
        replaced live on every open page of the room. Returns False when it was deleted
        already.
        """
        self.require_can_delete(by)
        files = self.stored_files()
        blank = {"body": "", "file": "", "file_size": None, "thumbnail": "", "thumbnail_width": None, "thumbnail_height": None}
        deleted_at = timezone.now()
        with transaction.atomic():
            if not Message.objects.filter(pk=self.pk, deleted_at__isnull=True).update(deleted_at=deleted_at, **blank):
                return False
            for field, value in blank.items():
                setattr(self, field, value)
            self.deleted_at = deleted_at
            transaction.on_commit(lambda: _delete_files(files), robust=True)
            transaction.on_commit(self.broadcast_change, robust=True)
        return True

    def _require_member(self, user):
        if not Membership.objects.filter(room_id=self.room_id, user=user).exists():
            raise MessageNotFound()

    def stored_files(self):
        """The names of this message's files in the attachments storage."""
        return [field.name for field in (self.file, self.thumbnail) if field]

    def delete_files(self):
        _delete_files(self.stored_files())

    # --- Live ---------------------------------------------------------------------------------

    def broadcast(self):
        """Send this message to every open tab of the room's members, rendered once for all."""
        self.broadcast_failed = not live.broadcast(live.room_group(self.room_id), frames.message(self))

    def broadcast_change(self):
        """
        Replace this message where it is shown, after an edit or a delete: on every open tab
        of the room, and in the room list when it is the room's latest message.
        """
        latest = not Message.objects.filter(room_id=self.room_id, pk__gt=self.pk).exists()
        live.broadcast(live.room_group(self.room_id), frames.message_changed(self, latest=latest))


def _delete_files(names):
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
        transaction.on_commit(lambda: _delete_files(files), robust=True)


# --- Favorites ------------------------------------------------------------------------------


class FavoriteManager(models.Manager):
    def add(self, user, message):
        """
        user stars message, which must be in a room they are a member of (MessageNotFound
        otherwise) and not deleted. Starring twice keeps one favorite. Returns the favorite.
        """
        message._require_member(user)
        if message.deleted_at is not None:
            raise MessageError("This message was deleted.", code="deleted")
        favorite, _ = self.get_or_create(user=user, message=message)
        return favorite

    def remove(self, user, message):
        """user unstars message (nothing happens if it was not starred)."""
        self.filter(user=user, message=message).delete()

    def page_for(self, user, before=None, size=None):
        """
        user's favorites in the rooms they are still in, newest first, a page of `size` older
        than favorite id `before`: one query whatever the number, each favorite with its
        message, the message's sender and the `room_title` user sees.
        """
        size = size or Favorite.PAGE_SIZE
        favorites = (
            self.filter(user=user, message__room__memberships__user=user)
            .select_related("message__sender")
            .annotate(room_title=_room_title(user, "message__room_id"))
            .order_by("-pk")
        )
        if before is not None:
            favorites = favorites.filter(pk__lt=before)
        rows = list(favorites[: size + 1])
        return ListPage(items=rows[:size], next=rows[size - 1].pk if len(rows) > size else None)

    def starred_in(self, user, room_id):
        """The ids of the messages of a room that user starred (the chat page marks them)."""
        starred = self.filter(user=user, message__room_id=room_id).order_by("message_id")
        return list(starred.values_list("message_id", flat=True))


class Favorite(models.Model):
    """
    A message a user starred. Invariants: at most once per user and message (a unique
    constraint); only a message of one of the user's rooms, not deleted, is starred
    (`Favorite.objects.add`). A favorite goes with its message; one of a message deleted
    later shows it as deleted.
    """

    PAGE_SIZE = 50

    # The unique (user, message) and the (user, -id) indexes serve the user's foreign key.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites", db_index=False
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FavoriteManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "message"], name="rooms_favorite_once_per_user"),
        ]
        indexes = [models.Index(fields=["user", "-id"], name="favorite_user_latest_idx")]

    def __str__(self):
        return f"{self.user} starred #{self.message_id}"


# --- Reports --------------------------------------------------------------------------------


class ReportError(RoomError):
    """A report was refused (own message, deleted message, reported before...); nothing stored."""


class ReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Report.Status.OPEN)

    def resolve(self, by, status):
        """A moderator closes the open ones among these reports as status; returns how many."""
        from django.utils import timezone

        return self.open().update(status=status, resolved_by=by, resolved_at=timezone.now())


class ReportManager(models.Manager.from_queryset(ReportQuerySet)):
    def require_can_report(self, message, reporter):
        """
        Raise why reporter cannot report message, if they cannot: only members of its room
        report it (RoomNotFound otherwise, the answer for any room one is not in), not their
        own message, a system line or a deleted message, and only once (ReportError).
        """
        message.room.membership_of(reporter)
        if message.is_system:
            raise ReportError("System lines cannot be reported.", code="system")
        if message.deleted_at is not None:
            raise ReportError("This message was deleted.", code="deleted")
        if message.sender_id == reporter.pk:
            raise ReportError("You cannot report your own message.", code="own")
        if self.filter(message=message, reporter=reporter).exists():
            raise ReportError("You have already reported this message.", code="duplicate")

    def file(self, message, reporter, reason, note=""):
        """
        reporter reports message to the moderators, for reason (a `Report.Reason`) with an
        optional note of up to 500 characters; returns the report. The rules are those of
        `require_can_report()`; the database keeps it to one report per person and message,
        also under a race.
        """
        self.require_can_report(message, reporter)
        if reason not in Report.Reason.values:
            raise ReportError("Choose a reason from the list.", code="reason")
        note = (note or "").replace("\x00", "").strip()
        if len(note) > Report.NOTE_MAX_LENGTH:
            raise ReportError(f"The note can be at most {Report.NOTE_MAX_LENGTH} characters.", code="note")
        try:
            with transaction.atomic():
                return self.create(message=message, reporter=reporter, reason=reason, note=note)
        except IntegrityError:
            raise ReportError("You have already reported this message.", code="duplicate") from None


class Report(models.Model):
    """
    A member's report of a message to the moderators: a reason from a short list and a note.

    Invariants: a person reports a message at most once (a unique constraint); a report stays
    open until a moderator resolves it (dismissed, message deleted or sender banned), which
    records who resolved it and when. Reports go with their message when it is purged.
    """

    NOTE_MAX_LENGTH = settings.REPORT_NOTE_MAX_LENGTH

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        HARASSMENT = "harassment", "Harassment or bullying"
        HATE = "hate", "Hate speech"
        EXPLICIT = "explicit", "Sexual or violent content"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"
        MESSAGE_DELETED = "deleted", "Message deleted"
        SENDER_BANNED = "banned", "Sender banned"

    # The unique (message, reporter) index serves the message's foreign key too.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports", db_index=False)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_filed")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    note = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ReportManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="rooms_report_once_per_person"),
        ]
        indexes = [models.Index(fields=["status", "-id"], name="report_status_latest_idx")]

    def __str__(self):
        return f"Report #{self.pk} of message #{self.message_id} ({self.get_reason_display()})"

    @property
    def is_open(self):
        return self.status == self.Status.OPEN
