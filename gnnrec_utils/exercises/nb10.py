"""Checkers for notebook 10 · The public benchmark.

Each checker recomputes its answer from the matrices or per-user values it is given, with
numpy (not the notebook's helpers or the kit's models), prints one line, ``Right: ...`` or
``Not yet: ...``, and returns whether the answer holds. Figures may be rounded to four
decimals.
"""

from __future__ import annotations

import math

import numpy as np

from gnnrec_utils.exercises import say as _say

__all__ = [
    "FOUR_DECIMALS",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "linear_filter",
]

FOUR_DECIMALS = 5e-5  # half a unit of the fourth decimal: an answer rounded to 0.0001


def _close(value: float, target: float, tol: float = FOUR_DECIMALS) -> bool:
    return math.isclose(float(value), float(target), rel_tol=0.0, abs_tol=tol)


def _dense(matrix) -> np.ndarray:
    """A dense float64 numpy array of a tensor (dense or sparse) or an array."""
    if hasattr(matrix, "to_dense"):
        matrix = matrix.to_dense()
    if hasattr(matrix, "detach"):
        matrix = matrix.detach().cpu().numpy()
    return np.asarray(matrix, dtype=np.float64)


def _same(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=0.0, atol=tol))


# --- exercise 1: EASE^R without its zero diagonal -----------------------------------------


def check_exercise_1(weights, interactions, l2: float) -> bool:
    """Exercise 1: ``weights`` = the (items, items) ridge solution without EASE^R's
    constraint, :math:`(X^\\top X + \\lambda I)^{-1} X^\\top X`, for the binary user-item
    matrix ``interactions`` and :math:`\\lambda` = ``l2``.
    """
    x = _dense(interactions)
    gram = x.T @ x
    eye = np.eye(gram.shape[0])
    want = np.linalg.solve(gram + l2 * eye, gram)
    got = _dense(weights)
    if got.shape != want.shape:
        return _say(
            False,
            f"expected an item-item matrix of shape {want.shape}, got {got.shape}",
        )
    tol = 1e-6 * max(1.0, np.abs(want).max())
    if _same(got, want, tol):
        return _say(
            True,
            f"the unconstrained ridge weights; their diagonal runs from "
            f"{np.diag(want).min():.3f} to {np.diag(want).max():.3f} instead of 0",
        )
    p = np.linalg.inv(gram + l2 * eye)
    ease = eye - p / np.diag(p)
    if _same(got, ease, tol):
        return _say(
            False, "that is EASE^R's B, with the zero diagonal; drop the constraint and solve"
        )
    if _same(got, eye, tol):
        return _say(False, "without λ the solution is the identity: every item explains itself")
    return _say(
        False,
        f"your matrix differs from (XᵀX + λI)⁻¹XᵀX by up to {np.abs(got - want).max():.3g}",
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


def check_exercise_2(scores, interactions, users) -> bool:
    """Exercise 2: ``scores`` = the (len(users), items) scores of GF-CF's linear filter
    :math:`r_u \\tilde R^\\top \\tilde R` for ``users`` on the binary ``interactions``."""
    want = linear_filter(interactions, users)
    got = _dense(scores)
    if got.shape != want.shape:
        return _say(False, f"expected scores of shape {want.shape}, got {got.shape}")
    tol = 1e-4 * max(1.0, np.abs(want).max())
    if _same(got, want, tol):
        return _say(True, f"the linear filter's scores of {len(want)} users over every item")
    r = (_dense(interactions) != 0).astype(np.float64)
    if _same(got, r[np.asarray(users)] @ r.T @ r, tol):
        return _say(
            False,
            "those are raw co-occurrence counts RᵀR; divide R by the square roots of the "
            "user and item degrees first",
        )
    return _say(
        False,
        f"your scores differ from r_u R̃ᵀR̃ by up to {np.abs(got - want).max():.3g}",
    )


# --- exercise 3: a paired and an unpaired standard error ----------------------------------


def check_exercise_3(answer: tuple[float, float, float], a, b) -> bool:
    """Exercise 3: ``answer`` = (mean of ``a - b``, paired standard error, unpaired
    standard error) for two models' per-user values ``a`` and ``b`` on the same users.

    Paired: the standard deviation (ddof=1) of the per-user differences over the square
    root of their number. Unpaired: the square root of the sum of each mean's squared
    standard error.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b have {len(a)} and {len(b)} values: pair them over the same users"
        )
    diff = a - b
    n = len(diff)
    mean, paired = diff.mean(), diff.std(ddof=1) / math.sqrt(n)
    unpaired = math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
    got_mean, got_paired, got_unpaired = answer
    if not _close(got_mean, mean):
        return _say(False, f"the mean per-user difference is {mean:.4f}, not {got_mean:.4f}")
    if _close(got_paired, unpaired) and _close(got_unpaired, paired):
        return _say(False, "the two standard errors are swapped")
    if not _close(got_paired, paired):
        return _say(
            False,
            f"the paired standard error (sd of the {n:,} differences / √{n:,}) is "
            f"{paired:.4f}, not {got_paired:.4f}",
        )
    if not _close(got_unpaired, unpaired):
        return _say(
            False,
            f"the unpaired standard error √(var a / n + var b / n) is {unpaired:.4f}, "
            f"not {got_unpaired:.4f}",
        )
    return _say(
        True,
        f"{mean:.4f} ± {paired:.4f} paired, ± {unpaired:.4f} unpaired: "
        f"{unpaired / paired:.1f} times wider without the pairing",
    )


# --- exercise 4: the optimism of choosing on test -----------------------------------------


def check_exercise_4(optimism: float, valid_by_setting: dict, test_by_setting: dict) -> bool:
    """Exercise 4: ``optimism`` = the best test value over the settings minus the test
    value of the setting with the best validation value.

    ``valid_by_setting`` and ``test_by_setting`` map each setting (e.g. λ) to its
    validation and test NDCG@20.
    """
    if set(valid_by_setting) != set(test_by_setting):
        raise ValueError(
            f"validation and test values for other settings: {sorted(valid_by_setting)} "
            f"against {sorted(test_by_setting)}"
        )
    chosen = max(valid_by_setting, key=valid_by_setting.get)
    on_test = max(test_by_setting, key=test_by_setting.get)
    want = test_by_setting[on_test] - test_by_setting[chosen]
    if _close(optimism, want):
        if want == 0:
            return _say(
                True, f"validation and test pick the same setting, {chosen}: no optimism here"
            )
        return _say(
            True,
            f"test picks {on_test}, validation {chosen}: choosing on test would report "
            f"{want:.4f} more",
        )
    if _close(optimism, -want):
        return _say(False, f"the wrong way round: the best test value is the higher, {want:.4f}")
    return _say(
        False,
        f"validation picks {chosen} ({test_by_setting[chosen]:.4f} on test), test picks "
        f"{on_test} ({test_by_setting[on_test]:.4f}): the difference is {want:.4f}, "
        f"not {optimism:.4f}",
    )
