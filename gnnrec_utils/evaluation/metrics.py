"""Top-K metrics of ranked lists: accuracy from one hit matrix, and beyond accuracy.

Every accuracy metric takes ``(top, users, relevant)``: ``top`` is an (n_users, k)
array of item ids, best first (from :func:`gnnrec_utils.models.topk_excluding` or
``Recommender.recommend``), ``users`` the user id of each row, and ``relevant`` a
DataFrame of held-out (``user_id``, ``item_id``) pairs (duplicate pairs count once).
All are built on :func:`hit_matrix`: :func:`per_user_recall_ndcg` gives the per-user
values that paired tests need, :func:`recall_ndcg` their means, and
:func:`ranking_metrics` the mean over users of every metric below, each in [0, 1].
The full-ranking evaluator that produces ``top`` and calls these is
:func:`gnnrec_utils.evaluation.ranking.evaluate_full_ranking`.

Conventions (binary relevance, ranks r = 1..k, ``R`` = the user's relevant items):

* **Users with no relevant item are left out of the mean** (their recall is 0/0);
  when no user has one the result is ``nan``. (:func:`recall_ndcg`, the older
  helper, still requires every user to have a relevant item.)
* ``precision@k = hits / k``, also when fewer than ``k`` items could be relevant,
  so a perfect ranking scores ``min(|R|, k) / k``; ``recall@k = hits / |R|``.
* ``ndcg@k``: gain 1 per hit, discount ``1 / log2(r + 1)``, ideal DCG over
  ``min(|R|, k)`` positions, so a perfect ranking scores 1.
* ``map@k``: mean over users of (sum over hit ranks r of precision@r) / ``min(|R|, k)``.
  Dividing by ``min(|R|, k)`` (not by ``|R|``) makes a perfect top-k list score 1
  even for users with more than ``k`` relevant items, as NDCG does. This is what
  ``torch_geometric.metrics.LinkPredMAP`` (PyG 2.8) and today's Recommenders
  ``map_at_k`` compute; Recommenders' ``map`` (and ``map_at_k`` in its older
  releases) divides by ``|R|`` instead, which is smaller whenever ``|R| > k``.
* ``hit_rate@k``: 1 if any of the k items is relevant; ``mrr@k``: 1 / rank of the
  first hit, 0 without one.
* Ties in scores are broken by the lower item id (:func:`gnnrec_utils.models.stable_topk`).
* A user with fewer than ``k`` candidate items still gets a list of ``k``
  (:func:`gnnrec_utils.models.topk_excluding` pads it with history items, which are
  never relevant); precision still divides by ``k``.

Beyond accuracy (take ``top`` only): :func:`catalog_coverage`,
:func:`average_popularity`, :func:`novelty`, :func:`exposure_gini`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gnnrec_utils.data.stats import gini

__all__ = [
    "average_popularity",
    "catalog_coverage",
    "exposure_gini",
    "hit_matrix",
    "novelty",
    "per_user_recall_ndcg",
    "ranking_metrics",
    "recall_ndcg",
]


def hit_matrix(top: np.ndarray, users: np.ndarray, relevant: pd.DataFrame) -> np.ndarray:
    """Boolean (len(users), k): whether each recommended item is relevant to its user."""
    rel = set(
        zip(relevant.user_id.to_numpy().tolist(), relevant.item_id.to_numpy().tolist(), strict=True)
    )
    rows = zip(users.tolist(), top.tolist(), strict=False)
    return np.array([[(u, i) in rel for i in row] for u, row in rows], dtype=bool).reshape(
        top.shape
    )


def per_user_recall_ndcg(
    top: np.ndarray, users: np.ndarray, relevant: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Recall@k and NDCG@k of each of ``users`` (each must have a relevant item)."""
    hits = hit_matrix(top, users, relevant)
    n_rel = relevant.groupby("user_id").size().reindex(users).to_numpy()
    return _recall(hits, n_rel), _ndcg(hits, n_rel)


def recall_ndcg(top: np.ndarray, users: np.ndarray, relevant: pd.DataFrame) -> dict[str, float]:
    """Recall@k and NDCG@k averaged over ``users`` (each must have a relevant item)."""
    recall, ndcg = per_user_recall_ndcg(top, users, relevant)
    k = top.shape[1]
    return {f"recall@{k}": float(recall.mean()), f"ndcg@{k}": float(ndcg.mean())}


def _discount(k: int) -> np.ndarray:
    """``1 / log2(r + 1)`` for ranks r = 1..k."""
    return 1.0 / np.log2(np.arange(2, k + 2))


def _hits_of_users_with_relevant(
    top: np.ndarray, users: np.ndarray, relevant: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Hit matrix and ``|relevant|`` of the rows whose user has a relevant item."""
    relevant = relevant[["user_id", "item_id"]].drop_duplicates()
    users = np.asarray(users)
    n_rel = relevant.groupby("user_id").size().reindex(users, fill_value=0).to_numpy()
    keep = n_rel > 0
    return hit_matrix(np.asarray(top)[keep], users[keep], relevant), n_rel[keep]


def _precision(hits, n_rel):
    return hits.sum(1) / hits.shape[1]


def _recall(hits, n_rel):
    return hits.sum(1) / n_rel


def _ndcg(hits, n_rel):
    discount = _discount(hits.shape[1])
    return (hits * discount).sum(1) / np.cumsum(discount)[np.minimum(n_rel, hits.shape[1]) - 1]


def _map(hits, n_rel):
    precision_at_r = np.cumsum(hits, 1) / np.arange(1, hits.shape[1] + 1)
    return (precision_at_r * hits).sum(1) / np.minimum(n_rel, hits.shape[1])


def _hit_rate(hits, n_rel):
    return hits.any(1).astype(np.float64)


def _mrr(hits, n_rel):
    return (hits / np.arange(1, hits.shape[1] + 1)).max(1)


_PER_USER = {
    "precision": _precision,
    "recall": _recall,
    "ndcg": _ndcg,
    "map": _map,
    "hit_rate": _hit_rate,
    "mrr": _mrr,
}


def ranking_metrics(top: np.ndarray, users: np.ndarray, relevant: pd.DataFrame) -> dict[str, float]:
    """All accuracy metrics above, keyed like ``"ndcg@10"``, from one hit matrix.

    Users with no relevant item are left out; every value is ``nan`` if none has one.
    """
    hits, n_rel = _hits_of_users_with_relevant(top, users, relevant)
    k = np.shape(top)[1]
    return {
        f"{name}@{k}": float(f(hits, n_rel).mean()) if len(n_rel) else float("nan")
        for name, f in _PER_USER.items()
    }


def catalog_coverage(top: np.ndarray, num_items: int) -> float:
    """Share of the ``num_items`` items recommended to at least one user, in [0, 1]."""
    return len(np.unique(top)) / num_items


def average_popularity(top: np.ndarray, popularity: np.ndarray) -> float:
    """Mean training popularity (``popularity[item_id]``, e.g. interaction count) of
    the recommended items, over all users and ranks; in [0, max(popularity)]."""
    return float(np.asarray(popularity, dtype=np.float64)[top].mean())


def novelty(top: np.ndarray, popularity: np.ndarray, num_users: int) -> float:
    """Mean self-information ``-log2(popularity[i] / num_users)`` of recommended items, in bits.

    ``popularity[i]`` is the number of training users who interacted with item i, so
    ``popularity / num_users`` is the chance a random user knows it: 0 bits for an item
    everyone has seen, ``log2(num_users)`` for one seen once. Items never seen in
    training count as seen once (popularity clipped to >= 1) to stay finite.
    """
    p = np.maximum(np.asarray(popularity, dtype=np.float64)[top], 1.0) / num_users
    return float(-np.log2(p).mean())


def exposure_gini(top: np.ndarray, num_items: int) -> float:
    """Gini of how often each of the ``num_items`` items is recommended, in [0, 1).

    0 when every item is shown equally often; near 1 when a few items fill every list
    (items never recommended count as 0 exposures).
    """
    return gini(np.bincount(np.ravel(top), minlength=num_items))
