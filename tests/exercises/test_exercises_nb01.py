"""The checkers of notebook 01's exercises accept a right answer and reject a wrong one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.data import random_split, temporal_split
from gnnrec_utils.evaluation import recall_ndcg
from gnnrec_utils.exercises import nb01
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import topk_excluding

DAY = 86_400
MIDNIGHT = 1_511_712_000 - 8 * 3600  # a local (UTC+8) midnight


@pytest.fixture(scope="module")
def tiny(tiny_shop):
    return tiny_shop


def events_table(rows: list[tuple[int, int, str, int]]) -> pd.DataFrame:
    """(user_id, item_id, behavior, timestamp) rows as an events table."""
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "behavior", "timestamp"])
    return frame.assign(category_id=0)


# --- exercise 1 --------------------------------------------------------------------------


def kit_ndcg(train: pd.DataFrame, split, k: int) -> dict[str, float]:
    """The notebook's two scorers, written with the kit's ranking and metric."""
    pop = torch.tensor(np.bincount(train.item_id, minlength=split.num_items), dtype=torch.float64)
    last = train.groupby(["user_id", "item_id"]).timestamp.max().reset_index()
    recency = torch.zeros(split.num_users, split.num_items, dtype=torch.float64)
    index = torch.tensor(last[["user_id", "item_id"]].to_numpy().T)
    recency[index[0], index[1]] = torch.tensor(
        last.timestamp.to_numpy() - split.valid_start + 10 * DAY, dtype=torch.float64
    )
    targets = split.targets("test")
    users = targets.user_id.unique()
    scorers = {
        "popularity": lambda u: pop.expand(len(u), -1) / pop.max(),
        "recently viewed": lambda u: recency[u] + pop / pop.max(),
    }
    return {
        name: recall_ndcg(topk_excluding(f, users, split.history("test"), k), users, targets)[
            f"ndcg@{k}"
        ]
        for name, f in scorers.items()
    }


def test_leak_ndcg_agrees_with_the_kits_ranking(tiny):
    split, leaky = temporal_split(tiny), random_split(tiny, 0.1, 0.1, seed=0)
    for train in (split.train, leaky.train):
        ours, kit = nb01.leak_ndcg(train, split, 10), kit_ndcg(train, split, 10)
        assert ours == pytest.approx(kit, rel=1e-12)


def test_exercise_1_accepts_the_ratio_and_rejects_another(tiny, capsys):
    split, leaky = temporal_split(tiny), random_split(tiny, 0.1, 0.1, seed=0)
    honest, leaked = kit_ndcg(split.train, split, 10), kit_ndcg(leaky.train, split, 10)
    ratio = leaked["recently viewed"] / honest["recently viewed"]
    change = leaked["popularity"] / honest["popularity"] - 1
    assert nb01.check_exercise_1(round(ratio, 1), change, split, leaky, 10)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb01.check_exercise_1(ratio * 1.5, change, split, leaky, 10)
    assert capsys.readouterr().out.startswith("Not yet: ")
    assert not nb01.check_exercise_1(ratio, change + 0.1, split, leaky, 10)
    assert "Not yet: " in capsys.readouterr().out


# --- exercise 2 --------------------------------------------------------------------------


def test_exercise_2_counts_shoppers_first_seen_on_the_moved_day(capsys):
    test_day = MIDNIGHT + 8 * DAY
    events = events_table(
        [
            (0, 0, "pv", MIDNIGHT + 3600),  # warm either way
            (0, 1, "cart", test_day + 60),
            (1, 2, "pv", test_day - 2 * DAY + 60),  # first seen on the day that moves
            (1, 3, "fav", test_day + 60),
            (2, 4, "pv", test_day - DAY + 60),  # cold either way
            (2, 5, "buy", test_day + 60),
            (3, 6, "pv", test_day - 2 * DAY + 60),  # moves, but no test target
        ]
    )
    assert nb01.cold_test_users(events, 1) == {2}
    assert nb01.cold_test_users(events, 2) == {1, 2}
    assert nb01.check_exercise_2(1, events)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb01.check_exercise_2(2, events)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "new total" in out


def test_exercise_2_agrees_with_the_splits_cold_report(tiny, capsys):
    report = [temporal_split(tiny, valid_days=d).cold_report().test for d in (1, 2)]
    more = int(report[1]["cold users"] - report[0]["cold users"])
    assert nb01.check_exercise_2(more, tiny.events)
    assert not nb01.check_exercise_2(more + 1, tiny.events)
    assert "Not yet: " in capsys.readouterr().out


# --- exercise 3 --------------------------------------------------------------------------


def test_exercise_3_entry_by_hand(capsys):
    events = events_table(
        [(0, 0, "pv", 1), (0, 0, "cart", 2), (0, 0, "pv", 3), (0, 1, "pv", 4), (1, 0, "buy", 5)]
    )
    weights = {"pv": 1, "cart": 3, "buy": 5}
    # pair (0, 0) weighs 1 + 3; user 0's degree 4 + 1, item 0's 4 + 5
    assert nb01.weighted_entry(events, 0, 0, weights) == pytest.approx(4 / math.sqrt(5 * 9))
    adj = normalized_adjacency(events, 2, 2, weights).to_dense()
    assert adj[0, 2].item() == pytest.approx(4 / math.sqrt(45), rel=1e-6)
    assert nb01.check_exercise_3(4 / math.sqrt(45), events, 0, 0, weights)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb01.check_exercise_3(1 / math.sqrt(2 * 2), events, 0, 0, weights)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "unweighted" in out


# --- exercise 4 --------------------------------------------------------------------------


def test_exercise_4_two_hop_shoppers_by_hand(capsys):
    events = events_table(
        [(0, 0, "pv", 1), (1, 0, "pv", 2), (2, 0, "cart", 3), (2, 1, "pv", 4), (3, 1, "pv", 5)]
    )
    assert nb01.two_hop_shoppers(events, 0) == 2
    assert nb01.two_hop_shoppers(events, 2) == 3
    assert nb01.check_exercise_4(2, events, 0)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb01.check_exercise_4(3, events, 0)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "shopper too" in out
