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
