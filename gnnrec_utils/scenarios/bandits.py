"""Learning from clicks while serving: Beta-Bernoulli bandits and a feedback loop.

:func:`run_bandit` lets :func:`thompson` sampling or :func:`epsilon_greedy` choose what a
simulated shopper sees and learn from the clicks, against the oracle's regret;
:func:`feedback_loop` replays a recommender retrained on the events its own lists
caused (notebook 11).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gnnrec_utils.evaluation.metrics import catalog_coverage, exposure_gini
from gnnrec_utils.evaluation.significance import standard_error
from gnnrec_utils.scenarios.simulator import ShopSimulator

__all__ = ["BetaArms", "epsilon_greedy", "feedback_loop", "run_bandit", "thompson"]


# -------------------------------------------------------------------- bandits
@dataclass
class BetaArms:
    """A Beta(``alpha``, ``beta``) posterior of each arm's reward rate (Bernoulli rewards).

    Arms are items, shared by all shoppers: the bandit learns which of a model's
    candidates the shop's shoppers take to, not one shopper's taste.
    """

    alpha: np.ndarray
    beta: np.ndarray

    @classmethod
    def new(cls, num_arms: int, prior: tuple[float, float] = (1.0, 1.0)) -> BetaArms:
        return cls(np.full(num_arms, float(prior[0])), np.full(num_arms, float(prior[1])))

    def update(self, arms: np.ndarray, rewards: np.ndarray) -> None:
        """Add each reward (clipped to 0/1) to its arm's counts."""
        r = np.minimum(np.asarray(rewards, dtype=np.float64).ravel(), 1.0)
        np.add.at(self.alpha, np.ravel(arms), r)
        np.add.at(self.beta, np.ravel(arms), 1.0 - r)

    def mean(self) -> np.ndarray:
        return self.alpha / (self.alpha + self.beta)


def _top_k(priority: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` candidates of each row with the highest priority, best first (ties:
    the earlier candidate, i.e. the model's order)."""
    order = np.argsort(-priority, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(candidates, order, axis=1)


def thompson(arms: BetaArms, candidates: np.ndarray, k: int, rng: np.random.Generator):
    """Thompson sampling: draw each candidate's rate from its posterior, show the k best."""
    return _top_k(rng.beta(arms.alpha[candidates], arms.beta[candidates]), candidates, k)


def epsilon_greedy(
    arms: BetaArms, candidates: np.ndarray, k: int, rng: np.random.Generator, epsilon: float = 0.1
):
    """ε-greedy per shopper-day: with chance ``epsilon`` a shopper gets k random candidates,
    otherwise the k with the highest posterior mean."""
    priority = arms.mean()[candidates]
    explore = rng.random(len(candidates)) < epsilon
    priority[explore] = rng.random((explore.sum(), candidates.shape[1]))
    return _top_k(priority, candidates, k)


def run_bandit(
    policy: Callable,
    rounds: Iterable[tuple[int, np.ndarray, np.ndarray]],
    feedback: Callable,
    expected: Callable,
    num_arms: int,
    k: int,
    seen: np.ndarray | None = None,
    seed: int = 0,
    prior: tuple[float, float] = (1.0, 1.0),
    by_shopper: dict | None = None,
) -> pd.DataFrame:
    """Play ``policy`` over ``rounds`` of (day, shoppers, candidates), learning from feedback.

    Args:
        policy: ``policy(arms, candidates, k, rng) -> (n, k) lists`` (:func:`thompson`,
            :func:`epsilon_greedy` or a ``functools.partial`` of one).
        rounds: per day, the shoppers (n,) and their candidates (n, m), e.g. a model's
            top m.
        feedback: ``feedback(users, day, lists) -> (n, k) rewards``, e.g.
            :meth:`ShopSimulator.rewards`.
        expected: ``expected(users, day, candidates) -> (n, m)`` expected reward of each
            candidate if seen (``ShopSimulator.expected_reward``).
        num_arms: number of items.
        k: list length.
        seen: chance that each position is seen (``examination``); ones if ``None``.
        seed: seed of the policy's draws.
        prior: the Beta prior of every arm (default: uniform).
        by_shopper: if a dict, ``by_shopper[day]`` receives each shopper's expected
            reward of the list shown that day, (n,), for paired comparisons of policies.

    Returns:
        One row per day: ``shoppers``, ``reward`` (realised), ``expected`` (of the lists
        shown), ``oracle`` (of the best lists of the same candidates, the best item at
        the most-seen position), ``regret`` = oracle - expected, and cumulative sums
        ``cum_reward``, ``cum_regret``.
    """
    arms, rng = BetaArms.new(num_arms, prior), np.random.default_rng(seed)
    weight = np.ones(k) if seen is None else np.asarray(seen, dtype=np.float64)[:k]
    rows = []
    for day, users, candidates in rounds:
        lists = policy(arms, candidates, k, rng)
        value = expected(users, day, candidates)
        pos = (candidates[:, :, None] == lists[:, None, :]).argmax(1)
        shown = np.take_along_axis(value, pos, axis=1) @ weight
        best = -np.sort(-value, axis=1)[:, :k] @ np.sort(weight)[::-1]
        rewards = feedback(users, day, lists)
        arms.update(lists, rewards)
        if by_shopper is not None:
            by_shopper[day] = shown
        rows.append(
            {"day": day, "shoppers": len(users), "reward": float(np.sum(rewards))}
            | {"expected": shown.sum(), "oracle": best.sum(), "regret": (best - shown).sum()}
        )
    out = pd.DataFrame(rows).set_index("day")
    return out.assign(cum_reward=out.reward.cumsum(), cum_regret=out.regret.cumsum())


# ---------------------------------------------------------------- feedback loops
def feedback_loop(
    sim: ShopSimulator,
    fit: Callable,
    history: pd.DataFrame,
    organic: list[pd.DataFrame],
    users: np.ndarray,
    k: int,
    first_day: int,
    closed: bool = True,
) -> pd.DataFrame:
    """Replay ``len(organic)`` days, retraining each day on the log so far.

    Each day ``d``: ``model = fit(log)`` (any ``fit(events) -> Recommender``); the model
    recommends ``k`` items to each of ``users``, excluding what the log shows they
    touched; the simulator shows them on day ``first_day + d``; then the day's
    ``organic[d]`` events (what shoppers did without these lists, e.g. the logged day)
    join the log and, when ``closed``, so do the events the lists caused.

    Returns:
        One row per day: ``events_caused``, ``ctr`` (clicks per impression),
        ``popularity`` (mean over shown items of their events in ``history``, over the
        mean of all items: 1 = an average item, higher = more popular items shown) and
        ``popularity_se``, its standard error over shoppers; ``exposure_gini`` and
        ``coverage`` of what was shown.
    """
    popularity = np.bincount(history.item_id, minlength=sim.num_items).astype(np.float64)
    log, rows = history, []
    for d, day_events in enumerate(organic):
        lists = fit(log).recommend(users, k, exclude=log[["user_id", "item_id"]])
        impressions, caused = sim.show(users, first_day + d, lists)
        shown = popularity[lists].mean(1) / popularity.mean()  # per shopper
        rows.append(
            {
                "day": first_day + d,
                "events_caused": len(caused),
                "ctr": impressions.clicked.mean(),
                "popularity": shown.mean(),
                "popularity_se": standard_error(shown),
                "exposure_gini": exposure_gini(lists, sim.num_items),
                "coverage": catalog_coverage(lists, sim.num_items),
            }
        )
        new = [log, day_events, caused] if closed else [log, day_events]
        log = pd.concat(new, ignore_index=True)
    return pd.DataFrame(rows).set_index("day")
