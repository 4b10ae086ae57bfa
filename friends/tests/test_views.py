import json
import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from accounts.tests.factories import UserFactory
from friends.models import FriendRequest, Friendship

from .factories import FriendRequestFactory, FriendshipFactory

HTMX = {"HX-Request": "true"}
Status = FriendRequest.Status
pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def badge(response):
    """The navigation badge's count, from a page or an out-of-band fragment."""
    match = re.search(r'<span id="requests-badge"[^>]*>(\d+)</span>', text(response))
    assert match, "no badge in the response"
    return int(match.group(1))


def row(response, request):
    """The HTML of one request's row on the notifications page."""
    match = re.search(rf'<li class="person request" id="request-{request.pk}">.*?</li>', text(response), re.S)
    assert match, f"no row for request {request.pk}"
    return match.group(0)


# --- The friend list --------------------------------------------------------------------------


def test_friend_list_shows_each_friend_with_avatar_nickname_and_username(client, alice, bob, carol):
    dora = UserFactory(username="dora", nickname="Dora", avatar="avatars/9/dora.png")
    FriendshipFactory(user=alice, friend=bob)
    FriendshipFactory(user=dora, friend=alice)
    FriendshipFactory(user=bob, friend=carol)
    client.force_login(alice)

    response = client.get(reverse("friends:list"))

    assertContains(response, '<span class="name">Bob</span>', html=True)
    assertContains(response, "@bob")
    assertContains(response, '<span class="avatar" aria-hidden="true">B</span>', html=True)
    assertContains(response, '<img class="avatar" src="/media/avatars/9/dora.png" alt="">', html=True)
    assertContains(response, "2 friends")
    assertNotContains(response, "@carol")


def test_each_row_has_the_chat_button_and_remove_with_a_confirmation(client, alice, bob):
    FriendshipFactory(user=alice, friend=bob)
    client.force_login(alice)

    response = client.get(reverse("friends:list"))

    assertContains(response, f'action="/rooms/direct/{bob.pk}/"')
    assertContains(response, f'hx-post="{reverse("friends:remove", args=[bob.pk])}"')
    assertContains(response, 'hx-confirm="Remove Bob from your friends?')


def test_a_newcomer_is_told_how_to_add_a_friend(client, alice):
    client.force_login(alice)

    response = client.get(reverse("friends:list"))

    assertContains(response, "0 friends")
    assertContains(response, "No friends yet. Add someone by their username above.")


def test_filtering_by_nickname_or_username(client, alice, bob, carol):
    robert = UserFactory(username="rob", nickname="Bobby Tables")
    for friend in (bob, carol, robert):
        FriendshipFactory(user=alice, friend=friend)
    client.force_login(alice)

    response = client.get(reverse("friends:list"), {"q": " bob "})

    assertContains(response, "2 friends match “bob”")
    assertContains(response, "@bob")
    assertContains(response, "@rob")
    assertNotContains(response, "@carol")
    assertContains(response, 'name="q" value="bob"')


def test_the_live_filter_gets_only_the_rows(client, alice, bob, carol):
    FriendshipFactory(user=alice, friend=bob)
    FriendshipFactory(user=alice, friend=carol)
    client.force_login(alice)

    response = client.get(reverse("friends:list"), {"q": "CAR"}, headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in text(response)
    assertContains(response, "1 friend matches “CAR”")
    assertContains(response, "@carol")
    assertNotContains(response, "@bob")
    assert response["Vary"] == "HX-Request, Cookie, Accept-Language"  # the language follows the browser


def test_a_filter_that_matches_nobody_says_so(client, alice, bob):
    FriendshipFactory(user=alice, friend=bob)
    client.force_login(alice)

    response = client.get(reverse("friends:list"), {"q": "zz"}, headers=HTMX)

    assertContains(response, "Nobody on your list matches “zz”.")


def test_a_long_friend_list_comes_in_pages_with_show_more(client, alice):
    for n in range(120):
        FriendshipFactory(user=alice, friend=UserFactory(username=f"friend{n:03}", nickname=f"Friend {n:03}"))
    client.force_login(alice)

    first = client.get(reverse("friends:list"))
    last = client.get(reverse("friends:list"), {"page": 3}, headers=HTMX)

    assertContains(first, "120 friends")
    assert text(first).count('class="person"') == 50
    assertContains(first, 'hx-get="/friends/?page=2"')
    assert "<html" not in text(last)
    assert text(last).count('class="person"') == 20
    assertContains(last, "@friend119")
    assertNotContains(last, "Show more")


def test_show_more_keeps_the_filter(client, alice):
    for n in range(60):
        FriendshipFactory(user=alice, friend=UserFactory(username=f"pal{n:02}"))
    client.force_login(alice)

    response = client.get(reverse("friends:list"), {"q": "pal"})

    assertContains(response, 'hx-get="/friends/?q=pal&amp;page=2"')


# --- The add-friend form ----------------------------------------------------------------------


def test_sending_a_request_by_plain_form_redirects_with_a_message(client, alice, bob):
    client.force_login(alice)

    response = client.post(reverse("friends:add"), {"username": "bob", "reason": "Book club"}, follow=True)

    assertRedirects(response, reverse("friends:list"))
    assertContains(response, "Friend request sent to Bob.")
    request = FriendRequest.objects.get()
    assert (request.from_user, request.to_user, request.reason, request.status) == (alice, bob, "Book club", "pending")


def test_sending_a_request_in_place_gives_a_fresh_form_and_a_note(client, alice, bob):
    client.force_login(alice)

    response = client.post(reverse("friends:add"), {"username": "bob", "reason": "Book club"}, headers=HTMX)

    assert response.status_code == 200
    assertContains(response, '<p class="notice" role="status">Friend request sent to Bob.</p>', html=True)
    assertContains(response, '<form id="add-friend"')
    assertNotContains(response, 'value="bob"')
    assert "HX-Trigger" not in response
    assert FriendRequest.objects.outgoing(alice).pending().count() == 1


def test_asking_someone_who_asked_first_makes_friends_and_refreshes_list_and_badge(client, alice, bob):
    FriendRequestFactory(from_user=bob, to_user=alice)
    client.force_login(alice)

    response = client.post(reverse("friends:add"), {"username": "bob"}, headers=HTMX)

    assertContains(response, "Bob had already asked you, so you are friends now.")
    assert "friends-changed" in json.loads(response["HX-Trigger"])
    assert badge(response) == 0
    assert Friendship.objects.are_friends(alice, bob)


@pytest.mark.parametrize(
    "username, reason, field, error",
    [
        ("nobody", "", "username", "There is no user with the username “nobody”."),
        ("alice", "", "username", "You cannot send a friend request to yourself."),
        ("carol", "", "username", "You are already friends with Carol."),
        ("bob", "", "username", "You already have a pending request to Bob."),
        ("", "", "username", "This field is required."),
        ("dora", "x" * 101, "reason", "Ensure this value has at most 100 characters (it has 101)."),
    ],
    ids=["no such user", "yourself", "already friends", "already pending", "no username", "long reason"],
)
def test_add_friend_errors_show_in_place_with_422(client, alice, bob, carol, username, reason, field, error):
    UserFactory(username="dora")
    FriendshipFactory(user=alice, friend=carol)
    FriendRequestFactory(from_user=alice, to_user=bob)
    client.force_login(alice)

    fragment = client.post(reverse("friends:add"), {"username": username, "reason": reason}, headers=HTMX)
    page = client.post(reverse("friends:add"), {"username": username, "reason": reason})

    for response in (fragment, page):
        assert response.status_code == 422
        assertContains(
            response, f'<ul class="errorlist" id="id_{field}_errors"><li>{error}</li></ul>', html=True, status_code=422
        )
        if username:  # what they typed stays in the form
            assertContains(response, f'value="{username}"', status_code=422)
    assert "<html" not in text(fragment)
    assertContains(page, "<html", status_code=422)
    assert FriendRequest.objects.count() == 1


# --- Removing a friend ------------------------------------------------------------------------


def test_removing_a_friend_in_place_tells_the_list_to_reload(client, alice, bob):
    FriendshipFactory(user=alice, friend=bob)
    client.force_login(alice)

    response = client.post(reverse("friends:remove", args=[bob.pk]), headers=HTMX)

    assert response.status_code == 204
    assert "friends-changed" in json.loads(response["HX-Trigger"])
    assert not Friendship.objects.are_friends(alice, bob)


def test_removing_a_friend_by_plain_form_updates_both_lists(client, alice, bob):
    FriendshipFactory(user=alice, friend=bob)
    client.force_login(alice)

    response = client.post(reverse("friends:remove", args=[bob.pk]), follow=True)

    assertRedirects(response, reverse("friends:list"))
    assertContains(response, "Bob is no longer your friend.")
    assertNotContains(response, "@bob")
    client.force_login(bob)
    assertNotContains(client.get(reverse("friends:list")), "@alice")


def test_removing_someone_who_is_not_a_friend_is_not_found(client, alice, bob, carol):
    FriendshipFactory(user=bob, friend=carol)
    client.force_login(alice)

    response = client.post(reverse("friends:remove", args=[bob.pk]))

    assert response.status_code == 404
    assert Friendship.objects.are_friends(bob, carol)


# --- The notifications page -------------------------------------------------------------------


def test_notifications_show_incoming_requests_with_reason_and_time(client, alice, bob, carol):
    request = FriendRequestFactory(from_user=bob, to_user=alice, reason="Saw you at the meetup")
    FriendRequestFactory(from_user=carol, to_user=alice, status=Status.REJECTED)
    FriendRequestFactory(from_user=bob, to_user=carol, reason="Not for alice")
    client.force_login(alice)

    response = client.get(reverse("friends:requests"))

    html = row(response, request)
    assert "Bob" in html and "@bob" in html
    assert '<q class="reason">Saw you at the meetup</q>' in html
    assert f'datetime="{request.created_at.isoformat()}"' in html
    assert "just now" in html
    assert "Accept" in html and "Reject" in html
    assertNotContains(response, "@carol")
    assertNotContains(response, "Not for alice")
    assert badge(response) == 1


def test_notifications_show_outgoing_requests_with_their_status_and_cancel_on_pending_ones(client, alice, bob, carol):
    dora = UserFactory(username="dora", nickname="Dora")
    pending = FriendRequestFactory(from_user=alice, to_user=bob)
    accepted = FriendRequestFactory(from_user=alice, to_user=carol, status=Status.ACCEPTED)
    rejected = FriendRequestFactory(from_user=alice, to_user=dora, status=Status.REJECTED)
    client.force_login(alice)

    response = client.get(reverse("friends:requests"))

    assert ">Pending<" in row(response, pending) and "Cancel" in row(response, pending)
    assert ">Accepted<" in row(response, accepted) and "Cancel" not in row(response, accepted)
    assert ">Rejected<" in row(response, rejected) and "Cancel" not in row(response, rejected)
    assert badge(response) == 0


def test_empty_notifications_say_so(client, alice):
    client.force_login(alice)

    response = client.get(reverse("friends:requests"))

    assertContains(response, "No friend requests are waiting for you.")
    assertContains(response, "You have not sent any friend requests.")


def test_many_incoming_requests_come_in_pages(client, alice):
    FriendRequestFactory.create_batch(55, to_user=alice)
    client.force_login(alice)

    first = client.get(reverse("friends:requests"))
    more = client.get(reverse("friends:requests"), {"incoming": 2}, headers=HTMX)

    assert text(first).count("Accept</button>") == 50
    assertContains(first, 'hx-get="/friends/requests/?incoming=2"')
    assert text(more).count("Accept</button>") == 5
    assert "<html" not in text(more)
    assert badge(first) == 55


def test_many_outgoing_requests_come_in_pages(client, alice):
    FriendRequestFactory.create_batch(51, from_user=alice)
    client.force_login(alice)

    more = client.get(reverse("friends:requests"), {"outgoing": 2}, headers=HTMX)

    assert text(more).count("Cancel</button>") == 1


# --- Accept, reject, cancel -------------------------------------------------------------------


def test_accepting_in_place_updates_the_row_and_the_badge(client, alice, bob, carol):
    request = FriendRequestFactory(from_user=bob, to_user=alice)
    FriendRequestFactory(from_user=carol, to_user=alice)
    client.force_login(alice)

    response = client.post(reverse("friends:accept", args=[request.pk]), headers=HTMX)

    assert response.status_code == 200
    assert "You are friends now" in row(response, request)
    assert "Accept" not in row(response, request)
    assert 'hx-swap-oob="true"' in text(response)
    assert badge(response) == 1
    assert Friendship.objects.are_friends(alice, bob)


def test_rejecting_in_place_updates_the_row_and_the_badge(client, alice, bob):
    request = FriendRequestFactory(from_user=bob, to_user=alice)
    client.force_login(alice)

    response = client.post(reverse("friends:reject", args=[request.pk]), headers=HTMX)

    assert ">Rejected<" in row(response, request)
    assert badge(response) == 0
    assert not Friendship.objects.are_friends(alice, bob)


def test_cancelling_in_place_updates_the_row(client, alice, bob):
    request = FriendRequestFactory(from_user=alice, to_user=bob)
    client.force_login(alice)

    response = client.post(reverse("friends:cancel", args=[request.pk]), headers=HTMX)

    assert ">Cancelled<" in row(response, request)
    assert "Cancel</button>" not in row(response, request)
    request.refresh_from_db()
    assert request.status == Status.CANCELLED


@pytest.mark.parametrize(
    "action, actor, message, status",
    [
        ("accept", "alice", "You and Bob are friends now.", Status.ACCEPTED),
        ("reject", "alice", "You declined Bob’s friend request.", Status.REJECTED),
        ("cancel", "bob", "Your friend request to Alice is cancelled.", Status.CANCELLED),
    ],
)
def test_answering_by_plain_form_redirects_with_a_message(client, alice, bob, action, actor, message, status):
    request = FriendRequestFactory(from_user=bob, to_user=alice)
    client.force_login({"alice": alice, "bob": bob}[actor])

    response = client.post(reverse(f"friends:{action}", args=[request.pk]), follow=True)

    assertRedirects(response, reverse("friends:requests"))
    assertContains(response, message)
    request.refresh_from_db()
    assert request.status == status


def test_answering_a_request_that_was_cancelled_meanwhile_says_so_in_place(client, alice, bob):
    request = FriendRequestFactory(from_user=bob, to_user=alice, status=Status.CANCELLED)
    client.force_login(alice)

    response = client.post(reverse("friends:accept", args=[request.pk]), headers=HTMX)

    assert response.status_code == 422
    html = row(response, request)
    assert "This request was already cancelled." in html
    assert ">Cancelled<" in html
    assert "Accept</button>" not in html
    assert not Friendship.objects.are_friends(alice, bob)


def test_answering_twice_by_plain_form_is_a_422_page_that_says_so(client, alice, bob):
    request = FriendRequestFactory(from_user=bob, to_user=alice)
    client.force_login(alice)
    client.post(reverse("friends:accept", args=[request.pk]))

    response = client.post(reverse("friends:reject", args=[request.pk]))

    assertContains(response, "This request was already accepted.", status_code=422)
    assertContains(response, "<h1>Notifications</h1>", status_code=422)
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED


# --- Authorization ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, forger",
    [
        ("accept", "alice"),  # the sender accepting her own request
        ("accept", "carol"),
        ("reject", "alice"),
        ("reject", "carol"),
        ("cancel", "bob"),  # the recipient cancelling it
        ("cancel", "carol"),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_nobody_can_act_on_someone_elses_request_by_forging_a_post(client, alice, bob, carol, action, forger, headers):
    request = FriendRequestFactory(from_user=alice, to_user=bob)
    client.force_login({"alice": alice, "bob": bob, "carol": carol}[forger])

    response = client.post(reverse(f"friends:{action}", args=[request.pk]), headers=headers)

    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == Status.PENDING
    assert not Friendship.objects.exists()


@pytest.mark.parametrize(
    "name, args",
    [("friends:add", []), ("friends:remove", [1]), ("friends:accept", [1]), ("friends:reject", [1]), ("friends:cancel", [1])],
)
def test_actions_need_a_post_and_a_login(client, alice, name, args):
    url = reverse(name, args=args)

    assertRedirects(client.post(url), f"{reverse('accounts:login')}?next={url}", fetch_redirect_response=False)
    client.force_login(alice)
    assert client.get(url).status_code == 405


def test_pages_refuse_posts(client, alice):
    client.force_login(alice)

    assert client.post(reverse("friends:list")).status_code == 405
    assert client.post(reverse("friends:requests")).status_code == 405


# --- The badge --------------------------------------------------------------------------------


def test_every_page_shows_the_number_of_pending_incoming_requests(client, alice, bob, carol):
    FriendRequestFactory(from_user=bob, to_user=alice)
    FriendRequestFactory(from_user=carol, to_user=alice)
    FriendRequestFactory(from_user=UserFactory(), to_user=alice, status=Status.REJECTED)
    FriendRequestFactory(from_user=alice, to_user=UserFactory())
    client.force_login(alice)

    assert badge(client.get(reverse("friends:list"))) == 2
    assert badge(client.get(reverse("friends:requests"))) == 2


def test_a_deactivated_persons_requests_neither_show_nor_count(client, alice, bob):
    FriendRequestFactory(from_user=bob, to_user=alice)
    FriendRequestFactory(from_user=UserFactory(username="spammer", is_active=False), to_user=alice)
    client.force_login(alice)

    response = client.get(reverse("friends:requests"))

    assertNotContains(response, "@spammer")
    assert badge(response) == 1
