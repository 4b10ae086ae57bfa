"""
Reports: a member tells the moderators about a message. The moderators work through them in
the admin (moderation.admin); the rules of reporting are on the manager.
"""

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rooms.errors import RoomError
from rooms.models import Message


class ReportError(RoomError):
    """A report was refused (own message, deleted message, reported before...); nothing stored."""


class ReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Report.Status.OPEN)

    def resolve(self, by, status):
        """Close the open ones among these reports as status, by by; returns how many."""
        return self.open().update(status=status, resolved_by=by, resolved_at=timezone.now())


class ReportManager(models.Manager.from_queryset(ReportQuerySet)):
    def require_can_report(self, message, reporter):
        """
        Raise why reporter cannot report message, if they cannot: only members of its room
        report it (RoomNotFound otherwise, the answer for any room one is not in), not their
        own message, a system line or a deleted message, and only once (ReportError).
        """
        message.room.membership_of(reporter)
        if message.is_system:
            raise ReportError(_("System lines cannot be reported."), code="system")
        if message.deleted_at is not None:
            raise ReportError(_("This message was deleted."), code="deleted")
        if message.sender_id == reporter.pk:
            raise ReportError(_("You cannot report your own message."), code="own")
        if self.filter(message=message, reporter=reporter).exists():
            raise ReportError(_("You have already reported this message."), code="duplicate")

    def file(self, message, reporter, reason, note=""):
        """
        reporter reports message to the moderators, for reason (a `Report.Reason`) with an
        optional note of up to 500 characters; returns the report. The rules are those of
        `require_can_report()`; the database keeps it to one report per person and message,
        also under a race.
        """
        self.require_can_report(message, reporter)
        if reason not in Report.Reason.values:
            raise ReportError(_("Choose a reason from the list."), code="reason")
        note = (note or "").replace("\x00", "").strip()
        if len(note) > Report.NOTE_MAX_LENGTH:
            raise ReportError(_("The note can be at most %(count)s characters.") % {"count": Report.NOTE_MAX_LENGTH}, code="note")
        try:
            with transaction.atomic():
                return self.create(message=message, reporter=reporter, reason=reason, note=note)
        except IntegrityError:
            raise ReportError(_("You have already reported this message."), code="duplicate") from None


class Report(models.Model):
    """
    A member's report of a message to the moderators: a reason from a short list and a note.

    Invariants: a person reports a message at most once (a unique constraint); a report stays
    open until a moderator resolves it (dismissed, message deleted or sender banned), which
    records who resolved it and when. Reports go with their message when it is purged.
    """

    NOTE_MAX_LENGTH = settings.REPORT_NOTE_MAX_LENGTH

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        HARASSMENT = "harassment", _("Harassment or bullying")
        HATE = "hate", _("Hate speech")
        EXPLICIT = "explicit", _("Sexual or violent content")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        MESSAGE_DELETED = "deleted", _("Message deleted")
        SENDER_BANNED = "banned", _("Sender banned")

    # The unique (message, reporter) index serves the message's foreign key too.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports", db_index=False)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_filed")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    note = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ReportManager()

    class Meta:
        db_table = "rooms_report"  # made when reports were part of rooms; every row kept
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="rooms_report_once_per_person"),
        ]
        indexes = [models.Index(fields=["status", "-id"], name="report_status_latest_idx")]

    def __str__(self):
        return f"Report #{self.pk} of message #{self.message_id} ({self.get_reason_display()})"

    @property
    def is_open(self):
        return self.status == self.Status.OPEN
