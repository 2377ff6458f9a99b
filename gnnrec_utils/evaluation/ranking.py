"""The one full-ranking evaluator: every item is a candidate except what the user knows.

Training's validation, the cold-start tables, the serving benchmarks and the notebooks
all score models here, the same way:

1. each user's scores over the whole catalogue, ``chunk`` users at a time (memory
   ``chunk * num_items`` floats), from a model's :meth:`~gnnrec_utils.models.Recommender.scorer`
   or any function ``users -> scores``;
2. the user's known items (``exclude``, e.g. the training history) set to ``-inf``, and
   the top ``k`` kept, ties to the lower item id
   (:func:`~gnnrec_utils.models.topk_excluding`);
3. recall@k and NDCG@k of each user against the held-out pairs
   (:func:`~gnnrec_utils.evaluation.metrics.per_user_recall_ndcg`), and their means with
   standard errors (:func:`~gnnrec_utils.evaluation.significance.standard_error`).

No sampled negatives: sampled metrics rank a handful of items and flatter every model
(notebook 04 measures how much). On a catalogue of millions, evaluate a seeded sample
of users (:func:`sample_users`) rather than a sample of items.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from gnnrec_utils.checks import as_ids, check_positive
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.evaluation.metrics import per_user_recall_ndcg
from gnnrec_utils.evaluation.significance import standard_error
from gnnrec_utils.models.base import Recommender, progress_bar
from gnnrec_utils.models.topk import topk_excluding

__all__ = [
    "evaluate",
    "evaluate_full_ranking",
    "per_user_metrics",
    "sample_users",
    "warm_target_users",
]


# saved as gnnrec_utils.evaluation.ranking.per_user_metrics
def per_user_metrics(score_fn, users, relevant, exclude, k=10, chunk=1024):
    """Recall@k and NDCG@k of each of ``users``, every item ranked but their known ones.

    ``score_fn`` maps an array of user ids to their (len, num_items) scores; each user
    must have a relevant item. Returns two arrays in the order of ``users``.
    """
    top = topk_excluding(score_fn, users, exclude, k, chunk)
    return per_user_recall_ndcg(top, users, relevant)


def sample_users(users, n: int, seed: int = 0) -> np.ndarray:
    """A seeded sample of ``n`` distinct ids from ``users``, sorted (all when fewer).

    Duplicates in ``users`` count once; the same ``seed`` gives the same sample.
    """
    check_positive(n, "n")
    ids = np.unique(as_ids(users))
    if len(ids) <= n:
        return ids
    return np.sort(np.random.default_rng(seed).choice(ids, size=n, replace=False))


def _score_fn(scorer) -> Callable[[np.ndarray], Tensor]:
    """users -> (len, num_items) scores, from a :class:`Recommender` or a callable."""
    if isinstance(scorer, Recommender):
        return scorer.scorer()
    if callable(scorer):
        return scorer
    raise TypeError(f"expected a Recommender or a callable, got {type(scorer).__name__}")


@torch.no_grad()
def evaluate_full_ranking(
    scorer,
    users,
    relevant: pd.DataFrame,
    exclude: pd.DataFrame,
    k: int = 10,
    chunk: int = 1024,
    per_user: bool = False,
    progress: bool = False,
) -> dict:
    """Recall@k and NDCG@k over the full catalogue, with standard errors.

    Only users with a relevant item are ranked and counted (their recall is 0/0
    otherwise); :func:`per_user_metrics` ranks and scores them.

    Args:
        scorer: a :class:`~gnnrec_utils.models.Recommender` or a callable mapping an
            array of user ids to a (len, num_items) score tensor.
        users: user ids to evaluate, e.g. :func:`warm_target_users` or :func:`sample_users`.
        relevant: held-out (user_id, item_id) pairs; duplicates count once.
        exclude: (user_id, item_id) pairs never recommended, e.g. the training history.
        k: list length.
        chunk: users scored at once.
        per_user: also return ``"user_id"``, ``"per_user_recall"`` and
            ``"per_user_ndcg"`` arrays (same order), for
            :func:`~gnnrec_utils.evaluation.significance.paired_test` between two models.
        progress: show a progress bar over the users.

    Returns:
        ``{"recall@k", "recall@k_se", "ndcg@k", "ndcg@k_se", "users"}``: means over the
        users with a relevant item, standard errors (``nan`` with fewer than two users,
        means ``nan`` with none), and their number.

    Raises:
        ValueError: ``k`` or ``chunk`` is not a positive integer, ``k`` exceeds the
            catalogue, or a user id is out of the model's range.
    """
    check_positive(k, "k")
    check_positive(chunk, "chunk")
    bound = scorer.num_users if isinstance(scorer, Recommender) else None
    if bound is not None and k > scorer.num_items:
        raise ValueError(f"k must be at most num_items={scorer.num_items}, got {k}")
    ids = as_ids(users, bound=bound)
    relevant = relevant[["user_id", "item_id"]].drop_duplicates()
    ids = ids[np.isin(ids, relevant.user_id.to_numpy())]
    if len(ids):
        with progress_bar(_score_fn(scorer), len(ids), progress) as score_fn:
            recall, ndcg = per_user_metrics(score_fn, ids, relevant, exclude, k, chunk)
    else:
        recall = ndcg = np.empty(0)
    out = {
        f"recall@{k}": float(recall.mean()) if len(ids) else float("nan"),
        f"recall@{k}_se": standard_error(recall),
        f"ndcg@{k}": float(ndcg.mean()) if len(ids) else float("nan"),
        f"ndcg@{k}_se": standard_error(ndcg),
        "users": len(ids),
    }
    if per_user:
        out.update(user_id=ids, per_user_recall=recall, per_user_ndcg=ndcg)
    return out


def warm_target_users(targets: pd.DataFrame, known: pd.DataFrame) -> np.ndarray:
    """Sorted ids of the users with a target and at least one event in ``known``.

    A user with no event in what the model learned from has no learned vector in a
    transductive model, nor a history to rank from; notebook 05 serves them.

    Args:
        targets: (user_id, item_id) pairs to predict, e.g. ``split.targets("test")``.
        known: the events the model knows, e.g. ``split.train``, or every event before
            the day being predicted.

    Returns:
        An int array of user ids, ascending, each once.
    """
    users = np.unique(targets.user_id.to_numpy())
    return users[np.isin(users, known.user_id.unique())]


def evaluate(
    model: Recommender,
    split: ShopSplit,
    period: str = "valid",
    k: int = 10,
    users: np.ndarray | None = None,
) -> dict[str, float]:
    """Recall@k and NDCG@k of ``model`` on a period of ``split``, the way training
    validates: :func:`evaluate_full_ranking` over the period's targets, everything known
    before the period excluded, the model in ``eval()`` mode.

    ``users`` defaults to the users with a target in ``period`` and a training event,
    ``warm_target_users(split.targets(period), split.train)``.
    """
    model.eval()
    users = warm_target_users(split.targets(period), split.train) if users is None else users
    result = evaluate_full_ranking(model, users, split.targets(period), split.history(period), k)
    return {f"recall@{k}": result[f"recall@{k}"], f"ndcg@{k}": result[f"ndcg@{k}"]}
