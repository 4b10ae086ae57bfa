"""Delete old messages for good, in small batches (safe to run from cron)."""

from argparse import ArgumentTypeError
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rooms.models import Message, Room


def positive(value):
    try:
        number = int(value)
    except ValueError:
        raise ArgumentTypeError(f"expected a whole number, not {value!r}") from None
    if number < 1:
        raise ArgumentTypeError(f"expected a number of at least 1, not {number}")
    return number


class Command(BaseCommand):
    help = (
        "Delete messages older than DAYS days for good, in all rooms or in one room, "
        "in batches (each its own transaction, so the site keeps running), and say how "
        "many. System lines go too, and with each message its reports, favorites and "
        "files. --dry-run only counts. Unlike a moderator's delete, nothing is shown in "
        "place of a purged message: it is simply no longer there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=positive,
            required=True,
            metavar="DAYS",
            help="delete messages older than this many days",
        )
        parser.add_argument("--room", type=positive, metavar="ID", help="only in the room with this id")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
        parser.add_argument(
            "--batch-size", type=positive, default=1000, metavar="N", help="messages per batch (default 1,000)"
        )

    def handle(self, *args, older_than, room, dry_run, batch_size, **options):
        cutoff = timezone.now() - timedelta(days=older_than)
        old = Message.objects.filter(created_at__lt=cutoff)
        where = ""
        if room is not None:
            found = Room.objects.filter(pk=room).first()
            if found is None:
                raise CommandError(f"There is no room with id {room}.")
            old = old.filter(room=found)
            where = f" in room {found.pk} ({found})"
        before = f"{timezone.localtime(cutoff):%Y-%m-%d %H:%M %Z}"
        what = f"message(s) older than {older_than} day(s) (before {before}){where}"

        if dry_run:
            self.stdout.write(f"Would delete {old.count():,} {what}. Nothing was deleted (--dry-run).")
            return

        deleted = 0
        while True:
            # Ids grow with time, so the oldest messages are the lowest ids: each batch
            # walks the primary key from the start and stops after batch_size matches.
            ids = list(old.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            _, per_model = Message.objects.filter(pk__in=ids).delete()
            deleted += per_model.get(Message._meta.label, 0)
            if options["verbosity"] > 1:
                self.stderr.write(f"  {deleted:,} deleted so far", style_func=lambda text: text)
        self.stdout.write(f"Deleted {deleted:,} {what}.")
