"""The limits people meet, handed to every template from the settings (never restated)."""

from django.conf import settings

from realtime.protocol import CLOSE_CODES

LIMIT_SETTINGS = [
    "MESSAGE_MAX_LENGTH",
    "MESSAGE_EDIT_SECONDS",
    "GROUP_NAME_MAX_LENGTH",
    "FRIEND_REASON_MAX_LENGTH",
    "REPORT_NOTE_MAX_LENGTH",
    "SEARCH_QUERY_MAX_LENGTH",
    "TYPING_EVERY_SECONDS",
    "SOCKET_FRAME_MAX_BYTES",
    "ATTACHMENT_MAX_BYTES",
    "AVATAR_MAX_BYTES",
    "EMAIL_CODE_TTL",
    "USERNAME_HOLD_DAYS",
]


def client_config():
    """What the page's JavaScript needs to know (base.html writes it as JSON, #chat-config)."""
    return {
        "limits": {name.lower(): getattr(settings, name) for name in LIMIT_SETTINGS},
        "close": CLOSE_CODES,
    }


def limits(request):
    """`limits.message_max_length` and the others in templates; `client_config` for base.html."""
    config = client_config()
    return {"limits": config["limits"], "client_config": config}
