"""
The emoji palette beside the message box: plain Unicode characters, rendered by the server
(no image sprites, no CDN), each with the name a screen reader says.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EmojiGroup:
    name: str
    emoji: tuple  # (character, name) pairs


PALETTE = (
    EmojiGroup(
        _("Smileys"),
        (
            ("😀", "grinning face"),
            ("😂", "face with tears of joy"),
            ("🤣", "rolling on the floor laughing"),
            ("😊", "smiling face with smiling eyes"),
            ("😍", "smiling face with heart-eyes"),
            ("😘", "face blowing a kiss"),
            ("😉", "winking face"),
            ("😎", "smiling face with sunglasses"),
            ("🤔", "thinking face"),
            ("🙃", "upside-down face"),
            ("😅", "grinning face with sweat"),
            ("😴", "sleeping face"),
            ("😢", "crying face"),
            ("😭", "loudly crying face"),
            ("😡", "enraged face"),
            ("😱", "face screaming in fear"),
            ("🥳", "partying face"),
            ("🤯", "exploding head"),
            ("🥺", "pleading face"),
            ("😬", "grimacing face"),
        ),
    ),
    EmojiGroup(
        _("Gestures"),
        (
            ("👍", "thumbs up"),
            ("👎", "thumbs down"),
            ("👏", "clapping hands"),
            ("🙌", "raising hands"),
            ("🙏", "folded hands"),
            ("👋", "waving hand"),
            ("🤝", "handshake"),
            ("✌️", "victory hand"),
            ("🤞", "crossed fingers"),
            ("💪", "flexed biceps"),
            ("👀", "eyes"),
            ("🤷", "person shrugging"),
            ("🧑‍💻", "technologist"),
        ),
    ),
    EmojiGroup(
        _("Hearts"),
        (
            ("❤️", "red heart"),
            ("🧡", "orange heart"),
            ("💛", "yellow heart"),
            ("💚", "green heart"),
            ("💙", "blue heart"),
            ("💜", "purple heart"),
            ("💔", "broken heart"),
            ("❤️‍🔥", "heart on fire"),
        ),
    ),
    EmojiGroup(
        _("Things"),
        (
            ("🎉", "party popper"),
            ("🎂", "birthday cake"),
            ("🎁", "wrapped gift"),
            ("🔥", "fire"),
            ("⭐", "star"),
            ("✨", "sparkles"),
            ("☕", "hot beverage"),
            ("🍕", "pizza"),
            ("🍺", "beer mug"),
            ("⚽", "soccer ball"),
            ("🚀", "rocket"),
            ("📎", "paperclip"),
            ("📅", "calendar"),
            ("💡", "light bulb"),
        ),
    ),
    EmojiGroup(
        _("Symbols"),
        (
            ("✅", "check mark button"),
            ("❌", "cross mark"),
            ("❓", "question mark"),
            ("❗", "exclamation mark"),
            ("💯", "hundred points"),
            ("➕", "plus"),
            ("👉", "backhand index pointing right"),
            ("🆗", "OK button"),
        ),
    ),
)

# The quick reactions under a message's menu; the whole palette is there too.
QUICK_REACTIONS = ("👍", "❤️", "😂", "😮", "😢", "🙏")

# Every emoji a reaction may be: the quick ones and the palette.
REACTIONS = frozenset(QUICK_REACTIONS) | frozenset(character for group in PALETTE for character, _ in group.emoji)
