import sys

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self):
        from django.core.signals import got_request_exception
        from django.db import DatabaseError

        from . import metrics

        def count_database_errors(sender, request=None, **kwargs):
            if isinstance(sys.exc_info()[1], DatabaseError):
                metrics.database_errors.inc()

        got_request_exception.connect(count_database_errors, weak=False, dispatch_uid="core.metrics.database_errors")
