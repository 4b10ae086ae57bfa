"""
Reports move from rooms to moderation. The table stays `rooms_report`, with every row: this
only tells Django's state where the model now lives (rooms 0006 removes it there).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("rooms", "0005_search_words_of_file_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Report',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(choices=[('spam', 'Spam or advertising'), ('harassment', 'Harassment or bullying'), ('hate', 'Hate speech'), ('explicit', 'Sexual or violent content'), ('other', 'Something else')], max_length=10)),
                        ('note', models.TextField(blank=True, max_length=500)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('dismissed', 'Dismissed'), ('deleted', 'Message deleted'), ('banned', 'Sender banned')], default='open', max_length=9)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('message', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='reports', to='rooms.message')),
                        ('reporter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reports_filed', to=settings.AUTH_USER_MODEL)),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'rooms_report',
                        'indexes': [models.Index(fields=['status', '-id'], name='report_status_latest_idx')],
                        'constraints': [models.UniqueConstraint(fields=('message', 'reporter'), name='rooms_report_once_per_person')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
