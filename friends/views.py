"""
The friend pages: the friend list (search, the add-friend form, Remove) and the
notifications page (requests for you, and the ones you sent).

Each view checks its input, calls one model method and renders. HTMX requests get the named
fragment they swap in; a plain form post gets a redirect with a message, or the whole page
with status 422 when something was wrong. Every request or friend is looked up among the
logged-in user's own, so a forged POST about anyone else's is a 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from core.htmx import page_or_partial
from realtime.presence import presence

from . import actions
from .forms import FriendRequestForm
from .models import FriendError, FriendRequest, Friendship

PAGE_SIZE = 50

# Sent to the browser whenever the friend list changed; the list reloads itself on hearing it.
FRIENDS_CHANGED = "friends-changed"


def _page(items, number):
    """One page of a long list (the first, when `number` is missing or wrong)."""
    return Paginator(items, PAGE_SIZE).get_page(number)


# --- The friend list --------------------------------------------------------------------------


def _friend_list_context(request, form=None):
    search = request.GET.get("q", "").strip()
    friends = _page(Friendship.objects.friend_list(request.user, search), request.GET.get("page"))
    return {
        "search": search,
        "friends": friends,
        "online_ids": presence.online(friend.pk for friend in friends),
        "form": form or FriendRequestForm(),
    }


@require_GET
def friend_list(request):
    context = _friend_list_context(request)
    # HTMX asks for the rows (a search, or a reload after a change), or from "Show more"
    # for the next page of them.
    partial = "friend-page" if context["friends"].number > 1 else "friend-rows"
    return page_or_partial(request, "friends/list.html", context, partial)


@require_GET
def suggest(request):
    """A few people whose username or nickname starts with what the add-friend box holds:
    the options of its <datalist> (#friend-suggestions)."""
    people = Friendship.objects.suggestions(request.user, request.GET.get("username", ""))
    return render(request, "friends/list.html#friend-suggestions", {"suggestions": people})


@require_POST
def send_request(request):
    form = FriendRequestForm(request.POST)
    friend_request = form.send(request.user)
    if friend_request is None:
        return page_or_partial(request, "friends/list.html", _friend_list_context(request, form), "add-friend", 422)

    became_friends = not friend_request.is_pending  # they had asked first; theirs is accepted
    if became_friends:
        note = _("%(nickname)s had already asked you, so you are friends now.") % {"nickname": friend_request.from_user.nickname}
    else:
        note = _("Friend request sent to %(nickname)s.") % {"nickname": friend_request.to_user.nickname}
    if not request.htmx:
        messages.success(request, note)
        return redirect("friends:list")
    response = render(request, "friends/list.html#add-friend-sent", {"form": FriendRequestForm(), "sent": note})
    return trigger_client_event(response, FRIENDS_CHANGED) if became_friends else response


@require_POST
def remove_friend(request, user_id):
    friend = get_object_or_404(Friendship.objects.friends_of(request.user), pk=user_id)
    actions.unfriend(request.user, friend)
    if not request.htmx:
        messages.success(request, _("%(nickname)s is no longer your friend.") % {"nickname": friend.nickname})
        return redirect("friends:list")
    return trigger_client_event(HttpResponse(status=204), FRIENDS_CHANGED)


# --- The notifications page -------------------------------------------------------------------


def _requests_context(request):
    incoming = FriendRequest.objects.waiting_for(request.user).with_people()
    outgoing = FriendRequest.objects.outgoing(request.user).with_people()
    return {
        "incoming": _page(incoming, request.GET.get("incoming")),
        "outgoing": _page(outgoing, request.GET.get("outgoing")),
    }


@require_GET
def requests_page(request):
    context = _requests_context(request)
    # HTMX asks only from "Show more", for the next page of one of the two lists.
    partial = "outgoing-page" if "outgoing" in request.GET else "incoming-page"
    return page_or_partial(request, "friends/requests.html", context, partial)


@require_POST
def accept_request(request, pk):
    friend_request = get_object_or_404(FriendRequest.objects.incoming(request.user).with_people(), pk=pk)
    done = _("You and %(nickname)s are friends now.") % {"nickname": friend_request.from_user.nickname}
    return _answer(request, friend_request, friend_request.accept, done)


@require_POST
def reject_request(request, pk):
    friend_request = get_object_or_404(FriendRequest.objects.incoming(request.user).with_people(), pk=pk)
    done = _("You declined %(nickname)s’s friend request.") % {"nickname": friend_request.from_user.nickname}
    return _answer(request, friend_request, friend_request.reject, done)


@require_POST
def cancel_request(request, pk):
    friend_request = get_object_or_404(FriendRequest.objects.outgoing(request.user).with_people(), pk=pk)
    done = _("Your friend request to %(nickname)s is cancelled.") % {"nickname": friend_request.to_user.nickname}
    return _answer(request, friend_request, friend_request.cancel, done)


def _answer(request, friend_request, action, done):
    """
    Run `action` (accept, reject or cancel) as the logged-in user. HTMX gets the request's
    row in its new state, with the navigation badge out of band; a plain form gets a
    redirect with `done` as the message. A request that is no longer pending answers 422,
    saying what became of it.
    """
    try:
        action(by=request.user)
    except FriendError as error:
        if request.htmx:
            context = {"friend_request": friend_request, "error": error.message}
            return render(request, "friends/requests.html#answered", context, status=422)
        messages.error(request, error.message)
        return render(request, "friends/requests.html", _requests_context(request), status=422)
    if request.htmx:
        return render(request, "friends/requests.html#answered", {"friend_request": friend_request})
    messages.success(request, done)
    return redirect("friends:requests")
