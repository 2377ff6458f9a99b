"""Top-k ranking of any scorer: :func:`topk_excluding` (history excluded, users in
chunks) and :func:`stable_topk` (equal scores go to the lower item id).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

__all__ = ["stable_topk", "topk_excluding"]


def topk_excluding(
    score_fn: Callable[[np.ndarray], torch.Tensor],
    users: np.ndarray,
    exclude: pd.DataFrame,
    k: int,
    chunk: int = 1024,
) -> np.ndarray:
    """Top-``k`` item ids for each of ``users``, scoring all items in chunks of users.

    Any scorer ranks this way: a model (:meth:`Recommender.recommend`), a popularity
    column, an item-item matrix (rows indexed by query item instead of user).

    Args:
        score_fn: maps an array of user ids to a (len, num_items) score tensor.
        users: user ids to rank for.
        exclude: (user_id, item_id) pairs never to recommend (the user's history).
        k: list length.
        chunk: users per chunk; memory is ``chunk * num_items`` floats.

    Returns:
        An (len(users), k) int64 array of item ids, best first; equal scores go to the
        lower item id (:func:`stable_topk`).
    """
    users = np.asarray(users, dtype=np.int64)
    out = np.empty((len(users), k), dtype=np.int64)
    last_excluded = exclude.user_id.max() if len(exclude) else -1
    row_of = np.full(max(users.max(initial=-1), last_excluded) + 1, -1)
    row_of[users] = np.arange(len(users))
    ex_row = row_of[exclude.user_id.to_numpy()]
    keep = ex_row >= 0
    ex_row, ex_item = ex_row[keep], exclude.item_id.to_numpy()[keep]
    for lo in range(0, len(users), chunk):
        # on the CPU in float64, whatever device the model scores on
        scores = torch.as_tensor(score_fn(users[lo : lo + chunk]))
        scores = scores.to("cpu", torch.float64, copy=True)
        sel = (ex_row >= lo) & (ex_row < lo + chunk)
        scores[torch.tensor(ex_row[sel] - lo), torch.tensor(ex_item[sel])] = -torch.inf
        out[lo : lo + chunk] = stable_topk(scores, k).numpy()
    return out


def stable_topk(scores: torch.Tensor, k: int, margin: int = 16) -> torch.Tensor:
    """Indices of the ``k`` largest scores per row, equal scores in ascending index order.

    Same result as a stable sort of ``-scores``, but sorts only the ``k + margin`` best
    of each row (``torch.topk`` leaves the order of equal scores unspecified); rows whose
    ties run past that window fall back to the full stable sort.

    Args:
        scores: (n, num_items) scores.
        k: how many indices per row.
        margin: extra candidates sorted beyond ``k`` before falling back.

    Returns:
        An (n, k) int64 tensor of column indices, best first.
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
