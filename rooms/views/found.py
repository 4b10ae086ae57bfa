"""Favorites and search: lists of found messages, a page at a time ("Show more" in place)."""

from django.views.decorators.http import require_GET

from core.htmx import page_or_partial

from ..models import Favorite, Message
from .common import offset_from, positive_int


@require_GET
def favorites(request):
    """Your favorites, newest first; "Show more" loads the next page in place."""
    page = Favorite.objects.page_for(request.user, before=positive_int(request.GET.get("before")))
    return page_or_partial(request, "rooms/favorites.html", {"page": page}, "favorite-page")


@require_GET
def search(request):
    """Search the messages of your rooms; "Show more" loads the next results in place."""
    query = request.GET.get("q", "").strip()
    offset = offset_from(request.GET.get("offset"))
    results = Message.objects.search(request.user, query, offset=offset)
    return page_or_partial(request, "rooms/search.html", {"query": query, "results": results}, "result-page")

