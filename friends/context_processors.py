from django.utils.functional import SimpleLazyObject

from .models import FriendRequest


def notifications(request):
    """
    The navigation badge: pending friend requests waiting for the logged-in user. Counted
    only when a template shows it, so HTMX fragments without the badge cost no query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"pending_requests_count": SimpleLazyObject(lambda: FriendRequest.objects.waiting_for(user).count())}
