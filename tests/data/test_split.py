"""The temporal split: complete, ordered, and nothing from the future reaches training."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from gnnrec_utils.data import (
    BEHAVIORS,
    DAY,
    TARGET_BEHAVIORS,
    Dataset,
    local_day_start,
    new_intent_pairs,
    random_split,
    temporal_split,
)
from gnnrec_utils.graph import build_hetero_graph, normalized_adjacency


@pytest.fixture(scope="module")
def shop(tiny_shop):
    return tiny_shop


@pytest.fixture(scope="module")
def split(shop):
    return temporal_split(shop)


def pair_set(df):
    return set(zip(df.user_id.tolist(), df.item_id.tolist(), strict=True))


def test_periods_are_ordered_and_nothing_is_dropped(shop, split):
    assert len(split.train) + len(split.valid) + len(split.test) == len(shop.events)
    assert split.train.timestamp.max() < split.valid_start <= split.valid.timestamp.min()
    assert split.valid.timestamp.max() < split.test_start <= split.test.timestamp.min()
    assert split.test_start - split.valid_start == DAY
    assert local_day_start(split.test_start) == split.test_start


def test_targets_are_new_intent_pairs_of_the_period(split):
    for period in ("valid", "test"):
        targets = pair_set(split.targets(period))
        ev = getattr(split, period)
        intent = pair_set(ev[ev.behavior.isin(TARGET_BEHAVIORS)])
        assert targets and targets <= intent
        assert not targets & pair_set(split.history(period)), "a target was already in the history"
    assert not pair_set(split.targets("test")) & pair_set(split.valid)


def test_training_graph_holds_training_events_only(split):
    data = build_hetero_graph(split.users, split.items, split.train)
    for edge_type in data.edge_types:
        assert (data[edge_type].edge_time < split.valid_start).all(), edge_type
    adj = normalized_adjacency(split.train, split.num_users, split.num_items).to_sparse_coo()
    u, j = adj.indices()
    user_side = u < split.num_users
    graph_pairs = set(
        zip(u[user_side].tolist(), (j[user_side] - split.num_users).tolist(), strict=True)
    )
    assert graph_pairs == pair_set(split.train)
    future_only = (pair_set(split.valid) | pair_set(split.test)) - pair_set(split.train)
    assert future_only and not graph_pairs & future_only


def test_statistics_do_not_move_when_the_future_changes(shop, split):
    # flood the test day with views of item 0 by every user: training statistics must not move
    flood = pd.DataFrame(
        {
            "user_id": np.arange(shop.num_users),
            "item_id": 0,
            "category_id": shop.items.category_id[0],
            "behavior": "pv",
            "timestamp": split.test_start + 60,
        }
    )
    flooded = temporal_split(Dataset(shop.users, shop.items, pd.concat([shop.events, flood])))
    np.testing.assert_array_equal(flooded.item_popularity(), split.item_popularity())
    np.testing.assert_array_equal(flooded.user_degree(), split.user_degree())
    assert flooded.item_popularity()[0] == (split.train.item_id == 0).sum()


def test_cold_cases_are_counted_not_dropped(split):
    report = split.cold_report()
    warm_users = set(split.train.user_id)
    for period in ("valid", "test"):
        t = split.targets(period)
        assert report.loc["target pairs", period] == len(t)
        assert report.loc["pairs of cold users", period] == (~t.user_id.isin(warm_users)).sum()
    assert report.loc["cold users", "test"] > 0


def test_a_random_split_sends_the_future_into_training(shop):
    leaky = random_split(shop, valid_frac=0.1, test_frac=0.1, seed=0)
    assert leaky.train.timestamp.max() > leaky.test.timestamp.min()


def test_history_rejects_unknown_periods(split):
    with pytest.raises(ValueError, match="'valid' or 'test'"):
        split.history("train")


# ---------------------------------------------------------------- new_intent_pairs


def events(rows):
    """A small events table from (user_id, item_id, behavior, timestamp) tuples."""
    return pd.DataFrame(rows, columns=["user_id", "item_id", "behavior", "timestamp"])


def test_new_intent_pairs_by_hand():
    known = events([(0, 5, "pv", 0), (3, 9, "buy", 0)])
    day = events(
        [
            (0, 5, "cart", 1),  # already viewed: not new
            (0, 7, "fav", 1),  # new
            (1, 7, "buy", 1),
            (1, 7, "buy", 2),
            (1, 7, "cart", 3),  # one pair
            (2, 3, "pv", 1),  # a view is never a target
            (3, 9, "buy", 1),
        ]
    )  # bought before: not new
    got = new_intent_pairs(day, known)
    assert got.to_dict("list") == {"user_id": [0, 1], "item_id": [7, 7]}


def test_new_intent_pairs_match_a_brute_force_reference():
    rng = np.random.default_rng(0)
    for _ in range(5):
        known = events([(u, i, "pv", 0) for u, i in rng.integers(0, 6, (15, 2))])
        day = events([(u, i, BEHAVIORS[b], 1) for u, i, b in rng.integers(0, [6, 6, 4], (25, 3))])
        seen = pair_set(known)
        rows = zip(day.user_id, day.item_id, day.behavior, strict=True)
        expected = sorted(
            {(u, i) for u, i, b in rows if b in TARGET_BEHAVIORS and (u, i) not in seen}
        )
        got = new_intent_pairs(day, known)
        assert list(zip(got.user_id, got.item_id, strict=True)) == expected


# ---------------------------------------------------------------- targets of other behaviours


@pytest.mark.parametrize("behaviors", [("buy",), ("cart", "buy"), ("pv",), BEHAVIORS])
def test_targets_of_other_behaviours_are_their_new_pairs(split, behaviors):
    for period in ("valid", "test"):
        expected = new_intent_pairs(getattr(split, period), split.history(period), behaviors)
        pd.testing.assert_frame_equal(split.targets(period, behaviors), expected)


def test_targets_with_the_default_behaviours_are_the_series_targets(split):
    for period in ("valid", "test"):
        pd.testing.assert_frame_equal(
            split.targets(period, TARGET_BEHAVIORS), split.targets(period)
        )
        assert split.targets(period, list(TARGET_BEHAVIORS)) is split.targets(period)


def test_targets_reject_bad_period_and_behaviours(split):
    with pytest.raises(ValueError, match="period must be 'valid' or 'test'"):
        split.targets("train")
    with pytest.raises(ValueError, match="subset of pv, fav, cart, buy"):
        split.targets("test", ("purchase",))
    with pytest.raises(ValueError, match="non-empty"):
        split.targets("test", ())


# ---------------------------------------------------------------- copies of a split


def test_with_held_out_drops_their_training_events_and_recomputes_targets(split):
    users, items = split.train.user_id.unique()[:3], split.train.item_id.unique()[:5]
    split.targets("test")  # fill the cache of the original
    fit = split.with_held_out(users, items)
    dropped = split.train.user_id.isin(users) | split.train.item_id.isin(items)
    pd.testing.assert_frame_equal(fit.train, split.train[~dropped].reset_index(drop=True))
    assert fit.valid is split.valid and fit.test is split.test
    for period in ("valid", "test"):
        expected = new_intent_pairs(getattr(fit, period), fit.history(period))
        pd.testing.assert_frame_equal(fit.targets(period), expected)
    assert len(fit.targets("valid")) > len(split.targets("valid"))  # history they lost


def test_a_replaced_split_starts_with_an_empty_cache(split):
    split.targets("valid")
    empty = split.train.iloc[:0]
    copy = replace(split, train=empty)
    expected = new_intent_pairs(split.valid, empty)
    pd.testing.assert_frame_equal(copy.targets("valid"), expected)
