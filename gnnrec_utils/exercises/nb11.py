"""Checkers for notebook 11 · From offline metrics to business outcomes.

Each checker recomputes its answer from the tables it is given, with numpy, pandas and
the standard library (not :mod:`gnnrec_utils.scenarios.simulator`), prints one line, ``Right: ...``
or ``Not yet: ...``, and returns whether the answer holds.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = ["check_exercise_1", "check_exercise_2", "check_exercise_3"]


def _say(right: bool, message: str) -> bool:
    print(("Right: " if right else "Not yet: ") + message)
    return right


# --- exercise 1: shoppers per arm ----------------------------------------------------------


def check_exercise_1(answer: int, table_a: pd.DataFrame, table_b: pd.DataFrame) -> bool:
    """Exercise 1: ``answer`` = shoppers per arm for a two-sided 5 % test with 80 % power
    to detect the relative lift in the share of shoppers who bought (``buys > 0``) that
    arm B showed over arm A, at arm A's share (per-shopper tables of the two arms)."""
    p1 = float(np.mean(table_a["buys"] > 0))
    p2 = float(np.mean(table_b["buys"] > 0))
    if p1 == p2:
        return _say(False, "the two arms have the same rate: no lift to detect")
    z_a, z_b = NormalDist().inv_cdf(0.975), NormalDist().inv_cdf(0.8)
    p = (p1 + p2) / 2
    root = z_a * math.sqrt(2 * p * (1 - p)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    need = math.ceil(root**2 / (p2 - p1) ** 2)
    if abs(int(answer) - need) <= 1:
        ratio = need / len(table_a)
        return _say(True, f"{need:,} shoppers per arm, {ratio:.1f} times this test's arm A")
    if abs(int(answer) - 2 * need) <= 2:
        return _say(False, f"{int(answer):,} is both arms together; the question asks per arm")
    return _say(
        False,
        f"{int(answer):,} per arm; with p1 = {p1:.4f} (arm A) and p2 = {p2:.4f} (arm B) the "
        "two-proportion formula gives another number: did you use the lift relative to A?",
    )


# --- exercise 2: position bias -------------------------------------------------------------


def check_exercise_2(answer: float, biased: pd.DataFrame, unbiased: pd.DataFrame) -> bool:
    """Exercise 2: ``answer`` = CTR with every position seen divided by CTR under the
    position-bias curve, same shoppers, lists and seed (the two impressions tables)."""
    if len(biased) != len(unbiased):
        return _say(False, "the two tables should hold the same impressions")
    ratio = unbiased.clicked.mean() / biased.clicked.mean()
    if math.isclose(float(answer), ratio, abs_tol=0.005):
        seen = biased.seen.mean()
        return _say(True, f"{ratio:.2f} times the clicks; {seen:.0%} of positions were seen")
    if math.isclose(float(answer), 1 / ratio, abs_tol=0.005):
        return _say(False, "that is the inverse ratio: unbiased over biased")
    return _say(False, f"{float(answer):.3f}; recompute clicked.mean() in both tables")


# --- exercise 3: learning from purchases -----------------------------------------------------


def check_exercise_3(answer: str, regrets: dict[str, pd.DataFrame]) -> bool:
    """Exercise 3: ``answer`` = the name of the policy with the lowest cumulative regret in
    expected purchases after the last day; ``regrets`` maps a policy's name to its
    ``run_bandit`` table (rewards and oracle in purchases)."""
    final = {name: float(t.regret.sum()) for name, t in regrets.items()}
    best = min(final, key=final.get)
    if answer not in final:
        return _say(False, f"{answer!r} is none of {sorted(final)}")
    if answer == best:
        others = ", ".join(f"{n} {v:.1f}" for n, v in final.items() if n != best)
        return _say(True, f"{best}: {final[best]:.1f} purchases of regret ({others})")
    return _say(False, f"{answer}: {final[answer]:.1f}, more than {best}'s {final[best]:.1f}")
