"""Checkers for notebook 03 · Training.

Retraining a model inside a checker would double the exercise's time, so each checker
checks that the objects it is given are the variant its exercise asks for, then
recomputes the figure from them:

- a **run** is the triple ``(model, config, history)``: the model, the
  :class:`~gnnrec_utils.training.TrainConfig` it was trained with and the table
  :func:`~gnnrec_utils.training.train` returned. The checker reads the asked settings
  from the model (``num_layers``, an ID table or none, its behaviours) and the config
  (sampler, loss, ``num_epochs``), checks that the history ran under that config (it
  stopped early, or at ``num_epochs``) and that the model holds the history's best
  epoch (its validation NDCG@10 is the history's highest), so the run is what trained it;
- the gain ``± se`` is then recomputed from the two models: every warm validation
  shopper's items ranked with numpy (history excluded, equal scores to the lower item id),
  NDCG@10 per shopper written out, and the paired mean and standard error by formula,
  not with the kit's evaluator or ``paired_difference``. A figure is accepted as printed,
  to four decimals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.exercises import close_to_printed
from gnnrec_utils.exercises import say as _say
from gnnrec_utils.models.multibehavior import MultiBehaviorGCN

__all__ = [
    "ASKED_EPOCHS",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "dense_per_user_ndcg",
    "dense_top",
    "ndcg_of_top",
    "paired_gain",
]

ASKED_EPOCHS = 15  # exercise 2's cap on the training epochs
DECIMALS = 4  # the notebook prints gains and standard errors to four decimals


# --- an evaluation written out, independent of the kit's -----------------------------------


def _warm_users(split, period: str) -> np.ndarray:
    """Ascending ids of the shoppers with a target in ``period`` and a training event."""
    return np.intersect1d(split.targets(period).user_id.unique(), split.train.user_id.unique())


def dense_top(model, split, period: str = "valid", k: int = 10, chunk: int = 512):
    """``(users, top)``: the warm target shoppers of ``period`` (a target that period and a
    training event) in ascending id, and each one's ``k`` best items: the model's scores
    over every item, the shopper's history set to -inf, a stable descending sort (equal
    scores to the lower item id)."""
    users = _warm_users(split, period)
    row_of = np.full(split.num_users, -1)
    row_of[users] = np.arange(len(users))
    known = split.history(period)[["user_id", "item_id"]].drop_duplicates()
    known_row, known_item = row_of[known.user_id.to_numpy()], known.item_id.to_numpy()
    kept = known_row >= 0
    known_row, known_item = known_row[kept], known_item[kept]
    model.eval()
    scorer = model.scorer()
    top = np.empty((len(users), k), dtype=np.int64)
    for lo in range(0, len(users), chunk):
        with torch.no_grad():
            scores = torch.as_tensor(scorer(users[lo : lo + chunk]))
        scores = scores.to("cpu", torch.float64).numpy().copy()
        mine = (known_row >= lo) & (known_row < lo + chunk)
        scores[known_row[mine] - lo, known_item[mine]] = -np.inf
        top[lo : lo + chunk] = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return users, top


def ndcg_of_top(users, top, targets, num_items: int) -> np.ndarray:
    """NDCG of each row of ``top`` against ``users``' target items: gain 1 per target at
    rank r, discounted by log2(r + 1), over the ideal DCG of min(|targets|, k) hits."""
    k = top.shape[1]
    pairs = targets[["user_id", "item_id"]].drop_duplicates()
    pairs = pairs[np.isin(pairs.user_id.to_numpy(), users)]
    codes = pairs.user_id.to_numpy() * num_items + pairs.item_id.to_numpy()
    hits = np.isin(users[:, None] * num_items + top, codes)
    discount = 1 / np.log2(np.arange(2, k + 2))
    count = pairs.user_id.value_counts().reindex(users).to_numpy()
    return hits @ discount / np.cumsum(discount)[np.minimum(count, k) - 1]


def dense_per_user_ndcg(model, split, period: str = "valid", k: int = 10):
    """``(users, ndcg)``: NDCG@k of every warm target shopper of ``period``, in ascending
    user id, from :func:`dense_top` and :func:`ndcg_of_top`."""
    users, top = dense_top(model, split, period, k)
    return users, ndcg_of_top(users, top, split.targets(period), split.num_items)


def paired_gain(model_a, model_b, split, period: str = "valid", k: int = 10):
    """Mean per-shopper NDCG@k of ``model_a`` minus ``model_b`` over the same warm target
    shoppers of ``period``, and the standard error of that mean (n - 1 in the variance)."""
    users_a, a = dense_per_user_ndcg(model_a, split, period, k)
    users_b, b = dense_per_user_ndcg(model_b, split, period, k)
    assert np.array_equal(users_a, users_b)
    diff = a - b
    return float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(len(diff)))


def _gain_off(gain, se, want: tuple[float, float], what: str, model_a, model_b, split) -> str:
    """``""`` when ``gain ± se`` is ``want`` as printed, else what is off."""
    if close_to_printed(gain, want[0], DECIMALS) and close_to_printed(se, want[1], DECIMALS):
        return ""
    if close_to_printed(gain, -want[0], DECIMALS) and close_to_printed(se, want[1], DECIMALS):
        hint = " You give the difference the other way round."
    elif close_to_printed(gain, paired_gain(model_a, model_b, split, "test")[0], DECIMALS):
        hint = " That is the test day; the exercise compares on the validation day."
    else:
        hint = ""
    return (
        f"you report {float(gain):+.4f} ± {float(se):.4f}, but {what}, paired over the "
        f"validation day's warm shoppers, is {want[0]:+.4f} ± {want[1]:.4f}.{hint}"
    )


# --- a run: (model, config, history) ---------------------------------------------------------


def _run_off(run, split, name: str) -> str:
    """``""`` when ``run`` is a (model, config, history) whose history ran under its config
    and whose model holds the history's best epoch; else what is off."""
    if not (isinstance(run, tuple | list) and len(run) == 3):
        return (
            f"pass the {name} run as (model, config, history): the model, the TrainConfig "
            "you trained it with and the table train() returned"
        )
    model, config, history = run
    column = f"ndcg@{config.top_k}"
    if not isinstance(history, pd.DataFrame) or column not in history or history.empty:
        return f"the {name} run's history is not a table from train() with a {column} column"
    ndcg = history[column].to_numpy()
    epochs, best = len(ndcg), int(np.argmax(ndcg)) + 1
    if epochs > config.num_epochs:
        return (
            f"the {name} run's history has {epochs} epochs, more than its config's "
            f"num_epochs={config.num_epochs}: pass the config you trained it with"
        )
    if epochs < config.num_epochs and epochs - best < config.patience:
        return (
            f"the {name} run stopped after {epochs} epochs, neither at num_epochs="
            f"{config.num_epochs} nor by early stopping (best epoch {best}): pass the config "
            "you trained it with"
        )
    now = dense_per_user_ndcg(model, split, "valid", config.top_k)[1].mean()
    if not math.isclose(now, ndcg.max(), rel_tol=1e-6, abs_tol=1e-9):
        return (
            f"the {name} model's validation {column} is {now:.4f}, but its history's best "
            f"epoch scored {ndcg.max():.4f}: pass the model that this history trained"
        )
    return ""


def _config_off(config, name: str, sampler: str = "uniform", epochs: int | None = None) -> str:
    """``""`` when ``config`` trains with ``sampler`` negatives and BPR, early stopping on
    and, where ``epochs`` is given, up to that many epochs; else what is off."""
    if (config.sampler, config.loss) != (sampler, "bpr"):
        return (
            f"the {name} run was trained with sampler={config.sampler!r}, loss={config.loss!r}; "
            f"the exercise asks for sampler={sampler!r}, loss='bpr'"
        )
    if epochs is not None and config.num_epochs != epochs:
        return (
            f"the {name} run was trained for up to {config.num_epochs} epochs; the exercise "
            f"asks for {epochs} (num_epochs={epochs})"
        )
    if config.patience >= config.num_epochs:
        return f"the {name} run has patience {config.patience}: keep early stopping on"
    return ""


# --- exercise 1: one layer ----------------------------------------------------------------------


def check_exercise_1(gain, se, one_layer_run, lightgcn, split) -> bool:
    """Exercise 1: what the second and third hops add on the validation day: section 5's
    ``lightgcn`` minus the one-layer LightGCN, ``gain ± se`` in NDCG@10, paired (as
    printed, to four decimals).

    Pass ``(one_layer, config, one_history)`` as ``one_layer_run``: the model, section 5's
    ``config`` it was trained with and the history ``train`` returned; then section 5's
    ``lightgcn`` and ``split``. The checker reads ``num_layers`` from both models, checks
    the run, and recomputes the paired gain itself.
    """
    off = _run_off(one_layer_run, split, "one-layer")
    if off:
        return _say(False, off)
    one_layer, config, _ = one_layer_run
    if getattr(one_layer, "num_layers", None) != 1:
        return _say(
            False,
            f"your model has {getattr(one_layer, 'num_layers', '?')} layers; the exercise asks "
            "for 1: LightGCN(adj, num_users, num_items, EMBED_DIM, 1)",
        )
    if getattr(lightgcn, "num_layers", 1) == 1:
        return _say(False, "compare with section 5's LightGCN, the one with NUM_LAYERS layers")
    off = _config_off(config, "one-layer")
    if off:
        return _say(False, off)
    want = paired_gain(lightgcn, one_layer, split, "valid", config.top_k)
    what = f"{lightgcn.num_layers} layers − one"
    off = _gain_off(gain, se, want, what, lightgcn, one_layer, split)
    return _say(
        not off,
        off or f"{what}: {want[0]:+.4f} ± {want[1]:.4f} ({want[0] / want[1]:.1f} standard errors)",
    )


# --- exercise 2: fifteen epochs ----------------------------------------------------------------


def check_exercise_2(gain, se, runs: dict, split) -> bool:
    """Exercise 2: hard negatives against uniform ones, both with BPR, each trained for
    up to 15 epochs with early stopping, compared on the validation day: ``gain ± se`` of
    hard minus uniform in NDCG@10, paired (as printed).

    Pass ``runs = {"hard": (model, config, history), "uniform": (model, config, history)}``:
    each model, the TrainConfig it was trained with (``sampler``, ``loss="bpr"``,
    ``num_epochs=15``) and the history ``train`` returned; then ``split``. The checker reads
    the sampler, loss and epochs from the configs, checks each run, and recomputes the
    paired gain itself.
    """
    if not isinstance(runs, dict) or set(runs) != {"hard", "uniform"}:
        return _say(False, 'pass runs = {"hard": (model, config, history), "uniform": (...)}')
    for name, run in runs.items():
        off = _run_off(run, split, name) or _config_off(run[1], name, name, ASKED_EPOCHS)
        if off:
            return _say(False, off)
    hard, uniform = runs["hard"][0], runs["uniform"][0]
    want = paired_gain(hard, uniform, split)
    what = f"hard − uniform (BPR, up to {ASKED_EPOCHS} epochs)"
    off = _gain_off(gain, se, want, what, hard, uniform, split)
    return _say(
        not off,
        off or f"{what}: {want[0]:+.4f} ± {want[1]:.4f} ({want[0] / want[1]:.1f} standard errors)",
    )


# --- exercise 3: no ID vectors -------------------------------------------------------------------


def _has_ids(model) -> bool:
    """Whether a MultiBehaviorGCN learns an ID vector for its users or items."""
    return any(
        getattr(e, "ids", None) is not None for e in (model.user_encoder, model.item_encoder)
    )


def check_exercise_3(gain, se, no_ids_run, with_ids, split) -> bool:
    """Exercise 3: what ``MultiBehaviorGCN(..., use_ids=False)`` loses against section 7's
    model with all four behaviours (``ablation_models["all four"]``), on the validation
    day: ``gain ± se`` of no IDs minus IDs in NDCG@10, paired (as printed).

    Pass ``(no_ids, config, history)`` as ``no_ids_run``: the model, the TrainConfig it was
    trained with and the history ``train`` returned; then the model with IDs and ``split``.
    The checker checks that the first model has no ID table and the second has one, that
    both propagate over the same behaviours, and recomputes the paired gain itself.
    """
    off = _run_off(no_ids_run, split, "use_ids=False")
    off = off or _config_off(no_ids_run[1], "use_ids=False")
    if off:
        return _say(False, off)
    no_ids = no_ids_run[0]
    for model, name in ((no_ids, "first"), (with_ids, "second")):
        if not isinstance(model, MultiBehaviorGCN):
            return _say(
                False, f"the {name} model is a {type(model).__name__}, not a MultiBehaviorGCN"
            )
    if _has_ids(no_ids):
        return _say(
            False,
            "your first model still learns an ID vector per node: build it with use_ids=False",
        )
    if not _has_ids(with_ids):
        return _say(False, "compare with section 7's model with IDs, ablation_models['all four']")
    if sorted(no_ids.behaviors) != sorted(with_ids.behaviors):
        return _say(
            False,
            f"your model without IDs propagates over {no_ids.behaviors}, the one with IDs over "
            f"{with_ids.behaviors}: give both the same behaviours",
        )
    want = paired_gain(no_ids, with_ids, split)
    off = _gain_off(gain, se, want, "use_ids=False − with IDs", no_ids, with_ids, split)
    return _say(
        not off,
        off
        or f"use_ids=False − with IDs: {want[0]:+.4f} ± {want[1]:.4f} "
        f"({want[0] / want[1]:.1f} standard errors)",
    )
