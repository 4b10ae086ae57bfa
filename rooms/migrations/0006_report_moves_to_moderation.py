"""Reports now live in the moderation app (moderation 0001); their table and rows stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0005_search_words_of_file_names"),
        ("moderation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Report")], database_operations=[]),
    ]
