"""
The moderators' admin. Every action first shows a page listing what it will change and what it
leaves alone and why; once confirmed, it acts through moderation.actions, which records each
change in the admin log. Every list costs the same few queries whatever the number of rows.
"""

from . import log, people, reports, rooms  # noqa: F401  (each registers its admins)
