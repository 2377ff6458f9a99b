"""Statistics of the data card, on cases computed by hand."""

import numpy as np
import pandas as pd
import pytest

from gnnrec_utils.data import stats


def events(rows):
    return pd.DataFrame(
        rows, columns=["user_id", "item_id", "category_id", "behavior", "timestamp"]
    )


def test_gini_by_hand():
    assert stats.gini([5, 5, 5, 5]) == 0.0
    assert stats.gini([0, 0, 0, 8]) == pytest.approx(0.75)  # (n - 1) / n
    assert stats.gini([1, 3]) == pytest.approx(0.25)  # |1 - 3| / (2 * 2 * 2)


def test_top_share_by_hand():
    assert stats.top_share([10, 1, 1, 1, 1, 1, 1, 1, 1, 2], 0.2) == pytest.approx(12 / 20)


def test_behavior_shares_in_fixed_order():
    ev = events([[0, 0, 0, "pv", 1], [0, 0, 0, "pv", 2], [0, 0, 0, "buy", 3], [0, 1, 0, "pv", 4]])
    assert stats.behavior_shares(ev).to_dict() == {"pv": 0.75, "fav": 0.0, "cart": 0.0, "buy": 0.25}


def test_preceded_share_counts_only_the_same_user_and_item_before():
    ev = events(
        [
            [0, 7, 0, "pv", 10],
            [0, 7, 0, "buy", 20],  # preceded
            [1, 7, 0, "buy", 5],
            [1, 7, 0, "pv", 6],  # view after the buy: not preceded
            [2, 8, 0, "pv", 1],
            [2, 9, 0, "buy", 2],  # view of another item: not preceded
        ]
    )
    assert stats.preceded_share(ev, "buy", "pv") == pytest.approx(1 / 3)


def test_sessions_split_on_user_change_and_long_gaps():
    gap = stats.SESSION_GAP
    ev = events(
        [
            [0, 0, 0, "pv", 0],
            [0, 0, 0, "pv", gap],
            [0, 0, 0, "pv", 2 * gap + 1],
            [1, 0, 0, "pv", 2 * gap + 2],
        ]
    )
    assert stats.session_ids(ev).tolist() == [0, 0, 1, 2]


def test_local_hour_uses_utc_plus_8():
    assert stats.local_hour(np.array([0, 16 * 3600])).tolist() == [8, 0]


def test_category_lift_of_a_planted_pair():
    # users 0-3 engage categories 0 and 1 together; users 4-7 engage 2 alone or 3 alone
    rows = [[u, 0, c, "buy", 0] for u in range(4) for c in (0, 1)]
    rows += [[4 + u, 0, 2 + u % 2, "buy", 0] for u in range(4)]
    related, other = stats.category_lift(events(rows), np.array([[0, 1], [1, 0]]))
    assert related == pytest.approx(2.0)  # P(1 | 0) = 1, P(1) = 1/2
    assert other == pytest.approx(0.0)
