"""
Usernames are unique by their key (NFKC + case folding) instead of by LOWER(username): the
database's idea of case differs between backends (PostgreSQL's UPPER('alıce') is 'ALICE').
Should two existing names fold to one key, the newer account's key gets "~<id>" appended:
that person logs in with their email, and nobody can sign up as the folded name.
"""

from django.db import migrations, models

import accounts.models


def fill_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set()
    for user in User.objects.order_by("pk").only("pk", "username").iterator():
        key = accounts.models.username_key(user.username)
        if key in taken:
            key = f"{key}~{user.pk}"
        taken.add(key)
        User.objects.filter(pk=user.pk).update(username_key=key)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(max_length=450, null=True, editable=False),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=accounts.models.UsernameKeyField(editable=False, max_length=450, unique=True),
        ),
        migrations.RemoveConstraint(model_name="user", name="accounts_user_username_ci_unique"),
    ]
