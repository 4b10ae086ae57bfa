"""
Time zones people read times in: IANA names (Asia/Shanghai, Europe/London) that this
machine's zoneinfo knows, as the browser reports them (Intl.DateTimeFormat's timeZone).
"""

import functools
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TIME_ZONE_MAX_LENGTH = 64


@functools.cache
def known_time_zones():
    """Every zone name zoneinfo can load (read from disk once per process)."""
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name):
    return isinstance(name, str) and name in known_time_zones()


def validate_time_zone(value):
    if value and not is_time_zone(value):
        raise ValidationError(_("Unknown time zone."), code="invalid_time_zone")


@functools.lru_cache(maxsize=512)
def zone(name):
    """The ZoneInfo of a saved name, or None when it is empty or no longer known."""
    if not is_time_zone(name):
        return None
    return zoneinfo.ZoneInfo(name)
