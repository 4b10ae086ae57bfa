"""Two people as one pair: the lower id first, the one spelling of a pair wherever it is kept."""


def ordered_pair(a_id, b_id):
    """(low, high) of two ids."""
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)
