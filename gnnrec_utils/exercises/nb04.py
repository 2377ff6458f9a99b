"""Checkers for notebook 04 · Evaluation.

- Exercise 1: the sampled protocol of section 4 with 1,000 negatives, run again here for
  every model: the same seeded draws as the notebook's ``sampled_metrics`` (the protocol
  fixes them), written with numpy array operations instead of its loops.
- Exercise 2: the item-kNN with 50 neighbours and the full one, rebuilt from the training
  events; their test-day top-10 lists, coverage and the paired NDCG difference computed
  with a ranking written out in numpy (:func:`gnnrec_utils.exercises.nb03.dense_top`),
  not the kit's evaluator or metrics.
- Exercise 3: the models' validation NDCG@10 from the same written-out ranking, and
  their order.

Figures are accepted as the notebook prints them (four decimals, coverage to 0.1 %). Each
checker prints one line, ``Right: ...`` or ``Not yet: ...``, and returns whether the
answer holds.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gnnrec_utils.exercises import close_to_printed
from gnnrec_utils.exercises import say as _say
from gnnrec_utils.exercises.nb03 import dense_per_user_ndcg, dense_top, ndcg_of_top
from gnnrec_utils.models.itemknn import ItemKNN

__all__ = [
    "ASKED_NEGATIVES",
    "ASKED_NEIGHBOURS",
    "NOTEBOOK_NEGATIVES",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "sampled_ndcg",
    "top_neighbour_lists",
]

ASKED_NEGATIVES = 1000  # exercise 1
NOTEBOOK_NEGATIVES = 100  # NUM_SAMPLED_NEGATIVES, the notebook's protocol
ASKED_NEIGHBOURS = 50  # exercise 2
DECIMALS = 4


# --- exercise 1: sampled NDCG with 1,000 negatives ---------------------------------------------


def sampled_ndcg(model, split, num_negatives: int, k: int = 10, seed: int = 0) -> float:
    """Sampled NDCG@k on the test day, section 4's protocol: every target pair of a warm
    test shopper against ``num_negatives`` items the shopper never touched (not in the
    history, not a target), the first of ``2 * num_negatives`` uniform draws of
    ``np.random.default_rng(seed)``; the true item's rank is one plus the negatives that
    score strictly higher, and NDCG is 1/log2(rank + 1) within the top ``k``, else 0."""
    targets, history = split.targets("test"), split.history("test")
    warm = np.isin(targets.user_id.to_numpy(), split.train.user_id.unique())
    users, items = targets.user_id.to_numpy()[warm], targets.item_id.to_numpy()[warm]
    touched = np.concatenate(
        [t.user_id.to_numpy() * split.num_items + t.item_id.to_numpy() for t in (history, targets)]
    )
    draws = np.random.default_rng(seed).integers(
        0, split.num_items, (len(users), 2 * num_negatives)
    )
    fresh = ~np.isin(users[:, None] * split.num_items + draws, touched)
    if fresh.sum(axis=1).min() < num_negatives:
        raise ValueError(f"fewer than {num_negatives} untouched items among a pair's draws")
    first = np.argsort(~fresh, axis=1, kind="stable")[:, :num_negatives]
    candidates = np.column_stack([items, np.take_along_axis(draws, first, axis=1)])
    with torch.no_grad():
        user_emb, item_emb = model.get_embedding()
        scores = (user_emb[torch.tensor(users)] @ item_emb.T).gather(1, torch.tensor(candidates))
    rank = (scores[:, 1:] > scores[:, :1]).sum(1).numpy() + 1
    return float(np.where(rank <= k, 1 / np.log2(rank + 1), 0.0).mean())


def check_exercise_1(answer: dict, models: dict, split, seed: int = 0, k: int = 10) -> bool:
    """Exercise 1: each model's sampled NDCG@10 with 1,000 negatives per test pair
    (``answer``: ``{model name: figure}``, as printed to four decimals).

    Pass the figures, the notebook's ``models``, ``split`` and ``SEED``. The checker runs
    section 4's sampled protocol with 1,000 negatives itself.
    """
    if not isinstance(answer, dict) or set(answer) != set(models):
        names = sorted(answer) if isinstance(answer, dict) else type(answer).__name__
        return _say(False, f"give one figure per model, {sorted(models)}; you give {names}")
    want = {name: sampled_ndcg(m, split, ASKED_NEGATIVES, k, seed) for name, m in models.items()}
    off = [name for name in models if not close_to_printed(answer[name], want[name], DECIMALS)]
    if not off:
        return _say(
            True,
            f"with {ASKED_NEGATIVES:,} negatives sampled NDCG@{k} runs from "
            f"{min(want.values()):.4f} to {max(want.values()):.4f}.",
        )
    before = {name: sampled_ndcg(models[name], split, NOTEBOOK_NEGATIVES, k, seed) for name in off}
    hint = (
        f" Those are the figures with {NOTEBOOK_NEGATIVES} negatives: pass "
        f"{ASKED_NEGATIVES} as num_negatives."
        if all(close_to_printed(answer[n], before[n], DECIMALS) for n in off)
        else ""
    )
    return _say(
        False,
        "with 1,000 negatives sampled NDCG@10 is "
        + ", ".join(f"{n} {want[n]:.4f} (you: {float(answer[n]):.4f})" for n in off)
        + f".{hint}",
    )


# --- exercise 2: fifty neighbours --------------------------------------------------------------


def _interactions(split) -> torch.Tensor:
    """The binary (num_users, num_items) matrix of the training pairs."""
    pairs = split.train[["user_id", "item_id"]].drop_duplicates()
    r = torch.zeros(split.num_users, split.num_items)
    r[torch.tensor(pairs.user_id.to_numpy()), torch.tensor(pairs.item_id.to_numpy())] = 1.0
    return r


def top_neighbour_lists(split, top_neighbours: int | None, k: int = 10):
    """``(users, top)``: the test day's warm shoppers and the top-``k`` lists of an item-kNN
    over the training pairs with ``top_neighbours`` neighbours per item (all when None)."""
    return dense_top(ItemKNN(_interactions(split), top_neighbours), split, "test", k)


def check_exercise_2(gain, se, coverage, split, k: int = 10) -> bool:
    """Exercise 2: ``ItemKNN(..., top_neighbours=50)`` on the test day: its NDCG@10 minus the
    full item-kNN's, ``gain ± se`` paired over the test shoppers (as printed, four
    decimals), and its catalogue coverage (``coverage``: a share, ``0.4``, or as printed,
    ``"40.0%"``).

    Pass the three figures and ``split``. The checker rebuilds both item-kNNs from the
    training events and ranks, scores and counts itself.
    """
    users, top = top_neighbour_lists(split, ASKED_NEIGHBOURS, k)
    _, full = top_neighbour_lists(split, None, k)
    targets = split.targets("test")
    diff = ndcg_of_top(users, top, targets, split.num_items)
    diff = diff - ndcg_of_top(users, full, targets, split.num_items)
    want_gain, want_se = float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(len(diff)))
    want_coverage, full_coverage = (len(np.unique(t)) / split.num_items for t in (top, full))
    if not close_to_printed(coverage, want_coverage, 1, percent=True):
        hint = (
            " That is the full item-kNN's coverage."
            if close_to_printed(coverage, full_coverage, 1, percent=True)
            else ""
        )
        return _say(
            False,
            f"you give a coverage of {coverage}, but the top-{k} lists of the item-kNN with "
            f"{ASKED_NEIGHBOURS} neighbours cover {want_coverage:.1%} of the catalogue "
            f"(the full one's: {full_coverage:.1%}).{hint}",
        )
    if not (
        close_to_printed(gain, want_gain, DECIMALS) and close_to_printed(se, want_se, DECIMALS)
    ):
        hint = " You give it the other way round." if close_to_printed(gain, -want_gain, 4) else ""
        return _say(
            False,
            f"you give {float(gain):+.4f} ± {float(se):.4f}, but top-{ASKED_NEIGHBOURS} "
            f"item-kNN − item-kNN, paired over the test shoppers, is {want_gain:+.4f} ± "
            f"{want_se:.4f}.{hint}",
        )
    return _say(
        True,
        f"{ASKED_NEIGHBOURS} neighbours: NDCG@{k} {want_gain:+.4f} ± {want_se:.4f} against the "
        f"full item-kNN, coverage {want_coverage:.1%} against {full_coverage:.1%}.",
    )


# --- exercise 3: the order on the validation day -----------------------------------------------


def _order(models: dict, split, period: str, k: int) -> list[str]:
    """The model names by mean NDCG@k over ``period``'s warm shoppers, highest first."""
    ndcg = {name: dense_per_user_ndcg(m, split, period, k)[1].mean() for name, m in models.items()}
    return sorted(ndcg, key=ndcg.get, reverse=True)


def check_exercise_3(order: list[str], models: dict, split, k: int = 10) -> bool:
    """Exercise 3: the models from highest to lowest NDCG@10 on the validation day
    (``order``: a list of their names). Pass the order, the notebook's ``models`` and
    ``split``; the checker ranks and scores every model on the validation day itself."""
    want = _order(models, split, "valid", k)
    if list(order) == want:
        return _say(True, f"validation order {want}")
    hint = (
        " That is the test day's order." if list(order) == _order(models, split, "test", k) else ""
    )
    return _say(False, f"you give {list(order)}; by validation NDCG@{k} it is {want}.{hint}")
