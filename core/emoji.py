"""
The emoji palette beside the message box: plain Unicode characters, rendered by the server
(no image sprites, no CDN), each with the name a screen reader says.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class EmojiGroup:
    name: str
    emoji: tuple  # (character, name) pairs; the names in the reader's language (what a screen reader says, what the search finds)


PALETTE = (
    EmojiGroup(
        _("Smileys"),
        (
            ("😀", pgettext_lazy("emoji", "grinning face")),
            ("😂", pgettext_lazy("emoji", "face with tears of joy")),
            ("🤣", pgettext_lazy("emoji", "rolling on the floor laughing")),
            ("😊", pgettext_lazy("emoji", "smiling face with smiling eyes")),
            ("😍", pgettext_lazy("emoji", "smiling face with heart-eyes")),
            ("😘", pgettext_lazy("emoji", "face blowing a kiss")),
            ("😉", pgettext_lazy("emoji", "winking face")),
            ("😎", pgettext_lazy("emoji", "smiling face with sunglasses")),
            ("🤔", pgettext_lazy("emoji", "thinking face")),
            ("🙃", pgettext_lazy("emoji", "upside-down face")),
            ("😅", pgettext_lazy("emoji", "grinning face with sweat")),
            ("😴", pgettext_lazy("emoji", "sleeping face")),
            ("😢", pgettext_lazy("emoji", "crying face")),
            ("😭", pgettext_lazy("emoji", "loudly crying face")),
            ("😡", pgettext_lazy("emoji", "enraged face")),
            ("😱", pgettext_lazy("emoji", "face screaming in fear")),
            ("🥳", pgettext_lazy("emoji", "partying face")),
            ("🤯", pgettext_lazy("emoji", "exploding head")),
            ("🥺", pgettext_lazy("emoji", "pleading face")),
            ("😬", pgettext_lazy("emoji", "grimacing face")),
        ),
    ),
    EmojiGroup(
        _("Gestures"),
        (
            ("👍", pgettext_lazy("emoji", "thumbs up")),
            ("👎", pgettext_lazy("emoji", "thumbs down")),
            ("👏", pgettext_lazy("emoji", "clapping hands")),
            ("🙌", pgettext_lazy("emoji", "raising hands")),
            ("🙏", pgettext_lazy("emoji", "folded hands")),
            ("👋", pgettext_lazy("emoji", "waving hand")),
            ("🤝", pgettext_lazy("emoji", "handshake")),
            ("✌️", pgettext_lazy("emoji", "victory hand")),
            ("🤞", pgettext_lazy("emoji", "crossed fingers")),
            ("💪", pgettext_lazy("emoji", "flexed biceps")),
            ("👀", pgettext_lazy("emoji", "eyes")),
            ("🤷", pgettext_lazy("emoji", "person shrugging")),
            ("🧑‍💻", pgettext_lazy("emoji", "technologist")),
        ),
    ),
    EmojiGroup(
        _("Hearts"),
        (
            ("❤️", pgettext_lazy("emoji", "red heart")),
            ("🧡", pgettext_lazy("emoji", "orange heart")),
            ("💛", pgettext_lazy("emoji", "yellow heart")),
            ("💚", pgettext_lazy("emoji", "green heart")),
            ("💙", pgettext_lazy("emoji", "blue heart")),
            ("💜", pgettext_lazy("emoji", "purple heart")),
            ("💔", pgettext_lazy("emoji", "broken heart")),
            ("❤️‍🔥", pgettext_lazy("emoji", "heart on fire")),
        ),
    ),
    EmojiGroup(
        _("Things"),
        (
            ("🎉", pgettext_lazy("emoji", "party popper")),
            ("🎂", pgettext_lazy("emoji", "birthday cake")),
            ("🎁", pgettext_lazy("emoji", "wrapped gift")),
            ("🔥", pgettext_lazy("emoji", "fire")),
            ("⭐", pgettext_lazy("emoji", "star")),
            ("✨", pgettext_lazy("emoji", "sparkles")),
            ("☕", pgettext_lazy("emoji", "hot beverage")),
            ("🍕", pgettext_lazy("emoji", "pizza")),
            ("🍺", pgettext_lazy("emoji", "beer mug")),
            ("⚽", pgettext_lazy("emoji", "soccer ball")),
            ("🚀", pgettext_lazy("emoji", "rocket")),
            ("📎", pgettext_lazy("emoji", "paperclip")),
            ("📅", pgettext_lazy("emoji", "calendar")),
            ("💡", pgettext_lazy("emoji", "light bulb")),
        ),
    ),
    EmojiGroup(
        _("Symbols"),
        (
            ("✅", pgettext_lazy("emoji", "check mark button")),
            ("❌", pgettext_lazy("emoji", "cross mark")),
            ("❓", pgettext_lazy("emoji", "question mark")),
            ("❗", pgettext_lazy("emoji", "exclamation mark")),
            ("💯", pgettext_lazy("emoji", "hundred points")),
            ("➕", pgettext_lazy("emoji", "plus")),
            ("👉", pgettext_lazy("emoji", "backhand index pointing right")),
            ("🆗", pgettext_lazy("emoji", "OK button")),
        ),
    ),
)

# The quick reactions under a message's menu; the whole palette is there too.
QUICK_REACTIONS = ("👍", "❤️", "😂", "😮", "😢", "🙏")

# Every emoji a reaction may be: the quick ones and the palette.
REACTIONS = frozenset(QUICK_REACTIONS) | frozenset(character for group in PALETTE for character, _ in group.emoji)
