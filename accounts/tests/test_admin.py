import pytest
from django.core.management import call_command

from accounts.models import User

from .factories import UserFactory


@pytest.fixture
def admin_client_logged_in(client, db):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


@pytest.mark.parametrize("query", ["zed", "Zedster", "zed@"])
def test_user_admin_searches_username_nickname_and_email(admin_client_logged_in, query):
    UserFactory(username="zed", nickname="Zedster", email="zed@example.com")
    UserFactory(username="yan", nickname="Yan", email="yan@example.com")
    response = admin_client_logged_in.get("/admin/accounts/user/", {"q": query})
    names = [user.username for user in response.context["cl"].result_list]
    assert names == ["zed"]


def test_user_admin_bans_by_deactivating_after_a_confirmation(admin_client_logged_in, alice, bob):
    # More on bans (sockets, the admin log, moderators) in rooms/tests/moderation/test_admin_actions.py.
    selection = {"action": "ban", "_selected_action": [alice.pk]}
    confirmation = admin_client_logged_in.post("/admin/accounts/user/", selection)
    assert "Ban these people?" in confirmation.content.decode()
    response = admin_client_logged_in.post("/admin/accounts/user/", {**selection, "post": "yes"}, follow=True)
    assert "1 user banned" in response.content.decode()
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.is_active, bob.is_active) == (False, True)


def test_user_admin_filters_by_active(admin_client_logged_in, alice, bob):
    User.objects.filter(pk=bob.pk).update(is_active=False)
    response = admin_client_logged_in.get("/admin/accounts/user/", {"is_active__exact": "0"})
    assert [u.username for u in response.context["cl"].result_list] == ["bob"]


def test_demo_users_command_is_idempotent(db, capsys):
    call_command("create_demo_users")
    call_command("create_demo_users")
    assert sorted(User.objects.values_list("username", flat=True)) == ["alice", "bob", "carol"]
    assert User.objects.get(username="bob").check_password("chat-demo-2026")
    assert "password: chat-demo-2026" in capsys.readouterr().out
