"""
Replies (Message.reply_to), mentions (Message.mentions) and reactions (Reaction).

First, the search index in the migration state becomes one only PostgreSQL builds (the
database keeps the very same index): adding and dropping a foreign key on SQLite rebuilds the
table, which would otherwise try to create that PostgreSQL index there.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import rooms.search


class Migration(migrations.Migration):

    dependencies = [
        ('rooms', '0007_message_body_html'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name='message',
                    name='message_body_search_idx',
                ),
                migrations.AddIndex(
                    model_name='message',
                    index=rooms.search.PostgreSQLGinIndex(django.contrib.postgres.search.SearchVector(models.Func(models.F('body'), models.Value('[._-]+'), models.Value(' '), models.Value('g'), function='regexp_replace', output_field=models.TextField()), config='english'), name='message_body_search_idx'),
                ),
            ],
        ),
        migrations.AddField(
            model_name='message',
            name='mentions',
            field=models.ManyToManyField(blank=True, related_name='mentioned_in', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='message',
            name='reply_to',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='replies', to='rooms.message'),
        ),
        migrations.CreateModel(
            name='Reaction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('emoji', models.CharField(max_length=16)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('message', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='reactions', to='rooms.message')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reactions', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('message', 'user', 'emoji'), name='rooms_reaction_once_per_person')],
            },
        ),
    ]
