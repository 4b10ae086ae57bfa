"""
A person's data lives in several apps, and accounts sits below them (it may not import friends
or rooms). So each app above that holds something of a person's registers, from its
AppConfig.ready(), one contributor: its part of the export and of deleting the account.

    from accounts.contributors import contributor

    @contributor("friends")
    class FriendsData:
        def size(self, user): ...           # items the export will go through (the progress bar)
        def export(self, user, archive): ...  # a dict of JSON sections; archive.add_file(), archive.advance()
        def erase(self, user, *, delete_messages): ...  # in the deletion's transaction; a dict of counts

`export` sees only what the person could see; `erase` removes only the person's own things
and leaves the others' (their messages, rooms, favorites) as they are. Both run inside
accounts' actions (accounts.export, accounts.actions.delete_account), in the order the apps
registered; a new kind of data (reactions, say) goes in its app's contributor.
"""

contributors = {}


def contributor(name):
    """Register an instance of the decorated class under name (once)."""

    def register(cls):
        if name in contributors:
            raise ValueError(f"two account data contributors named {name!r}")
        contributors[name] = cls()
        return cls

    return register
