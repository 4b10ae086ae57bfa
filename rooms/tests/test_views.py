import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from friends.models import Friendship
from rooms.models import Membership, Message, Room

from .conftest import befriend

HTMX = {"HTTP_HX_REQUEST": "true"}


def htmx(target):
    return {**HTMX, "HTTP_HX_TARGET": target}


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def as_bob(client, bob):
    client.force_login(bob)
    return client


def room_url(room):
    return reverse("rooms:room", args=[room.pk])


# --- The Chat button ------------------------------------------------------------------------


def test_chat_button_opens_the_direct_room_and_again_the_same_one(as_alice, alice, bob):
    befriend(alice, bob)
    url = reverse("rooms:direct", args=[bob.pk])

    first = as_alice.post(url)
    room = Room.objects.get()
    second = as_alice.post(url)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/chat/{room.pk}/"
    assert Room.objects.count() == 1


def test_chat_button_over_htmx_answers_with_hx_redirect(as_alice, alice, bob):
    befriend(alice, bob)

    response = as_alice.post(reverse("rooms:direct", args=[bob.pk]), **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/chat/{Room.objects.get().pk}/"


def test_chat_button_for_a_stranger_says_why(as_alice, carol):
    response = as_alice.post(reverse("rooms:direct", args=[carol.pk]), **HTMX)

    assert response.status_code == 422
    assert "Carol is not your friend yet" in response.text
    assert f'action="/rooms/direct/{carol.pk}/"' in response.text  # the button again, with the reason
    assert not Room.objects.exists()


def test_chat_button_for_a_stranger_without_htmx_goes_back_to_the_friend_list(as_alice, carol):
    response = as_alice.post(reverse("rooms:direct", args=[carol.pk]), follow=False)

    assert response.status_code == 302
    assert response["Location"] == reverse("friends:list")


def test_chat_button_for_an_unknown_user_is_404_and_get_is_not_allowed(as_alice, bob):
    assert as_alice.post(reverse("rooms:direct", args=[999_999])).status_code == 404
    assert as_alice.get(reverse("rooms:direct", args=[bob.pk])).status_code == 405


def test_chat_button_template_posts_with_csrf_and_a_real_action(bob, rf, alice):
    from django.template.loader import render_to_string

    request = rf.get("/friends/")
    request.user = alice
    html = render_to_string("rooms/chat_button.html", {"friend": bob}, request=request)

    assert f'method="post" action="/rooms/direct/{bob.pk}/"' in html
    assert f'hx-post="/rooms/direct/{bob.pk}/"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_pages_need_a_login(client, direct_room):
    response = client.get(room_url(direct_room))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- The chat page --------------------------------------------------------------------------


def test_chat_page_without_a_room_lists_rooms_and_invites_to_choose(as_alice, direct_room, group):
    response = as_alice.get(reverse("rooms:chat"))

    assert response.status_code == 200
    assert [r.pk for r in response.context["rooms"]] == [group.pk, direct_room.pk]
    assert "Choose a chat" in response.text
    assert 'aria-current="page"' not in response.text


def test_room_page_shows_the_room_selected_with_its_messages(as_alice, direct_room, bob):
    message = Message.objects.post(direct_room, bob, "Hi <Alice>")

    response = as_alice.get(room_url(direct_room))

    assert response.status_code == 200
    assert "<h2>Bob</h2>" in response.text
    assert f'id="message-{message.pk}"' in response.text
    assert f'data-message-id="{message.pk}"' in response.text
    assert "Hi &lt;Alice&gt;" in response.text
    selected = re.search(r'<a class="room-item selected" aria-current="page"\s+href="([^"]+)"', response.text)
    assert selected and selected.group(1) == room_url(direct_room)


def test_own_messages_are_styled_apart_by_sender(as_alice, alice, direct_room, bob):
    Message.objects.post(direct_room, alice, "mine")
    Message.objects.post(direct_room, bob, "theirs")

    response = as_alice.get(room_url(direct_room))

    stylesheet = as_alice.get(reverse("rooms:reader_css")).text
    assert f'href="{reverse("rooms:reader_css")}?v={alice.pk}.2"' in response.text  # .2: its rules changed (reactions, mentions)
    assert f'.message[data-sender-id="{alice.pk}"] .own-action' in stylesheet
    assert f'data-sender-id="{alice.pk}"' in response.text and f'data-sender-id="{bob.pk}"' in response.text


def test_a_hidden_message_shows_as_deleted(as_alice, direct_room, bob):
    message = Message.objects.post(direct_room, bob, "something rude")
    direct_room.messages.update(deleted_at=timezone.now())

    response = as_alice.get(room_url(direct_room))

    assert f'id="message-{message.pk}"' in response.text
    assert "This message was deleted." in response.text
    assert "something rude" not in response.text


def test_an_empty_room_says_so(as_alice, direct_room):
    response = as_alice.get(room_url(direct_room))

    assert "No messages yet. Say hello to Bob!" in response.text
    assert response.context["page"].messages == []


def test_bob_sees_the_room_under_alices_name_with_one_unread(client, bob, alice, direct_room):
    Message.objects.post(direct_room, alice, "hello")
    client.force_login(bob)

    response = client.get(reverse("rooms:chat"))

    item = re.search(rf'<li id="room-item-{direct_room.pk}">.*?</li>', response.text, re.S).group(0)
    assert "Alice" in item and "hello" in item
    assert 'aria-label="1 unread message"' in item


def test_group_previews_name_the_sender_but_not_for_system_lines(as_alice, group, bob):
    item = rf'<li id="room-item-{group.pk}">.*?</li>'
    system_line = re.search(item, as_alice.get(reverse("rooms:chat")).text, re.S).group(0)
    Message.objects.post(group, bob, "see you saturday")
    message_line = re.search(item, as_alice.get(reverse("rooms:chat")).text, re.S).group(0)

    assert '<span class="room-preview">Alice created the group with Bob and Carol.</span>' in system_line
    assert '<span class="room-preview">Bob: see you saturday</span>' in message_line


def test_opening_a_room_marks_it_read(client, bob, alice, direct_room):
    Message.objects.post(direct_room, alice, "one")
    newest = Message.objects.post(direct_room, alice, "two")
    client.force_login(bob)

    response = client.get(room_url(direct_room))

    assert direct_room.memberships.get(user=bob).last_read_message_id == newest.pk
    assert [r.unread_count for r in response.context["rooms"]] == [0]


def test_switching_rooms_with_htmx_swaps_the_pane_and_the_list(as_alice, direct_room, group):
    response = as_alice.get(room_url(group), **htmx("room-pane"))

    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith("<title>Weekend · Chat</title>")
    assert '<section id="room-pane"' in response.text
    assert re.search(r'<ul id="room-items" [^>]*hx-swap-oob="true">', response.text)
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_the_whole_page(as_alice, direct_room):
    response = as_alice.get(room_url(direct_room), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)

    assert "<html" in response.text


def test_room_list_filters_by_name(as_alice, direct_room, group):
    page = as_alice.get(reverse("rooms:chat"), {"q": "week"})
    fragment = as_alice.get(reverse("rooms:chat"), {"q": "bo"}, **htmx("room-items"))

    assert [r.pk for r in page.context["rooms"]] == [group.pk]
    assert fragment.text.lstrip().startswith('<ul id="room-items"')
    assert f'id="room-item-{direct_room.pk}"' in fragment.text
    assert f'id="room-item-{group.pk}"' not in fragment.text


def test_room_list_shows_fifty_rooms_then_more_on_demand(as_alice, alice):
    add_rooms(alice, 60)

    first = as_alice.get(reverse("rooms:chat"))
    more = as_alice.get(reverse("rooms:chat"), {"rooms": 100}, **htmx("room-items"))

    assert len(first.context["rooms"]) == 50
    assert 'hx-get="/chat/?rooms=100"' in first.text and "Show more chats" in first.text
    assert more.text.count('<li id="room-item-') == 60
    assert "Show more chats" not in more.text


def test_filter_finding_nothing_says_so(as_alice, direct_room):
    response = as_alice.get(reverse("rooms:chat"), {"q": "zed"})

    assert "No chats match “zed”." in response.text


# --- History --------------------------------------------------------------------------------


@pytest.fixture
def long_history(direct_room, alice, bob):
    Message.objects.bulk_create(
        [Message(room=direct_room, sender=(alice, bob)[i % 2], body=f"m{i}") for i in range(120)]
    )
    return list(direct_room.messages.order_by("pk"))


def shown_ids(response):
    return [int(pk) for pk in re.findall(r'data-message-id="(\d+)"', response.text)]


def test_room_shows_the_latest_fifty_and_a_link_to_older(as_alice, direct_room, long_history):
    response = as_alice.get(room_url(direct_room))

    shown = response.context["page"].messages
    assert shown == long_history[-50:]
    oldest = long_history[-50].pk
    assert f'href="/chat/{direct_room.pk}/?before={oldest}"' in response.text
    assert f'hx-get="/chat/{direct_room.pk}/history/?before={oldest}"' in response.text


def test_load_older_pages_by_message_id_until_the_start(as_alice, direct_room, long_history):
    url = reverse("rooms:history", args=[direct_room.pk])

    second = as_alice.get(url, {"before": long_history[-50].pk}, **HTMX)
    third = as_alice.get(url, {"before": long_history[-100].pk}, **HTMX)

    assert shown_ids(second) == [m.pk for m in long_history[-100:-50]]
    assert f"?before={long_history[-100].pk}" in second.text
    assert shown_ids(third) == [m.pk for m in long_history[:20]]
    assert "Load older" not in third.text


def test_older_page_without_javascript_links_back_to_the_newest(as_alice, direct_room, long_history):
    response = as_alice.get(room_url(direct_room), {"before": long_history[-50].pk})

    assert response.context["page"].messages == long_history[-100:-50]
    assert "Jump to the newest messages" in response.text


# --- Sending over HTTP ----------------------------------------------------------------------


def test_posting_without_javascript_stores_and_redirects_to_the_message(as_alice, direct_room, alice):
    response = as_alice.post(reverse("rooms:post_message", args=[direct_room.pk]), {"body": " hi Bob "})

    message = direct_room.messages.get()
    assert (message.sender, message.body) == (alice, "hi Bob")
    assert response.status_code == 302
    assert response["Location"] == f"/chat/{direct_room.pk}/#message-{message.pk}"


def test_posting_with_htmx_answers_the_message_and_refreshes_the_form(as_alice, direct_room):
    client_id = uuid.uuid4()

    response = as_alice.post(
        reverse("rooms:post_message", args=[direct_room.pk]), {"body": "hi", "client_id": client_id}, **HTMX
    )

    message = direct_room.messages.get()
    assert message.client_id == client_id
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li id="message-{message.pk}"')
    assert f'<li id="room-item-{direct_room.pk}" hx-swap-oob="true">' in response.text
    fresh = re.search(r'name="client_id" id="client-id" value="([^"]+)" hx-swap-oob="true"', response.text)
    assert fresh and fresh.group(1) != str(client_id)
    assert '<p id="send-error" class="form-error" role="alert" hx-swap-oob="true"></p>' in response.text


def test_posting_twice_with_one_client_id_stores_once(as_alice, direct_room):
    data = {"body": "only once", "client_id": str(uuid.uuid4())}
    url = reverse("rooms:post_message", args=[direct_room.pk])

    as_alice.post(url, data)
    as_alice.post(url, data)

    assert direct_room.messages.count() == 1


def test_a_refused_message_over_htmx_says_why_in_the_form(as_alice, direct_room):
    response = as_alice.post(reverse("rooms:post_message", args=[direct_room.pk]), {"body": "   "}, **HTMX)

    assert response.status_code == 422
    assert response["HX-Retarget"] == "#send-error"
    assert response["HX-Reswap"] == "innerHTML"
    assert response.text == "The message cannot be empty."
    assert not direct_room.messages.exists()


def test_a_refused_message_without_javascript_keeps_the_draft(as_alice, direct_room, alice, bob):
    Friendship.objects.unfriend(alice, bob)

    response = as_alice.post(reverse("rooms:post_message", args=[direct_room.pk]), {"body": "still there?"})

    assert response.status_code == 422
    assert "You and Bob are no longer friends" in response.text
    assert ">still there?</textarea>" in response.text


# --- Groups ---------------------------------------------------------------------------------


def test_new_group_form_offers_friends_only(as_alice, alice, bob, carol):
    befriend(alice, bob)

    response = as_alice.get(reverse("rooms:new_group"))

    assert response.status_code == 200
    assert "Bob" in response.text and "Carol" not in response.text


def test_creating_a_group_opens_it(as_alice, alice, bob, carol):
    befriend(alice, bob, carol)

    response = as_alice.post(reverse("rooms:new_group"), {"name": "Trio", "members": [bob.pk, carol.pk]}, **HTMX)

    room = Room.objects.get(name="Trio")
    assert response["HX-Redirect"] == room_url(room)
    assert room.memberships.count() == 3


def test_a_refused_group_shows_the_form_with_the_reason(as_alice, alice, bob):
    befriend(alice, bob)

    response = as_alice.post(reverse("rooms:new_group"), {"name": "Solo"}, **htmx("room-pane"))

    assert response.status_code == 422
    assert "Choose at least one friend for the group." in response.text
    assert 'value="Solo"' in response.text
    assert not Room.objects.exists()


def test_group_page_lists_members_and_offers_the_owner_rename(as_alice, group):
    response = as_alice.get(room_url(group))

    assert "3 members" in response.text
    assert [m.user.username for m in response.context["members"]] == ["alice", "bob", "carol"]
    assert reverse("rooms:rename", args=[group.pk]) in response.text


def test_members_do_not_see_rename(client, bob, group):
    client.force_login(bob)

    response = client.get(room_url(group))

    assert reverse("rooms:rename", args=[group.pk]) not in response.text
    assert reverse("rooms:leave", args=[group.pk]) in response.text


def test_adding_a_friend_to_a_group(as_bob, bob, group):
    dave = UserFactory(username="dave", nickname="Dave")
    befriend(bob, dave)

    response = as_bob.post(reverse("rooms:add_members", args=[group.pk]), {"members": [dave.pk]}, **HTMX)

    assert response["HX-Redirect"] == room_url(group)
    assert group.memberships.filter(user=dave).exists()


def test_with_every_friend_in_the_group_there_is_nothing_to_add(as_alice, group):
    html = as_alice.get(room_url(group)).text
    panel = html[html.index(reverse("rooms:add_members", args=[group.pk])) :]
    panel = panel[: panel.index("</form>")]
    assert "All your friends are in this group." in panel
    assert "<button" not in panel


def test_adding_a_stranger_is_refused(as_bob, group, carol):
    response = as_bob.post(reverse("rooms:add_members", args=[group.pk]), {"members": [carol.pk]}, **HTMX)

    assert response.status_code == 422
    assert "Choose among your friends" in response.text


def test_renaming_and_its_refusal(client, alice, bob, group):
    client.force_login(bob)
    refused = client.post(reverse("rooms:rename", args=[group.pk]), {"name": "Bob's"}, **HTMX)
    client.force_login(alice)
    renamed = client.post(reverse("rooms:rename", args=[group.pk]), {"name": "Camping"})

    assert (refused.status_code, refused.text) == (422, "Only the owner can rename the group.")
    assert renamed.status_code == 302
    group.refresh_from_db()
    assert group.name == "Camping"


def test_leaving_a_group_goes_back_to_the_chat_page(as_bob, bob, group):
    response = as_bob.post(reverse("rooms:leave", args=[group.pk]))

    assert response["Location"] == reverse("rooms:chat")
    assert not group.memberships.filter(user=bob).exists()
    assert as_bob.get(room_url(group)).status_code == 404


def test_a_direct_room_cannot_be_left_or_renamed_over_http(as_alice, direct_room):
    left = as_alice.post(reverse("rooms:leave", args=[direct_room.pk]), **HTMX)
    renamed = as_alice.post(reverse("rooms:rename", args=[direct_room.pk]), {"name": "Us"})

    assert (left.status_code, left.text) == (422, "You cannot leave a direct chat.")
    assert renamed.status_code == 302  # back to the room, with the reason as a message
    assert direct_room.memberships.count() == 2


# --- Authorization --------------------------------------------------------------------------

ROOM_URLS = [
    ("get", "rooms:room", {}),
    ("get", "rooms:history", {"before": "10"}),
    ("post", "rooms:post_message", {"body": "let me in"}),
    ("post", "rooms:add_members", {"members": []}),
    ("post", "rooms:rename", {"name": "Mine"}),
    ("post", "rooms:leave", {}),
]


@pytest.fixture(params=["direct", "group"])
def private_room(request, alice, bob, direct_room):
    """A room of alice and bob: their direct room, or a group of the two."""
    return direct_room if request.param == "direct" else Room.objects.create_group(alice, "Private", [bob])


@pytest.mark.parametrize("method, name, data", ROOM_URLS)
def test_non_members_get_404_from_every_room_url(client, carol, private_room, method, name, data):
    room = private_room
    client.force_login(carol)

    response = getattr(client, method)(reverse(name, args=[room.pk]), data)

    assert response.status_code == 404
    assert not room.messages.filter(sender=carol).exists()
    assert Membership.objects.filter(room=room).count() == 2


@pytest.mark.parametrize("method, name, data", ROOM_URLS)
def test_a_room_that_does_not_exist_is_the_same_404(as_alice, method, name, data):
    response = getattr(as_alice, method)(reverse(name, args=[424242]), data)

    assert response.status_code == 404


# --- Cost -----------------------------------------------------------------------------------


def add_rooms(user, count):
    """count groups of user and one other person, each with a message (bulk, for scale)."""
    other = UserFactory()
    rooms = Room.objects.bulk_create([Room(kind=Room.Kind.GROUP, name=f"Room {i}") for i in range(count)])
    Membership.objects.bulk_create([Membership(room=r, user=u) for r in rooms for u in (user, other)])
    Message.objects.bulk_create([Message(room=r, sender=other, body="hello") for r in rooms])


def add_messages(room, count):
    members = [m.user for m in room.memberships.select_related("user")]
    Message.objects.bulk_create(
        [Message(room=room, sender=members[i % 2], body=f"message {i}") for i in range(count)], batch_size=2000
    )


def queries_for(client, url):
    """The page's queries once the person's session and user are in the cache (a page before)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_chat_page_costs_the_same_with_5_and_500_rooms(as_alice, alice, direct_room):
    add_rooms(alice, 4)
    few = queries_for(as_alice, room_url(direct_room))

    add_rooms(alice, 495)
    many = queries_for(as_alice, room_url(direct_room))

    assert Room.objects.for_user(alice).count() == 500
    assert few == many


def test_chat_page_costs_the_same_with_10_and_10000_messages(as_alice, direct_room, group):
    add_messages(direct_room, 10)
    few = queries_for(as_alice, room_url(direct_room))
    few_group = queries_for(as_alice, room_url(group))

    add_messages(direct_room, 9_990)
    add_messages(group, 10_000)
    many = queries_for(as_alice, room_url(direct_room))
    many_group = queries_for(as_alice, room_url(group))

    assert (few, few_group) == (many, many_group)


def test_thirty_quick_renames_put_three_lines_in_front_of_the_members(as_alice, group):
    """Each rename is a system line for every member: GROUP_RENAME_LIMIT (3) a minute."""
    url = reverse("rooms:rename", args=[group.pk])
    answers = [as_alice.post(url, {"name": f"Name {n}"}, HTTP_HX_REQUEST="true") for n in range(30)]

    assert all(a.status_code < 400 for a in answers[:3])
    assert {a.status_code for a in answers[3:]} == {422}
    assert "A group can be renamed at most 3 times a minute. Wait a moment and try again." in answers[3].text
    assert group.messages.filter(kind="system", body__contains="renamed the group").count() == 3
    group.refresh_from_db()
    assert group.name == "Name 2"


# --- Numbers in the address -----------------------------------------------------------------

HUGE = "9" * 25  # beyond any integer column, on PostgreSQL and SQLite alike


@pytest.mark.parametrize(
    "url",
    [
        "/chat/?rooms={n}",
        "/chat/{room}/?rooms={n}",
        "/chat/{room}/?before={n}",
        "/chat/{room}/?around={n}",
        "/chat/{room}/history/?before={n}",
        "/chat/{room}/changes/?from=1&to={n}",
        "/chat/{room}/changes/?from={n}&to={n}",
        "/favorites/?before={n}",
        "/search/?q=hello&offset={n}",
        "/friends/?page={n}",
        "/friends/requests/?incoming={n}&outgoing={n}",
    ],
)
@pytest.mark.parametrize("n", [HUGE, "-" + HUGE])
def test_absurd_numbers_in_the_address_are_bounded_not_a_server_error(as_alice, alice, direct_room, bob, url, n):
    Message.objects.post(direct_room, bob, "hello there")
    response = as_alice.get(url.format(room=direct_room.pk, n=n))
    assert response.status_code == 200


def test_a_huge_room_count_shows_every_room_and_no_show_more(as_alice, alice, direct_room, group):
    response = as_alice.get(f"/chat/?rooms={HUGE}")
    assert [r.pk for r in response.context["rooms"]] == [group.pk, direct_room.pk]
    assert "Show more chats" not in response.content.decode()


@pytest.mark.parametrize(
    "method, url",
    [("get", "/chat/{n}/"), ("get", "/messages/{n}/"), ("get", "/messages/{n}/file/"), ("post", "/rooms/direct/{n}/")],
)
def test_absurd_ids_in_the_path_are_not_found(as_alice, method, url):
    assert getattr(as_alice, method)(url.format(n=HUGE)).status_code == 404
