"""
System lines become events (rooms/system.py), said in each reader's language: the English
lines stored so far are read back into events where they can be (the people they name are
matched to accounts by nickname; a name that matches no one, or several, keeps no id). A line
that cannot be read keeps its body, shown as it is.
"""

import re

from django.db import migrations, models

RENAMED = re.compile(r"^(?P<actor>.+?) renamed the group to “(?P<name>.*)”\.$", re.S)
CREATED = re.compile(r"^(?P<actor>.+?) created the group with (?P<people>.+)\.$", re.S)
LEFT = re.compile(r"^(?P<actor>.+?) left the group\.(?: (?P<heir>.+) is now the owner\.)?$", re.S)
ADDED = re.compile(r"^(?P<actor>.+?) added (?P<people>.+)\.$", re.S)


def split_names(text):
    """ "Alice, Bob and Carol" (Django's get_text_list with "and") -> the names."""
    head, sep, last = text.rpartition(" and ")
    return [*head.split(", "), last] if sep else [text]


def read_line(body, sender_id, ids_by_name):
    def person(name, user_id=None):
        return [user_id if user_id is not None else ids_by_name.get(name), name]

    if match := RENAMED.match(body):
        return {"kind": "renamed", "actor": person(match["actor"], sender_id), "name": match["name"]}
    if match := CREATED.match(body):
        return {"kind": "created", "actor": person(match["actor"], sender_id), "users": [person(n) for n in split_names(match["people"])]}
    if match := LEFT.match(body):
        heir = person(match["heir"]) if match["heir"] else None
        return {"kind": "left", "actor": person(match["actor"], sender_id), "heir": heir}
    if match := ADDED.match(body):
        return {"kind": "added", "actor": person(match["actor"], sender_id), "users": [person(n) for n in split_names(match["people"])]}
    return None


def lines_to_events(apps, schema_editor):
    Message = apps.get_model("rooms", "Message")
    User = apps.get_model("accounts", "User")
    lines = Message.objects.filter(kind="system", event__isnull=True, deleted_at__isnull=True).exclude(body="")
    ids_by_name = _Lookup(User, {})
    for message in lines.only("pk", "body", "sender_id").iterator(chunk_size=500):
        event = read_line(message.body, message.sender_id, ids_by_name)
        if event is not None:
            Message.objects.filter(pk=message.pk).update(event=event)


class _Lookup:
    """Nickname -> user id, asked once per name per room (None when no one, or several, have it)."""

    def __init__(self, User, cache):
        self.User, self.cache = User, cache

    def get(self, name):
        if name not in self.cache:
            ids = list(self.User.objects.filter(nickname=name).values_list("pk", flat=True)[:2])
            self.cache[name] = ids[0] if len(ids) == 1 else None
        return self.cache[name]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("rooms", "0010_search_in_chinese"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="event",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="message",
            name="kind",
            field=models.CharField(
                choices=[("text", "Text"), ("image", "Picture"), ("file", "File"), ("system", "System line")],
                default="text",
                max_length=6,
            ),
        ),
        migrations.RunPython(lines_to_events, migrations.RunPython.noop),
    ]
