from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models, transaction
from django.db.models.functions import Lower

from rooms import live


class UserManager(DjangoUserManager):
    def create_user(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("nickname", username)
        return super().create_user(username, normalize_email(email), password, **extra_fields)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("nickname", username)
        return super().create_superuser(username, normalize_email(email), password, **extra_fields)

    def get_by_natural_key(self, username):
        """Usernames are unique whatever their case, so look them up that way too."""
        return self.get(username__iexact=username)

    def email_taken(self, email, exclude=None):
        users = self.filter(email__iexact=normalize_email(email))
        if exclude is not None:
            users = users.exclude(pk=exclude.pk)
        return users.exists()

    def username_taken(self, username):
        return self.filter(username__iexact=username).exists()


def normalize_email(email):
    """One spelling per address: trimmed and lower-cased, so uniqueness ignores case."""
    return (email or "").strip().lower()


def avatar_path(user, filename):
    return f"avatars/{user.pk or 'new'}/{filename}"


class User(AbstractUser):
    """
    A person on the chat site.

    Invariants: the username and the email are each unique whatever their case (database
    constraints on their lower-cased values); the nickname is what other people see.
    """

    nickname = models.CharField(max_length=50)
    email = models.EmailField("email address")
    avatar = models.ImageField(upload_to=avatar_path, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    REQUIRED_FIELDS = ["email", "nickname"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.username

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)
        if not self.is_active and self.pk:
            # A deactivated (banned) account keeps no open socket, on any server process.
            transaction.on_commit(self._close_sockets, robust=True)

    def _close_sockets(self):
        live.broadcast(live.user_group(self.pk), event={"kind": "user.deactivated"})

    @property
    def display_name(self):
        return self.nickname or self.username

    @property
    def initials(self):
        return (self.display_name[:1] or "?").upper()
