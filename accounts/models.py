import unicodedata

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower

from core.text import without_bidi_controls


class UserManager(DjangoUserManager):
    def create_user(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("nickname", username)
        return super().create_user(username, normalize_email(email), password, **extra_fields)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("nickname", username)
        return super().create_superuser(username, normalize_email(email), password, **extra_fields)

    def get_by_natural_key(self, username):
        """The account a typed username reaches: the one with its key (see `username_key`)."""
        return self.get(username_key=username_key(username))

    def for_login(self, username_or_email):
        """The account a login names, by username key or, given an "@", by email; or None."""
        typed = (username_or_email or "").strip()
        if "@" in typed:
            return self.filter(email=normalize_email(typed)).first()
        return self.filter(username_key=username_key(typed)).first()

    def email_taken(self, email, exclude=None):
        users = self.filter(email__iexact=normalize_email(email))
        if exclude is not None:
            users = users.exclude(pk=exclude.pk)
        return users.exists()

    def username_taken(self, username):
        return self.filter(username_key=username_key(username)).exists()


def normalize_email(email):
    """One spelling per address: trimmed and lower-cased, so uniqueness ignores case."""
    return (email or "").strip().lower()


def username_key(username):
    """
    The one spelling of a username that lookups and uniqueness use: Unicode NFKC, case-folded,
    NFKC again (Unicode's NFKC_Casefold, near enough). "Alice", "ALICE" and "ａｌｉｃｅ" are one
    name; "alıce" (dotless ı) is another, whatever the database's own idea of case (PostgreSQL's
    UPPER() makes it "ALICE").
    """
    folded = unicodedata.normalize("NFKC", (username or "").strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


class UsernameKeyField(models.CharField):
    """`username_key(username)`, set on every save and bulk_create (through pre_save)."""

    def pre_save(self, model_instance, add):
        value = username_key(model_instance.username)
        setattr(model_instance, self.attname, value)
        return value


def avatar_path(user, filename):
    return f"avatars/{user.pk or 'new'}/{filename}"


class User(AbstractUser):
    """
    A person on the chat site.

    Invariants: the username is unique by its key (`username_key`: NFKC and case folding, a
    unique column), so one account answers to a name however it is typed; the email is unique
    whatever its case (stored lower-cased, a constraint on its lower-cased value); the
    nickname is what other people see.
    """

    username_key = UsernameKeyField(max_length=450, unique=True, editable=False)
    nickname = models.CharField(max_length=50)
    email = models.EmailField("email address")
    avatar = models.ImageField(upload_to=avatar_path, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    REQUIRED_FIELDS = ["email", "nickname"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.username

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        self.nickname = without_bidi_controls(self.nickname).strip()
        super().save(*args, **kwargs)

    @property
    def display_name(self):
        return self.nickname or self.username

    @property
    def initials(self):
        return (self.display_name[:1] or "?").upper()


class UserSession(AbstractBaseSession):
    """
    A Django session (the store is `accounts.sessions`), with the id of the user it logs in,
    so a person's sessions can be found, and deleted when the account is deactivated, in one
    indexed query. Not a foreign key: a session row never blocks deleting a user.
    """

    user_id = models.BigIntegerField(null=True, db_index=True)

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore
