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


@pytest.fixture(scope="module")
def leak(tiny):
    """The tiny shop's two splits and the leak figures at k = 10 and 20, by the kit."""
    split, leaky = temporal_split(tiny), random_split(tiny, 0.1, 0.1, seed=0)
    figures = {}
    for k in (10, 20):
        honest, leaked = kit_ndcg(split.train, split, k), kit_ndcg(leaky.train, split, k)
        figures[k] = (
            leaked["recently viewed"] / honest["recently viewed"],
            leaked["popularity"] / honest["popularity"] - 1,
        )
    return split, leaky, figures


def test_exercise_1_accepts_the_figures_as_printed(leak, capsys):
    split, leaky, figures = leak
    ratio, change = figures[10]
    assert nb01.check_exercise_1(f"{ratio:.1f}x", f"{change:+.0%}", split, leaky)
    assert capsys.readouterr().out.startswith("Right: ")
    assert nb01.check_exercise_1(ratio, change, split, leaky)  # the full floats
    assert capsys.readouterr().out.startswith("Right: ")


def test_exercise_1_rejects_the_ratio_at_twenty(leak, capsys):
    split, leaky, figures = leak
    ratio, change = figures[20]  # TOP_K left at 20
    assert not nb01.check_exercise_1(round(ratio, 1), change, split, leaky)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "ratio at TOP_K 20" in out


def test_exercise_1_rejects_a_wrong_change_or_the_inverse_ratio(leak, capsys):
    split, leaky, figures = leak
    ratio, change = figures[10]
    assert not nb01.check_exercise_1(round(ratio, 1), change + 0.05, split, leaky)
    assert "Not yet: you give popularity a change" in capsys.readouterr().out
    assert not nb01.check_exercise_1(round(1 / ratio, 1), change, split, leaky)  # honest / leaked
    assert capsys.readouterr().out.startswith("Not yet: you give a ratio")


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
    assert not nb01.check_exercise_2(0, events)  # the split left at one validation day
    assert "valid_days=2" in capsys.readouterr().out


def test_exercise_2_agrees_with_the_splits_cold_report(tiny, capsys):
    report = [temporal_split(tiny, valid_days=d).cold_report().test for d in (1, 2, 3)]
    more = [int(r["cold users"] - report[0]["cold users"]) for r in report]
    assert more[1] != more[2]
    assert nb01.check_exercise_2(more[1], tiny.events)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb01.check_exercise_2(more[2], tiny.events)  # three validation days
    assert "three validation days" in capsys.readouterr().out


# --- exercise 3 --------------------------------------------------------------------------


def test_exercise_3_entry_by_hand(capsys):
    events = events_table(
        [(0, 0, "pv", 1), (0, 0, "cart", 2), (0, 0, "pv", 3), (0, 1, "fav", 4), (1, 0, "buy", 5)]
    )
    weights = {"pv": 1, "fav": 2, "cart": 3, "buy": 5}
    # the first event's pair (0, 0) weighs 1 + 3; user 0's degree 4 + 2, item 0's 4 + 5
    want = 4 / math.sqrt(6 * 9)
    assert nb01.weighted_entry(events, 0, 0, weights) == pytest.approx(want)
    adj = normalized_adjacency(events, 2, 2, weights).to_dense()
    assert adj[0, 2].item() == pytest.approx(want, rel=1e-6)
    assert nb01.check_exercise_3(round(want, 4), events)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb01.check_exercise_3(1 / math.sqrt(2 * 2), events)  # unweighted
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "unweighted entry" in out
    assert not nb01.check_exercise_3(round(4 / math.sqrt(4 * 9), 4), events)  # fav left out
    assert "without fav" in capsys.readouterr().out


def test_exercise_3_on_the_tiny_shop(tiny_split, capsys):
    train = tiny_split.train
    u, i = int(train.user_id.iloc[0]), int(train.item_id.iloc[0])
    shape = (tiny_split.num_users, tiny_split.num_items)
    entry = {
        name: normalized_adjacency(train, *shape, weights).to_dense()[u, shape[0] + i].item()
        for name, weights in (("asked", nb01.ASKED_WEIGHTS), ("plain", None))
    }
    assert nb01.check_exercise_3(f"{entry['asked']:.4f}", train)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb01.check_exercise_3(round(entry["plain"], 4), train)
    assert "unweighted entry" in capsys.readouterr().out


# --- exercise 4 --------------------------------------------------------------------------


def test_exercise_4_two_hop_shoppers_by_hand(capsys):
    items = {0: [0, 2], 1: [0, 1], 2: [0, 1, 1], 3: [1], 4: [2, 3], 5: [3], 6: [3, 0]}
    events = events_table([(u, i, "pv", t) for u, its in items.items() for t, i in enumerate(its)])
    # shopper 3 is the first with one distinct item (item 1), shared with shoppers 1 and 2;
    # shopper 5 has one too, shopper 2 one item twice
    assert nb01.quiet_shopper(events) == 3
    assert nb01.two_hop_shoppers(events, 3) == 2
    assert nb01.two_hop_shoppers(events, 5) == 2  # shoppers 4 and 6
    assert nb01.two_hop_shoppers(events, 0) == 4  # 1, 2, 6 via item 0; 4 via item 2
    assert nb01.check_exercise_4(2, events)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb01.check_exercise_4(3, events)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "shopper too" in out
    assert not nb01.check_exercise_4(4, events)  # shopper 0's count
    assert "the quiet shopper is 3" in capsys.readouterr().out


def test_exercise_4_on_the_tiny_shop(tiny_split, capsys):
    train, degree = tiny_split.train, tiny_split.user_degree()
    quiet = int(np.flatnonzero(degree == degree[degree > 0].min())[0])
    sharing = train.user_id[train.item_id.isin(train.item_id[train.user_id == quiet])].nunique()
    assert nb01.check_exercise_4(sharing - 1, train)
    assert capsys.readouterr().out.startswith("Right: ")
    ego = train.user_id[train.item_id.isin(train.item_id[train.user_id == 42])].nunique() - 1
    assert not nb01.check_exercise_4(ego, train)  # EGO_USER left at 42
    assert "shopper 42's count" in capsys.readouterr().out
