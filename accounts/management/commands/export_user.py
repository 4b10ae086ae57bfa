"""
manage.py export_user USER [--output FILE] [--dry-run]: the ZIP the person gets from their
export page (accounts.export), written to a file for an operator; the person's once-an-hour
limit is neither checked nor used. A dry run writes nothing and says what the ZIP would hold.
"""

import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts import export
from core.progress import Progress

from ._people import counts_line, find_user


class Command(BaseCommand):
    help = "Export one person's data (profile, friends, requests, rooms, messages, favorites, files) as a ZIP."

    def add_arguments(self, parser):
        parser.add_argument("user", help="username or email address")
        parser.add_argument("--output", "-o", help="where to write the ZIP (default: chat-export-<username>.zip)")
        parser.add_argument("--dry-run", action="store_true", help="write nothing; say what the ZIP would hold")

    def handle(self, *args, user, output, dry_run, verbosity, **options):
        person = find_user(user)
        path = Path(output or f"chat-export-{person.username}.zip")
        if not dry_run and path.exists():
            raise CommandError(f"{path} exists; choose another --output.")
        total = export.size(person)
        with Progress(self.stderr, "export", total, quiet=verbosity < 1) as bar:

            def on_progress(done, total):
                bar.advance(done - bar.done)

            if dry_run:
                counts = export.write(person, io.BytesIO(), on_progress, total)
            else:
                with open(path, "xb") as out:
                    counts = export.write(person, out, on_progress, total)
        if dry_run:
            self.stdout.write(f"Dry run: nothing written. The export of {person.username} would hold {counts_line(counts)}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Wrote {path} ({counts_line(counts)})."))
