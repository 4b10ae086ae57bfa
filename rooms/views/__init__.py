"""
The rooms' pages and actions. Each view checks its input, calls one action (rooms.actions) or
query and renders; the rules are the models'.
"""

from .chat import changes, chat, history, new_group, reader_css, starred_css
from .found import favorites, search
from .messages import (
    attachment,
    delete_message,
    edit_message,
    favorite,
    message,
    post_message,
    react,
    reply,
    unfavorite,
    upload,
)
from .rooms import add_members, leave, mute, open_direct, rename
from .switcher import switcher

__all__ = [
    "add_members",
    "attachment",
    "changes",
    "chat",
    "delete_message",
    "edit_message",
    "favorite",
    "favorites",
    "history",
    "leave",
    "message",
    "mute",
    "new_group",
    "open_direct",
    "post_message",
    "react",
    "reader_css",
    "rename",
    "reply",
    "search",
    "starred_css",
    "switcher",
    "unfavorite",
    "upload",
]
