import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.files.storage import FileSystemStorage, storages
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.text import without_bidi_controls

from .zones import TIME_ZONE_MAX_LENGTH, validate_time_zone


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

    def username_taken(self, username, exclude=None):
        """Whether the name is someone's (but exclude's), or held after an account with it was deleted."""
        key = username_key(username)
        users = self.filter(username_key=key)
        if exclude is not None and exclude.pk:
            users = users.exclude(pk=exclude.pk)
        return users.exists() or HeldUsername.objects.holding(key).exists()


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


class Theme(models.TextChoices):
    SYSTEM = "system", _("System")
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")


class User(AbstractUser):
    """
    A person on the chat site.

    Invariants: the username is unique by its key (`username_key`: NFKC and case folding, a
    unique column), so one account answers to a name however it is typed; the email is unique
    whatever its case (stored lower-cased, a constraint on its lower-cased value), but for
    the empty email of deleted accounts; the nickname is what other people see.

    A deleted account (`accounts.actions.delete_account`) stays as a row with nothing of the
    person left: `deleted_at` set, inactive, no usable password, no email or avatar, the
    nickname "Deleted user" and a username no one can type ("deleted:<id>"). Its messages
    keep it as their sender, and the admin log keeps it as the one who deleted it; its old
    username is held for USERNAME_HOLD_DAYS (`HeldUsername`).
    """

    DELETED_NICKNAME = "Deleted user"

    username_key = UsernameKeyField(max_length=450, unique=True, editable=False)
    nickname = models.CharField(max_length=50)
    email = models.EmailField(_("email address"))
    avatar = models.ImageField(upload_to=avatar_path, blank=True)
    # Preferences (the profile's Appearance and notifications): the colour scheme is applied
    # on <html> when the page is rendered, so a dark page never flashes light first.
    theme = models.CharField(
        _("colour scheme"), max_length=6, choices=Theme.choices, default=Theme.SYSTEM,
        help_text=_("System follows the device's setting."),
    )
    desktop_notifications = models.BooleanField(
        _("desktop notifications"), default=True,
        help_text=_("A notice from the browser when a message comes to a chat you are not looking at (unless it is muted)."),
    )
    # Privacy (the profile's Privacy): on, the person's read receipts and last seen are shown to
    # nobody, and they see nobody's (as in the products people know).
    hide_activity = models.BooleanField(
        _("hide read receipts and last seen"), default=False,
        help_text=_("Others do not see when you read their messages or when you were last online, and you do not see theirs."),
    )
    # Language and time zone (the profile's Language and time, and the browser): an empty
    # language follows the browser's (Accept-Language, or the switcher's cookie); a saved one
    # wins over it (accounts.middleware). The time zone is the browser's, sent by site.js
    # whenever it differs from the one saved; empty reads times in UTC.
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES,
        help_text=_("Empty follows your browser."),
    )
    time_zone = models.CharField(_("time zone"), max_length=TIME_ZONE_MAX_LENGTH, blank=True, validators=[validate_time_zone])
    # When the person's last tab closed, or their first one opened (accounts.apps: a presence hook).
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    REQUIRED_FIELDS = ["email", "nickname"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.username

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        self.nickname = without_bidi_controls(self.nickname).strip()
        super().save(*args, **kwargs)

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def display_name(self):
        """The name others see: the nickname; a deleted account's in the reader's language (the
        nickname stored, DELETED_NICKNAME, is English)."""
        if self.deleted_at is not None:
            return gettext("Deleted user")
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


class HeldUsernameQuerySet(models.QuerySet):
    def holding(self, key):
        """The hold on a username key, if it still holds."""
        return self.filter(username_key=key, held_until__gt=timezone.now())


class HeldUsername(models.Model):
    """
    The username of a deleted account, which no one may take until `held_until`
    (USERNAME_HOLD_DAYS after the deletion): not at sign-up, not by a change of username. One
    row per key (a later deletion of an account that took the name again renews it); a row
    past its date holds nothing and may be removed at any time.
    """

    username_key = models.CharField(max_length=450, unique=True)
    held_until = models.DateTimeField()

    objects = HeldUsernameQuerySet.as_manager()

    def __str__(self):
        return f"{self.username_key} (held until {self.held_until:%Y-%m-%d})"

    @classmethod
    def hold(cls, username):
        until = timezone.now() + timedelta(days=settings.USERNAME_HOLD_DAYS)
        cls.objects.filter(held_until__lte=timezone.now()).delete()  # past holds, while here
        cls.objects.update_or_create(username_key=username_key(username), defaults={"held_until": until})
        return until


def export_path(export, filename):
    return f"{export.user_id}/{filename}"


class ExportStorage(FileSystemStorage):
    """Data exports under EXPORTS_ROOT, with no URL: only their owner downloads them (accounts:export_download)."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.EXPORTS_ROOT)

    def url(self, name):
        raise ValueError("Exports have no public URL: link to accounts:export_download.")

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "EXPORTS_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


def export_storage():
    return storages["exports"]


class DataExportQuerySet(models.QuerySet):
    def counting_against(self, user):
        """
        user's exports that count against one per EXPORT_INTERVAL_SECONDS: those started in
        the interval that did not fail (a failed or abandoned one may be tried again at once).
        """
        since = timezone.now() - timedelta(seconds=settings.EXPORT_INTERVAL_SECONDS)
        return self.filter(user=user, created_at__gt=since).exclude(status=DataExport.Status.FAILED)


class DataExport(models.Model):
    """
    A ZIP of everything of one person's (accounts.export): built at once when small, else in
    the background, with its progress (`done` of `total` items) on the export page. Invariant:
    a READY export has its file; at most one export per EXPORT_INTERVAL_SECONDS counts
    (`DataExport.objects.counting_against`, checked under a lock on the user's row).
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports")
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.RUNNING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_path, storage=export_storage, max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)

    objects = DataExportQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="export_user_latest_idx")]

    def __str__(self):
        return f"export #{self.pk} of {self.user_id} ({self.status})"

    @property
    def percent(self):
        return int(100 * self.done / self.total) if self.total else (100 if self.status == self.Status.READY else 0)

    @property
    def is_running(self):
        return self.status == self.Status.RUNNING

    @property
    def is_ready(self):
        return self.status == self.Status.READY

    @property
    def stalled(self):
        """A running export not moved on for EXPORT_STALLED_SECONDS: its process is gone."""
        return self.is_running and self.updated_at < timezone.now() - timedelta(seconds=settings.EXPORT_STALLED_SECONDS)


def record_last_seen(user_ids, online):
    """These people's first tab opened or their last one closed: that is when they were last
    seen (one query, however many: a reconnect storm brings thousands at once)."""
    # Not a deleted account's: its sockets close after the deletion, and it is seen no more.
    User.objects.filter(pk__in=list(user_ids), deleted_at__isnull=True).update(last_seen_at=timezone.now())
