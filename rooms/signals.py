"""What rooms tell the apps above them (they connect in their AppConfig.ready())."""

from django.dispatch import Signal

# A message was deleted (by its sender or a moderator), inside the deleting transaction:
# `message`, `by`. Moderation resolves the open reports on it.
message_deleted = Signal()

# Many messages were deleted at once (a deleted account's), inside the deleting transaction:
# `message_ids`, `by`. The same as message_deleted for each, told once.
messages_deleted = Signal()
