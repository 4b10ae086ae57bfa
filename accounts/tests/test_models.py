import pytest
from django.db import IntegrityError

from accounts.models import User

from .factories import UserFactory


def test_create_user_stores_the_email_lower_cased(db):
    user = User.objects.create_user("dana", "  Dana@Example.COM ", "pw-123456789", nickname="Dana")
    assert user.email == "dana@example.com"
    assert user.nickname == "Dana"


def test_email_is_unique_whatever_its_case(db):
    UserFactory(username="alice", email="alice@example.com")
    with pytest.raises(IntegrityError):
        User.objects.create_user("alice2", "ALICE@example.com", "pw-123456789")


def test_username_is_unique_whatever_its_case(db):
    UserFactory(username="alice")
    with pytest.raises(IntegrityError):
        User.objects.create_user("Alice", "other@example.com", "pw-123456789")


def test_nickname_defaults_to_the_username(db):
    assert User.objects.create_user("erin", "erin@example.com", "pw-123456789").nickname == "erin"


def test_usernames_are_unique_by_their_folded_key(db):
    UserFactory(username="Straße")
    with pytest.raises(IntegrityError):
        User.objects.create_user("STRASSE", "other@example.com", "pw-123456789")


def test_a_dotless_i_is_another_name_with_an_account_of_its_own(db):
    alice = UserFactory(username="alice")
    other = UserFactory(username="alıce")
    assert User.objects.get_by_natural_key("ALICE") == alice
    assert User.objects.get_by_natural_key("alıce") == other


def test_bulk_created_users_get_their_key_too(db):
    User.objects.bulk_create([User(username="Zoë", email="zoe@example.com", nickname="Zoë")])
    assert User.objects.get(username="Zoë").username_key == "zoë"
