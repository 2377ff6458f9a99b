"""Similar items ("you may also like"), and how to judge them without leakage.

:func:`similar_items` ranks the whole catalogue for each query item by the similarity of
item embeddings (cosine or dot product), the item itself excluded;
:func:`cooccurrence_counts` is the classic baseline, "shoppers who engaged with this
item also engaged with ...".

**Held-out co-engagement** (:func:`co_engagement_targets`, :func:`evaluate_similar`),
leak-free: neighbour lists come from training data only, relevance from a later period.
Item ``i`` is relevant to query item ``q`` when one shopper favs, carts or buys both in
the held-out period, each item new to that shopper (the series' target pairs,
:meth:`~gnnrec_utils.data.split.ShopSplit.targets`), ``i != q``; query items need a
training event. Every item but ``q`` is a candidate (full ranking); query items without
a relevant item are left out of the mean. :func:`follow_up_targets` is the looser
reading "items that this item's training shoppers go on to fav, cart or buy". Fast
approximate search over the same vectors is :mod:`gnnrec_utils.retrieval.index`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.evaluation.metrics import per_user_recall_ndcg
from gnnrec_utils.evaluation.significance import standard_error
from gnnrec_utils.graph.build import interaction_matrix
from gnnrec_utils.models.topk import topk_excluding

__all__ = [
    "METRICS",
    "co_engagement_targets",
    "cooccurrence_counts",
    "cosine_from_counts",
    "evaluate_similar",
    "follow_up_targets",
    "similar_by_scores",
    "similar_items",
]

METRICS = ("cosine", "dot")


def similar_items(item_emb: Tensor, queries, k: int, metric: str = "cosine") -> np.ndarray:
    """Top-``k`` items most similar to each query item by embedding, the item itself excluded.

    Args:
        item_emb: (num_items, d) item vectors.
        queries: item ids to find neighbours for.
        k: list length.
        metric: ``"cosine"`` or ``"dot"`` (inner product, which favours long vectors).

    Returns an (len(queries), k) array of item ids, most similar first; equal scores
    are ranked by ascending item id.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    emb = F.normalize(item_emb, dim=1) if metric == "cosine" else item_emb
    queries = np.asarray(queries, dtype=np.int64)
    itself = pd.DataFrame({"user_id": queries, "item_id": queries})
    return topk_excluding(lambda q: emb[q] @ emb.T, queries, itself, k)


def similar_by_scores(scores: Tensor, queries, k: int) -> np.ndarray:
    """Top-``k`` items for each query item from an item-item score matrix, itself excluded.

    ``scores[q, i]`` is how strongly item ``i`` is recommended next to item ``q``
    (e.g. :func:`cooccurrence_counts`); ties go to the lower item id.
    """
    if scores.dim() != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(
            f"scores must be a square (num_items, num_items) matrix, got shape "
            f"{tuple(scores.shape)}"
        )
    queries = np.asarray(queries, dtype=np.int64)
    itself = pd.DataFrame({"user_id": queries, "item_id": queries})
    return topk_excluding(lambda q: scores[q], queries, itself, k)


def cooccurrence_counts(
    events: pd.DataFrame, *, num_users: int | None = None, num_items: int
) -> Tensor:
    """Dense (num_items, num_items) float matrix: entry (i, j) is the number of distinct
    users with an event on both i and j; the diagonal holds each item's number of users.

    ``num_users`` defaults to ``max(user_id) + 1``; the counts are keyword-only."""
    if len(events) and events.item_id.max() >= num_items:
        raise ValueError(
            f"item_id {events.item_id.max()} is out of range for num_items={num_items}"
        )
    num_users = int(events.user_id.max()) + 1 if num_users is None else num_users
    r = interaction_matrix(events, num_users, num_items).to_dense()
    return r.T @ r


def cosine_from_counts(counts: Tensor) -> Tensor:
    """Cosine similarity of the items' binary user columns from :func:`cooccurrence_counts`:
    ``counts[i, j] / sqrt(counts[i, i] * counts[j, j])`` (0 for items without users)."""
    norm = torch.diagonal(counts).sqrt().clamp_min(1e-12)
    return counts / norm[:, None] / norm[None, :]


def co_engagement_targets(
    split: ShopSplit, period: str = "test", behaviors=TARGET_BEHAVIORS
) -> pd.DataFrame:
    """Held-out (query_id, item_id) pairs: one shopper did one of ``behaviors`` on both
    items in ``period``, each new to them (``split.targets(period, behaviors)``); query_id
    has a training event (so every method knows it) and item_id != query_id. Symmetric in
    the two items."""
    pairs = split.targets(period, behaviors)
    both = pairs.rename(columns={"item_id": "query_id"}).merge(pairs, on="user_id")
    both = both[(both.query_id != both.item_id) & both.query_id.isin(split.train.item_id.unique())]
    return (
        both[["query_id", "item_id"]]
        .drop_duplicates()
        .sort_values(["query_id", "item_id"])
        .reset_index(drop=True)
    )


def follow_up_targets(
    split: ShopSplit, period: str = "test", engaged=TARGET_BEHAVIORS, behaviors=TARGET_BEHAVIORS
) -> pd.DataFrame:
    """Held-out (query_id, item_id) pairs: a shopper who did one of ``engaged`` on query_id
    in training later does one of ``behaviors`` on item_id in ``period`` (a pair of
    ``split.targets(period, behaviors)``), item_id != query_id.

    A looser question than :func:`co_engagement_targets`: what will this item's shoppers
    go on to want, whatever it is. Their general taste, and popularity, weigh heavily.
    """
    train = split.train[split.train.behavior.isin(engaged)]
    before = train[["user_id", "item_id"]].drop_duplicates().rename(columns={"item_id": "query_id"})
    pairs = before.merge(split.targets(period, behaviors), on="user_id")
    pairs = pairs.loc[pairs.query_id != pairs.item_id, ["query_id", "item_id"]]
    return pairs.drop_duplicates().sort_values(["query_id", "item_id"]).reset_index(drop=True)


def evaluate_similar(top: np.ndarray, queries, relevant: pd.DataFrame) -> dict[str, float]:
    """Recall@k and NDCG@k of similar-item lists, mean and standard error over query items.

    Args:
        top: (len(queries), k) item ids from :func:`similar_items` or a baseline.
        queries: the query item of each row.
        relevant: (query_id, item_id) pairs from :func:`co_engagement_targets`.

    Query items without a relevant item are left out; ``"queries"`` says how many count.
    The standard error treats query items as independent, which they are not quite
    (one shopper's purchases are relevant to every item they engaged with).
    """
    if {"query_id", "item_id"} - set(relevant.columns):
        raise ValueError(
            f"relevant needs columns query_id and item_id, got {list(relevant.columns)}"
        )
    queries = np.asarray(queries, dtype=np.int64)
    top = np.asarray(top)
    if top.ndim != 2 or len(top) != len(queries):
        raise ValueError(f"top must have one row per query ({len(queries)}), got shape {top.shape}")
    keep = np.isin(queries, relevant.query_id.unique())
    rel = (
        relevant[["query_id", "item_id"]].drop_duplicates().rename(columns={"query_id": "user_id"})
    )
    recall, ndcg = per_user_recall_ndcg(top[keep], queries[keep], rel)
    k, n = top.shape[1], int(keep.sum())
    return {
        f"recall@{k}": float(recall.mean()),
        f"recall@{k} se": standard_error(recall),
        f"ndcg@{k}": float(ndcg.mean()),
        f"ndcg@{k} se": standard_error(ndcg),
        "queries": n,
    }


# --- fast retrieval -------------------------------------------------------------------
