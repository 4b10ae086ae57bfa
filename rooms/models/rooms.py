"""Rooms and their members: the invariants, the queries the pages need, and the rules."""

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import connections, models
from django.db.models import BooleanField, Case, Exists, F, Func, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, JSONObject, Substr
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core import formatting
from core.pairs import ordered_pair
from core.text import clean_text, without_bidi_controls
from friends.models import Friendship

from ..errors import MessageError, RoomError, RoomNotFound

PREVIEW_LENGTH = 120
UNREAD_TOTAL_MOST = 999  # the title and the Chats link say "999+" beyond


def direct_key(a, b):
    """The one spelling of a pair of users: "<low id>:<high id>"."""
    return "%d:%d" % ordered_pair(a.pk, b.pk)


def preview_text(kind, body, deleted):
    """
    A message as the room list shows it, on load and live alike: that it was deleted, or its
    first PREVIEW_LENGTH characters ("…" when cut) without the formatting marks, a picture or a
    file by its name.
    """
    if deleted:
        return _("Message deleted")
    prefix = {"image": "📷 ", "file": "📎 "}.get(kind, "")
    if kind == "text":
        body = formatting.plain(body)
    return Truncator(prefix + (body or "")).chars(PREVIEW_LENGTH)


def _count(queryset):
    """A correlated subquery counting the rows of queryset: `SELECT COUNT(id) ... WHERE ...`."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=models.IntegerField())


def names(users):
    """People as a sentence names them, in the active language: "Alice, Bob and Carol" /
    "Alice、Bob和Carol"."""
    return join_names([u.display_name for u in users])


def join_names(shown):
    shown = [str(name) for name in shown]
    if len(shown) < 2:
        return "".join(shown)
    separator = pgettext("between the names of a list of people", ", ")
    return _("%(names)s and %(last)s") % {"names": separator.join(shown[:-1]), "last": shown[-1]}


def shown_name(prefix=""):
    """The name a person is shown under, as a query expression (`prefix`: the path to the user,
    "sender__"): the nickname, or "Deleted user" in the reader's language (not the one stored)."""
    return Case(
        When(**{f"{prefix}deleted_at__isnull": False}, then=Value(_("Deleted user"))),
        default=F(f"{prefix}nickname"),
        output_field=models.CharField(),
    )


# Ids no user or room has (ids count up from 1), stood in for while of_member's query is
# compiled; {(database, active): (sql, params)}.
_USER_MARK, _ROOM_MARK = -2_000_000_011, -2_000_000_012
_of_member_sql = {}


class RoomQuerySet(models.QuerySet):
    def with_member(self, user, *, active=False):
        """Rooms the user is a member of: the one membership rule, as a filter (`active`: and
        only while the user's account is active, asked in the same join)."""
        if active:
            return self.filter(memberships__user=user, memberships__user__is_active=True)
        return self.filter(memberships__user=user)

    def of_member(self, user, room_id, *, active=False):
        """The room with id room_id if user is a member of it (`active`: with an active
        account); RoomNotFound otherwise. Every message sent asks it: the query is compiled
        once per process from `with_member` and run with each call's ids (`_compiled`)."""
        room_id = self._as_id(room_id)
        if room_id is None:  # past the ids' range: no room has it
            raise RoomNotFound()
        sql, params = self._compiled(active, {_USER_MARK: user.pk, _ROOM_MARK: room_id})
        room = next(iter(self.raw(sql, params)), None)
        if room is None:
            raise RoomNotFound()
        room.checked_member_id = user.pk  # require_can_post need not ask again
        return room

    def _as_id(self, value):
        """value as a filter on the primary key takes it (an int, or the field's ValueError),
        or None when it is outside the range the database's ids can hold: a filter finds
        nothing there, where raw SQL would fail."""
        field = self.model._meta.pk
        value = field.get_prep_value(value)
        low, high = connections[self.db].ops.integer_field_range(field.get_internal_type())
        return value if (low is None or low <= value) and (high is None or value <= high) else None

    def _compiled(self, active, values):
        """
        of_member's SQL, compiled by the ORM once per database and `active`, for stand-in ids
        (`_USER_MARK`, `_ROOM_MARK`), and its parameters with `values` put in their place.
        Building the queryset and compiling its joins was 0.4-0.5 ms of CPU a message, running
        it a tenth of that.
        """
        key = (self.db, active)
        if key not in _of_member_sql:
            rooms = self.model.objects.using(self.db).with_member(get_user_model()(pk=_USER_MARK), active=active)
            query = rooms.filter(pk=_ROOM_MARK)[:1].query
            _of_member_sql[key] = query.get_compiler(using=self.db).as_sql()
        sql, params = _of_member_sql[key]
        return sql, [values.get(param, param) for param in params]

    def as_seen_by(self, user):
        """
        The user's rooms, each annotated with what its header shows, in one query:

        - `title`: the other person's nickname for a direct room, the name for a group;
        - `other_user_id`, `other_avatar`: the other person in a direct room (its avatar file);
        - `member_count`;
        - `role`, `last_read_message_id`, `muted`: the user's own membership.
        """
        others = Membership.objects.filter(room=OuterRef("pk")).exclude(user=user).annotate(shown=shown_name("user__"))
        return (
            self.with_member(user)
            # The same join as the filter above: this user's membership row.
            .annotate(
                last_read_message_id=F("memberships__last_read_message_id"),
                role=F("memberships__role"),
                muted=F("memberships__muted"),
            )
            .annotate(
                title=Case(
                    When(
                        kind=Room.Kind.DIRECT,
                        then=Coalesce(Subquery(others.values("shown")[:1]), Value(_("Deleted user"))),
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

        - `last_message`: what the list shows of the latest message (its kind, the start of
          its body, whether it was deleted, who wrote it), None without messages; read it as
          `last_message_preview` and `last_message_sender`;
        - `activity_at`: the last message's time, else the room's creation;
        - `unread_count`: messages by others after the user's read mark;
        - `mentioned_unread`: whether one of those mentions the user (the list's @ marker).
        """
        from .messages import Message

        latest = Message.objects.filter(room=OuterRef("pk")).order_by("-pk")
        shown = JSONObject(
            kind="kind",
            body=Substr("body", 1, PREVIEW_LENGTH + 1),
            deleted=Case(When(deleted_at__isnull=False, then=Value(True)), default=Value(False), output_field=BooleanField()),
            sender=Case(When(kind=Message.Kind.SYSTEM, then=Value(None)), default=shown_name("sender__")),
            event=F("event"),
        )
        unread = Message.objects.filter(room=OuterRef("pk"), pk__gt=OuterRef("last_read_message_id")).exclude(
            sender=user
        )
        mentioned = Message.mentions.through.objects.filter(
            user=user,
            message__room=OuterRef("pk"),
            message__pk__gt=OuterRef("last_read_message_id"),
            message__deleted_at__isnull=True,
        )
        return (
            self.as_seen_by(user)
            .annotate(
                last_message=Subquery(latest.annotate(shown=shown).values("shown")[:1], output_field=models.JSONField()),
                activity_at=Coalesce(Subquery(latest.values("created_at")[:1]), "created_at"),
                unread_count=_count(unread),
                mentioned_unread=Exists(mentioned),
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
        Only friends who can log in get a new room (`rooms.actions.open_direct_room`).
        """
        from ..actions import open_direct_room

        return open_direct_room(user, other)

    def create_group(self, owner, name, members):
        """A group named name with owner and the chosen friends (`rooms.actions.create_group`)."""
        from ..actions import create_group

        return create_group(owner, name, members)


class Room(models.Model):
    """
    A conversation: a direct room between two friends, or a named group.

    Invariants: a direct room has a `direct_key` ("<low user id>:<high user id>"), unique in
    the database, so each pair has at most one direct room; it has exactly those two members,
    no name, and never gains or loses members. A group has a name and no key; its members come
    and go, and each change is recorded as a system message. Names hold no bidi controls.
    """

    NAME_MAX_LENGTH = settings.GROUP_NAME_MAX_LENGTH

    class Kind(models.TextChoices):
        DIRECT = "direct", gettext_lazy("Direct")
        GROUP = "group", gettext_lazy("Group")

    kind = models.CharField(max_length=6, choices=Kind.choices)
    name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)
    direct_key = models.CharField(max_length=41, null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoomManager()

    class Meta:
        app_label = "rooms"
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

    @property
    def last_message_preview(self):
        """From `for_user()`: the latest message as the list shows it, or None."""
        shown = getattr(self, "last_message", None)
        if not shown:
            return None
        if shown["kind"] == "system" and shown.get("event") and not shown["deleted"]:
            from ..system import describe

            event = shown["event"]
            if isinstance(event, str):  # SQLite's JSON_OBJECT nests a JSON column as its text
                event = json.loads(event)
            return Truncator(describe(event, shown["body"])).chars(PREVIEW_LENGTH)
        return preview_text(shown["kind"], shown["body"], shown["deleted"])

    @property
    def last_message_sender(self):
        """From `for_user()`: who wrote the latest message (None for a system line)."""
        shown = getattr(self, "last_message", None)
        return shown["sender"] if shown else None

    @classmethod
    def clean_name(cls, name):
        """Trimmed, 1..NAME_MAX_LENGTH characters, without bidi controls (which could disguise it)."""
        name = without_bidi_controls(name) if isinstance(name, str) else name
        return clean_text(name, what=gettext_lazy("group name"), max_length=cls.NAME_MAX_LENGTH, error=RoomError)

    def direct_user_ids(self):
        """The two user ids of a direct room, read from its key."""
        low, high = self.direct_key.split(":")
        return int(low), int(high)

    def membership_of(self, user):
        """The user's membership, or RoomNotFound when the user is not a member."""
        return Membership.objects.of(user, self.pk)

    def members(self):
        """The members' memberships with their users: the owner first, then by joining."""
        return self.memberships.select_related("user").order_by("-role", "joined_at", "pk")

    def mark_read(self, user, up_to=None):
        """
        Move user's read mark to the room's newest message, or its newest up to message id
        up_to: it never moves back, and never past a message that exists (one query). Returns
        whether it moved (`rooms.actions.mark_read` tells the room's pages: "Seen").
        """
        messages = self.messages.order_by("-pk")
        if up_to is not None:
            messages = messages.filter(pk__lte=up_to)
        newest = Subquery(messages.values("pk")[:1])
        return Membership.objects.filter(room=self, user=user, last_read_message_id__lt=newest).update(
            last_read_message_id=newest
        )

    def read_marks(self, reader):
        """
        How far the other members read, as the reader may see it ("Seen"): one query, none of
        the members who hide their activity, nothing at all for a reader who hides theirs.
        """
        if reader.hide_activity:
            return []
        others = self.memberships.exclude(user=reader).filter(user__hide_activity=False)
        return [
            {"user": m["user_id"], "name": m["shown"], "up_to": m["last_read_message_id"]}
            for m in others.annotate(shown=shown_name("user__"))
            .order_by("user__nickname")
            .values("user_id", "shown", "last_read_message_id")
        ]

    def require_can_post(self, user):
        """Only members post, and in a direct room only while the two are still friends."""
        if getattr(self, "checked_member_id", None) != user.pk:  # not from of_member(user, ...)
            self.membership_of(user)
        self.require_still_friends(user)

    def require_still_friends(self, user):
        """In a direct room, user and the other person must still be friends to add anything."""
        if self.is_direct:
            User = get_user_model()
            other_id = next(pk for pk in self.direct_user_ids() if pk != user.pk)
            if not Friendship.objects.are_friends(user, User(pk=other_id)):
                other = User.objects.get(pk=other_id)
                if other.is_deleted:
                    raise MessageError(_("This account was deleted: the chat stays for you to read, but no one will answer."))
                raise MessageError(
                    _("You and %(name)s are no longer friends, so you cannot send messages here.") % {"name": other.display_name}
                )

    # --- Groups: the changes are rooms.actions' (each locks the room row, so concurrent
    # changes apply one at a time); these are the entry points other code calls.

    def add_members(self, by, users):
        from ..actions import add_members

        return add_members(self, by, users)

    def rename(self, by, name):
        from ..actions import rename_group

        return rename_group(self, by, name)

    def leave(self, user):
        from ..actions import leave_group

        return leave_group(self, user)


class MembershipQuerySet(models.QuerySet):
    def of(self, user, room_id, not_found=RoomNotFound):
        """user's membership of room room_id: the one membership rule; `not_found` otherwise."""
        membership = self.filter(room_id=room_id, user=user).first()
        if membership is None:
            raise not_found()
        return membership

    def room_ids_of(self, user):
        return self.filter(user=user).values_list("room_id", flat=True)

    def room_ids_of_each(self, users):
        """{user id: the ids of their rooms} for each of users (one query for all of them)."""
        found = {user.pk: [] for user in users}
        for user_id, room_id in self.filter(user_id__in=list(found)).values_list("user_id", "room_id"):
            found[user_id].append(room_id)
        return found

    def muted_room_ids(self, user):
        return list(self.filter(user=user, muted=True).values_list("room_id", flat=True))

    def unread_total(self, user, most=UNREAD_TOTAL_MOST):
        """
        Messages by others after user's read marks, in the rooms user has not muted (the tab
        title and the Chats link show it), counted up to `most`: one query, bounded whatever
        the backlog.
        """
        from .messages import Message

        unread = Message.objects.filter(
            room__memberships__user=user,
            room__memberships__muted=False,
            pk__gt=F("room__memberships__last_read_message_id"),
        ).exclude(sender=user)
        return unread.values("pk")[:most].count()


class Membership(models.Model):
    """
    A user's place in a room: unique per room and user (a database constraint).

    `last_read_message_id` is a read mark: messages with a greater id are unread. It is a
    plain id rather than a foreign key, so it keeps working if a message is removed. A muted
    room (`muted`, the member's own choice) still counts its unread messages in the room list,
    but not in the tab title, the Chats link or desktop notifications.
    """

    class Role(models.TextChoices):
        # "owner" > "member" as strings: ordering by "-role" puts owners first.
        OWNER = "owner", gettext_lazy("Owner")
        MEMBER = "member", gettext_lazy("Member")

    # The unique (room, user) and the (user, room) indexes serve both foreign keys.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    role = models.CharField(max_length=6, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_read_message_id = models.BigIntegerField(default=0)
    muted = models.BooleanField(default=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        app_label = "rooms"
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="rooms_membership_once_per_room"),
        ]
        indexes = [models.Index(fields=["user", "room"], name="membership_user_room_idx")]

    def __str__(self):
        return f"{self.user} in {self.room} ({self.role})"
