"""
The room state changes (Zulip's `actions` shape): each checks the rules (on the models),
changes the database in one transaction, records what happened (a system line), and publishes
to the open pages after the commit (`realtime.publish_on_commit`): nobody sees a message, an
edit or a member that was rolled back.

The model methods other code calls (`Room.objects.get_or_create_direct`, `Message.objects.post`,
`message.edit`...) hand over to these.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import metrics
from core.counters import RateLimit, per_window
from core.emoji import REACTIONS
from core.text import clean_text
from friends.models import Friendship
from realtime import registry
from realtime.publish import per_language, publish, publish_on_commit, user_group

from . import frames, system
from .attachments import Attachment, AttachmentError
from .errors import MessageError, RoomError, RoomNotFound
from .groups import room_group
from .models import Membership, Message, Reaction, Room, clean_client_id, delete_stored_files, direct_key, names
from .signals import message_deleted, messages_deleted

log = logging.getLogger(__name__)

sends = RateLimit("send", "CHAT_RATE_LIMIT", "CHAT_RATE_WINDOW")
renames = RateLimit("rename", "GROUP_RENAME_LIMIT", "GROUP_RENAME_WINDOW")


def rate_limit_message():
    return _(
        "You are sending messages too fast: at most %(most)s every %(seconds)s seconds. "
        "Wait a moment and send it again."
    ) % {"most": settings.CHAT_RATE_LIMIT, "seconds": f"{settings.CHAT_RATE_WINDOW:g}"}


# --- Rooms ----------------------------------------------------------------------------------


def open_direct_room(user, other):
    """
    The one direct room of user and other, created if missing: returns (room, created).

    One query when the room exists. Otherwise only friends who can log in get a new room,
    inserted in a savepoint: the unique direct key makes a concurrent second insert fail, and
    the loser of that race reads and returns the winner's room.
    """
    if user.pk == other.pk:
        raise RoomError(_("You cannot open a chat with yourself."))
    key = direct_key(user, other)
    room = Room.objects.filter(direct_key=key).first()
    if room is not None:
        return room, False
    if not other.is_active or not Friendship.objects.are_friends(user, other):
        raise RoomError(
            _("You can only chat with friends, and %(name)s is not your friend yet.") % {"name": other.display_name}
        )
    try:
        with transaction.atomic():
            room = Room.objects.create(kind=Room.Kind.DIRECT, direct_key=key, created_by=user)
            Membership.objects.bulk_create([Membership(room=room, user=user), Membership(room=room, user=other)])
            _announce_joined(room, [user, other])
    except IntegrityError:
        return Room.objects.get(direct_key=key), False
    return room, True


def create_group(owner, name, members):
    """
    A group named name with owner and the chosen members, who must be owner's friends;
    records who created it with whom as the room's first (system) message.
    """
    name = Room.clean_name(name)
    invited = _others(members, owner)
    if not invited:
        raise RoomError(_("Choose at least one friend for the group."))
    _require_friends(owner, invited)
    with transaction.atomic():
        room = Room.objects.create(kind=Room.Kind.GROUP, name=name, created_by=owner)
        Membership.objects.bulk_create(
            [Membership(room=room, user=owner, role=Membership.Role.OWNER)]
            + [Membership(room=room, user=user) for user in invited]
        )
        _announce_joined(room, [owner, *invited])
        post_system_line(room, owner, system.created(owner, invited))
    return room


def add_members(room, by, users):
    """by (a member) adds some of their friends; returns those who were not members yet."""
    with transaction.atomic():
        _lock_group(room, by, _("People cannot be added to a direct chat; create a group instead."))
        candidates = _others(users, by)
        _require_friends(by, candidates)
        present = set(room.memberships.filter(user__in=candidates).values_list("user_id", flat=True))
        added = [user for user in candidates if user.pk not in present]
        if not added:
            raise RoomError(_("Choose at least one friend who is not in the group yet."))
        Membership.objects.bulk_create([Membership(room=room, user=user) for user in added])
        _announce_joined(room, added)
        post_system_line(room, by, system.added(by, added))
    return added


def rename_group(room, by, name):
    """The owner renames the group, at most GROUP_RENAME_LIMIT times per window (each rename
    puts a line in front of every member)."""
    name = room.clean_name(name)
    with transaction.atomic():
        membership = _lock_group(room, by, _("A direct chat cannot be renamed."))
        if membership.role != Membership.Role.OWNER:
            raise RoomError(_("Only the owner can rename the group."))
        if name == room.name:
            return
        if not renames.allow(room.pk):
            raise RoomError(
                ngettext(
                    "A group can be renamed at most %(count)d time %(window)s. Wait a moment and try again.",
                    "A group can be renamed at most %(count)d times %(window)s. Wait a moment and try again.",
                    settings.GROUP_RENAME_LIMIT,
                )
                % {"count": settings.GROUP_RENAME_LIMIT, "window": per_window(settings.GROUP_RENAME_WINDOW)}
            )
        room.name = name
        room.save(update_fields=["name"])
        post_system_line(room, by, system.renamed(by, name))


def leave_group(room, user):
    """
    user leaves the group. When the owner leaves, the longest-standing member becomes the
    owner (returned as a membership; None otherwise). A group nobody is left in stays, with
    its history, for moderators.
    """
    with transaction.atomic():
        membership = _lock_group(room, user, _("You cannot leave a direct chat."))
        membership.delete()
        heir = None
        if membership.role == Membership.Role.OWNER:
            heir = room.memberships.select_related("user").order_by("joined_at", "pk").first()
            if heir is not None:
                heir.role = Membership.Role.OWNER
                heir.save(update_fields=["role"])
        post_system_line(room, user, system.left(user, heir.user if heir is not None else None))
        publish_on_commit(user_group(user.pk), event={"kind": "room.left", "room": room.pk})
    return heir


def set_muted(room, user, muted):
    """Mute or unmute room for user, a member (RoomNotFound otherwise): their choice alone."""
    updated = Membership.objects.filter(room=room, user=user).update(muted=bool(muted))
    if not updated:
        raise RoomNotFound()


def _lock_group(room, user, refused):
    """Each change to a group locks its row, so concurrent changes apply one at a time;
    returns user's membership (RoomNotFound for anyone else)."""
    if room.is_direct:
        raise RoomError(refused)
    Room.objects.select_for_update().get(pk=room.pk)
    return room.membership_of(user)


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
    friend_ids = set(Friendship.objects.friends_of(user).filter(pk__in=[o.pk for o in others]).values_list("pk", flat=True))
    strangers = [o for o in others if o.pk not in friend_ids]
    if strangers:
        raise RoomError(
            ngettext(
                "You can only add your friends; %(people)s is not your friend.",
                "You can only add your friends; %(people)s are not your friends.",
                len(strangers),
            )
            % {"people": names(strangers)}
        )


def _announce_joined(room, users):
    """
    After commit, each user's open tabs join the room's live group, list the room and get its
    messages from this point on (`since`: the newest id before they joined), including any
    published before their tabs were in the group.
    """
    since = room.messages.order_by("-pk").values_list("pk", flat=True).first() or 0
    event = {"kind": "room.joined", "room": room.pk, "since": since}
    registry.groups_changed([user.pk for user in users])  # memberships made in bulk: no signal
    for user in users:
        publish_on_commit(user_group(user.pk), event=event)


# --- Messages -------------------------------------------------------------------------------


def post_message(room, sender, body, client_id=None, reply_to=None):
    """
    sender posts body in room; returns the stored message.

    The body is trimmed and must be 1 to MESSAGE_MAX_LENGTH characters. Only members post,
    and in a direct room only while the two are friends. A reply (`reply_to`: a message or
    its id) answers a message of the same room that is still there, not a system line. A
    client id makes the post idempotent: the same (sender, client id) returns the message
    already stored, whatever changed since (the database's constraint finds it; a repeat
    refused is looked up before the refusal is said). Over the send rate limit nothing is
    stored. Raises MessageError, or RoomNotFound for a non-member.

    The text is rendered once here (core.formatting), with the @-mentions of the room's
    members, who are stored as `message.mentions`.

    A new message has `just_stored` set and is published to the room after the transaction
    commits; `broadcast_failed` then says whether the channel layer could not be reached.
    """
    body = clean_text(body, what=_("message"), max_length=Message.BODY_MAX_LENGTH, error=MessageError)
    client_id = clean_client_id(client_id)
    # No query for the client id before every post: a repeat is rare, and the insert's unique
    # constraint finds it (`_store`); only a repeat refused is looked up here.
    try:
        room.require_can_post(sender)
        message = Message(room=room, sender=sender, body=body, client_id=client_id, reply_to=_replied(room, reply_to))
        mentioned = message.render_body(_mentionable(room, body))
        return _store(message, mentioned=[pk for pk in mentioned if pk != sender.pk])
    except MessageError:
        if client_id is not None and (stored := Message.objects.posted(room, sender, client_id)):
            return stored
        raise


def _replied(room, reply_to):
    """The message a reply answers: one of room's, not deleted, not a system line (else MessageError)."""
    if reply_to in (None, ""):
        return None
    if isinstance(reply_to, Message):
        original = reply_to
    else:
        try:
            reply_id = int(reply_to)
        except (TypeError, ValueError):
            raise MessageError(_("The message to reply to must be a message id."), code="reply") from None
        original = Message.objects.filter(pk=reply_id).select_related("sender").first() if 0 < reply_id < 2**63 else None
    if original is None or original.room_id != room.pk:
        raise MessageError(_("You can only reply to a message of this room."), code="reply")
    if original.deleted_at is not None or original.is_system:
        raise MessageError(_("That message was deleted, so it cannot be replied to."), code="reply")
    return original


def _mentionable(room, body):
    """The room's members by lower-cased username (only when the text has an @ in it)."""
    if "@" not in body:
        return {}
    members = Membership.objects.filter(room=room).values_list("user__username", "user_id")
    return {username.lower(): user_id for username, user_id in members}


def post_file(room, sender, upload, client_id=None):
    """
    sender sends an uploaded file in room: a message of kind image or file; returns it.

    The rules of `post_message` hold (members only, friends in a direct room, an idempotent
    client id, the send rate limit), checked before the upload is read, and those of
    `Attachment.from_upload`: at most ATTACHMENT_MAX_BYTES, and a file named as a picture
    must be a valid PNG, JPEG, GIF or WebP (it gets a thumbnail). The body is the file's
    name, so the room list and search see it.
    """
    client_id = clean_client_id(client_id)
    if client_id is not None and (stored := Message.objects.posted(room, sender, client_id)):
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
    return _store(message)


def post_system_line(room, actor, event):
    """
    A system line recording what actor did (an event of rooms.system: a creation, people
    added, a rename, a leave), published after commit. It is said in each reader's language;
    the body keeps it in English. (A plain text for event is stored as it is, in every language.)
    """
    if isinstance(event, dict):
        message = Message.objects.create(
            room=room, sender=actor, kind=Message.Kind.SYSTEM, body=system.english(event), event=event
        )
    else:
        message = Message.objects.create(room=room, sender=actor, kind=Message.Kind.SYSTEM, body=event)
    transaction.on_commit(lambda: _stored(message), robust=True)
    return message


def _store(message, mentioned=()):
    """Count the send against the rate limit, store message (with the ids of the people it
    mentions) and publish it after commit."""
    if not sends.allow(message.sender_id):
        raise MessageError(rate_limit_message(), code="rate_limited")
    try:
        with transaction.atomic():
            message.save()
            if mentioned:
                message.mentions.set(mentioned)
            message.mentioned_ids = list(mentioned)
            message.just_stored = True
            transaction.on_commit(lambda: _stored(message), robust=True)
            return message
    except IntegrityError:
        message.delete_files()  # written to the storage before the insert failed
        stored = Message.objects.posted(message.room, message.sender, message.client_id) if message.client_id else None
        if stored is None:
            raise
        sends.refund(message.sender_id)  # a repeat is not another send
        return stored


def edit_message(message, by, body):
    """
    by changes the text of message (see `Message.require_can_edit`); it is marked edited and
    replaced live on every open page of the room. An edit counts against the send rate
    limit. Returns whether the text changed.
    """
    body = clean_text(body, what=_("message"), max_length=Message.BODY_MAX_LENGTH, error=MessageError)
    message.require_can_edit(by)
    if body == message.body:
        return False
    if not sends.allow(by.pk):
        raise MessageError(rate_limit_message(), code="rate_limited")
    edited_at = timezone.now()
    old_body, message.body = message.body, body
    mentioned = [pk for pk in message.render_body(_mentionable(message.room, body)) if pk != message.sender_id]
    with transaction.atomic():
        # Conditional on the message not being deleted: an edit racing a delete can never
        # bring a body back.
        changed = Message.objects.filter(pk=message.pk, deleted_at__isnull=True).update(
            body=body, body_html=message.body_html, edited_at=edited_at
        )
        if not changed:
            message.body = old_body
            raise MessageError(_("This message was deleted."), code="deleted")
        message.edited_at = edited_at
        message.mentions.set(mentioned)
        message.mentioned_ids = mentioned
        transaction.on_commit(lambda: _publish_change(message), robust=True)
    return True


def delete_message(message, by):
    """
    by deletes message (see `Message.require_can_delete`): its sender at any time, a moderator
    any message. The body is blanked and the files leave the storage for good; the message
    keeps its place, shows as deleted, and is replaced live on every open page of the room.
    `rooms.signals.message_deleted` tells the others (moderation resolves its reports).
    Returns False when it was deleted already.
    """
    message.require_can_delete(by)
    return _delete(message, by)


# What a deleted message keeps of what it said: nothing.
DELETED_BLANK = {"body": "", "body_html": "", "file": "", "file_size": None, "thumbnail": "", "thumbnail_width": None, "thumbnail_height": None}
# Deleting many messages at once (a deleted account's): each room's newest this many are
# replaced live; beyond that, open pages of the room reload it instead.
LIVE_REPLACEMENTS = 50
CHUNK = 500


def _delete_many(messages, by):
    """
    Delete these messages (a queryset) as `delete_message` does each (blanked, files removed
    after commit, reports resolved through `messages_deleted`), in chunks of CHUNK updates
    rather than a transaction and a frame each; returns how many were deleted. After commit
    each room's newest LIVE_REPLACEMENTS of them are replaced on open pages, and a room with
    more is reloaded there (`frames.reload_room`).
    """
    rows = list(messages.filter(deleted_at__isnull=True).order_by("pk").values_list("pk", "room_id", "file", "thumbnail"))
    deleted_at = timezone.now()
    by_room, files, count = {}, [], 0
    with transaction.atomic():
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            ids = [pk for pk, *_ in chunk]
            count += Message.objects.filter(pk__in=ids, deleted_at__isnull=True).update(deleted_at=deleted_at, **DELETED_BLANK)
            for pk, room_id, file, thumbnail in chunk:
                by_room.setdefault(room_id, []).append(pk)
                files += [name for name in (file, thumbnail) if name]
            messages_deleted.send(sender=Message, message_ids=ids, by=by)
        transaction.on_commit(lambda: delete_stored_files(files), robust=True)
        transaction.on_commit(lambda: _publish_deleted(by_room), robust=True)
    return count


def _publish_deleted(by_room):
    for room_id, ids in by_room.items():
        if len(ids) > LIVE_REPLACEMENTS:
            publish(room_group(room_id), frames.reload_room(room_id))
        shown = Message.objects.select_related("sender").filter(pk__in=ids[-LIVE_REPLACEMENTS:]).order_by("pk")
        for message in shown:
            _publish_change(message)


def _delete(message, by):
    """The delete itself, whoever may do it (`delete_message`; a deleted account's messages)."""
    files = message.stored_files()
    blank = DELETED_BLANK
    deleted_at = timezone.now()
    with transaction.atomic():
        if not Message.objects.filter(pk=message.pk, deleted_at__isnull=True).update(deleted_at=deleted_at, **blank):
            return False
        for field, value in blank.items():
            setattr(message, field, value)
        message.deleted_at = deleted_at
        message_deleted.send(sender=Message, message=message, by=by)
        transaction.on_commit(lambda: delete_stored_files(files), robust=True)
        transaction.on_commit(lambda: _publish_change(message), robust=True)
    return True


# --- A deleted account (accounts.actions.delete_account, through rooms.data) -----------------


def erase_member(user, *, delete_messages):
    """
    What goes of user's in the rooms when their account is deleted, in its transaction:
    their messages if delete_messages (each deleted as `delete_message` does: blanked, files
    removed, replaced live; in the rooms they left too), their favorites, their reactions (the
    counts under the newest LIVE_REPLACEMENTS messages follow live), the marks of the
    messages that @-mention them (the others' text stays as written), and their place in
    every group (they leave it; the longest-standing member becomes the owner of one they
    owned). Direct rooms keep both members, so the other person keeps the room and its
    history, shown under "Deleted user". Returns counts of what went.
    """
    counts = {"messages_deleted": 0}
    if delete_messages:
        own = Message.objects.filter(sender=user).exclude(kind=Message.Kind.SYSTEM)
        counts["messages_deleted"] = _delete_many(own, user)
    counts["favorites"] = user.favorites.all().delete()[0]
    # Others' messages keep their text; they just no longer point at her as mentioned.
    counts["mentions"] = Message.mentions.through.objects.filter(user=user).delete()[0]
    reacted = list(user.reactions.order_by("-message_id").values_list("message_id", flat=True).distinct())
    counts["reactions"] = user.reactions.all().delete()[0]
    for message_id in reacted[:LIVE_REPLACEMENTS]:  # the newest; older ones show right on the next load
        transaction.on_commit(lambda message_id=message_id: _publish_reactions(message_id), robust=True)
    groups = Room.objects.filter(kind=Room.Kind.GROUP, memberships__user=user).order_by("pk")
    counts["groups_left"] = 0
    counts["groups_passed_on"] = 0
    for room in groups:
        counts["groups_passed_on"] += bool(leave_group(room, user))
        counts["groups_left"] += 1
    return counts


# --- Read marks -----------------------------------------------------------------------------


def mark_read(room, user, up_to=None):
    """
    user read room's messages up to up_to (all of them when None): the read mark moves forward
    only (`Room.mark_read`). When it moved, the room's open pages hear of it after commit
    ("Seen"), unless user hides their activity.
    """
    with transaction.atomic():
        moved = room.mark_read(user, up_to)
        if moved and not user.hide_activity:
            transaction.on_commit(lambda: _publish_seen(room.pk, user), robust=True)
    return bool(moved)


def _publish_seen(room_id, user):
    """The new read mark, read back with the person's privacy as it is now (a tab opened
    before they turned it on still reads)."""
    mark = (
        Membership.objects.filter(room_id=room_id, user=user, user__hide_activity=False)
        .values_list("last_read_message_id", flat=True)
        .first()
    )
    if mark:
        publish(room_group(room_id), frames.seen(room_id, user, mark))


# --- Reactions ------------------------------------------------------------------------------


def toggle_reaction(message, user, emoji):
    """
    user's emoji under message, toggled: True when added, False when removed. Only members of
    the message's room react (MessageNotFound otherwise), to a message that is not deleted nor
    a system line, with an emoji of core.emoji.REACTIONS; a reaction counts against the send
    rate limit. The unique constraint settles two concurrent adds (the loser finds it added).
    Every open page of the room gets the message's new reactions after commit.
    """
    message._require_member(user)
    if message.deleted_at is not None or message.is_system:
        raise MessageError(_("This message cannot get reactions."), code="no_reactions")
    if not isinstance(emoji, str) or emoji not in REACTIONS:
        raise MessageError(_("Choose one of the emoji offered to react."), code="emoji")
    if not sends.allow(user.pk):
        raise MessageError(rate_limit_message(), code="rate_limited")
    with transaction.atomic():
        removed, _rows = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
        added = not removed
        if added:
            try:
                with transaction.atomic():
                    Reaction.objects.create(message=message, user=user, emoji=emoji)
            except IntegrityError:
                pass  # added by a concurrent request of the same person: it is there
        transaction.on_commit(lambda: _publish_reactions(message.pk), robust=True)
    return added


# --- What the pages are told ----------------------------------------------------------------


def _stored(message):
    """After commit: counted (by kind) and published."""
    metrics.messages_stored.labels(message.kind).inc()
    _publish_new(message)


def _publish_new(message):
    """A new message to every open tab of the room's members, rendered once per language (each
    reader gets theirs: its labels, a system line, in their language; times in UTC, which the
    page says in its reader's zone)."""
    frame = per_language(lambda: frames.message(message))
    message.broadcast_failed = not publish(room_group(message.room_id), frame)


def _publish_reactions(message_id):
    """A message's reactions as they are now, to every open tab of its room."""
    message = Message.objects.shown().filter(pk=message_id).first()
    if message is not None:
        publish(room_group(message.room_id), per_language(lambda: frames.reactions(message)))


def _publish_change(message):
    """
    Replace message where it is shown, after an edit or a delete: on every open tab of the
    room, and in the room list when it is the room's latest message.
    """
    latest = not Message.objects.filter(room_id=message.room_id, pk__gt=message.pk).exists()
    publish(room_group(message.room_id), per_language(lambda: frames.message_changed(message, latest=latest)))
