"""What sockets and events call a session by: a digest (the key itself never travels the layer)."""

from django.utils.crypto import salted_hmac


def session_digest(session_key):
    return salted_hmac("socket-session", session_key).hexdigest()[:32] if session_key else None
