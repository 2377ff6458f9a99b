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
    out = np.empty((len(users), k), dtype=np.int64)
    ex = exclude[exclude.user_id.isin(users)]
    row_of = pd.Series(np.arange(len(users)), index=users)
    for lo in range(0, len(users), chunk):
        batch = users[lo:lo + chunk]
        scores = torch.as_tensor(score_fn(batch), dtype=torch.float64).clone()
        sel = ex[ex.user_id.isin(batch)]
        rows = torch.tensor(row_of[sel.user_id].to_numpy() - lo)
        scores[rows, torch.tensor(sel.item_id.to_numpy())] = -torch.inf
        # stable sort on -score: equal scores keep ascending item id
        out[lo:lo + chunk] = torch.sort(-scores, dim=1, stable=True).indices[:, :k].numpy()
    return out


def hit_matrix(top: np.ndarray, users: np.ndarray, relevant: pd.DataFrame) -> np.ndarray:
    """Boolean (len(users), k): whether each recommended item is relevant to its user."""
    rel = set(zip(relevant.user_id.to_numpy().tolist(), relevant.item_id.to_numpy().tolist()))
    return np.array([[(u, i) in rel for i in row] for u, row in zip(users.tolist(), top.tolist())],
                    dtype=bool).reshape(top.shape)


def recall_ndcg(top: np.ndarray, users: np.ndarray, relevant: pd.DataFrame) -> dict[str, float]:
    """Recall@k and NDCG@k averaged over ``users`` (each must have a relevant item)."""
    k = top.shape[1]
    hits = hit_matrix(top, users, relevant)
    n_rel = relevant.groupby("user_id").size().reindex(users).to_numpy()
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    idcg = np.cumsum(discount)[np.minimum(n_rel, k) - 1]
    return {f"recall@{k}": float((hits.sum(1) / n_rel).mean()),
            f"ndcg@{k}": float(((hits * discount).sum(1) / idcg).mean())}
