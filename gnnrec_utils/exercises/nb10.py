"""Checkers for notebook 10 · The public benchmark.

Each checker judges the answer, not the learner's consistency: it rebuilds what the
exercise asks for from the split with numpy (the binary user-item matrix, EASE^R and
ridge in closed form for every λ of the grid, GF-CF's linear filter, the validation and
test rankings and their NDCG), not with the kit's ``EASE``, ``GFCF``, ``paired_test`` or
metrics, or takes the models the exercise names from the notebook's per-user table
itself. A figure is accepted at the four decimals the notebook prints. Each prints one
line, ``Right: ...`` or ``Not yet: ...``, and returns whether the answer holds.

The closed forms are dense item × item matrices, as in the notebook: fine for the
stand-in's 897 items, tens of GB for Gowalla's 40,981.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.exercises import close_to_printed, say

__all__ = [
    "DECIMALS",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "ease_weights",
    "linear_filter",
    "period_ndcg",
    "ridge_weights",
]

DECIMALS = 4  # the notebook prints NDCG and standard errors to four decimals


def _shown(value) -> str:
    """A typed figure as the notebook prints it, to four decimals."""
    try:
        return f"{float(value):.4f}"
    except (TypeError, ValueError):
        return str(value)


# --- shared: the matrix, the periods, NDCG ------------------------------------------------


def _dense(matrix) -> np.ndarray:
    """A dense float64 numpy array of a tensor (dense or sparse) or an array."""
    if hasattr(matrix, "to_dense"):
        matrix = matrix.to_dense()
    if hasattr(matrix, "detach"):
        matrix = matrix.detach().cpu().numpy()
    return np.asarray(matrix, dtype=np.float64)


def _binary(split: ShopSplit, refit: bool = False) -> np.ndarray:
    """The (users, items) 0/1 matrix of the training pairs (the models' ``x`` and
    ``r_train``), or with ``refit`` of the training and validation pairs (``r_all``)."""
    pairs = pd.concat([split.train, split.valid]) if refit else split.train
    x = np.zeros((split.num_users, split.num_items))
    x[pairs.user_id.to_numpy(), pairs.item_id.to_numpy()] = 1.0
    return x


def _period(split: ShopSplit, period: str):
    """(users, targets, known) of ``period``: a target is a pair of the period the user had
    no event on before it; the users, ascending, have a target and a training pair;
    ``known``, the pairs known before the period, is left out of the ranking."""
    known = split.train if period == "valid" else pd.concat([split.train, split.valid])
    events = getattr(split, period)
    intent = events[events.behavior.isin(TARGET_BEHAVIORS)][["user_id", "item_id"]]
    pairs = intent.drop_duplicates().merge(
        known[["user_id", "item_id"]].drop_duplicates(), how="left", indicator=True
    )
    targets = pairs[pairs._merge == "left_only"][["user_id", "item_id"]]
    users = np.intersect1d(targets.user_id.unique(), split.train.user_id.unique())
    return users, targets, known


def _ndcg(scores: np.ndarray, users: np.ndarray, targets, known, k: int) -> np.ndarray:
    """NDCG@k of each of ``users`` from its row of ``scores`` (users, items): known pairs
    never ranked, equal scores to the lower item id, gain 1 per target, ideal DCG over
    min(|targets|, k)."""
    scores = scores.copy()
    row_of = pd.Series(np.arange(len(users)), index=users)
    mine = known[known.user_id.isin(users)]
    scores[row_of[mine.user_id].to_numpy(), mine.item_id.to_numpy()] = -np.inf
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    wanted = targets.groupby("user_id").item_id.apply(set)
    discount = 1 / np.log2(np.arange(2, k + 2))
    out = np.empty(len(users))
    for row, (user, items) in enumerate(zip(users.tolist(), top, strict=True)):
        rel = wanted[user]
        hits = np.array([i in rel for i in items.tolist()])
        out[row] = (hits * discount).sum() / discount[: min(len(rel), k)].sum()
    return out


def period_ndcg(x: np.ndarray, weights: np.ndarray, split: ShopSplit, period: str, k: int):
    """Mean NDCG@k on ``period`` of the item-item model scoring user ``u`` as ``x_u B``."""
    users, targets, known = _period(split, period)
    return float(_ndcg(x[users] @ weights, users, targets, known, k).mean())


def ease_weights(x: np.ndarray, l2: float) -> np.ndarray:
    """EASE^R's B = I - P diag(1 / diag(P)), P = (XᵀX + λI)⁻¹: zero diagonal."""
    p = np.linalg.inv(x.T @ x + l2 * np.eye(x.shape[1]))
    return np.eye(x.shape[1]) - p / np.diag(p)


def ridge_weights(x: np.ndarray, l2: float) -> np.ndarray:
    """Ridge regression of X on itself without EASE^R's constraint: (XᵀX + λI)⁻¹XᵀX."""
    gram = x.T @ x
    return np.linalg.solve(gram + l2 * np.eye(x.shape[1]), gram)


def _chosen_l2(x: np.ndarray, split: ShopSplit, grid: Sequence[float], k: int) -> float:
    """The λ of ``grid`` with the best validation NDCG@k of EASE^R (the first on a tie)."""
    valid = {l2: period_ndcg(x, ease_weights(x, l2), split, "valid", k) for l2 in grid}
    return max(grid, key=valid.get)


# --- exercise 1: EASE^R without its zero diagonal -----------------------------------------


def check_exercise_1(answer: float, split: ShopSplit, l2_grid: Sequence[float], k: int) -> bool:
    """Exercise 1: ``answer`` = the validation NDCG@``k`` of plain ridge regression
    :math:`(X^\\top X + \\lambda I)^{-1} X^\\top X`, with the λ that section 3 chose for
    EASE^R on validation, to the four decimals the solution prints (or in full).

    Pass ``split``, ``EASE_L2_GRID`` and ``TOP_K``. The checker chooses λ on validation
    itself (EASE^R for every λ of the grid) and fits and scores ridge with numpy.
    """
    x = _binary(split)
    l2 = _chosen_l2(x, split, l2_grid, k)
    ridge = ridge_weights(x, l2)
    want = period_ndcg(x, ridge, split, "valid", k)
    ease = period_ndcg(x, ease_weights(x, l2), split, "valid", k)
    if close_to_printed(answer, want, DECIMALS):
        low, high = np.diag(ridge).min(), np.diag(ridge).max()
        return say(
            True,
            f"ridge with λ = {l2:g} puts {low:.3f} to {high:.3f} on the diagonal and scores "
            f"validation NDCG@{k} {want:.4f}, against EASE^R's {ease:.4f}",
        )
    if close_to_printed(answer, ease, DECIMALS):
        return say(
            False,
            f"{_shown(answer)} is EASE^R's own, with the zero diagonal; drop the constraint: "
            f"B = (XᵀX + λI)⁻¹XᵀX with λ = {l2:g}",
        )
    for other in l2_grid:
        if other != l2:
            ridge = period_ndcg(x, ridge_weights(x, other), split, "valid", k)
            if close_to_printed(answer, ridge, DECIMALS):
                return say(
                    False,
                    f"{_shown(answer)} is ridge with λ = {other:g}; section 3 chose "
                    f"λ = {l2:g} for EASE^R on validation, and ridge with it scores {want:.4f}",
                )
    if close_to_printed(answer, period_ndcg(x, ridge_weights(x, l2), split, "test", k), DECIMALS):
        return say(
            False, f"{_shown(answer)} is the test users'; on the validation users: {want:.4f}"
        )
    return say(
        False,
        f"ridge with λ = {l2:g} scores validation NDCG@{k} {want:.4f}, not {_shown(answer)}",
    )


# --- exercise 2: GF-CF's linear filter by hand --------------------------------------------


def linear_filter(interactions, users) -> np.ndarray:
    """:math:`r_u \\tilde R^\\top \\tilde R` for ``users``, with
    :math:`\\tilde R = D_U^{-1/2} R D_I^{-1/2}` (a zero degree gives a zero row/column)."""
    r = (_dense(interactions) != 0).astype(np.float64)
    d_u, d_i = r.sum(1), r.sum(0)
    inv_u = np.divide(1.0, np.sqrt(d_u), out=np.zeros_like(d_u), where=d_u > 0)
    inv_i = np.divide(1.0, np.sqrt(d_i), out=np.zeros_like(d_i), where=d_i > 0)
    norm = r * inv_u[:, None] * inv_i[None, :]
    return r[np.asarray(users)] @ norm.T @ norm


def _same(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=0.0, atol=tol))


def check_exercise_2(scores, split: ShopSplit, n: int = 5) -> bool:
    """Exercise 2: ``scores`` = the (5, items) scores of GF-CF's linear filter
    :math:`r_u \\tilde R^\\top \\tilde R` for the first five validation users (in id
    order), computed by hand with dense matrices.

    Pass ``split``; the checker takes the users and the training matrix from it.
    """
    r = _binary(split)
    first = _period(split, "valid")[0][:n]
    want = linear_filter(r, first)
    got = _dense(scores)
    if got.shape != want.shape:
        return say(
            False,
            f"expected the scores of the first {n} validation users over every item, "
            f"shape {want.shape}; got {got.shape}",
        )
    tol = 1e-4 * max(1.0, np.abs(want).max())
    if _same(got, want, tol):
        return say(
            True,
            f"the linear filter's scores of validation users {first.tolist()} over all "
            f"{want.shape[1]} items",
        )
    if _same(got, r[first] @ r.T @ r, tol):
        return say(
            False,
            "those are raw co-occurrence counts RᵀR; divide R by the square roots of the "
            "user and item degrees first",
        )
    if _same(got, linear_filter(r, _period(split, "test")[0][:n]), tol):
        return say(False, f"those are the first {n} test users; take the validation users")
    return say(
        False,
        f"your scores differ from r_u R̃ᵀR̃ by up to {np.abs(got - want).max():.3g} "
        "(GF-CF's default alpha=0.2 adds the ideal low-pass term; the linear filter alone "
        "is alpha=0)",
    )


# --- exercise 3: a paired and an unpaired standard error ----------------------------------


def _errors(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(mean of a - b, paired standard error, unpaired standard error)."""
    n = len(a)
    diff = a - b
    unpaired = math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
    return float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(n)), unpaired


def check_exercise_3(answer: tuple[float, float, float], users_ndcg: Mapping) -> bool:
    """Exercise 3: ``answer`` = (mean of EASE^R − LightGCN, paired standard error,
    unpaired standard error) of NDCG@20 over the test users, each to four decimals (or in
    full).

    Pass ``users_ndcg``, section 3's per-user test NDCG of every model; the checker takes
    EASE^R's and LightGCN's from it. Paired: the standard deviation (ddof=1) of the
    per-user differences over the square root of their number. Unpaired: the square root
    of the sum of each mean's squared standard error.
    """
    a = np.asarray(users_ndcg["EASE^R"], dtype=np.float64)
    b = np.asarray(users_ndcg["LightGCN"], dtype=np.float64)
    mean, paired, unpaired = _errors(a, b)
    if len(answer) != 3:
        return say(False, "give three numbers: (mean difference, paired se, unpaired se)")
    got_mean, got_paired, got_unpaired = answer

    def close(x, y):
        return close_to_printed(x, y, DECIMALS)

    if close(got_mean, mean) and close(got_paired, paired) and close(got_unpaired, unpaired):
        return say(
            True,
            f"EASE^R − LightGCN {mean:.4f} ± {paired:.4f} paired, ± {unpaired:.4f} "
            f"unpaired: {unpaired / paired:.1f} times wider without the pairing",
        )
    if close(got_mean, -mean):
        return say(False, f"EASE^R − LightGCN is {mean:+.4f}; you have LightGCN − EASE^R")
    for name, values in users_ndcg.items():
        if name not in ("EASE^R", "LightGCN"):
            other = np.asarray(values, dtype=np.float64)
            if len(other) == len(a) and close(got_mean, (a - other).mean()):
                return say(
                    False,
                    f"{_shown(got_mean)} is EASE^R − {name}; the exercise compares EASE^R "
                    "with LightGCN",
                )
    if not close(got_mean, mean):
        return say(
            False,
            f"the mean difference EASE^R − LightGCN is {mean:.4f}, not {_shown(got_mean)}",
        )
    if close(got_paired, unpaired) and close(got_unpaired, paired):
        return say(False, "the two standard errors are swapped")
    if not close(got_paired, paired):
        return say(
            False,
            f"the paired standard error (sd of the {len(a):,} differences / √{len(a):,}) "
            f"is {paired:.4f}, not {_shown(got_paired)}",
        )
    return say(
        False,
        f"the unpaired standard error √(var a / n + var b / n) is {unpaired:.4f}, "
        f"not {_shown(got_unpaired)}",
    )


# --- exercise 4: the optimism of choosing on test -----------------------------------------


def check_exercise_4(optimism: float, split: ShopSplit, l2_grid: Sequence[float], k: int) -> bool:
    """Exercise 4: ``optimism`` = the best test NDCG@``k`` of EASE^R over the λ of the grid
    minus the test NDCG@``k`` of the λ chosen on validation, to four decimals (or in
    full). Every λ is chosen on validation with EASE^R fitted on the training pairs, and
    scored on test refitted on the training and validation pairs.

    Pass ``split``, ``EASE_L2_GRID`` and ``TOP_K``. The checker fits EASE^R for every λ
    with numpy and scores it on the validation and the test users itself.
    """
    x, x_all = _binary(split), _binary(split, refit=True)
    valid, test, unrefitted = {}, {}, {}
    for l2 in l2_grid:
        weights = ease_weights(x, l2)
        valid[l2] = period_ndcg(x, weights, split, "valid", k)
        unrefitted[l2] = period_ndcg(x, weights, split, "test", k)
        test[l2] = period_ndcg(x_all, ease_weights(x_all, l2), split, "test", k)
    chosen, on_test = max(l2_grid, key=valid.get), max(l2_grid, key=test.get)
    want = test[on_test] - test[chosen]
    runner_up = sorted(test.values())[-2] if len(test) > 1 else test[on_test]
    if close_to_printed(optimism, want, DECIMALS):
        if chosen == on_test:
            return say(
                True,
                f"validation and test both pick λ = {chosen:g} (test NDCG@{k} "
                f"{test[chosen]:.4f}, the next λ {runner_up:.4f}): no optimism here",
            )
        return say(
            True,
            f"test picks λ = {on_test:g}, validation λ = {chosen:g}: choosing on test would "
            f"report {want:.4f} more",
        )
    if close_to_printed(optimism, -want, DECIMALS):
        return say(False, f"the wrong way round: the best test value is the higher, by {want:.4f}")
    if close_to_printed(optimism, test[chosen] - valid[chosen], DECIMALS):
        return say(
            False,
            f"{_shown(optimism)} is the test minus the validation NDCG@{k} of λ = {chosen:g}; the "
            "optimism compares two λ on the test users",
        )
    stale = max(unrefitted.values()) - unrefitted[chosen]
    if stale != want and close_to_printed(optimism, stale, DECIMALS):
        return say(
            False,
            f"{_shown(optimism)} comes from EASE^R fitted on the training pairs alone; refit "
            f"each λ on train + valid before scoring the test users: {want:.4f}",
        )
    if close_to_printed(optimism, test[on_test] - runner_up, DECIMALS):
        return say(
            False,
            f"{_shown(optimism)} is the gap between the two best λ on test; compare the best with "
            f"the λ validation chose, {chosen:g}: {want:.4f}",
        )
    return say(
        False,
        f"validation picks λ = {chosen:g} ({test[chosen]:.4f} on test), test picks "
        f"λ = {on_test:g} ({test[on_test]:.4f}): the difference is {want:.4f}, "
        f"not {_shown(optimism)}",
    )
