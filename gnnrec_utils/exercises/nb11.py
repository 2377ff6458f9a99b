"""Checkers for notebook 11 · From offline metrics to business outcomes.

Each checker judges the answer, not the learner's consistency. Exercise 1 recomputes the
shoppers per arm from the two arms' tables with the standard library; exercise 2 checks
that the two impression tables ARE the asked pair (LightGCN's test-day lists, shown once
with the position-bias curve and once with every position seen, same seed) before it
reads the factor off them; exercise 3 replays the three policies with purchases as the
reward in a bandit loop written out here (not :func:`run_bandit`). A figure is accepted
at the precision the checker prints it. Each prints one line, ``Right: ...`` or
``Not yet: ...``, and returns whether the answer holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.exercises import close_to_printed, say

__all__ = [
    "FACTOR_DECIMALS",
    "bandit_regret",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "per_arm",
]

FACTOR_DECIMALS = 2  # exercise 2's factor, as the checker prints it


# --- exercise 1: shoppers per arm ----------------------------------------------------------


def per_arm(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Shoppers per arm of a two-sided two-proportion z-test (no continuity correction)."""
    z_a, z_b = NormalDist().inv_cdf(1 - alpha / 2), NormalDist().inv_cdf(power)
    p = (p1 + p2) / 2
    root = z_a * math.sqrt(2 * p * (1 - p)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root**2 / (p2 - p1) ** 2)


def check_exercise_1(answer: int, table_a: pd.DataFrame, table_b: pd.DataFrame) -> bool:
    """Exercise 1: ``answer`` = shoppers per arm for a two-sided 5 % test with 80 % power
    to detect the relative lift in the share of shoppers who bought (``buys > 0``) that
    arm B showed over arm A, at arm A's share.

    Pass the per-shopper tables of the two arms, ``arms["A"]`` and ``arms["B"]``.
    """
    p1 = float(np.mean(table_a["buys"] > 0))
    p2 = float(np.mean(table_b["buys"] > 0))
    if p1 == p2:
        return say(False, "the two arms have the same rate: no lift to detect")
    need, got = per_arm(p1, p2), int(answer)
    lift = p2 / p1 - 1
    if abs(got - need) <= 1:
        ratio = need / len(table_a)
        return say(
            True,
            f"{need:,} shoppers per arm to detect a {lift:+.0%} lift from {p1:.4f}, "
            f"{ratio:.1f} times this test's arm A",
        )
    if abs(got - 2 * need) <= 2:
        return say(False, f"{got:,} is both arms together; the question asks per arm: {need:,}")
    c1, c2 = table_a["conversion_rate"].mean(), table_b["conversion_rate"].mean()
    if c1 != c2 and abs(got - per_arm(c1, c2)) <= 1:
        return say(
            False,
            f"{got:,} uses purchases per impression; the unit randomised is the shopper, so "
            f"the rates are the shares of shoppers who bought: {need:,}",
        )
    for other in (0.02, 0.05, 0.10, 0.20):
        if abs(got - per_arm(p1, p1 * (1 + other))) <= 1:
            return say(
                False,
                f"{got:,} is section 3's row for a {other:+.0%} lift; the lift to detect is "
                f"the one B showed over A, {lift:+.0%}: {need:,}",
            )
    return say(
        False,
        f"{got:,} per arm; with p1 = {p1:.4f} (arm A) and p2 = {p2:.4f} (arm B) the "
        f"two-proportion formula gives {need:,}",
    )


# --- exercise 2: position bias -------------------------------------------------------------

_SHOWN = ["user_id", "item_id", "position", "day"]


def _test_lists(model, split: ShopSplit, k: int) -> pd.DataFrame:
    """``model``'s test-day lists for the test shoppers (a target and a training event),
    as (user_id, item_id, position) rows."""
    known = pd.concat([split.train, split.valid])
    intent = split.test[split.test.behavior.isin(TARGET_BEHAVIORS)]
    pairs = intent[["user_id", "item_id"]].drop_duplicates()
    pairs = pairs.merge(known[["user_id", "item_id"]].drop_duplicates(), how="left", indicator=True)
    users = np.intersect1d(pairs[pairs._merge == "left_only"].user_id, split.train.user_id)
    top = np.asarray(model.recommend(users, k, exclude=known))
    return pd.DataFrame(
        {
            "user_id": np.repeat(users, k),
            "item_id": top.ravel(),
            "position": np.tile(np.arange(1, k + 1), len(users)),
        }
    )


def _lists_problem(biased, unbiased, model, split) -> str | None:
    """What makes the two impression tables other than the asked pair, or ``None``."""
    if len(biased) != len(unbiased) or not (
        biased[_SHOWN].reset_index(drop=True).equals(unbiased[_SHOWN].reset_index(drop=True))
    ):
        return "the two tables should show the same shoppers the same lists on the same day"
    k = int(biased.position.max())
    shown = biased.sort_values(["user_id", "position"])[["user_id", "item_id", "position"]]
    lightgcn = _test_lists(model, split, k)
    if not shown.reset_index(drop=True).astype("int64").equals(lightgcn.astype("int64")):
        return (
            f"your tables do not show LightGCN's top-{k} lists to the {len(lightgcn) // k:,} "
            "test-day shoppers (history excluded): show them the same lists as section 2"
        )
    if unbiased.seen.all() and biased.seen.all():
        return "every position is seen in both tables; the first is section 2's, with the bias"
    if not unbiased.seen.all():
        return (
            f"only {unbiased.seen.mean():.0%} of the positions of your second table are seen: "
            "build its simulator with position_bias=None"
        )
    both = unbiased.clicked.to_numpy() & biased.seen.to_numpy()
    if not np.array_equal(both, biased.clicked.to_numpy()):
        return (
            "the all-seen table does not click every item the biased one clicked: build its "
            "simulator with the same seed and base_ctr (ShopSimulator(sim.world, sim.cfg, "
            "sim.funnel, seed=SEED, position_bias=None, base_ctr=BASE_CTR))"
        )
    return None


def check_exercise_2(
    factor: float, biased: pd.DataFrame, unbiased: pd.DataFrame, model, split: ShopSplit
) -> bool:
    """Exercise 2: ``factor`` = CTR with every position seen over CTR under the position-bias
    curve, for LightGCN's test-day lists, to two decimals (or in full).

    Pass the two impression tables (``sim.show`` and the all-seen simulator's ``show``
    of the same lists), ``models["LightGCN"]`` and ``split``. The checker rebuilds
    LightGCN's lists to check the tables show them, that the second sees every position,
    and that it clicks every item the first clicked (same seed and base rate), then
    reads the factor off the two tables.
    """
    problem = _lists_problem(biased, unbiased, model, split)
    if problem:
        return say(False, problem)
    ratio = unbiased.clicked.mean() / biased.clicked.mean()
    seen = biased.seen.mean()
    if close_to_printed(factor, ratio, FACTOR_DECIMALS):
        return say(True, f"{ratio:.2f} times the clicks; {seen:.0%} of positions were seen")
    if close_to_printed(factor, 1 / ratio, FACTOR_DECIMALS):
        return say(False, f"that is the inverse ratio, biased over unbiased: {ratio:.2f}")
    if close_to_printed(factor, 1 / seen, FACTOR_DECIMALS):
        return say(
            False,
            f"{float(factor):.2f} is one over the share of positions seen; the clicks grow "
            f"less, {ratio:.2f} times, since the positions now seen hold the lower-ranked items",
        )
    return say(
        False,
        f"{float(factor):.2f}; the CTR of the all-seen table over the biased one's is {ratio:.2f}",
    )


# --- exercise 3: learning from purchases -----------------------------------------------------


class _Arms:
    """A Beta(alpha, beta) posterior per item, as the policies read it."""

    def __init__(self, num_arms: int):
        self.alpha, self.beta = np.ones(num_arms), np.ones(num_arms)

    def mean(self) -> np.ndarray:
        return self.alpha / (self.alpha + self.beta)


def bandit_regret(
    policy: Callable,
    sim,
    rounds: Sequence,
    k: int,
    seed: int,
    reward: str = "buy",
    feedback: str | None = None,
) -> float:
    """Cumulative regret of ``policy`` over ``rounds`` of (day, shoppers, candidates), written
    out: each day the policy picks ``k`` of the candidates from its posteriors, the
    simulator shows them and reports the ``feedback`` (``"click"`` or ``"buy"``; default:
    ``reward``) of each item, clipped to 0/1, into the posteriors; the regret is the
    oracle's expected ``reward`` (the best ``k`` candidates, best at the most-seen
    position) minus the shown lists', each position weighted by the chance it is seen."""
    feedback = reward if feedback is None else feedback
    arms, rng = _Arms(sim.num_items), np.random.default_rng(seed)
    weight = _seen(sim.position_bias, k)
    total = 0.0
    for day, users, candidates in rounds:
        lists = policy(arms, candidates, k, rng)
        p = sim.probabilities(users, day, candidates)
        value = p["click"] if reward == "click" else p["click"] * p["buys"]
        at = (candidates[:, :, None] == lists[:, None, :]).argmax(1)
        shown = np.take_along_axis(value, at, axis=1) @ weight
        best = -np.sort(-value, axis=1)[:, :k] @ np.sort(weight)[::-1]
        total += float((best - shown).sum())
        got = np.minimum(np.asarray(sim.rewards(users, day, lists, reward=feedback)), 1.0)
        np.add.at(arms.alpha, lists.ravel(), got.ravel())
        np.add.at(arms.beta, lists.ravel(), 1.0 - got.ravel())
    return total


def _seen(position_bias, k: int) -> np.ndarray:
    """Chance that each of positions 1..k is seen (the simulator's examination curve)."""
    if position_bias is None:
        return np.ones(k)
    if isinstance(position_bias, str):
        return 1.0 / np.log2(np.arange(2, k + 2))
    return np.asarray(position_bias, dtype=np.float64)[:k]


def check_exercise_3(
    name: str, sim, policies: Mapping[str, Callable], rounds: Sequence, k: int, seed: int
) -> bool:
    """Exercise 3: ``name`` = the policy with the lowest cumulative regret in expected
    purchases after the last day, when the bandits learn from purchases: one of the names
    of ``policies``.

    Pass section 4's ``sim``, ``policies``, ``rounds``, ``TOP_K`` and ``SEED``. The
    checker replays every policy with purchases as the reward (a second or so).
    """
    regret = {n: bandit_regret(p, sim, rounds, k, seed) for n, p in policies.items()}
    best = min(regret, key=regret.get)
    if name not in regret:
        return say(False, f"{name!r} is none of {sorted(regret)}")
    if name == best:
        others = ", ".join(f"{n} {v:.1f}" for n, v in regret.items() if n != best)
        return say(True, f"{best}: {regret[best]:.1f} expected purchases of regret ({others})")
    for reward in ("click", "buy"):  # section 4's run; purchases counted, clicks learnt
        clicks = {
            n: bandit_regret(p, sim, rounds, k, seed, reward, feedback="click")
            for n, p in policies.items()
        }
        if name == min(clicks, key=clicks.get):
            return say(
                False,
                f"{name} has the lowest regret in {reward}s when the bandits learn from "
                f"clicks; learning from purchases (partial(sim.rewards, reward='buy')), "
                f"{best} has the lowest regret in purchases: {regret[best]:.1f} against "
                f"{name}'s {regret[name]:.1f}",
            )
    return say(
        False,
        f"{name}: {regret[name]:.1f} expected purchases of regret, more than {best}'s "
        f"{regret[best]:.1f}",
    )
