"""The checkers of notebook 05's exercises accept a right answer and reject a wrong one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.evaluation import evaluate
from gnnrec_utils.exercises import nb05
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import LightGCN
from gnnrec_utils.scenarios import few_shot_task, hold_out, per_user_scores


@pytest.fixture(scope="module")
def split(tiny_split):
    return tiny_split


def said(capsys) -> str:
    return capsys.readouterr().out


def pairs(*pairs: tuple[int, int]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["user_id", "item_id"])


def test_per_user_ndcg_matches_per_user_scores():
    scores = torch.rand(6, 30, generator=torch.Generator().manual_seed(0))
    users = np.array([1, 3, 4])
    targets = pairs((1, 2), (1, 7), (3, 0), (4, 9), (4, 11), (4, 12))
    exclude = pairs((1, 5), (3, 1), (3, 2), (4, 0))
    theirs = per_user_scores(scores, users, targets, exclude, 5)[1]
    ours = nb05.per_user_ndcg(scores[users], users, targets, exclude, 5)
    np.testing.assert_allclose(ours, theirs)


def test_exercise_1_wants_the_layers_best_on_the_validation_day(split, capsys):
    torch.manual_seed(0)
    adj = normalized_adjacency(split.train, split.num_users, split.num_items)
    models = {n: LightGCN(adj, split.num_users, split.num_items, num_layers=n) for n in (1, 2)}
    valid = {n: evaluate(m, split, "valid", 10)["ndcg@10"] for n, m in models.items()}
    best, worst = sorted(valid, key=valid.get, reverse=True)
    assert nb05.check_exercise_1(best, models, split)
    assert said(capsys).startswith("Right: ")
    assert not nb05.check_exercise_1(worst, models, split)
    assert said(capsys).startswith("Not yet: ")


# Exercise 2: users 0 and 1 trained on items 0 and 1; items 2 and 3 are new.
TRAIN = pairs((0, 0), (1, 1))
SHELF_TARGETS = pairs((0, 2), (1, 3), (0, 1))  # (0, 1): an old item, not on the shelf
SHELF_SCORES = torch.tensor([[9.0, 9, 1, 2], [7, 0, 0, 5]])


def test_exercise_2_ranks_only_the_new_products(capsys):
    # among items 2 and 3 user 0 ranks 3 first (a miss), user 1 ranks 3 first (a hit)
    assert nb05.check_exercise_2(0.5, SHELF_SCORES, SHELF_TARGETS, TRAIN, TRAIN, k=1)
    assert said(capsys).startswith("Right: ")
    # over every item, user 0's first is item 1 and user 1's is item 0: no hit
    assert not nb05.check_exercise_2(0.0, SHELF_SCORES, SHELF_TARGETS, TRAIN, TRAIN, k=1)
    assert "new products" in said(capsys)


def test_exercise_3_takes_the_shoppers_without_history(capsys):
    history = pairs((0, 0))
    targets = pairs((0, 1), (1, 2), (2, 3))  # users 1 and 2 are cold
    scores = torch.tensor([[0.0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0]])
    assert nb05.check_exercise_3(0.5, scores, targets, history, k=1)
    assert said(capsys).startswith("Right: ")
    assert not nb05.check_exercise_3(2 / 3, scores, targets, history, k=1)  # user 0 counted
    assert "cold shoppers" in said(capsys)


@pytest.mark.parametrize("multiple, right", [(1.0, True), (0.0, False), (2.0, False)])
def test_exercise_4_recomputes_the_chosen_multiple(capsys, multiple, right):
    users = np.array([7])
    targets = pairs((7, 2))
    revealed = {1: pairs((7, 0))}  # item 0 is revealed: never ranked
    knn = {1: torch.tensor([[5.0, 1, 0]])}  # alone: item 1 first, a miss
    gnn = {1: torch.tensor([[0.0, 0, 2]])}  # multiple 1: item 2 first, a hit
    args = (0.0, 1.0), knn, gnn, users, targets, revealed, 1
    assert nb05.check_exercise_4(multiple, *args) is right
    assert said(capsys).startswith("Right: " if right else "Not yet: ")


def test_few_shot_users_agrees_with_few_shot_task(split):
    _, held_users, _ = hold_out(split, 0.3, 0.1, seed=0)
    events = split.train[split.train.user_id.isin(held_users)]
    for shots in ((1, 3, 5), (1, 2)):
        expected = few_shot_task(events, shots).users
        np.testing.assert_array_equal(nb05.few_shot_users(events, max(shots)), expected)


def test_exercise_5_counts_the_few_shot_shoppers(split, capsys):
    _, held_users, _ = hold_out(split, 0.3, 0.1, seed=0)
    count = len(few_shot_task(split.train[split.train.user_id.isin(held_users)]).users)
    assert nb05.check_exercise_5(count, split, 0.3, 0.1, seed=0)
    assert said(capsys).startswith("Right: ")
    assert not nb05.check_exercise_5(count + 1, split, 0.3, 0.1, seed=0)
    assert said(capsys).startswith("Not yet: ")
    assert math.isclose(len(held_users), 0.3 * split.train.user_id.nunique(), abs_tol=1)
