"""Checkers for notebook 07 · Dynamic updates.

Each checker recomputes its answer from the arrays, tables or model it is given, with
numpy, pandas and torch (not the notebook's helpers), prints one line, ``Right: ...`` or
``Not yet: ...``, and returns whether the answer holds. Figures may be rounded to four
decimals; a share to a whole per cent.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.exercises import say as _say
from gnnrec_utils.models.multibehavior import MultiBehaviorGCN

__all__ = [
    "DAY",
    "FOUR_DECIMALS",
    "attribute_only_users",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
]

DAY = 86_400
FOUR_DECIMALS = 5e-5  # half a unit of the fourth decimal: an answer rounded to 0.0001


def _close(value: float, target: float, tol: float = FOUR_DECIMALS) -> bool:
    return math.isclose(float(value), float(target), rel_tol=0.0, abs_tol=tol)


def _per_shopper(*scores) -> list[np.ndarray]:
    """The score arrays as float arrays; ``ValueError`` unless all have one length."""
    arrays = [np.asarray(s, dtype=np.float64) for s in scores]
    if len({len(a) for a in arrays}) != 1:
        raise ValueError(
            f"the score arrays have lengths {[len(a) for a in arrays]}: pair them over the "
            f"same shopper-days, in the same order"
        )
    return arrays


# --- exercise 1: a longer fine-tune against the full retrain ------------------------------


def check_exercise_1(answer: tuple[float, float], retrain, fine_tune) -> bool:
    """Exercise 1: ``answer`` = (mean, standard error) of the full retrain's per-shopper
    NDCG minus the long fine-tune's, over the same shopper-days.

    ``retrain`` and ``fine_tune`` hold one NDCG per shopper-day, in the same order. The
    standard error is that of the per-shopper differences (paired), not of two means.
    """
    a, b = _per_shopper(retrain, fine_tune)
    diff = a - b
    mean, se = diff.mean(), diff.std(ddof=1) / math.sqrt(len(diff))
    unpaired = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    got_mean, got_se = answer
    if _close(got_mean, -mean) and not _close(got_mean, mean):
        return _say(
            False,
            f"{got_mean:.4f} is the fine-tune minus the retrain; ask by how much "
            f"the retrain leads: {mean:.4f}",
        )
    if not _close(got_mean, mean):
        return _say(
            False,
            f"your gap is {got_mean:.4f}, but the mean per-shopper difference "
            f"(retrain minus fine-tune) over {len(diff)} shopper-days is {mean:.4f}",
        )
    if _close(got_se, unpaired) and not _close(got_se, se):
        return _say(
            False,
            f"{got_se:.4f} is the standard error of two independent means; the "
            f"same shoppers are scored twice, so take the standard deviation of their "
            f"differences over the square root of their number: {se:.4f}",
        )
    if not _close(got_se, se):
        return _say(
            False, f"the standard error of the paired differences is {se:.4f}, not {got_se:.4f}"
        )
    return _say(
        True,
        f"the full retrain leads the long fine-tune by {mean:.4f} ± {se:.4f} "
        f"({mean / se:.1f} standard errors) over {len(diff):,} shopper-days",
    )


# --- exercise 2: re-propagating over the last two days only -------------------------------


def _window_problem(window: pd.DataFrame, expected: pd.DataFrame, day_start: int, d: int) -> str:
    """What is off with the window of replayed day ``d`` (starting at ``day_start``), or ''."""
    ts = window.timestamp
    if len(window) and ts.max() >= day_start:
        return (
            f"the window of replayed day {d + 1} holds {int((ts >= day_start).sum()):,} "
            f"events of that day or later: they are what it is scored on"
        )
    if len(window) and ts.min() < day_start - 2 * DAY:
        return (
            f"the window of replayed day {d + 1} reaches back more than two days "
            f"({int((ts < day_start - 2 * DAY).sum()):,} older events)"
        )
    columns = ["user_id", "item_id", "behavior", "timestamp"]
    mine, want = (t[columns].sort_values(columns).to_numpy() for t in (window, expected))
    if mine.shape != want.shape or not (mine == want).all():
        return (
            f"the window of replayed day {d + 1} holds {len(window):,} events; the two days "
            f"before it hold {len(expected):,}"
        )
    return ""


def check_exercise_2(windows: list[pd.DataFrame], events: pd.DataFrame, start: int) -> bool:
    """Exercise 2: ``windows[d]`` = the events the model re-propagates over before replayed
    day ``d`` (0-based): every event of the two local days before it, nothing else.

    ``events`` is the whole log and ``start`` the local midnight the first replayed day
    begins at (``split.test_start``).
    """
    if not len(windows):
        return _say(False, "no window given: one table of events per replayed day")
    ts = events.timestamp
    for d, window in enumerate(windows):
        day_start = start + d * DAY
        expected = events[(ts >= day_start - 2 * DAY) & (ts < day_start)]
        problem = _window_problem(window, expected, day_start, d)
        if problem:
            return _say(False, problem)
    sizes = ", ".join(f"{len(w):,}" for w in windows)
    return _say(
        True, f"each window holds exactly the two days before its replayed day ({sizes} events)"
    )


# --- exercise 3: retrain once, then re-propagate ------------------------------------------


def check_exercise_3(answer: float, hybrid, retrain, frozen) -> bool:
    """Exercise 3: ``answer`` = the share of the daily retrain's NDCG gain over the frozen
    model that the retrain of day 1, re-propagated afterwards, keeps on the later days.

    ``hybrid``, ``retrain`` and ``frozen`` hold the three strategies' per-shopper NDCG on
    those days, in the same order. The share is (mean gain of ``hybrid`` over ``frozen``)
    / (mean gain of ``retrain`` over ``frozen``), a fraction (0.5 for half); it may be
    rounded to a whole per cent.
    """
    h, r, f = _per_shopper(hybrid, retrain, frozen)
    share = (h - f).mean() / (r - f).mean()
    if _close(answer, share, 0.005):
        return _say(
            True,
            f"the day-1 retrain, re-propagated, keeps {share:.0%} of the daily "
            f"retrain's gain over the frozen model ({len(h):,} shopper-days)",
        )
    if _close(answer, h.mean() / r.mean(), 0.005):
        return _say(
            False,
            f"{answer:.2f} is the ratio of the two NDCGs; the share of the gain "
            f"divides the gains over the frozen model: {share:.2f}",
        )
    if _close(answer, 100 * share, 0.5):
        return _say(False, f"give the share as a fraction: {share:.2f}, not {answer:.0f}")
    return _say(
        False,
        f"your share is {answer:.2f}; the gains over the frozen model give "
        f"{(h - f).mean():.4f} / {(r - f).mean():.4f} = {share:.2f}",
    )


# --- exercise 4: zero ID vectors for shoppers absent from training ------------------------


@torch.no_grad()
def attribute_only_users(model: MultiBehaviorGCN, trained_users) -> torch.Tensor:
    """``model``'s user vectors with the ID vector of every user not in ``trained_users``
    left out (attributes only at layer 0), the graph and every other weight as they are."""
    ids = model.user_encoder.ids.weight.clone()
    ids[~np.isin(np.arange(model.num_users), np.asarray(trained_users))] = 0
    x = torch.cat(
        [
            ids + model.user_encoder.attributes(model.user_codes),
            model.item_encoder(model.item_codes),
        ]
    )
    weights = torch.softmax(model.behavior_logits, -1).expand(model.num_layers, -1)
    adjs = [getattr(model, f"adj_{b}") for b in model.behaviors]
    out, layer = x, x
    for depth in range(model.num_layers):
        layer = sum(w * (adj @ layer) for w, adj in zip(weights[depth], adjs, strict=True))
        out = out + layer
    return (out / (model.num_layers + 1))[: model.num_users]


def check_exercise_4(user_emb: torch.Tensor, model: MultiBehaviorGCN, trained_users) -> bool:
    """Exercise 4: ``user_emb`` = the user vectors of ``model`` (the frozen one) once the ID
    vectors of the users absent from training are zero; ``trained_users`` lists the users
    with a training event. Only those absent shoppers' vectors may change.
    """
    with torch.no_grad():
        want, before = attribute_only_users(model, trained_users), model.get_embedding()[0]
    got = torch.as_tensor(user_emb).detach()
    if got.shape != want.shape:
        return _say(
            False,
            f"expected the vectors of all {want.shape[0]:,} users, shape "
            f"{tuple(want.shape)}; got {tuple(got.shape)}",
        )
    late = ~np.isin(np.arange(model.num_users), np.asarray(trained_users))
    same = torch.isclose(got, want, atol=1e-6).all(1).numpy()
    if not same[~late].all():
        return _say(
            False,
            f"{int((~same[~late]).sum()):,} shoppers who were in training have "
            f"other vectors now: zero only the ID vectors of those absent from it",
        )
    if same[late].all():
        return _say(
            True,
            f"the {int(late.sum()):,} shoppers absent from training now have "
            f"attribute-only vectors; everyone else's are unchanged",
        )
    if torch.isclose(got[late], before[late], atol=1e-6).all():
        return _say(
            False,
            "the shoppers absent from training still have their untrained ID "
            "vectors: set those rows of user_encoder.ids.weight to zero",
        )
    if (got[late] == 0).all():
        return _say(
            False,
            "their whole vectors are zero, attributes included: zero only "
            "their ID vectors (user_encoder.ids.weight), then propagate",
        )
    return _say(
        False,
        f"{int((~same[late]).sum()):,} of the {int(late.sum()):,} shoppers "
        f"absent from training do not have their attribute-only vectors",
    )
