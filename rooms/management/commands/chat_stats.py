"""A summary of the site for operators: people, rooms, and messages per day."""

from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from rooms.models import Message, Room


def table(rows, headers):
    """rows as an aligned text table: text columns to the left, numbers to the right."""
    cells = [headers] + [[f"{v:,}" if isinstance(v, int) else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(isinstance(row[i], int) for row in rows) and rows for i in range(len(headers))]

    def line(row):
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(row, widths, numeric)).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(row) for row in cells[1:]])


class Command(BaseCommand):
    help = (
        "Print the site's numbers as tables: people (all, active in the last day: logged in "
        "or sent a message, banned), rooms by kind, and messages sent per day over the last "
        "DAYS days (7 by default; system lines not counted), in the site's time zone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="days of messages per day (default 7, at most 366)")

    def handle(self, *args, days, **options):
        if not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366.")
        now = timezone.localtime()
        tables = [
            table(self.people(now), ["people", "count"]),
            table(self.rooms(), ["rooms", "count"]),
            table(self.per_day(now, days), ["day", "messages"]),
        ]
        self.stdout.write(f"Chat statistics at {now:%Y-%m-%d %H:%M %Z}")
        for text in tables:
            self.stdout.write("")
            self.stdout.write(text)

    def people(self, now):
        since = now - timedelta(days=1)
        senders = Message.objects.filter(created_at__gte=since, sender__isnull=False).values("sender")
        counts = User.objects.aggregate(
            all=Count("pk"),
            active=Count("pk", filter=Q(last_login__gte=since) | Q(pk__in=senders)),
            banned=Count("pk", filter=Q(is_active=False)),
        )
        return [
            ["all", counts["all"]],
            ["active in the last day", counts["active"]],
            ["banned", counts["banned"]],
        ]

    def rooms(self):
        by_kind = dict(Room.objects.order_by().values_list("kind").annotate(n=Count("pk")))
        rows = [[label.lower(), by_kind.get(kind, 0)] for kind, label in Room.Kind.choices]
        return rows + [["all", sum(by_kind.values())]]

    def per_day(self, now, days):
        first = now.date() - timedelta(days=days - 1)
        start = timezone.make_aware(datetime.combine(first, time.min), now.tzinfo)
        counted = dict(
            Message.objects.filter(created_at__gte=start)
            .exclude(kind=Message.Kind.SYSTEM)
            .annotate(day=TruncDate("created_at", tzinfo=now.tzinfo))
            .order_by()
            .values_list("day")
            .annotate(n=Count("pk"))
        )
        rows = [[f"{day:%Y-%m-%d %a}", counted.get(day, 0)] for day in (first + timedelta(n) for n in range(days))]
        return rows + [["all", sum(row[1] for row in rows)]]
