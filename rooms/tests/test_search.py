"""Searching messages: only your rooms, never deleted messages, safe highlighting, on both databases."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from accounts.tests.factories import UserFactory
from rooms import search
from rooms.models import Message, Room

from .conftest import befriend

on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL full-text search")
on_sqlite = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the plain match of other databases")


def found(user, text):
    return [m.body for m in Message.objects.search(user, text).items]


@pytest.fixture
def chats(alice, bob, carol, direct_room):
    """alice and bob talk; carol has a room of her own with bob that alice is not in."""
    befriend(bob, carol)
    bob_carol, _ = Room.objects.get_or_create_direct(bob, carol)
    Message.objects.post(direct_room, alice, "Shall we go climbing on Saturday?")
    Message.objects.post(direct_room, bob, "Climbing sounds great")
    Message.objects.post(bob_carol, carol, "Secret climbing plans for Alice's birthday")
    return direct_room


# --- What is searched -----------------------------------------------------------------------


def test_search_finds_the_messages_of_your_rooms_in_any_case(chats, alice):
    assert sorted(found(alice, "CLIMBING")) == ["Climbing sounds great", "Shall we go climbing on Saturday?"]


def test_every_word_must_match(chats, alice):
    assert found(alice, "climbing saturday") == ["Shall we go climbing on Saturday?"]


def test_nothing_from_rooms_you_are_not_in(chats, carol):
    assert found(carol, "climbing") == ["Secret climbing plans for Alice's birthday"]


def test_nothing_from_rooms_you_left(alice, bob, carol):
    befriend(alice, bob, carol)
    group = Room.objects.create_group(alice, "Climbing club", [bob, carol])
    Message.objects.post(group, carol, "Climbing at eight")

    assert found(bob, "eight") == ["Climbing at eight"]
    group.leave(bob)
    assert found(bob, "eight") == []


def test_deleted_messages_and_system_lines_are_not_searched(alice, bob, carol):
    befriend(alice, bob, carol)
    group = Room.objects.create_group(alice, "Climbing club", [bob, carol])
    Message.objects.post(group, bob, "Climbing is my secret")
    Message.objects.post(group, alice, "climbing forever").soft_delete(alice)

    assert found(alice, "climbing") == ["Climbing is my secret"]  # not "created the group Climbing club"
    assert found(alice, "forever") == []


def test_files_are_found_by_their_name(direct_room, alice, bob):
    Message.objects.create(room=direct_room, sender=bob, kind="file", body="climbing-guide.pdf", file="x")

    assert found(alice, "climbing guide") == ["climbing-guide.pdf"]


@pytest.mark.parametrize("text", ["climbing-guide", "climbing-guide.pdf", "climbing_guide", '"climbing-guide"', "CLIMBING-GUIDE"])
def test_a_search_written_as_the_message_was_finds_it(direct_room, alice, bob, text):
    Message.objects.create(room=direct_room, sender=bob, kind="file", body="climbing-guide.pdf", file="x")
    Message.objects.post(direct_room, bob, "see example.com/menu and the well-known e-mail")

    assert found(alice, text) == ["climbing-guide.pdf"]
    assert found(alice, "example.com/menu") == ["see example.com/menu and the well-known e-mail"]
    assert found(alice, "well-known e-mail") == ["see example.com/menu and the well-known e-mail"]


def test_an_empty_search_finds_nothing_without_asking_the_database(chats, alice, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Message.objects.search(alice, "   ").items == []


def test_emoji_are_found_too(direct_room, alice, bob):
    Message.objects.post(direct_room, bob, "Happy birthday 🎂🎉")
    Message.objects.post(direct_room, bob, "Happy new year 🎆")

    assert found(alice, "🎂") == ["Happy birthday 🎂🎉"]


@on_postgresql
def test_postgresql_stems_words_and_ranks_the_best_match_first(direct_room, alice, bob):
    Message.objects.post(direct_room, bob, "I ran home")
    Message.objects.post(direct_room, bob, "She runs every day, running is her thing; she runs again")
    Message.objects.post(direct_room, bob, "A run in the park")

    assert found(alice, "running") == [
        "She runs every day, running is her thing; she runs again",
        "A run in the park",
    ]


@on_postgresql
def test_postgresql_searches_through_a_gin_index(direct_room, alice):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'message_body_search_idx'")
        [(definition,)] = cursor.fetchall()
        assert "USING gin (to_tsvector('english'::regconfig" in definition
        # The search's expression is the index's: the planner can use it (when it is cheaper).
        query = search.full_text(Message.objects.all(), "climbing").query
        sql, params = query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "message_body_search_idx" in plan


@on_postgresql
def test_postgresql_understands_quotes_or_and_minus(direct_room, alice, bob):
    Message.objects.post(direct_room, bob, "green tea please")
    Message.objects.post(direct_room, bob, "tea that is green")
    Message.objects.post(direct_room, bob, "black coffee")

    assert found(alice, '"green tea"') == ["green tea please"]
    assert sorted(found(alice, "coffee or please")) == ["black coffee", "green tea please"]
    assert found(alice, "tea -please") == ["tea that is green"]


@on_sqlite
def test_sqlite_matches_parts_of_words(chats, alice):
    assert sorted(found(alice, "limb")) == ["Climbing sounds great", "Shall we go climbing on Saturday?"]


# --- Highlighting ---------------------------------------------------------------------------


def test_matches_are_marked_and_everything_else_is_escaped(direct_room, alice, bob):
    Message.objects.post(direct_room, bob, '<script>alert("x")</script> <b>climbing</b> <mark>fake</mark>')

    [result] = Message.objects.search(alice, "climbing").items

    # Only the highlight's own tags are markup; PostgreSQL's headline leaves the tags of the
    # text out, the plain highlighting escapes them.
    assert "<mark>climbing</mark>" in result.snippet
    assert re.sub(r"</?mark>", "", str(result.snippet)).count("<") == 0
    assert "alert(&quot;x&quot;)" in result.snippet
    if connection.vendor == "sqlite":
        assert "&lt;script&gt;" in result.snippet and "&lt;mark&gt;fake&lt;/mark&gt;" in result.snippet


def test_a_message_cannot_forge_the_highlight_delimiters(direct_room, alice, bob):
    Message.objects.post(direct_room, bob, "climbing [[hl-0000]]<img src=x onerror=alert(1)>[[/hl-0000]]")

    [result] = Message.objects.search(alice, "climbing").items

    assert "<img" not in result.snippet and "&lt;img" in result.snippet


def test_a_long_message_is_shown_around_its_match():
    body = "words " * 100 + "the needle " + "more " * 100
    snippet = search.highlight_html(body, "needle")

    assert "<mark>needle</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) < 300


# --- The page -------------------------------------------------------------------------------


def test_the_search_page_lists_room_sender_time_and_links_into_the_room(client, chats, alice):
    client.force_login(alice)
    message = Message.objects.get(body="Climbing sounds great")

    response = client.get(reverse("rooms:search"), {"q": "sounds"})

    assert response.status_code == 200
    assert f'<a class="found-room" href="/chat/{chats.pk}/?around={message.pk}#message-{message.pk}">Bob</a>' in response.text
    assert '<span class="sender">Bob</span>' in response.text
    assert "<mark>sounds</mark>" in response.text
    assert f'datetime="{message.created_at.isoformat()}"' in response.text
    assert 'value="sounds"' in response.text  # in the box, to refine


def test_no_results_say_so(client, chats, alice):
    client.force_login(alice)

    response = client.get(reverse("rooms:search"), {"q": "volcano"})

    assert "No messages match “volcano”." in response.text


def test_a_non_member_never_sees_the_rooms_messages_in_results(client, chats, carol):
    client.force_login(carol)

    response = client.get(reverse("rooms:search"), {"q": "climbing"})

    assert "plans for Alice" in response.text
    assert "Saturday" not in response.text and "sounds great" not in response.text


def test_results_load_50_at_a_time(client, direct_room, alice, bob):
    Message.objects.bulk_create([Message(room=direct_room, sender=bob, body=f"tick {n}") for n in range(60)])
    client.force_login(alice)

    first = client.get(reverse("rooms:search"), {"q": "tick"})
    rest = client.get(reverse("rooms:search"), {"q": "tick", "offset": 50}, **{"HTTP_HX_REQUEST": "true"})

    assert first.text.count('class="found-message"') == 50
    assert 'hx-get="?q=tick&amp;offset=50"' in first.text
    assert rest.text.count('class="found-message"') == 10 and "<html" not in rest.text


def test_the_search_page_costs_the_same_with_3_or_50_results(client, alice, bob, carol, django_assert_max_num_queries):
    befriend(alice, bob, carol)
    direct, _ = Room.objects.get_or_create_direct(alice, bob)
    group = Room.objects.create_group(alice, "G", [bob, carol])
    client.force_login(alice)

    def say(n):
        for i in range(n):
            sender = UserFactory()
            group.memberships.create(user=sender)
            Message.objects.create(room=(direct if i % 2 else group), sender=bob if i % 2 else sender, body=f"apple {i}")

    say(3)
    with django_assert_max_num_queries(6) as few:
        client.get(reverse("rooms:search"), {"q": "apple"})
    say(47)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("rooms:search"), {"q": "apple"})
    assert response.text.count('class="found-message"') == 50


def test_the_navigation_has_favorites_and_a_search_box(client, alice):
    client.force_login(alice)

    response = client.get(reverse("rooms:chat"))

    assert re.search(r'<a href="/favorites/" class="">.*<span class="nav-label">Favorites</span></a>', response.text)
    assert 'action="/search/"' in response.text and 'name="q" placeholder="Search messages"' in response.text


# --- Chinese --------------------------------------------------------------------------------


@pytest.fixture
def chinese(direct_room, alice, bob):
    Message.objects.post(direct_room, alice, "我们明天用微信聊天吧")
    Message.objects.post(direct_room, bob, "好的，明天见！")
    Message.objects.post(direct_room, bob, "WeChat 微信群里有人吗")
    Message.objects.post(direct_room, alice, "Shall we go climbing on Saturday?")
    return direct_room


@pytest.mark.parametrize(
    "text, expected",
    [
        ("微信", ["WeChat 微信群里有人吗", "我们明天用微信聊天吧"]),  # two characters
        ("明天", ["好的，明天见！", "我们明天用微信聊天吧"]),
        ("用微信", ["我们明天用微信聊天吧"]),  # three
        ("微信群", ["WeChat 微信群里有人吗"]),
        ("明天 聊天", ["我们明天用微信聊天吧"]),  # every word
        ("wechat 微信", ["WeChat 微信群里有人吗"]),  # with an English word, in any case
        ("见", ["好的，明天见！"]),  # one character: the plain match
    ],
)
def test_a_chinese_message_is_found_by_a_word_inside_it(chinese, alice, text, expected):
    assert found(alice, text) == expected  # newest first


@pytest.mark.parametrize("text", ["微博", "天用微信聊天吧了", "信微"])
def test_a_chinese_word_not_in_a_message_finds_nothing(chinese, alice, text):
    assert found(alice, text) == []


def test_chinese_search_keeps_to_your_rooms(chinese, alice, bob, carol):
    befriend(bob, carol)
    bob_carol, _ = Room.objects.get_or_create_direct(bob, carol)
    Message.objects.post(bob_carol, carol, "微信上说吧")
    assert found(alice, "微信") == ["WeChat 微信群里有人吗", "我们明天用微信聊天吧"]
    assert found(carol, "微信") == ["微信上说吧"]


def test_a_chinese_match_is_highlighted(client, chinese, alice):
    client.force_login(alice)
    page = client.get(reverse("rooms:search"), {"q": "微信"}).content.decode()
    assert "我们明天用<mark>微信</mark>聊天吧" in page


@on_postgresql
@pytest.mark.parametrize("text", ["微信", "用微信"])
def test_on_postgresql_a_chinese_word_is_searched_through_the_bigram_index(chinese, alice, text):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: the planner would rather scan it
    plan = search.cjk(Message.objects.all(), text).explain()
    assert "message_body_cjk_idx" in plan


@on_postgresql
def test_the_english_full_text_search_alone_would_not_find_a_word_inside_chinese_text(chinese, alice):
    english = search.full_text(Message.objects.all(), "微信")
    assert list(english) == []  # why a search with CJK characters goes the other way
