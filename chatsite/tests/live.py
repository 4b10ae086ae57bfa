"""
Test scaffolding for the tests' live servers only (CHAT_TEST_SERVER=1, set by conftest's
server_env): each test flushes the database it shares with them, and the flush recreates the
content types under new ids, while a long-lived server process keeps Django's per-process
ContentType cache. A server that had cached the old ids would write them (an admin log entry,
say) and fail its commit on the foreign key. Clearing that cache per request keeps the server
as fresh as the database it serves.
"""

from django.contrib.contenttypes.models import ContentType
from django.utils.deprecation import MiddlewareMixin


class FreshContentTypes(MiddlewareMixin):
    def process_request(self, request):
        ContentType.objects.clear_cache()
