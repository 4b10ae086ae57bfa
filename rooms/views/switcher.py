"""The quick switcher's matches (Ctrl+K): the person's rooms and friends by name."""

from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from friends.models import Friendship

from ..models import Room

SWITCHER_ROOMS = 8
SWITCHER_FRIENDS = 5
SWITCHER_QUERY_MAX = 100


@require_GET
def switcher(request):
    """
    Rooms whose title contains q (the most recently active first; without q, the latest
    ones), then friends whose nickname or username contains it and who have no room among
    those: at most SWITCHER_ROOMS + SWITCHER_FRIENDS, two queries.
    """
    q = request.GET.get("q", "").strip()[:SWITCHER_QUERY_MAX]
    rooms = list(Room.objects.for_user(request.user).matching(q)[:SWITCHER_ROOMS])
    friends = []
    if q:
        shown = {r.other_user_id for r in rooms if r.other_user_id}
        friends = (
            Friendship.objects.friends_of(request.user)
            .filter(is_active=True)
            .filter(Q(nickname__icontains=q) | Q(username__icontains=q))
            .exclude(pk__in=shown)
            .order_by("nickname", "pk")[:SWITCHER_FRIENDS]
        )
    return render(request, "rooms/switcher.html", {"rooms": rooms, "friends": friends, "q": q})
