"""core.cached: a value is kept until forgotten, and a value computed from data older than a
change is never read after it (the race a plain delete would lose)."""

from django.core.cache import cache

from core.cached import forget, remember


def test_a_value_is_computed_once_until_it_is_forgotten(db):
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    assert remember(cache, "thing", 7, compute, 60) == 1
    assert remember(cache, "thing", 7, compute, 60) == 1
    forget(cache, "thing", [7])
    assert remember(cache, "thing", 7, compute, 60) == 2
    assert remember(cache, "thing", 8, compute, 60) == 3  # another key, its own value


def test_a_value_computed_before_a_change_is_not_read_after_it(db):
    def stale_reader():
        # While this reader computes from the old data, the data changes and is forgotten.
        forget(cache, "thing", [1])
        return "old"

    assert remember(cache, "thing", 1, stale_reader, 60) == "old"
    assert remember(cache, "thing", 1, lambda: "new", 60) == "new"


def test_none_is_a_value_too(db):
    assert remember(cache, "thing", 2, lambda: None, 60) is None
    assert remember(cache, "thing", 2, lambda: "computed again", 60) is None
