"""Message text for display: escaped, with links made clickable and line breaks kept."""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()

URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING = ".,!?;:)]}"


def _link(url):
    return format_html('<a href="{}" rel="noopener nofollow ugc" target="_blank">{}</a>', url, url)


@register.filter(is_safe=True)
def message_html(text):
    """Everything escaped; http(s) links become anchors that cannot act for the page."""
    parts, last = [], 0
    for match in URL.finditer(text or ""):
        url = match.group(0)
        trimmed = url.rstrip(TRAILING)
        parts.append(escape(text[last : match.start()]))
        parts.append(_link(trimmed))
        last = match.start() + len(trimmed)
    parts.append(escape((text or "")[last:]))
    return mark_safe("".join(parts).replace("\r\n", "\n").replace("\n", "<br>"))
