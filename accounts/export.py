"""
A person's data as a ZIP: `data.json` (the profile, and each contributor's sections: friends,
requests, rooms, messages, favorites...; see accounts.contributors) and the files (the
avatar, the files they sent). Built the same way by the export page and `manage.py
export_user`; what it holds of other people is only what the person could see.
"""

import json
import posixpath
import shutil
import zipfile

from django.utils import timezone

from .contributors import contributors

FORMAT = 1
# An export's size is counted in items (a row, a message...); a file counts one per started
# megabyte, since copying it is the work (EXPORT_INLINE_ITEMS decides what is built at once).
FILE_ITEM_BYTES = 1024 * 1024


class Archive:
    """The ZIP being written: `add_file` streams a file into it, `advance` moves the progress on."""

    def __init__(self, zip_file, on_progress=None, total=0):
        self.zip, self.on_progress, self.total = zip_file, on_progress, total
        self.done = 0
        self.names = set()

    def add_file(self, name, source):
        """Copy the open file source into the ZIP as name (made unique); returns the name used."""
        base, ext = posixpath.splitext(name)
        unique, n = name, 1
        while unique in self.names:
            n += 1
            unique = f"{base}-{n}{ext}"
        self.names.add(unique)
        with self.zip.open(unique, "w", force_zip64=True) as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        return unique

    def advance(self, count=1):
        self.done += count
        if self.on_progress is not None:
            self.on_progress(min(self.done, self.total), self.total)


def size(user):
    """How many items an export of user goes through (1 for the profile)."""
    return 1 + sum(part.size(user) for part in contributors.values())


def profile(user, archive):
    data = {
        "username": user.username,
        "nickname": user.nickname,
        "email": user.email,
        "joined_at": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "avatar": None,
        "preferences": {
            "theme": user.theme,
            "desktop_notifications": user.desktop_notifications,
            "hide_activity": user.hide_activity,
            "language": user.language,
            "time_zone": user.time_zone,
        },
    }
    if user.avatar:  # at most AVATAR_MAX_BYTES: one item with the profile
        with user.avatar.open("rb") as stored:
            data["avatar"] = archive.add_file(f"avatar/{posixpath.basename(user.avatar.name)}", stored)
    archive.advance()
    return data


def write(user, out, on_progress=None, total=None):
    """
    Write user's export as a ZIP to out (a path or a binary file); returns the counts of what
    it holds. `on_progress(done, total)` is called as it goes.
    """
    total = size(user) if total is None else total
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zip_file:
        archive = Archive(zip_file, on_progress, total)
        data = {"format": FORMAT, "exported_at": timezone.now().isoformat(), "profile": profile(user, archive)}
        for part in contributors.values():
            data.update(part.export(user, archive))
        zip_file.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
    return {key: len(value) for key, value in data.items() if isinstance(value, list)} | {"files": len(archive.names)}
