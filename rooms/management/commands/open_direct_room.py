from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from rooms.models import Room, RoomError


class Command(BaseCommand):
    help = "Open (creating it the first time) the direct room of two friends and print its id."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs=2, metavar="username")

    def handle(self, *args, usernames, **options):
        user, other = (self.user(username) for username in usernames)
        try:
            room, created = Room.objects.get_or_create_direct(user, other)
        except RoomError as error:
            raise CommandError(error.message) from None
        if options["verbosity"] > 1:
            self.stderr.write(f"{'Created' if created else 'Found'} the direct room of {user} and {other}.")
        self.stdout.write(str(room.pk))

    def user(self, username):
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user named {username!r}.") from None
