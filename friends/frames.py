"""What friends tell a person's open pages: JSON control frames (realtime/PROTOCOL.md)."""

from realtime.protocol import control


def requests_badge(count):
    """The navigation's count of friend requests waiting for the reader."""
    return control("badge", badge="requests", count=count)


def friends_changed():
    """Someone became the reader's friend or stopped being one: an open friend list reloads."""
    return control("friends")
