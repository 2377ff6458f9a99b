r"""Is a difference real? Spread over seeds, and paired tests over users.

Two sources of noise blur a comparison of recommenders:

* **the seed**: a trained model's score moves with its initialisation and batches;
  :func:`over_seeds` refits once per seed and reports the mean and the standard
  deviation (``ddof=1``, the spread one more seed would show);
* **the users**: a test set is a sample of users; :func:`paired_test` compares two
  models user by user, on the same users, so what the users share cancels out.

The paired test is Student's paired t-test,

.. math::
    d_u = a_u - b_u, \qquad \bar d \pm t_{0.975,\,n-1} \frac{s_d}{\sqrt n}, \qquad
    t = \frac{\bar d}{s_d / \sqrt n}

with its p-value from SciPy's t distribution when SciPy is installed, else from the
normal distribution (the two agree to three decimals past a few hundred users; the
result's ``method`` says which was used).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from statistics import NormalDist

import numpy as np

try:  # optional: the normal approximation is used without it
    from scipy import stats as _stats
except ImportError:  # pragma: no cover - depends on the environment
    _stats = None

__all__ = [
    "Z_975",
    "over_seeds",
    "paired_difference",
    "paired_ratio",
    "paired_test",
    "standard_error",
    "t_quantile",
    "welch_interval",
]

Z_975 = 1.959963984540054  # the 97.5 % quantile of the standard normal


def standard_error(x) -> float:
    """Standard error of the mean of ``x``, ``std(ddof=1) / sqrt(n)``; ``nan`` under two values.

    The one place the kit computes it: every ``..._se`` a table shows comes from here
    (or from :func:`paired_difference`, the same formula over per-user differences).
    """
    x = np.asarray(x, dtype=np.float64)
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def over_seeds(fit_and_score: Callable[[int], float], seeds: Iterable[int]) -> dict:
    """Run ``fit_and_score(seed)`` for every seed; the values, their mean and spread.

    Args:
        fit_and_score: trains a model with the seed and returns one number (e.g. the
            test NDCG@20).
        seeds: the seeds, e.g. ``range(3)``.

    Returns:
        ``{"per_seed": {seed: value}, "mean": m, "sd": s, "n": n}``, ``sd`` with
        ``ddof=1`` (``nan`` for one seed).

    Raises:
        ValueError: no seed.
    """
    per_seed = {seed: float(fit_and_score(seed)) for seed in seeds}
    if not per_seed:
        raise ValueError("seeds: expected at least one seed, got none")
    values = np.array(list(per_seed.values()))
    sd = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    return {"per_seed": per_seed, "mean": float(values.mean()), "sd": sd, "n": len(values)}


def paired_test(a, b) -> dict:
    """Paired t-test of ``a - b`` over the same users (two-sided).

    Args:
        a, b: one value per user for two models (e.g. per-user NDCG from
            :func:`gnnrec_utils.evaluation.metrics.per_user_recall_ndcg`), same users,
            same order.

    Returns:
        ``mean_diff`` (a - b), ``se`` (its standard error,
        :func:`paired_difference`), ``ci95`` (low, high), ``t``,
        ``p_value`` (two-sided), ``n`` users and ``method`` (``"t"`` with SciPy,
        ``"normal"`` without). When every difference is equal, ``se`` is 0 and ``p_value``
        is 1 for a zero mean, 0 otherwise.

    Raises:
        ValueError: ``a`` and ``b`` differ in length, or hold fewer than two users.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"a and b: expected two 1-D arrays of one length, got {a.shape}, {b.shape}"
        )
    if len(a) < 2:
        raise ValueError(f"a paired test needs at least two users, got {len(a)}")
    mean, se = paired_difference(a, b)
    n = len(a)
    if se == 0:
        t, p = (0.0, 1.0) if mean == 0 else (math.copysign(math.inf, mean), 0.0)
    else:
        t = mean / se
        p = _two_sided_p(t, n - 1)
    q = Z_975 if _stats is None else float(_stats.t.ppf(0.975, n - 1))
    return {
        "mean_diff": mean,
        "se": se,
        "ci95": (mean - q * se, mean + q * se),
        "t": t,
        "p_value": p,
        "n": n,
        "method": "normal" if _stats is None else "t",
    }


def _two_sided_p(t: float, df: int) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom (normal without SciPy)."""
    if _stats is not None:
        return float(2 * _stats.t.sf(abs(t), df))
    return math.erfc(abs(t) / math.sqrt(2))


def paired_difference(a, b) -> tuple[float, float]:
    """Mean of ``a - b`` over the same users, and the standard error of that mean.

    ``a`` and ``b`` hold one value per user for two models (e.g. the NDCG arrays of
    :func:`per_user_recall_ndcg`), in the same user order. Comparing the two shopper by
    shopper removes what the users share, so the standard error is that of the gap, not
    of either model's mean. Needs at least two users.
    """
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))


# --------------------------------------------------------------- A/B testing
def t_quantile(p: float, df: float) -> float:
    """Student-t quantile by the Cornish-Fisher expansion of Abramowitz & Stegun 26.7.5
    (within 0.001 of exact for ``df >= 5``); the normal quantile when ``df`` is infinite."""
    z = NormalDist().inv_cdf(p)
    if math.isinf(df):
        return z
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def welch_interval(a, b, level: float = 0.95) -> dict[str, float]:
    """Difference ``mean(b) - mean(a)`` of two independent samples, with a Welch t interval.

    ``diff +- t(df) * sqrt(var_a / n_a + var_b / n_b)`` with the Welch-Satterthwaite
    ``df`` (:func:`t_quantile`). Returns ``difference``, ``se``, ``low``, ``high``, ``df``.

    Raises:
        ValueError: a sample holds fewer than two values.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if min(len(a), len(b)) < 2:
        raise ValueError(f"each sample needs two values or more, got {len(a)} and {len(b)}")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    denom = va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)
    df = (va + vb) ** 2 / denom if denom > 0 else math.inf
    half = t_quantile(0.5 + level / 2, df) * se
    diff = float(b.mean() - a.mean())
    return {"difference": diff, "se": se, "low": diff - half, "high": diff + half, "df": df}


def paired_ratio(a, b) -> tuple[float, float]:
    r"""Ratio of two paired means, ``mean(a) / mean(b)``, and its standard error.

    For a share of one gain in another, e.g. how much of a full retrain's gain over a
    frozen model a cheap update recovers: ``a`` and ``b`` are per-user gains over the
    same users. The standard error is the delta method's,

    .. math::
        \operatorname{se}(R) = \frac{1}{|\bar b|} \sqrt{\frac{s_a^2 - 2 R\, s_{ab}
            + R^2 s_b^2}{n}}, \qquad R = \bar a / \bar b,

    with ``ddof=1`` (co)variances; it counts on ``mean(b)`` being several of its own
    standard errors away from zero (the ratio is unstable otherwise).

    Raises:
        ValueError: ``a`` and ``b`` differ in length or hold fewer than two users, or
            ``mean(b)`` is zero.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(
            f"a and b: expected two 1-D arrays of one length >= 2, got {a.shape}, {b.shape}"
        )
    if b.mean() == 0:
        raise ValueError("b: its mean is zero, so the ratio is undefined")
    ratio = float(a.mean() / b.mean())
    cov = np.cov(a, b, ddof=1)
    var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / len(a)
    return ratio, float(np.sqrt(max(var, 0.0)) / abs(b.mean()))
