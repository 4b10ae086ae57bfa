"""
Moderation: reports of messages, the moderators' admin (bans, deletes, resolving reports, each
confirmed and logged), the report page, and the Moderators group (its migration).
"""
