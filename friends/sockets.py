"""What the chat socket does for friends (registered in FriendsConfig.ready()): a person's
friends are told when they come online and go offline."""

from realtime import registry
from realtime.publish import user_group

from .models import Friendship


@registry.presence_audience
def _friends(user):
    return [user_group(pk) for pk in Friendship.objects.friends_of(user).values_list("pk", flat=True)]
