"""What the export_user and delete_user commands share: finding the account they name."""

from django.core.management.base import CommandError

from accounts.models import User


def find_user(typed):
    """The account a username (however typed) or email names; CommandError otherwise."""
    user = User.objects.for_login(typed)
    if user is None:
        raise CommandError(f"No account is called {typed!r}.")
    if user.is_deleted:
        raise CommandError(f"{typed!r} is a deleted account.")
    return user


def counts_line(counts):
    return ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in counts.items())
