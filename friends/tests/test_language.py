"""The friend list and the notifications page in the reader's language (Chinese or English)."""

import re

import pytest
from django.urls import reverse

from friends.models import FriendRequest

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")

pytestmark = pytest.mark.django_db


def test_a_chinese_reader_adds_a_friend_in_chinese(client, alice, bob):
    client.force_login(alice)
    page = client.get(reverse("friends:list"), **CHINESE).content.decode()
    assert "添加好友" in page and "还没有好友。" in page
    refused = client.post(reverse("friends:add"), {"username": "nobody"}, **CHINESE)
    assert refused.status_code == 422
    assert "没有用户名为“nobody”的用户。" in refused.content.decode()
    sent = client.post(reverse("friends:add"), {"username": "bob", "reason": "你好"}, follow=True, **CHINESE)
    assert "已向 Bob 发送好友请求。" in sent.content.decode()


def test_a_chinese_reader_answers_a_request_in_chinese(client, alice, bob):
    FriendRequest.objects.send(bob, alice, reason="一起去爬山吧")
    client.force_login(alice)
    page = client.get(reverse("friends:requests"), **CHINESE).content.decode()
    assert "收到的好友请求" in page and ">接受<" in page and ">拒绝<" in page and "刚刚" in page
    request = FriendRequest.objects.get()
    answered = client.post(reverse("friends:accept", args=[request.pk]), follow=True, **CHINESE)
    assert "你和 Bob 现在是好友了。" in answered.content.decode()
    assert "1 位好友" in client.get(reverse("friends:list"), **CHINESE).content.decode()


def test_an_english_reader_sees_no_chinese_on_the_friends_pages(client, alice, bob):
    FriendRequest.objects.send(bob, alice, reason="climb?")
    client.force_login(alice)
    for path in (reverse("friends:list"), reverse("friends:requests")):
        page = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert not CJK.search(page), CJK.search(page)
