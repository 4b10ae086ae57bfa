from django.core.management.base import BaseCommand

from accounts.models import User

DEMO_PASSWORD = "chat-demo-2026"
DEMO_USERS = [("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol")]


class Command(BaseCommand):
    help = "Create the demo users alice, bob and carol (idempotent) and print their password."

    def handle(self, *args, **options):
        for username, nickname in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"nickname": nickname, "email": f"{username}@example.com"},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            self.stdout.write(f"{'created' if created else 'exists '}  {username}")
        self.stdout.write(self.style.SUCCESS(f"Demo users: alice, bob, carol; password: {DEMO_PASSWORD}"))
