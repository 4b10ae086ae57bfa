"""What the chat socket does for friends (registered in FriendsConfig.ready()): a person's
friends are told when they come online and go offline."""

from django.db.models.signals import post_delete, post_save

from realtime import registry
from realtime.publish import user_group

from .models import Friendship


@registry.presence_audience
def _friends(users):
    return {pk: [user_group(friend) for friend in ids] for pk, ids in Friendship.objects.friend_ids_of_each(users).items()}


def _friendship_changed(sender, instance, **kwargs):
    """New sockets of both ask _friends again (the socket caches its answer)."""
    registry.groups_changed([instance.user_low_id, instance.user_high_id])


post_save.connect(_friendship_changed, sender=Friendship, dispatch_uid="friends.sockets.friendship_saved")
post_delete.connect(_friendship_changed, sender=Friendship, dispatch_uid="friends.sockets.friendship_deleted")
