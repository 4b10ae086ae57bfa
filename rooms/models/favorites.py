"""Favorites: the messages a person starred."""

from django.conf import settings
from django.db import models

from ..errors import MessageError
from .messages import ListPage, Message, _room_title


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
        app_label = "rooms"
        constraints = [
            models.UniqueConstraint(fields=["user", "message"], name="rooms_favorite_once_per_user"),
        ]
        indexes = [models.Index(fields=["user", "-id"], name="favorite_user_latest_idx")]

    def __str__(self):
        return f"{self.user} starred #{self.message_id}"
