from .models import FriendRequest


def notifications(request):
    """The navigation badge: pending friend requests waiting for the logged-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"pending_requests_count": FriendRequest.objects.pending().incoming(user).count()}
