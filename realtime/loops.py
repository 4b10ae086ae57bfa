"""Things kept once per event loop: a server process has one, a test suite one per test."""

import asyncio


def of_this_loop(table, make):
    """table's value for the running event loop, made by make() on first use; the values of
    loops that have closed are dropped then (a test suite closes one loop per test)."""
    loop = asyncio.get_running_loop()
    value = table.get(loop)
    if value is None:
        for closed in [old for old in table if old.is_closed()]:
            del table[closed]
        value = table[loop] = make()
    return value
