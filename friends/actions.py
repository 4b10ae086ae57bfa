"""
The friend state changes: each one changes the database in one transaction and, after it
commits, tells the open pages of the people concerned (their badge of waiting requests, their
friend list). The rules are the models' (`FriendRequest.objects.require_may_ask`...).
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.counters import RateLimit, per_window
from realtime.publish import publish_on_commit, user_group

from . import frames
from .models import FriendError, FriendRequest, Friendship, _pair

# New requests per sender (a request that accepts the other's pending one is not counted).
# What a request that is no longer pending says, by its status.
ALREADY_CLOSED = {
    FriendRequest.Status.ACCEPTED: gettext_lazy("This request was already accepted."),
    FriendRequest.Status.REJECTED: gettext_lazy("This request was already rejected."),
    FriendRequest.Status.CANCELLED: gettext_lazy("This request was already cancelled."),
}

friend_requests = RateLimit("friend-request", "FRIEND_REQUEST_LIMIT", "FRIEND_REQUEST_WINDOW")


def send_request(from_user, to_user, reason=""):
    """
    Ask to_user to be friends; returns the request.

    If to_user already asked from_user, that request is accepted instead of making a second
    one, and returned. Raises FriendError for yourself, an inactive user, existing friends, a
    request already pending, an over-long reason, someone who declined from_user's request in
    the last FRIEND_REQUEST_RETRY_DAYS, or more than FRIEND_REQUEST_LIMIT new requests from
    from_user in FRIEND_REQUEST_WINDOW. to_user's badge counts the new request at once.
    """
    with transaction.atomic():
        reason = FriendRequest.objects.require_may_ask(from_user, to_user, reason)
        pending = FriendRequest.objects.pending().between(from_user, to_user).select_for_update().first()
        if pending is None:
            FriendRequest.objects.require_not_declined_lately(from_user, to_user)
            if not friend_requests.allow(from_user.pk):
                raise FriendError(
                    _("You can send at most %(count)s friend requests %(window)s. Try again later.")
                    % {"count": settings.FRIEND_REQUEST_LIMIT, "window": per_window(settings.FRIEND_REQUEST_WINDOW)},
                    code="rate_limited",
                )
            try:
                with transaction.atomic():
                    request = FriendRequest.objects.create(from_user=from_user, to_user=to_user, reason=reason)
                    _badge_changed(to_user.pk)
                    return request
            except IntegrityError:
                # A send between the same two people committed first (the database allows
                # one pending request per pair): carry on with that one.
                pending = FriendRequest.objects.pending().between(from_user, to_user).get()
        if pending.from_user_id == from_user.pk:
            raise FriendError(
                _("You already have a pending request to %(nickname)s.") % {"nickname": to_user.nickname}, code="already_pending"
            )
        answer_request(pending, FriendRequest.Status.ACCEPTED, by=from_user)
        return pending


def answer_request(request, status, *, by):
    """
    Move a pending request to its final status (accepted, rejected, cancelled), once; `by` is
    the person acting (None for the system). Accepting makes the two friends in the same
    transaction. The request instance shows the request as stored, whatever happens.
    """
    request.require_can_close(status, by)
    with transaction.atomic():
        current = FriendRequest.objects.select_for_update().get(pk=request.pk)
        request.status, request.updated_at = current.status, current.updated_at
        if not current.is_pending:
            raise FriendError(ALREADY_CLOSED[current.status], code="not_pending")
        current.status = status
        current.save(update_fields=["status", "updated_at"])
        _badge_changed(request.to_user_id)
        if status == FriendRequest.Status.ACCEPTED:
            # The people on a request never change: use the ones this instance may have loaded.
            befriend(request.from_user, request.to_user)
    request.status, request.updated_at = current.status, current.updated_at


def befriend(a, b):
    """Make a and b friends (idempotent); returns the friendship. Their open friend lists follow."""
    if a.pk == b.pk:
        raise FriendError(_("You cannot be friends with yourself."), code="self")
    low, high = _pair(a, b)
    friendship, created = Friendship.objects.get_or_create(user_low_id=low, user_high_id=high)
    if created:
        _friends_changed(low, high)
    return friendship


def unfriend(a, b):
    """End the friendship for both; returns whether there was one. Their open friend lists follow."""
    low, high = _pair(a, b)
    deleted, _ = Friendship.objects.filter(user_low_id=low, user_high_id=high).delete()
    if deleted:
        _friends_changed(low, high)
    return bool(deleted)


def erase_person(user):
    """
    A deleted account (accounts.actions.delete_account, through friends.data): every
    friendship of user goes (the others' friend lists follow), and every request to or from
    them (the badge of whoever they were waiting on follows). Returns counts of what went.
    """
    friendships = list(Friendship.objects.filter(Q(user_low=user) | Q(user_high=user)).select_related("user_low", "user_high"))
    for friendship in friendships:
        unfriend(friendship.user_low, friendship.user_high)
    waiting = set(FriendRequest.objects.pending().filter(from_user=user).values_list("to_user_id", flat=True))
    requests, _ = FriendRequest.objects.filter(Q(from_user=user) | Q(to_user=user)).delete()
    for user_id in waiting:
        _badge_changed(user_id)
    return {"friendships": len(friendships), "friend_requests": requests}


# --- What the pages are told ----------------------------------------------------------------


def _badge_changed(user_id):
    """After commit, every open tab of the user shows their new count of waiting requests."""

    def frame():
        return frames.requests_badge(FriendRequest.objects.waiting_for(user_id).count())

    publish_on_commit(user_group(user_id), frame)


def _friends_changed(*user_ids):
    """After commit, every open tab of these people reloads its friend list (if it shows one)."""
    for user_id in user_ids:
        publish_on_commit(user_group(user_id), frames.friends_changed())
