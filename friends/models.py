from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q


class FriendError(ValidationError):
    """A friend rule was broken; the message is meant for the person who tried."""


def _ordered(a, b):
    return (a, b) if a.pk < b.pk else (b, a)


class FriendshipManager(models.Manager):
    def are_friends(self, a, b):
        if a.pk == b.pk:
            return False
        low, high = _ordered(a, b)
        return self.filter(user_low=low, user_high=high).exists()

    def friends_of(self, user):
        """The user's friends as a queryset of users (one query, whatever their number)."""
        User = get_user_model()
        return User.objects.filter(
            Q(pk__in=self.filter(user_low=user).values("user_high"))
            | Q(pk__in=self.filter(user_high=user).values("user_low"))
        )

    def befriend(self, a, b):
        """Make a and b friends (idempotent); returns the friendship."""
        if a.pk == b.pk:
            raise FriendError("You cannot be friends with yourself.")
        low, high = _ordered(a, b)
        friendship, _ = self.get_or_create(user_low=low, user_high=high)
        return friendship

    def unfriend(self, a, b):
        """Remove the friendship for both; returns whether there was one."""
        low, high = _ordered(a, b)
        deleted, _ = self.filter(user_low=low, user_high=high).delete()
        return bool(deleted)


class Friendship(models.Model):
    """
    Two people who are friends, stored once per pair.

    Invariant: user_low.pk < user_high.pk (a database check), so a pair has one spelling,
    nobody is their own friend, and the unique constraint forbids duplicates.
    """

    user_low = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_high = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FriendshipManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="friends_friendship_unique_pair"),
            models.CheckConstraint(condition=Q(user_low__lt=F("user_high")), name="friends_friendship_ordered_pair"),
        ]
        indexes = [models.Index(fields=["user_high", "user_low"], name="friendship_high_low_idx")]

    def __str__(self):
        return f"{self.user_low} & {self.user_high}"


class FriendRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=FriendRequest.Status.PENDING)

    def incoming(self, user):
        return self.filter(to_user=user)

    def outgoing(self, user):
        return self.filter(from_user=user)


class FriendRequestManager(models.Manager.from_queryset(FriendRequestQuerySet)):
    def send(self, from_user, to_user, reason=""):
        """
        Ask to_user to be friends. Returns the request.

        If to_user already asked from_user, that request is accepted instead of making a
        second one (and returned). Raises FriendError for yourself, an inactive user,
        existing friends, a pending duplicate or an over-long reason.
        """
        reason = (reason or "").strip()
        if len(reason) > FriendRequest.REASON_MAX_LENGTH:
            raise FriendError(f"The reason can be at most {FriendRequest.REASON_MAX_LENGTH} characters.")
        if from_user.pk == to_user.pk:
            raise FriendError("You cannot send a friend request to yourself.")
        if not to_user.is_active:
            raise FriendError("There is no user with that username.")
        with transaction.atomic():
            if Friendship.objects.are_friends(from_user, to_user):
                raise FriendError(f"You are already friends with {to_user.nickname}.")
            opposite = (
                self.pending().select_for_update().filter(from_user=to_user, to_user=from_user).first()
            )
            if opposite is not None:
                opposite.accept()
                return opposite
            try:
                with transaction.atomic():
                    return self.create(from_user=from_user, to_user=to_user, reason=reason)
            except IntegrityError:
                raise FriendError(f"You already have a pending request to {to_user.nickname}.") from None


class FriendRequest(models.Model):
    """
    One person's request to be friends with another, with a reason.

    Invariant: at most one pending request per ordered pair (a partial unique constraint).
    A request leaves "pending" once, by accept (the recipient), reject (the recipient) or
    cancel (the sender).
    """

    REASON_MAX_LENGTH = 100

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friend_requests_sent"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friend_requests_received"
    )
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FriendRequestManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_user", "to_user"],
                condition=Q(status="pending"),
                name="friends_request_one_pending_per_pair",
            ),
            models.CheckConstraint(condition=~Q(from_user=F("to_user")), name="friends_request_not_self"),
        ]
        indexes = [
            models.Index(fields=["to_user", "status"], name="friendreq_to_status_idx"),
            models.Index(fields=["from_user", "status"], name="friendreq_from_status_idx"),
        ]

    def __str__(self):
        return f"{self.from_user} → {self.to_user} ({self.status})"

    def _finish(self, status, by, allowed_user, who):
        if by is not None and by.pk != allowed_user.pk:
            raise FriendError(f"Only {who} of this request can do that.")
        with transaction.atomic():
            current = FriendRequest.objects.select_for_update().get(pk=self.pk)
            if current.status != self.Status.PENDING:
                raise FriendError(f"This request was already {current.get_status_display().lower()}.")
            current.status = status
            current.save(update_fields=["status", "updated_at"])
            if status == self.Status.ACCEPTED:
                Friendship.objects.befriend(current.from_user, current.to_user)
        self.status, self.updated_at = current.status, current.updated_at

    def accept(self, by=None):
        """The recipient accepts: both become friends in the same transaction."""
        self._finish(self.Status.ACCEPTED, by, self.to_user, "the recipient")

    def reject(self, by=None):
        self._finish(self.Status.REJECTED, by, self.to_user, "the recipient")

    def cancel(self, by=None):
        self._finish(self.Status.CANCELLED, by, self.from_user, "the sender")
