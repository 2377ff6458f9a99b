"""Cold start: the protocol that measures it without leakage, and the fallbacks.

* :func:`arrival_split` and :func:`few_shot_task` set up notebook 05's few-shot protocol:
  a model fitted before some day, and the shoppers who arrive on or after it; a
  newcomer's first 1, 3 or 5 items are revealed and the intent that follows is
  predicted. Nothing the model fits on happens after what a newcomer reveals.
* :func:`hold_out` keeps whole items (and users) out of a split's training events, for
  the products a model never saw.
* :func:`segment_popularity` and :func:`category_scores` are the non-learned fallbacks;
  :func:`per_user_scores` and :func:`evaluate_scores` rank a score matrix the way
  :mod:`gnnrec_utils.evaluation.ranking` ranks a model.

Recommending to those nodes with a trained GNN is :mod:`gnnrec_utils.scenarios.inductive`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from gnnrec_utils.data.constants import DAY, TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit, local_day_start
from gnnrec_utils.data.tables import Dataset
from gnnrec_utils.evaluation.ranking import per_user_metrics
from gnnrec_utils.evaluation.significance import standard_error

__all__ = [
    "FewShotTask",
    "arrival_split",
    "category_scores",
    "evaluate_scores",
    "few_shot_task",
    "hold_out",
    "per_user_scores",
    "segment_popularity",
]


def arrival_split(shop: Dataset, arrival_day: int) -> tuple[ShopSplit, np.ndarray]:
    """A split for shoppers who arrive after the model was fitted, and their ids.

    Days are the log's local days, 0 its first. The model trains on days
    ``0 .. arrival_day - 2`` (``train``) and stops early on day ``arrival_day - 1``
    (``valid``); ``test`` holds every event, from day ``arrival_day`` on, of the
    *newcomers*: the shoppers whose first event falls on that day or later. So nothing a
    model fits on (or stops on) happens after what a newcomer reveals: no concurrent
    trend can leak into the few-shot protocol (:func:`few_shot_task` on ``test``).

    Raises:
        ValueError: ``arrival_day`` leaves no training day, or no day after it.
    """
    first_day = local_day_start(int(shop.events.timestamp.min()))
    days = (shop.events.timestamp.max() - first_day) // DAY + 1
    if not 2 <= arrival_day < days:
        raise ValueError(
            f"arrival_day must lie in 2..{days - 1}: a training day, a validation day and "
            f"a day of arrivals; got {arrival_day}"
        )
    ts = shop.events.timestamp
    valid_start, arrival = first_day + (arrival_day - 1) * DAY, first_day + arrival_day * DAY
    first_seen = shop.events.groupby("user_id").timestamp.min()
    newcomers = np.sort(first_seen.index[first_seen >= arrival].to_numpy())
    split = ShopSplit(
        users=shop.users,
        items=shop.items,
        train=shop.events[ts < valid_start].reset_index(drop=True),
        valid=shop.events[(ts >= valid_start) & (ts < arrival)].reset_index(drop=True),
        test=shop.events[shop.events.user_id.isin(newcomers)].reset_index(drop=True),
        valid_start=valid_start,
        test_start=arrival,
    )
    return split, newcomers


def hold_out(
    split: ShopSplit, user_frac: float, item_frac: float, seed: int = 0
) -> tuple[ShopSplit, np.ndarray, np.ndarray]:
    """A copy of ``split`` whose training events leave out a random share of the users
    and items seen in training, and the held-out user and item ids (sorted).

    Validation and test events are unchanged. Held-out nodes are new to a model trained
    on the copy: the protocol of "strong generalisation" (Marlin 2004; Liang et al. 2018).

    Args:
        split: the split to copy.
        user_frac, item_frac: shares of the training users and items to hold out.
        seed: seeds the draw.

    Returns:
        ``(split without them, held-out user ids, held-out item ids)``; the copy is
        :meth:`ShopSplit.with_held_out`.
    """
    rng = np.random.default_rng(seed)
    users, items = np.unique(split.train.user_id), np.unique(split.train.item_id)
    held_users = np.sort(rng.choice(users, round(user_frac * len(users)), replace=False))
    held_items = np.sort(rng.choice(items, round(item_frac * len(items)), replace=False))
    return split.with_held_out(held_users, held_items), held_users, held_items


@dataclass
class FewShotTask:
    """Revealed events per number of shots, and the pairs to predict afterwards."""

    revealed: dict[int, pd.DataFrame]
    targets: pd.DataFrame

    @property
    def users(self) -> np.ndarray:
        return np.unique(self.targets.user_id)


def few_shot_task(events: pd.DataFrame, shots: tuple[int, ...] = (1, 3, 5)) -> FewShotTask:
    """The few-shot protocol on the events of new users (e.g. held-out users' training events).

    For ``n`` shots a user reveals every event, up to the first touch of their ``n``-th
    distinct item, on those ``n`` items. Targets are the items the user first favs,
    carts or buys after the ``max(shots)``-th first touch, among items not revealed at any
    ``n``; every ``n`` is scored on the same targets. Users with no such target, or
    fewer than ``max(shots)`` distinct items, are left out.
    """
    ev = events.sort_values(["user_id", "timestamp"], kind="stable")
    first = ev.drop_duplicates(["user_id", "item_id"])
    rank = first.groupby("user_id").cumcount().to_numpy()
    order = pd.Series(rank, index=pd.MultiIndex.from_frame(first[["user_id", "item_id"]]))
    ev = ev.assign(
        rank=order.reindex(pd.MultiIndex.from_frame(ev[["user_id", "item_id"]])).to_numpy()
    )
    t_first = first.assign(rank=rank).pivot_table(
        index="user_id", columns="rank", values="timestamp"
    )
    last = max(shots)
    cutoff = (
        ev.user_id.map(t_first[last - 1])
        if last - 1 in t_first
        else pd.Series(np.nan, index=ev.index)
    )
    intent = ev[ev.behavior.isin(TARGET_BEHAVIORS) & (ev["rank"] >= last) & (ev.timestamp > cutoff)]
    targets = intent[["user_id", "item_id"]].drop_duplicates().sort_values(["user_id", "item_id"])
    ev = ev[ev.user_id.isin(targets.user_id)]
    revealed = {
        n: ev[(ev["rank"] < n) & (ev.timestamp <= ev.user_id.map(t_first[n - 1]))]
        .drop(columns="rank")
        .reset_index(drop=True)
        for n in shots
    }
    return FewShotTask(revealed, targets.reset_index(drop=True))


def segment_popularity(
    events: pd.DataFrame,
    users: pd.DataFrame,
    user_ids: np.ndarray,
    num_items: int,
    columns: tuple[str, ...] = ("age_group", "gender"),
) -> Tensor:
    """Scores (len(user_ids), num_items): each item's event count among users of the same
    segment (same values of ``columns``), ties broken by overall popularity."""
    segment = users.groupby(list(columns)).ngroup().to_numpy()
    counts = np.zeros((segment.max() + 1, num_items))
    np.add.at(counts, (segment[events.user_id.to_numpy()], events.item_id.to_numpy()), 1.0)
    overall = counts.sum(0)
    return torch.tensor(counts[segment[np.asarray(user_ids)]] + overall / (overall.max() + 1.0))


def category_scores(
    events: pd.DataFrame, items: pd.DataFrame, user_ids: np.ndarray, personal: bool = True
) -> Tensor:
    """Scores (len(user_ids), num_items) from an item's category alone: how often the user
    had events in that category (``personal``), ties broken by the category's overall
    event count; with ``personal=False`` only the overall count (a popularity fallback
    that works for items without events)."""
    category = items.category_id.to_numpy()
    overall = np.bincount(category[events.item_id.to_numpy()], minlength=category.max() + 1)
    scores = np.tile(overall[category] / (overall.max() + 1.0), (len(user_ids), 1))
    if personal:
        row = pd.Series(np.arange(len(user_ids)), index=np.asarray(user_ids))
        ev = events[events.user_id.isin(row.index)]
        own = np.zeros((len(user_ids), category.max() + 1))
        np.add.at(own, (row[ev.user_id].to_numpy(), category[ev.item_id.to_numpy()]), 1.0)
        scores += own[:, category]
    return torch.tensor(scores)


def per_user_scores(
    scores,
    users: np.ndarray,
    targets: pd.DataFrame,
    exclude: pd.DataFrame,
    k: int = 10,
    candidates: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Recall@k and NDCG@k of each of ``users`` from full-ranking top-k lists.

    ``scores``: a (num_users, num_items) tensor (rows indexed by user id);
    ``exclude``: (user_id, item_id) pairs never ranked (the known history);
    ``candidates``: the item ids allowed in the lists (default: all items), e.g. only
    the new products for a "new arrivals" shelf.
    """
    scores = torch.as_tensor(scores, dtype=torch.float64)
    if candidates is not None:
        blocked = torch.ones(scores.shape[1], dtype=torch.bool)
        blocked[torch.as_tensor(candidates)] = False
        scores = scores.masked_fill(blocked, -torch.inf)
    return per_user_metrics(lambda u: scores[torch.as_tensor(u)], users, targets, exclude, k)


def evaluate_scores(
    scores,
    users: np.ndarray,
    targets: pd.DataFrame,
    exclude: pd.DataFrame,
    k: int = 10,
    candidates: np.ndarray | None = None,
) -> dict[str, float]:
    """Mean Recall@k and NDCG@k (see :func:`per_user_scores`) and the standard error of NDCG."""
    recall, ndcg = per_user_scores(scores, users, targets, exclude, k, candidates)
    return {
        "users": len(users),
        f"recall@{k}": float(recall.mean()),
        f"ndcg@{k}": float(ndcg.mean()),
        "ndcg_se": standard_error(ndcg),
    }
