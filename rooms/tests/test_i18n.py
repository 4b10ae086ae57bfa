"""
The chat in Chinese and in English: the chat page, its refusals, system lines (stored as events
and said in each reader's language), "Deleted user" said per reader. An English reader sees
no Chinese (CJK) character that is not in what people wrote.
"""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.actions import delete_account
from rooms import system
from rooms.models import Message, Room

from .conftest import befriend

CHINESE_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

pytestmark = pytest.mark.django_db


def page(client, user, url, headers):
    client.force_login(user)
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


def visible_text(html):
    """The page as people read it: text and the attributes a screen reader or hover shows."""
    html = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    return html


def test_a_chinese_reader_gets_the_chat_page_in_chinese(client, alice, bob, group):
    Message.objects.post(group, bob, "Saturday?")
    html = page(client, alice, group.get_absolute_url(), CHINESE_BROWSER)
    for words in ["新建群组", "聊天", "发送", "退出群组", "发消息给 Weekend", "3 位成员", "重命名", "加入收藏"]:
        assert words in html, words
    # The system line, said in Chinese at render time (the body stays English).
    assert "Alice 创建了群组，成员有 Bob和Carol。" in html
    assert group.messages.get(kind="system").body == "Alice created the group with Bob and Carol."


def test_the_emoji_are_named_in_the_readers_language(client, alice, group):
    html = page(client, alice, group.get_absolute_url(), CHINESE_BROWSER)
    assert 'title="竖起大拇指" aria-label="竖起大拇指">👍</button>' in html  # the palette (its search reads the names)
    assert '<p class="emoji-group">爱心</p>' in html


def test_an_english_reader_sees_no_chinese_on_the_chat_page(client, alice, group):
    Message.objects.post(group, alice, "See you on Saturday")
    html = page(client, alice, group.get_absolute_url(), ENGLISH_BROWSER)
    assert "Alice created the group with Bob and Carol." in html
    assert "Send" in html and "Leave group" in html
    assert not CJK.findall(visible_text(html)), CJK.findall(visible_text(html))[:20]


def test_the_room_list_and_new_group_pages_have_no_chinese_for_an_english_reader(client, alice, group):
    for url in [reverse("rooms:chat"), reverse("rooms:new_group"), reverse("rooms:switcher") + "?q=we"]:
        html = page(client, alice, url, ENGLISH_BROWSER)
        assert not CJK.findall(visible_text(html)), (url, CJK.findall(visible_text(html))[:20])


def test_a_profile_language_wins_for_the_chat_page(client, alice, group):
    alice.language = "zh-hans"
    alice.save()
    html = page(client, alice, group.get_absolute_url(), ENGLISH_BROWSER)
    assert "Alice 创建了群组" in html and "退出群组" in html


def test_a_refused_rename_says_why_in_chinese(client, alice, group):
    client.force_login(alice)
    response = client.post(reverse("rooms:rename", args=[group.pk]), {"name": "  "}, HTTP_HX_REQUEST="true", **CHINESE_BROWSER)
    assert response.status_code == 422
    assert response.content.decode().strip() == "群组名称不能为空。"

    response = client.post(reverse("rooms:rename", args=[group.pk]), {"name": "  "}, HTTP_HX_REQUEST="true", **ENGLISH_BROWSER)
    assert response.content.decode().strip() == "The group name cannot be empty."


def test_a_refused_rename_by_a_member_says_why_in_chinese(client, bob, group):
    client.force_login(bob)
    response = client.post(reverse("rooms:rename", args=[group.pk]), {"name": "Mine"}, HTTP_HX_REQUEST="true", **CHINESE_BROWSER)
    assert response.status_code == 422
    assert response.content.decode().strip() == "只有群主可以重命名群组。"


def test_adding_strangers_is_refused_in_chinese(bob, carol, group):
    from rooms.errors import RoomError

    with translation.override("zh-hans"), pytest.raises(RoomError) as refused:
        group.add_members(bob, [carol])
    assert refused.value.message == "你只能添加你的好友；Carol 不是你的好友。"


def test_system_lines_are_events_said_in_each_language(alice, bob, carol, group):
    befriend(bob, carol)
    group.rename(alice, "Hiking")
    group.leave(alice)
    lines = list(group.messages.filter(kind="system").order_by("pk"))
    assert [line.event["kind"] for line in lines] == ["created", "renamed", "left"]
    assert lines[2].event == {"kind": "left", "actor": [alice.pk, "Alice"], "heir": [bob.pk, "Bob"]}
    assert [line.body for line in lines] == [
        "Alice created the group with Bob and Carol.",
        "Alice renamed the group to “Hiking”.",
        "Alice left the group. Bob is now the owner.",
    ]
    with translation.override("zh-hans"):
        assert [line.system_text for line in lines] == [
            "Alice 创建了群组，成员有 Bob和Carol。",
            "Alice 将群组重命名为“Hiking”。",
            "Alice 退出了群组。 Bob 现在是群主。",
        ]
        # The room list's preview of the latest line, in the reader's language too.
        assert Room.objects.for_user(bob).get(pk=group.pk).last_message_preview == "Alice 退出了群组。 Bob 现在是群主。"
    assert Room.objects.for_user(bob).get(pk=group.pk).last_message_preview == "Alice left the group. Bob is now the owner."


def test_added_members_line_in_chinese_lists_names_with_the_chinese_comma(alice, bob, carol, group, django_user_model):
    from accounts.tests.factories import UserFactory

    dave, erin = UserFactory(username="dave", nickname="Dave"), UserFactory(username="erin", nickname="Erin")
    befriend(alice, dave)
    befriend(alice, erin)
    group.add_members(alice, [dave, erin])
    line = group.messages.filter(kind="system").last()
    assert line.body == "Alice added Dave and Erin."
    with translation.override("zh-hans"):
        assert line.system_text == "Alice 添加了 Dave和Erin。"
        assert system.describe(system.created(alice, [bob, carol, dave])) == "Alice 创建了群组，成员有 Bob、Carol和Dave。"


def test_a_line_without_an_event_shows_its_body(alice, group):
    line = Message.objects.system(group, alice, "Something the migration could not read")
    with translation.override("zh-hans"):
        assert line.system_text == "Something the migration could not read"


def test_the_migration_reads_english_lines_back_into_events(alice, bob, carol):
    from importlib import import_module

    migration = import_module("rooms.migrations.0011_system_events")
    ids = {"Alice": alice.pk, "Bob": bob.pk, "Carol": carol.pk}
    read = lambda body: migration.read_line(body, alice.pk, ids)  # noqa: E731
    assert read("Alice created the group with Bob and Carol.") == {
        "kind": "created", "actor": [alice.pk, "Alice"], "users": [[bob.pk, "Bob"], [carol.pk, "Carol"]],
    }
    assert read("Alice added Bob, Carol and Dan.")["users"] == [[bob.pk, "Bob"], [carol.pk, "Carol"], [None, "Dan"]]
    assert read("Alice renamed the group to “Sat and Sun”.") == {"kind": "renamed", "actor": [alice.pk, "Alice"], "name": "Sat and Sun"}
    assert read("Alice left the group.") == {"kind": "left", "actor": [alice.pk, "Alice"], "heir": None}
    assert read("Alice left the group. Bob is now the owner.")["heir"] == [bob.pk, "Bob"]
    assert read("Something else") is None


def test_the_migration_converts_stored_lines(alice, bob, carol, group):
    from django.apps import apps as global_apps
    from importlib import import_module

    migration = import_module("rooms.migrations.0011_system_events")
    Message.objects.filter(kind="system").update(event=None)
    migration.lines_to_events(global_apps, None)
    line = group.messages.get(kind="system")
    assert line.event == system.created(alice, [bob, carol])
    with translation.override("zh-hans"):
        assert line.system_text == "Alice 创建了群组，成员有 Bob和Carol。"


def test_a_deleted_account_is_named_in_the_readers_language(client, alice, bob, direct_room):
    Message.objects.post(direct_room, bob, "Bye")
    delete_account(bob)
    html = page(client, alice, direct_room.get_absolute_url(), CHINESE_BROWSER)
    assert "已注销用户" in html and "Deleted user" not in html
    html = page(client, alice, direct_room.get_absolute_url(), ENGLISH_BROWSER)
    assert "Deleted user" in html and "已注销用户" not in html
    with translation.override("zh-hans"):
        assert Room.objects.for_user(alice).get(pk=direct_room.pk).title == "已注销用户"
