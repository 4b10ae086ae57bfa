"""core.cached: a value is kept until forgotten, and a value computed from data older than a
change is never read after it (the race a plain delete would lose)."""

from django.core.cache import cache

from core.cached import forget, reading_ahead, remember


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


def test_values_read_ahead_cost_one_round_trip_and_are_the_values_remember_gives(db, monkeypatch):
    for key in range(5):
        remember(cache, "thing", key, lambda key=key: f"kept {key}", 60)
    forget(cache, "thing", [3])
    reads = []
    real_get_many = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: reads.append(keys) or real_get_many(keys))

    with reading_ahead(cache, {"thing": range(6)}):
        values = [remember(cache, "thing", key, lambda key=key: f"new {key}", 60) for key in range(6)]
        again = remember(cache, "thing", 5, lambda: "computed twice", 60)  # a second tab, say
    assert values == ["kept 0", "kept 1", "kept 2", "new 3", "kept 4", "new 5"]
    assert again == "new 5"
    assert len(reads) == 1
    assert remember(cache, "thing", 3, lambda: "not again", 60) == "new 3"  # it was stored


def test_a_value_forgotten_while_reading_ahead_is_computed_again(db):
    remember(cache, "thing", 1, lambda: "old", 60)
    with reading_ahead(cache, {"thing": [1]}):
        forget(cache, "thing", [1])
        assert remember(cache, "thing", 1, lambda: "new", 60) == "new"
