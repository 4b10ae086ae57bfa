"""Reactions: an emoji a member puts under a message."""

from django.conf import settings
from django.db import models

from .messages import Message


class Reaction(models.Model):
    """
    A member's emoji under a message. Invariants: one row per message, person and emoji (a
    unique constraint, which settles two concurrent adds); only a member of the message's room
    reacts, to a message that is not deleted nor a system line, with an emoji of
    `core.emoji.REACTIONS` (`message.react`, rooms.actions.toggle_reaction). A reaction goes
    with its message and with its person.
    """

    EMOJI_MAX_LENGTH = 16

    # The unique (message, user, emoji) index serves the message's foreign key.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions")
    emoji = models.CharField(max_length=EMOJI_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "rooms"
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="rooms_reaction_once_per_person"),
        ]

    def __str__(self):
        return f"{self.emoji} by {self.user_id} on #{self.message_id}"
