"""Dynamic updates: day cutting, a day's targets, graph refresh, and the update steps."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.data import BEHAVIORS, DAY, local_day_start, new_intent_pairs, temporal_split
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import (
    LightGCN,
    MatrixFactorization,
    MultiBehaviorGCN,
    item_attribute_codes,
    user_attribute_codes,
)
from gnnrec_utils.scenarios import cut_days, dynamic, fit_steps, refresh_graph
from gnnrec_utils.training import PositiveSet, TrainConfig


@pytest.fixture(scope="module")
def shop(tiny_shop):
    return tiny_shop


def events(rows):
    """A small events table from (user_id, item_id, behavior, timestamp) tuples."""
    return pd.DataFrame(rows, columns=["user_id", "item_id", "behavior", "timestamp"])


# ---------------------------------------------------------------- cut_days


def test_cut_days_by_hand():
    start = local_day_start(1_700_000_000)
    ev = events(
        [
            (0, 0, "pv", start - 1),  # before the start: dropped
            (1, 1, "pv", start),  # day 0, first second
            (2, 2, "buy", start + DAY - 1),  # day 0, last second
            (3, 3, "fav", start + 2 * DAY + 5),
        ]
    )  # day 2; day 1 has no event
    days = cut_days(ev, start)
    assert [d.user_id.tolist() for d in days] == [[1, 2], [], [3]]


def test_cut_days_covers_the_test_period(shop):
    split = temporal_split(shop, valid_days=1, test_days=3)
    days = cut_days(shop.events, split.test_start)
    assert len(days) == 3

    def ordered(df):
        return df.sort_values(list(df.columns)).reset_index(drop=True)

    assert ordered(pd.concat(days)).equals(ordered(split.test))
    for d, day in enumerate(days):
        assert local_day_start(int(day.timestamp.min())) == split.test_start + d * DAY


def test_cut_days_rejects_a_start_that_is_not_a_midnight():
    start = local_day_start(1_700_000_000)
    with pytest.raises(ValueError, match="local midnight"):
        cut_days(events([(0, 0, "pv", start)]), start + 3600)
    with pytest.raises(ValueError, match="timestamp"):
        cut_days(pd.DataFrame({"user_id": [0]}), start)


def test_cut_days_of_an_empty_future_is_empty():
    start = local_day_start(1_700_000_000)
    assert cut_days(events([(0, 0, "pv", start - 10)]), start) == []


# ---------------------------------------------------------------- a day's targets


def test_new_intent_pairs_match_the_split_targets(shop):
    split = temporal_split(shop)
    (day,) = cut_days(shop.events, split.test_start)
    assert new_intent_pairs(day, split.history("test")).equals(split.targets("test"))


# ---------------------------------------------------------------- refresh_graph


def lightgcn(ev, n_u, n_i):
    torch.manual_seed(0)
    return LightGCN(normalized_adjacency(ev, n_u, n_i), n_u, n_i, embedding_dim=4, num_layers=2)


def multibehavior(shop, ev):
    torch.manual_seed(0)
    uc, ucard = user_attribute_codes(shop.users)
    ic, icard = item_attribute_codes(shop.items)
    adjs = {
        b: normalized_adjacency(ev[ev.behavior == b], shop.num_users, shop.num_items)
        for b in BEHAVIORS
    }
    return MultiBehaviorGCN(adjs, uc, ic, ucard, icard, embedding_dim=8, num_layers=2)


@torch.no_grad()
def test_refreshed_lightgcn_equals_one_built_on_the_new_graph(shop):
    split = temporal_split(shop)
    n_u, n_i = shop.num_users, shop.num_items
    old, new = split.train, split.history("test")
    model = lightgcn(old, n_u, n_i)
    before = [t.clone() for t in model.get_embedding()]
    weights = model.embedding.weight.clone()
    assert refresh_graph(model, new) is model
    built = lightgcn(new, n_u, n_i)
    assert torch.equal(model.embedding.weight, weights)  # no training happened
    for a, b in zip(model.get_embedding(), built.get_embedding(), strict=True):
        assert torch.allclose(a, b)
    assert not torch.allclose(model.get_embedding()[0], before[0])  # the new edges moved it
    assert set(model.state_dict()) == {"embedding.weight"}  # the graph stays a buffer only


@torch.no_grad()
def test_refreshed_multibehavior_equals_one_built_on_the_new_graph(shop):
    split = temporal_split(shop)
    model = multibehavior(shop, split.train)
    keys = set(model.state_dict())
    refresh_graph(model, split.history("test"))
    built = multibehavior(shop, split.history("test"))
    for a, b in zip(model.get_embedding(), built.get_embedding(), strict=True):
        assert torch.allclose(a, b)
    assert set(model.state_dict()) == keys


@torch.no_grad()
def test_refresh_graph_by_hand():
    # one user, one item, then a second item: a 1-layer LightGCN mixes in the neighbours
    model = LightGCN(
        normalized_adjacency(events([(0, 0, "pv", 0)]), 1, 2), 1, 2, embedding_dim=1, num_layers=1
    )
    model.embedding.weight.copy_(torch.tensor([[1.0], [2.0], [4.0]]))  # user, item 0, item 1
    assert model.get_embedding()[0].item() == pytest.approx((1 + 2) / 2)
    refresh_graph(model, events([(0, 0, "pv", 0), (0, 1, "cart", 1)]))
    # user degree 2, item degrees 1: weights 1/sqrt(2) on each edge
    assert model.get_embedding()[0].item() == pytest.approx((1 + (2 + 4) / 2**0.5) / 2)


def test_refresh_graph_rejects_a_model_without_a_graph():
    with pytest.raises(TypeError, match="MatrixFactorization"):
        refresh_graph(MatrixFactorization(2, 2), events([(0, 0, "pv", 0)]))


# ---------------------------------------------------------------- fit_steps


def test_fit_steps_draws_half_of_each_batch_from_recent(monkeypatch):
    positives = PositiveSet(
        torch.tensor([0, 0, 1, 2, 3]), torch.tensor([0, 1, 2, 3, 4]), num_items=6
    )
    recent = PositiveSet(torch.tensor([3]), torch.tensor([4]), num_users=4, num_items=6)
    seen = []
    monkeypatch.setattr(
        dynamic, "train_step", lambda m, o, u, p, n, c: seen.append((u, p, n)) or 0.0
    )
    config = TrainConfig(batch_size=8)
    fit_steps(
        MatrixFactorization(4, 6),
        positives,
        3,
        config,
        torch.Generator().manual_seed(0),
        recent=recent,
    )
    assert len(seen) == 3
    for users, pos, neg in seen:
        assert len(users) == 8
        assert users[4:].tolist() == [3] * 4 and pos[4:].tolist() == [4] * 4
        assert positives.contains(users, pos).all() and not positives.contains(users, neg).any()


def test_fit_steps_is_seeded_and_zero_steps_change_nothing():
    positives = PositiveSet(torch.tensor([0, 1, 2, 2]), torch.tensor([1, 2, 0, 3]), num_items=5)
    config = TrainConfig(batch_size=4, lr=0.05)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = MatrixFactorization(3, 5, embedding_dim=4)
        loss = fit_steps(model, positives, 5, config, torch.Generator().manual_seed(1))
        runs.append((loss, model.user.weight.detach().clone()))
    assert runs[0][0] == runs[1][0] and torch.equal(runs[0][1], runs[1][1])
    torch.manual_seed(0)
    model = MatrixFactorization(3, 5, embedding_dim=4)
    weights = model.user.weight.detach().clone()
    assert np.isnan(fit_steps(model, positives, 0, config, torch.Generator()))
    assert torch.equal(model.user.weight, weights)


def test_fit_steps_learns_a_tiny_preference():
    # user 0 likes item 0, user 1 likes item 1: after training each ranks its item first
    positives = PositiveSet(torch.tensor([0, 1]), torch.tensor([0, 1]), num_items=2)
    torch.manual_seed(0)
    model = MatrixFactorization(2, 2, embedding_dim=4)
    fit_steps(
        model,
        positives,
        200,
        TrainConfig(batch_size=8, lr=0.05, reg_weight=0.0),
        torch.Generator().manual_seed(0),
    )
    assert model.recommend([0, 1], k=1).ravel().tolist() == [0, 1]


def test_fit_steps_rejects_bad_arguments():
    positives = PositiveSet(torch.tensor([0]), torch.tensor([1]), num_items=3)
    empty = PositiveSet(
        torch.tensor([], dtype=torch.long),
        torch.tensor([], dtype=torch.long),
        num_items=3,
        num_users=1,
    )
    model, config, gen = MatrixFactorization(1, 3), TrainConfig(), torch.Generator()
    with pytest.raises(ValueError, match="num_steps"):
        fit_steps(model, positives, -1, config, gen)
    with pytest.raises(ValueError, match="recent"):
        fit_steps(model, positives, 1, config, gen, recent=empty)
