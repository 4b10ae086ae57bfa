"""Rules for text people type that several apps keep: names and messages."""

import unicodedata

from django.utils.translation import gettext as _

# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): in a name
# they can make "gpj.exe" read as "exe.jpg" or push the text around it.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def without_bidi_controls(text):
    return (text or "").translate(BIDI_CONTROLS)


def without_control_characters(text):
    """Text without any Unicode control or format character (category C: NUL, newlines, bidi
    controls, zero-width joiners...), for names that must read as they are (file names)."""
    return "".join(c for c in text if unicodedata.category(c)[0] != "C")


def clean_text(value, *, what, max_length, error):
    """
    Trimmed text without NUL characters (PostgreSQL refuses them), 1..max_length long, else
    `error` (an exception class taking the message) saying what is wrong with `what` (a noun,
    translated: `gettext_lazy("message")`).
    """
    if not isinstance(value, str):
        raise error(_("The %(what)s must be text.") % {"what": what})
    value = value.replace("\x00", "").strip()
    if not value:
        raise error(_("The %(what)s cannot be empty.") % {"what": what})
    if len(value) > max_length:
        raise error(
            _("The %(what)s can be at most %(most)s characters (this one has %(length)s).")
            % {"what": what, "most": f"{max_length:,}", "length": f"{len(value):,}"}
        )
    return value
