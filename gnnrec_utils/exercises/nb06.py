"""Checkers for the exercises of notebook 06, *Similar items*.

Each ``check_exercise_N`` recomputes the answer from the lists, scores or events passed
in, with its own plain numpy code (not the notebook's helpers), prints one line starting
with ``Right:`` or ``Not yet:`` and returns whether the answer holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

__all__ = [
    "TOLERANCE",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "check_exercise_5",
    "per_query_ndcg",
    "top_by_scores",
]

TOLERANCE = 1e-9


def _relevant_sets(relevant: pd.DataFrame) -> dict[int, set[int]]:
    """Query item -> the set of its relevant items (columns ``query_id``, ``item_id``)."""
    return relevant.groupby("query_id").item_id.apply(lambda s: set(s.tolist())).to_dict()


def _ndcg(row: Sequence[int], relevant: set[int]) -> float:
    """NDCG of one list: gain 1 per relevant item, ideal DCG over min(|relevant|, k)."""
    dcg = sum(1.0 / np.log2(rank + 2) for rank, item in enumerate(row) if item in relevant)
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(len(relevant), len(row))))
    return dcg / ideal


def per_query_ndcg(top: np.ndarray, queries, relevant: pd.DataFrame) -> np.ndarray:
    """NDCG@k of each query item that has a relevant item, in the order of ``queries``."""
    sets = _relevant_sets(relevant)
    rows = zip(np.asarray(queries).tolist(), np.asarray(top).tolist(), strict=True)
    return np.array([_ndcg(row, sets[q]) for q, row in rows if q in sets])


def top_by_scores(scores: torch.Tensor, queries, k: int) -> np.ndarray:
    """Top-``k`` items of each query's row of ``scores``, the query itself left out;
    equal scores go to the lower item id (a stable sort)."""
    queries = np.asarray(queries, dtype=np.int64)
    rows = scores[torch.as_tensor(queries)].double().numpy().copy()
    rows[np.arange(len(queries)), queries] = -np.inf
    return np.argsort(-rows, axis=1, kind="stable")[:, :k]


def check_exercise_1(
    order: Sequence[str], lists: Mapping[str, np.ndarray], queries, relevant: pd.DataFrame
) -> bool:
    """Exercise 1: ``order``, the methods from highest to lowest NDCG@k on the held-out
    day of ``relevant`` (e.g. the validation day), given each method's ``lists`` for
    ``queries``."""
    means = {name: per_query_ndcg(top, queries, relevant).mean() for name, top in lists.items()}
    expected = sorted(means, key=means.get, reverse=True)
    if list(order) == expected:
        print(f"Right: from {expected[0]} ({means[expected[0]]:.4f}) down to {expected[-1]}.")
        return True
    pairs = enumerate(zip(order, expected, strict=False))
    wrong = next((i for i, (a, b) in pairs if a != b), min(len(order), len(expected) - 1))
    shown = ", ".join(f"{name} {means[name]:.4f}" for name in expected)
    print(
        f"Not yet: place {wrong + 1} should be {expected[wrong]}; NDCG@k gives {shown}. "
        "Did you sort from high to low, on the day the relevant pairs come from?"
    )
    return False


def check_exercise_2(se: float, top: np.ndarray, queries, relevant: pd.DataFrame) -> bool:
    """Exercise 2: ``se``, the standard error of the mean NDCG@k of ``top`` (lists for
    ``queries``) over the query items with a relevant pair in ``relevant`` (buys only)."""
    ndcg = per_query_ndcg(top, queries, relevant)
    expected = ndcg.std(ddof=1) / np.sqrt(len(ndcg))
    if abs(se - expected) <= TOLERANCE:
        print(f"Right: {expected:.4f}, over {len(ndcg)} query items.")
        return True
    print(
        f"Not yet: you have {se:.4f}, but the {len(ndcg)} query items with a relevant pair "
        f"give {expected:.4f} (std with ddof=1, over the square root of their number). "
        "Did you judge against the buy-only pairs, with their own query items?"
    )
    return False


def check_exercise_3(recall: float, found: np.ndarray, exact: np.ndarray) -> bool:
    """Exercise 3: ``recall``, the mean share of each exact top-k list that the
    approximate index ``found``."""
    shares = [
        len(set(f) & set(e)) / len(e) for f, e in zip(found.tolist(), exact.tolist(), strict=True)
    ]
    expected = float(np.mean(shares))
    if abs(recall - expected) <= TOLERANCE:
        print(f"Right: the index finds {expected:.2%} of the exact neighbours.")
        return True
    print(
        f"Not yet: you have {recall:.4f}, but the lists found share {expected:.4f} of the "
        "exact ones on average. Did you compare with the exact lists of the same vectors?"
    )
    return False


def check_exercise_4(neighbours: Sequence[int], counts: torch.Tensor, query: int) -> bool:
    """Exercise 4: ``neighbours``, the co-occurrence list of ``query`` from ``counts``."""
    expected = top_by_scores(counts, [query], len(neighbours))[0].tolist()
    if list(neighbours) == expected:
        users = int(counts[query, query])
        print(f"Right: item {query} has {users} training shoppers, so its list is {expected}.")
        return True
    print(
        f"Not yet: ranking row {query} of the counts, itself left out and ties to the lower "
        f"id, gives {expected}; you have {list(neighbours)}."
    )
    return False


def check_exercise_5(
    multiple: float,
    multiples: Sequence[float],
    count_scores: torch.Tensor,
    dot_scores: torch.Tensor,
    queries,
    relevant: pd.DataFrame,
    k: int = 10,
) -> bool:
    """Exercise 5: ``multiple``, the weight of ``dot_scores`` in ``count_scores +
    multiple * dot_scores`` with the highest mean NDCG@k on ``relevant`` (the validation
    day), among ``multiples``."""
    score = {
        m: per_query_ndcg(
            top_by_scores(count_scores + m * dot_scores, queries, k), queries, relevant
        ).mean()
        for m in multiples
    }
    best = max(score, key=score.get)
    if multiple in score and score[multiple] >= score[best] - TOLERANCE:
        print(f"Right: {multiple} reaches NDCG@{k} {score[multiple]:.4f} on these query items.")
        return True
    shown = ", ".join(f"{m}: {v:.4f}" for m, v in score.items())
    print(
        f"Not yet: the best multiple is {best} (NDCG@{k} by multiple: {shown}); you have "
        f"{multiple}. Did you choose on the validation day's pairs?"
    )
    return False
