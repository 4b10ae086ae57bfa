"""
Friends' part of a person's data (accounts.contributors): their friends and the requests they
sent and received in the export; on deleting the account, all of those go.
"""

from django.db.models import Q

from accounts.contributors import contributor

from . import actions
from .models import FriendRequest, Friendship


def _person(user):
    """Someone else as the person saw them: nickname and username, never more."""
    return {"nickname": user.display_name, "username": user.username}


def _friendships(user):
    return Friendship.objects.filter(Q(user_low=user) | Q(user_high=user)).select_related("user_low", "user_high")


def _requests(user):
    return FriendRequest.objects.filter(Q(from_user=user) | Q(to_user=user)).select_related("from_user", "to_user")


@contributor("friends")
class FriendsData:
    def size(self, user):
        return _friendships(user).count() + _requests(user).count()

    def export(self, user, archive):
        friends = []
        for friendship in _friendships(user).order_by("created_at", "pk"):
            other = friendship.user_high if friendship.user_low_id == user.pk else friendship.user_low
            friends.append({**_person(other), "since": friendship.created_at.isoformat()})
            archive.advance()
        sent, received = [], []
        for request in _requests(user).order_by("created_at", "pk"):
            row = {
                "reason": request.reason,
                "status": request.status,
                "sent_at": request.created_at.isoformat(),
                "answered_at": None if request.is_pending else request.updated_at.isoformat(),
            }
            if request.from_user_id == user.pk:
                sent.append({"to": _person(request.to_user), **row})
            else:
                received.append({"from": _person(request.from_user), **row})
            archive.advance()
        return {"friends": friends, "friend_requests": {"sent": sent, "received": received}}

    def erase(self, user, *, delete_messages):
        return actions.erase_person(user)
