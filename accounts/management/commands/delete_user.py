"""
manage.py delete_user USER [--delete-messages] [--dry-run] [--noinput]: what the person's
"Delete my account" does (accounts.actions.delete_account), for an operator. A dry run does
it all in a transaction that is rolled back, and says what would go.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.actions import delete_account

from ._people import counts_line, find_user


class Command(BaseCommand):
    help = "Delete one person's account as they would themselves (messages kept unless --delete-messages)."

    def add_arguments(self, parser):
        parser.add_argument("user", help="username or email address")
        parser.add_argument("--delete-messages", action="store_true", help="delete their messages too")
        parser.add_argument("--dry-run", action="store_true", help="change nothing; say what would go")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive", help="do not ask to confirm")

    def handle(self, *args, user, delete_messages, dry_run, interactive, **options):
        person = find_user(user)
        if not dry_run and interactive:
            answer = input(f"Delete the account {person.username} ({person.email}) for good? Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing deleted.")
        deletion = delete_account(person, delete_messages=delete_messages, operator=True, dry_run=dry_run)
        what = counts_line(deletion.counts)
        if dry_run:
            self.stdout.write(f"Dry run: nothing changed. Deleting {deletion.username} would remove {what}.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Deleted {deletion.username} ({what}); the username is held until {deletion.held_until:%Y-%m-%d}."
                )
            )
