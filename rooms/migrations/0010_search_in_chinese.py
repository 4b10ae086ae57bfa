"""
Search in Chinese (rooms/search.py): on PostgreSQL a function that gives a body's CJK bigrams
and a GIN index on it; other databases record the index in the state and build nothing.
"""

import django.db.models
from django.db import migrations

import rooms.search


class Migration(migrations.Migration):

    dependencies = [
        ('rooms', '0009_membership_muted'),
    ]

    operations = [
        rooms.search.RunSQLOnPostgreSQL(
            rooms.search.CJK_BIGRAMS_FUNCTION,
            rooms.search.DROP_CJK_BIGRAMS_FUNCTION,
        ),
        rooms.search.AddIndexOnPostgreSQL(
            model_name='message',
            index=rooms.search.PostgreSQLGinIndex(rooms.search.CjkBigrams(django.db.models.F('body')), name='message_body_cjk_idx'),
        ),
    ]
