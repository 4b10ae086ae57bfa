"""
Messages keep their text rendered for the page (`Message.body_html`, core/formatting.py):
the new column, and the text messages stored before it rendered once (in batches, so a large
history does not sit in memory).
"""

from django.db import migrations, models

from core.formatting import render_html

BATCH = 500


def render_existing(apps, schema_editor):
    Message = apps.get_model("rooms", "Message")
    todo = Message.objects.filter(kind="text", deleted_at__isnull=True, body_html__isnull=True).exclude(body="").order_by("pk")
    last = 0
    while True:
        batch = list(todo.filter(pk__gt=last).only("pk", "body")[:BATCH])
        if not batch:
            return
        for message in batch:
            message.body_html = render_html(message.body)
        Message.objects.bulk_update(batch, ["body_html"])
        last = batch[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ("rooms", "0006_report_moves_to_moderation"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="body_html",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(render_existing, migrations.RunPython.noop, elidable=True),
    ]
