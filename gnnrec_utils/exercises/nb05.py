"""Checkers for the exercises of notebook 05, *Cold start*.

Each ``check_exercise_N`` recomputes the answer from the models, scores or events passed
in, with its own plain numpy code (not the notebook's helpers), prints one line starting
with ``Right:`` or ``Not yet:`` and returns whether the answer holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.scenarios.coldstart import hold_out

__all__ = [
    "TOLERANCE",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "check_exercise_5",
    "few_shot_users",
    "per_user_ndcg",
]

TOLERANCE = 1e-9


def _pair_sets(pairs: pd.DataFrame) -> dict[int, set[int]]:
    """User id -> the set of item ids of its (user_id, item_id) pairs."""
    return pairs.groupby("user_id").item_id.apply(lambda s: set(s.tolist())).to_dict()


def _ndcg(row: Sequence[int], relevant: set[int]) -> float:
    """NDCG of one list: gain 1 per relevant item, ideal DCG over min(|relevant|, k)."""
    dcg = sum(1.0 / np.log2(rank + 2) for rank, item in enumerate(row) if item in relevant)
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(len(relevant), len(row))))
    return dcg / ideal


def per_user_ndcg(
    scores: torch.Tensor,
    users: np.ndarray,
    targets: pd.DataFrame,
    exclude: pd.DataFrame,
    k: int,
    candidates: np.ndarray | None = None,
) -> np.ndarray:
    """NDCG@k of each of ``users`` (row ``i`` of ``scores`` belongs to ``users[i]``): items
    in ``exclude`` are never ranked, only ``candidates`` are (default: every item), and
    equal scores go to the lower item id (a stable sort)."""
    rows = torch.as_tensor(scores).double().numpy().copy()
    if candidates is not None:
        blocked = np.ones(rows.shape[1], dtype=bool)
        blocked[np.asarray(candidates)] = False
        rows[:, blocked] = -np.inf
    users = np.asarray(users)
    seen = _pair_sets(exclude[exclude.user_id.isin(users)])
    relevant = _pair_sets(targets[targets.user_id.isin(users)])
    out = []
    for row, user in zip(rows, users.tolist(), strict=True):
        row[list(seen.get(user, ()))] = -np.inf
        out.append(_ndcg(np.argsort(-row, kind="stable")[:k].tolist(), relevant[user]))
    return np.array(out)


def _scores_of(user_emb: torch.Tensor, item_emb: torch.Tensor, users: np.ndarray) -> torch.Tensor:
    with torch.no_grad():
        return user_emb[torch.as_tensor(users)] @ item_emb.T


def check_exercise_1(
    best_num_layers: int, models: Mapping[int, torch.nn.Module], split: ShopSplit
) -> bool:
    """Exercise 1: ``best_num_layers``, the key of ``models`` (LightGCNs by number of
    layers, trained on ``split``) with the highest NDCG@10 on the validation day: every
    shopper with a validation target and a training event, history excluded."""
    targets, history = split.targets("valid"), split.history("valid")
    users = np.intersect1d(targets.user_id.unique(), split.train.user_id.unique())
    ndcg = {}
    for layers, model in models.items():
        with torch.no_grad():
            scores = _scores_of(*model.get_embedding(), users)
        ndcg[layers] = per_user_ndcg(scores, users, targets, history, 10).mean()
    best = max(ndcg, key=ndcg.get)
    if best_num_layers == best:
        print(f"Right: {best} layer(s), validation NDCG@10 {ndcg[best]:.4f}.")
        return True
    shown = ", ".join(f"{n} layer(s): {v:.4f}" for n, v in ndcg.items())
    print(
        f"Not yet: validation NDCG@10 is {shown}, so {best} is best, not {best_num_layers}. "
        "Did you compare on the validation day, not the test day?"
    )
    return False


def check_exercise_2(
    ndcg: float,
    scores: torch.Tensor,
    targets: pd.DataFrame,
    history: pd.DataFrame,
    train: pd.DataFrame,
    k: int = 10,
) -> bool:
    """Exercise 2: ``ndcg``, the mean NDCG@k on a "new arrivals" shelf: only items
    without an event in ``train`` are ranked, for the shoppers with an event in ``train``
    and a ``targets`` pair on such an item; ``history`` is excluded. ``scores``: a
    (num_users, num_items) matrix, rows by user id."""
    new_items = np.setdiff1d(np.arange(scores.shape[1]), train.item_id.unique())
    shelf = targets[targets.item_id.isin(new_items) & targets.user_id.isin(train.user_id)]
    users = np.sort(shelf.user_id.unique())
    expected = per_user_ndcg(scores[torch.as_tensor(users)], users, shelf, history, k, new_items)
    if abs(ndcg - expected.mean()) <= TOLERANCE:
        print(f"Right: NDCG@{k} {expected.mean():.4f} over {len(users)} shelf shoppers.")
        return True
    print(
        f"Not yet: you have {ndcg:.4f}, but ranking only the {len(new_items)} new products for "
        f"the {len(users)} warm shoppers who engaged with one gives {expected.mean():.4f}. "
        "Did you restrict the candidates to the new products?"
    )
    return False


def check_exercise_3(
    ndcg: float, scores: torch.Tensor, targets: pd.DataFrame, history: pd.DataFrame, k: int = 10
) -> bool:
    """Exercise 3: ``ndcg``, the mean NDCG@k over cold shoppers (a ``targets`` pair and no
    event in ``history``), every item ranked. ``scores``: rows by user id."""
    users = np.setdiff1d(targets.user_id.unique(), history.user_id.unique())
    expected = per_user_ndcg(scores[torch.as_tensor(users)], users, targets, history, k)
    if abs(ndcg - expected.mean()) <= TOLERANCE:
        print(f"Right: NDCG@{k} {expected.mean():.4f} over {len(users)} cold shoppers.")
        return True
    print(
        f"Not yet: you have {ndcg:.4f}, but the {len(users)} shoppers with a target and no "
        f"earlier event give {expected.mean():.4f}. Did you take the cold shoppers of the "
        "same day as the targets?"
    )
    return False


def check_exercise_4(
    multiple: float,
    multiples: Sequence[float],
    knn_scores: Mapping[int, torch.Tensor],
    gnn_scores: Mapping[int, torch.Tensor],
    users: np.ndarray,
    targets: pd.DataFrame,
    revealed: Mapping[int, pd.DataFrame],
    k: int = 10,
) -> bool:
    """Exercise 4: ``multiple``, the weight of the GNN in ``knn + multiple * gnn`` with the
    highest NDCG@k on ``users`` (the half that picks it), averaged over the shot counts.
    ``knn_scores[n]`` and ``gnn_scores[n]``: rows for ``users`` after ``n`` shots;
    ``revealed[n]``: the events revealed (never ranked)."""
    score = {
        m: np.mean(
            [
                per_user_ndcg(knn_scores[n] + m * gnn_scores[n], users, targets, revealed[n], k)
                for n in knn_scores
            ]
        )
        for m in multiples
    }
    best = max(score, key=score.get)
    if multiple in score and score[multiple] >= score[best] - TOLERANCE:
        print(f"Right: {multiple} reaches NDCG@{k} {score[multiple]:.4f} on these shoppers.")
        return True
    shown = ", ".join(f"{m}: {v:.4f}" for m, v in score.items())
    print(
        f"Not yet: on these shoppers the best multiple is {best} (NDCG@{k}: {shown}); you "
        f"have {multiple}. Did you choose on the picking half only?"
    )
    return False


def few_shot_users(events: pd.DataFrame, shots: int) -> np.ndarray:
    """Users of ``events`` with at least ``shots`` distinct items and a fav, cart or buy,
    after the first touch of their ``shots``-th item, on an item beyond the first
    ``shots`` (the few-shot protocol of notebook 05), sorted."""
    ev = events.sort_values(["user_id", "timestamp"], kind="stable")
    first = ev.drop_duplicates(["user_id", "item_id"])
    first = first.assign(order=first.groupby("user_id").cumcount())
    cutoff = first[first.order == shots - 1].set_index("user_id").timestamp
    early = first.loc[first.order < shots, ["user_id", "item_id"]]
    later = ev[ev.behavior.isin(TARGET_BEHAVIORS) & (ev.timestamp > ev.user_id.map(cutoff))]
    beyond = later[["user_id", "item_id"]].merge(early, how="left", indicator=True)
    return np.sort(beyond.loc[beyond._merge == "left_only", "user_id"].unique())


def check_exercise_5(
    num_shoppers: int,
    split: ShopSplit,
    user_frac: float,
    item_frac: float,
    seed: int,
    shots: Sequence[int] = (1, 3, 5),
) -> bool:
    """Exercise 5: ``num_shoppers``, how many few-shot shoppers there are when a share
    ``user_frac`` of the training users is held out (``hold_out`` with ``item_frac`` and
    ``seed``)."""
    _, held_users, _ = hold_out(split, user_frac, item_frac, seed=seed)
    expected = len(few_shot_users(split.train[split.train.user_id.isin(held_users)], max(shots)))
    if num_shoppers == expected:
        print(f"Right: {expected} of the {len(held_users)} held-out shoppers are few-shot.")
        return True
    print(
        f"Not yet: of the {len(held_users)} shoppers held out, {expected} have "
        f"{max(shots)} distinct items and a later fav, cart or buy; you have {num_shoppers}."
    )
    return False
