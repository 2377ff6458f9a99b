"""Full-ranking top-K evaluation: every item is a candidate except the user's history.

Conventions: ``recall = hits / |relevant|``; NDCG uses binary gains and the ideal
DCG over ``min(|relevant|, k)`` positions; users with no relevant item are left
out of the mean; ties in scores are broken by the lower item id.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch


def topk_excluding(score_fn: Callable[[np.ndarray], torch.Tensor], users: np.ndarray,
                   exclude: pd.DataFrame, k: int, chunk: int = 1024) -> np.ndarray:
    """Top-``k`` item ids for each of ``users``, scoring all items in chunks of users.

    Args:
        score_fn: maps an array of user ids to a (len, num_items) score tensor.
        users: user ids to rank for.
        exclude: (user_id, item_id) pairs never to recommend (the user's history).
        k: list length.
        chunk: users per chunk; memory is ``chunk * num_items`` floats.
    """
    users = np.asarray(users, dtype=np.int64)
    out = np.empty((len(users), k), dtype=np.int64)
    row_of = np.full(max(users.max(initial=-1), exclude.user_id.max() if len(exclude) else -1) + 1, -1)
    row_of[users] = np.arange(len(users))
    ex_row = row_of[exclude.user_id.to_numpy()]
    keep = ex_row >= 0
    ex_row, ex_item = ex_row[keep], exclude.item_id.to_numpy()[keep]
    for lo in range(0, len(users), chunk):
        scores = torch.as_tensor(score_fn(users[lo:lo + chunk]), dtype=torch.float64).clone()
        sel = (ex_row >= lo) & (ex_row < lo + chunk)
        scores[torch.tensor(ex_row[sel] - lo), torch.tensor(ex_item[sel])] = -torch.inf
        out[lo:lo + chunk] = stable_topk(scores, k).numpy()
    return out


def stable_topk(scores: torch.Tensor, k: int, margin: int = 16) -> torch.Tensor:
    """Indices of the ``k`` largest scores per row, equal scores in ascending index order.

    Same result as a stable sort of ``-scores``, but sorts only the ``k + margin`` best
    of each row (``torch.topk`` leaves the order of equal scores unspecified); rows whose
    ties run past that window fall back to the full stable sort.
    """
    m = min(k + margin, scores.shape[1])
    values, index = torch.topk(scores, m, dim=1)
    by_id = torch.argsort(index, dim=1)
    values, index = values.gather(1, by_id), index.gather(1, by_id)
    order = torch.sort(-values, dim=1, stable=True).indices
    top = index.gather(1, order)[:, :k]
    sorted_values = values.gather(1, order)
    spill = (sorted_values[:, k - 1] == sorted_values[:, m - 1]) & (m < scores.shape[1])
    if spill.any():
        top[spill] = torch.sort(-scores[spill], dim=1, stable=True).indices[:, :k]
    return top


def hit_matrix(top: np.ndarray, users: np.ndarray, relevant: pd.DataFrame) -> np.ndarray:
    """Boolean (len(users), k): whether each recommended item is relevant to its user."""
    rel = set(zip(relevant.user_id.to_numpy().tolist(), relevant.item_id.to_numpy().tolist()))
    return np.array([[(u, i) in rel for i in row] for u, row in zip(users.tolist(), top.tolist())],
                    dtype=bool).reshape(top.shape)


def per_user_recall_ndcg(top: np.ndarray, users: np.ndarray,
                         relevant: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Recall@k and NDCG@k of each of ``users`` (each must have a relevant item)."""
    k = top.shape[1]
    hits = hit_matrix(top, users, relevant)
    n_rel = relevant.groupby("user_id").size().reindex(users).to_numpy()
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    idcg = np.cumsum(discount)[np.minimum(n_rel, k) - 1]
    return hits.sum(1) / n_rel, (hits * discount).sum(1) / idcg


def recall_ndcg(top: np.ndarray, users: np.ndarray, relevant: pd.DataFrame) -> dict[str, float]:
    """Recall@k and NDCG@k averaged over ``users`` (each must have a relevant item)."""
    recall, ndcg = per_user_recall_ndcg(top, users, relevant)
    k = top.shape[1]
    return {f"recall@{k}": float(recall.mean()), f"ndcg@{k}": float(ndcg.mean())}
