"""The temporal split: complete, ordered, and nothing from the future reaches training."""
import numpy as np
import pandas as pd
import pytest

from gnnrec_utils.data import Shop
from gnnrec_utils.graph import build_hetero_graph, normalized_adjacency
from gnnrec_utils.split import DAY, TARGET_BEHAVIORS, local_day_start, random_split, temporal_split
from gnnrec_utils.synthetic import generate_shop


@pytest.fixture(scope="module")
def shop():
    return generate_shop("tiny", seed=0)


@pytest.fixture(scope="module")
def split(shop):
    return temporal_split(shop)


def pair_set(df):
    return set(zip(df.user_id.tolist(), df.item_id.tolist()))


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
    graph_pairs = set(zip(u[user_side].tolist(), (j[user_side] - split.num_users).tolist()))
    assert graph_pairs == pair_set(split.train)
    future_only = (pair_set(split.valid) | pair_set(split.test)) - pair_set(split.train)
    assert future_only and not graph_pairs & future_only


def test_statistics_do_not_move_when_the_future_changes(shop, split):
    # flood the test day with views of item 0 by every user: training statistics must not move
    flood = pd.DataFrame({"user_id": np.arange(shop.num_users), "item_id": 0,
                          "category_id": shop.items.category_id[0], "behavior": "pv",
                          "timestamp": split.test_start + 60})
    flooded = temporal_split(Shop(shop.users, shop.items, pd.concat([shop.events, flood])))
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
