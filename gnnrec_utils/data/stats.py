"""Statistics that describe a shop log: the numbers of the data card and notebook 01.

Every function takes an events table in the UserBehavior schema
(``user_id, item_id, category_id, behavior, timestamp``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import BEHAVIORS, TZ_OFFSET

__all__ = [
    "SESSION_GAP",
    "behavior_shares",
    "category_lift",
    "first_seen_day",
    "funnel",
    "gini",
    "local_hour",
    "preceded_share",
    "session_ids",
    "summary",
    "top_share",
]
#: A gap of more than this many seconds between two events of a user starts a new session.
SESSION_GAP = 30 * 60


def behavior_shares(events: pd.DataFrame) -> pd.Series:
    """Share of events of each behaviour, in ``BEHAVIORS`` order; sums to 1."""
    return events.behavior.value_counts(normalize=True).reindex(list(BEHAVIORS), fill_value=0.0)


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of non-negative counts: 0 when all equal, near 1 when one holds all."""
    x = np.sort(np.asarray(counts, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def top_share(counts: np.ndarray, fraction: float = 0.2) -> float:
    """Share of the total held by the top ``fraction`` of entries (by count)."""
    x = np.sort(np.asarray(counts, dtype=np.float64))[::-1]
    top = max(1, int(round(fraction * len(x))))
    return float(x[:top].sum() / x.sum())


def local_hour(timestamp: pd.Series | np.ndarray) -> np.ndarray:
    """Hour of the day (0-23) in the shop's local time."""
    return (np.asarray(timestamp) + TZ_OFFSET) // 3600 % 24


def session_ids(events: pd.DataFrame, gap: int = SESSION_GAP) -> np.ndarray:
    """Session number of each event: a new one at each user change or gap > ``gap`` s."""
    ev = events.sort_values(["user_id", "timestamp"], kind="stable")
    new = (ev.user_id.diff() != 0) | (ev.timestamp.diff() > gap)
    sid = pd.Series(np.cumsum(new.to_numpy()) - 1, index=ev.index)
    return sid.loc[events.index].to_numpy()


def funnel(events: pd.DataFrame) -> dict[str, float]:
    """How often a buy (or cart, fav) follows an earlier pv, and a buy an earlier cart.

    A buy counts as preceded when the same user had the behaviour on the same item
    at or before the buy's timestamp.
    """
    out = {}
    for target, before in (("buy", "pv"), ("cart", "pv"), ("fav", "pv"), ("buy", "cart")):
        out[f"{target} preceded by {before}"] = preceded_share(events, target, before)
    return out


def preceded_share(events: pd.DataFrame, target: str, before: str) -> float:
    """Share of ``target`` events with an earlier ``before`` event on the same (user, item)."""
    key = ["user_id", "item_id"]
    first = events[events.behavior == before].groupby(key).timestamp.min().rename("first")
    tgt = events[events.behavior == target].join(first, on=key)
    return float((tgt["first"] <= tgt.timestamp).mean())


def category_lift(
    events: pd.DataFrame, pairs: np.ndarray, behaviors: tuple[str, ...] = ("cart", "buy")
) -> tuple[float, float]:
    """Mean lift of category co-engagement for ``pairs`` versus all other pairs.

    Lift of (a, b) = P(user engages b | user engages a) / P(user engages b), with
    "engages" meaning a ``behaviors`` event in that category. Returns
    ``(mean lift over pairs, mean lift over the other pairs)``.
    """
    ev = events[events.behavior.isin(behaviors)][["user_id", "category_id"]].drop_duplicates()
    users = pd.factorize(ev.user_id)[0]
    m = np.zeros((users.max() + 1, ev.category_id.max() + 1))
    m[users, ev.category_id.to_numpy()] = 1.0
    p = m.mean(0)
    joint = m.T @ m / len(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = joint / np.outer(p, p)
    mask = np.zeros_like(lift, dtype=bool)
    mask[pairs[:, 0], pairs[:, 1]] = True
    valid = np.isfinite(lift) & ~np.eye(len(lift), dtype=bool)
    return float(lift[mask & valid].mean()), float(lift[~mask & valid].mean())


def first_seen_day(events: pd.DataFrame, key: str, start: int) -> pd.Series:
    """Day index (0 = first day of the log, local days from ``start``) of each id's first event."""
    return (events.groupby(key).timestamp.min() - start) // 86_400


def summary(events: pd.DataFrame) -> dict[str, float]:
    """The headline numbers of a log: sizes, long tails, sessions, rhythm, funnel."""
    item_counts = events.item_id.value_counts().to_numpy()
    user_counts = events.user_id.value_counts().to_numpy()
    sid = session_ids(events)
    sess_len = np.bincount(sid)
    hours = np.bincount(local_hour(events.timestamp), minlength=24) / len(events)
    out = {
        "events": len(events),
        "users with events": events.user_id.nunique(),
        "items with events": events.item_id.nunique(),
        "events per user": len(events) / len(user_counts),
        "item popularity Gini": gini(item_counts),
        "user activity Gini": gini(user_counts),
        "share of events on top 20 % items": top_share(item_counts),
        "sessions per user": (sid.max() + 1) / len(user_counts),
        "median events per session": float(np.median(sess_len)),
        "peak local hour": int(hours.argmax()),
        "share of events 20:00-23:00": float(hours[20:23].sum()),
        "share of events 02:00-06:00": float(hours[2:6].sum()),
    }
    out.update({f"share {b}": s for b, s in behavior_shares(events).items()})
    out.update(funnel(events))
    return out
