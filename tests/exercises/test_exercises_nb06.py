"""The checkers of notebook 06's exercises accept a right answer and reject a wrong one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils import retrieval
from gnnrec_utils.exercises import nb06

# query items 0, 1, 2, each with one relevant item
RELEVANT = pd.DataFrame({"query_id": [0, 1, 2], "item_id": [1, 2, 3]})
QUERIES = np.array([0, 1, 2])


def said(capsys) -> str:
    return capsys.readouterr().out


def test_per_query_ndcg_matches_evaluate_similar():
    rng = np.random.default_rng(0)
    queries = np.arange(20)
    relevant = pd.DataFrame(
        {"query_id": rng.integers(0, 20, 60), "item_id": rng.integers(0, 50, 60)}
    )
    relevant = relevant[relevant.query_id != relevant.item_id].drop_duplicates()
    top = retrieval.similar_by_scores(torch.rand(50, 50), queries, 5)
    ours = nb06.per_query_ndcg(top, queries, relevant)
    theirs = retrieval.evaluate_similar(top, queries, relevant)
    assert math.isclose(ours.mean(), theirs["ndcg@5"])
    assert math.isclose(ours.std(ddof=1) / math.sqrt(len(ours)), theirs["ndcg@5 se"])


def test_exercise_1_wants_the_methods_from_best_to_worst(capsys):
    lists = {"perfect": np.array([[1], [2], [3]]), "blind": np.array([[5], [5], [5]])}
    assert nb06.check_exercise_1(["perfect", "blind"], lists, QUERIES, RELEVANT)
    assert said(capsys).startswith("Right: ")
    assert not nb06.check_exercise_1(["blind", "perfect"], lists, QUERIES, RELEVANT)
    assert said(capsys).startswith("Not yet: place 1 should be perfect")
    assert not nb06.check_exercise_1(["perfect"], lists, QUERIES, RELEVANT)
    assert said(capsys).startswith("Not yet: ")


def test_exercise_2_checks_the_standard_error(capsys):
    top = np.array([[1], [0], [3]])  # NDCG 1, 0, 1: standard deviation 1/sqrt(3), se 1/3
    assert nb06.check_exercise_2(1 / 3, top, QUERIES, RELEVANT)
    assert said(capsys).startswith("Right: ")
    population_sd = np.std([1.0, 0.0, 1.0]) / math.sqrt(3)
    assert not nb06.check_exercise_2(population_sd, top, QUERIES, RELEVANT)
    assert said(capsys).startswith("Not yet: ")


def test_exercise_3_checks_recall_against_exact(capsys):
    exact = np.array([[1, 2], [3, 4]])
    found = np.array([[2, 1], [3, 5]])  # all of the first list, half of the second
    assert nb06.check_exercise_3(0.75, found, exact)
    assert said(capsys).startswith("Right: ")
    assert not nb06.check_exercise_3(0.25, found, exact)  # matched position by position
    assert said(capsys).startswith("Not yet: ")


def test_exercise_4_recomputes_the_cooccurrence_list(capsys):
    counts = torch.tensor([[5.0, 2, 3, 0], [2, 4, 2, 0], [3, 2, 6, 0], [0, 0, 0, 0]])
    assert nb06.check_exercise_4([2, 1], counts, 0)
    assert nb06.check_exercise_4([0, 1], counts, 3)  # no shopper: ties, lowest ids first
    assert said(capsys).startswith("Right: ")
    assert not nb06.check_exercise_4([0, 2], counts, 0)  # the item itself is not a neighbour
    assert said(capsys).startswith("Not yet: ")


@pytest.mark.parametrize("multiple, right", [(1.0, True), (0.0, False), (0.5, False)])
def test_exercise_5_recomputes_the_chosen_multiple(capsys, multiple, right):
    counts = torch.tensor([[1.0, 0.5, 0.2], [0.5, 1, 0], [0.2, 0, 1]])
    dot = torch.tensor([[0.0, 0, 1], [0, 0, 0], [1, 0, 0]])
    relevant = pd.DataFrame({"query_id": [0], "item_id": [2]})
    # multiple 0 ranks item 1 first for query 0 (a miss), multiple 1 item 2 (a hit)
    assert nb06.check_exercise_5(multiple, (0.0, 1.0), counts, dot, [0], relevant, 1) is right
    assert said(capsys).startswith("Right: " if right else "Not yet: ")
