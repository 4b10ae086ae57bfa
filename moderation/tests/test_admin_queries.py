"""
The moderators' list pages cost the same number of queries with 5 rows as with 200 (a full
page is 100): no query per row. seed_demo's 100,000 messages measure the time (README).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from rooms.models import Membership, Message, Room
from moderation.models import Report

from .helpers import changelist


MAX_QUERIES = 12  # session, user, permissions, count, page, filters... whatever the rows


def build(n):
    """n people, n groups of two, n messages and n reports (made in bulk: only the lists matter)."""
    start = User.objects.count()
    users = User.objects.bulk_create(
        [User(username=f"p{start + i}", nickname=f"P{i}", email=f"p{start + i}@example.com") for i in range(n + 1)]
    )
    rooms = Room.objects.bulk_create([Room(kind="group", name=f"Group {i}", created_by=users[i]) for i in range(n)])
    Membership.objects.bulk_create(
        [Membership(room=room, user=user) for i, room in enumerate(rooms) for user in (users[i], users[i + 1])]
    )
    messages = Message.objects.bulk_create(
        [Message(room=room, sender=users[i], body=f"message {i} " * 5) for i, room in enumerate(rooms)]
    )
    Report.objects.bulk_create(
        [Report(message=m, reporter=users[i + 1], reason="spam", note="look") for i, m in enumerate(messages)]
    )


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


LISTS = [
    (User, ""),
    (User, "?q=p1&is_active__exact=1"),
    (Room, ""),
    (Room, "?kind__exact=group"),
    (Membership, ""),
    (Message, ""),
    (Message, "?q=message&reported=open"),
    (Message, "?kind__exact=text&o=-1"),
    (Report, ""),
    (Report, "?status__exact=open&q=p"),
]


@pytest.mark.parametrize(("model", "query"), LISTS)
def test_a_list_page_costs_the_same_with_5_rows_as_with_200(mod_client, django_assert_max_num_queries, model, query):
    url = changelist(model) + query
    build(5)
    few = queries(mod_client, url)

    build(195)
    with django_assert_max_num_queries(few):
        page = mod_client.get(url)

    assert len(page.context["cl"].result_list) > 5
    assert few <= MAX_QUERIES


def test_a_big_groups_page_lists_its_members_without_a_query_each(client, superuser, django_assert_max_num_queries):
    client.force_login(superuser)
    build(60)
    room = Room.objects.first()
    Membership.objects.bulk_create(
        [Membership(room=room, user=user) for user in User.objects.exclude(memberships__room=room)]
    )
    url = f"/admin/rooms/room/{room.pk}/change/"

    with django_assert_max_num_queries(MAX_QUERIES):
        page = client.get(url)

    assert page.status_code == 200 and room.memberships.count() > 60


def test_no_form_offers_a_select_of_every_user_room_or_message(rf, superuser):
    """Foreign keys on admin forms are read-only, raw ids or autocompletes: never a huge <select>."""
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model in (User, Room, Message)):
                continue
            if field.many_to_many:
                continue
            shown = {f for _, options in model_admin.get_fieldsets(request) for f in options["fields"]}
            if field.name not in shown:
                continue
            assert (
                field.name in model_admin.get_readonly_fields(request)
                or field.name in model_admin.raw_id_fields
                or field.name in model_admin.autocomplete_fields
            ), f"{model.__name__}.{field.name} would be a select of every row"
