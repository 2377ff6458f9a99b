"""The in-memory shop: sessions, page views, the item of each view, and ``generate_shop``.

``generate_shop`` draws a world (``build_world``), sessions that follow the daily rhythm
(``draw_sessions``), their page views (``expand_views``), an item for each view by softmax
of appeal, taste and price fit (``choose_items``), repeat views, then the funnel's fav,
cart and buy events (``gnnrec_utils.synthetic.funnel``), and sorts them as UserBehavior
does (``tidy_events``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gnnrec_utils.data.tables import Dataset
from gnnrec_utils.synthetic.config import (
    DAY,
    HOURLY_RHYTHM,
    NUM_DAYS,
    SIZES,
    START_TIMESTAMP,
    STREAMED_SIZES,
    ShopConfig,
)
from gnnrec_utils.synthetic.funnel import funnel_events
from gnnrec_utils.synthetic.world import World, build_world

__all__ = [
    "choose_items",
    "draw_sessions",
    "draw_views",
    "expand_views",
    "generate_shop",
    "item_scores",
    "persist",
    "propose",
    "repeat_views",
    "sample_rows",
    "sample_softmax",
    "session_starts",
    "shop_world",
    "tidy_events",
]


# ------------------------------------------------------------------------ sessions
def draw_sessions(cfg: ShopConfig, world: World, rng: np.random.Generator) -> pd.DataFrame:
    """Sessions: user, start time (daily rhythm) and the category browsed."""
    user, start = session_starts(world.activity, world.first_day, rng)
    stocked = np.bincount(world.items.category_id, minlength=world.related.shape[0]) > 0
    category = sample_rows(world.category_pref * stocked, user, rng)
    category = persist(category, user, cfg.category_persistence, rng)
    return pd.DataFrame({"user": user, "start": start, "category": category})


def session_starts(
    activity: np.ndarray, first_day: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The user (row of ``activity``) and start time of each session, by user then time.

    Each user has Poisson(``activity`` x active days) sessions, at least one, on days from
    ``first_day`` on, at hours drawn from ``HOURLY_RHYTHM``.
    """
    active_days = NUM_DAYS - first_day
    counts = rng.poisson(activity * active_days)
    counts[counts == 0] = 1  # everyone in the users table shows up at least once
    user = np.repeat(np.arange(len(activity)), counts)
    day = first_day[user] + rng.integers(0, active_days[user])
    hour = rng.choice(24, len(user), p=HOURLY_RHYTHM / HOURLY_RHYTHM.sum())
    start = (
        np.sort(
            START_TIMESTAMP
            + day * DAY
            + hour * 3600
            + rng.integers(0, 3600, len(user))
            + user * NUM_DAYS * DAY
        )
        - user * NUM_DAYS * DAY
    )  # sorted by time per user
    return user, start


def persist(
    category: np.ndarray, user: np.ndarray, prob: float, rng: np.random.Generator
) -> np.ndarray:
    """With probability ``prob`` a session keeps the category of the user's previous one."""
    src = np.arange(len(category))
    keep = (rng.random(len(category)) < prob) & (np.r_[-1, user[:-1]] == user)
    src[keep] -= 1
    while not np.array_equal(src, src[src]):  # follow chains of kept categories
        src = src[src]
    return category[src]


def sample_rows(
    prob: np.ndarray, rows: np.ndarray, rng: np.random.Generator, chunk: int = 200_000
) -> np.ndarray:
    """For each entry of ``rows``, one column drawn from that row of ``prob``."""
    cum = np.cumsum(prob, axis=1)
    out = np.empty(len(rows), dtype=np.int64)
    for lo in range(0, len(rows), chunk):
        r = rows[lo : lo + chunk]
        u = rng.random(len(r)) * cum[r, -1]
        out[lo : lo + chunk] = (cum[r] < u[:, None]).sum(1)
    return np.minimum(out, prob.shape[1] - 1)


def expand_views(cfg: ShopConfig, sessions: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per page view: position in its session and timestamp."""
    length = rng.geometric(1.0 / cfg.mean_session_views, len(sessions))
    sid = np.repeat(np.arange(len(sessions)), length)
    first = np.repeat(np.cumsum(length) - length, length)
    pos = np.arange(len(sid)) - first
    gaps = rng.exponential(50.0, len(sid)).astype(np.int64) + 5
    gaps[pos == 0] = 0
    offset = np.cumsum(gaps)
    offset -= offset[first]
    return pd.DataFrame(
        {
            "session": sid,
            "pos": pos,
            "user": sessions.user.to_numpy()[sid],
            "category": sessions.category.to_numpy()[sid],
            "timestamp": sessions.start.to_numpy()[sid] + offset,
        }
    )


# --------------------------------------------------------------------------- items
def item_scores(
    cfg: ShopConfig, world: World, user: np.ndarray, t: np.ndarray, cand: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Appeal of candidate items to each (user, time) row, and its taste part.

    ``cand`` is one list of items shared by all rows, shape (m,), or a list per row,
    shape (rows, m).
    """
    if cand.ndim == 1:
        taste = world.user_vec[user] @ world.item_vec[cand].T
    else:
        taste = np.einsum("rd,rmd->rm", world.user_vec[user], world.item_vec[cand])
    taste = cfg.taste_weight * taste / np.sqrt(cfg.dim)
    rel_price = world.rel_price[cand] if cand.ndim == 2 else world.rel_price[cand][None, :]
    taste -= 0.8 * (rel_price - world.price_level[user][:, None]) ** 2
    frac = (t - START_TIMESTAMP)[:, None] / (NUM_DAYS * DAY) - 0.5
    score = taste + world.appeal[cand] + world.trend[cand] * frac
    launched_late = world.launch[cand] > START_TIMESTAMP
    if launched_late.any():  # novelty boost after launch; nothing before it
        age = (t[:, None] - world.launch[cand]) / DAY
        score += np.where(launched_late, 1.2 * np.exp(-np.maximum(age, 0) / 2), 0.0)
        score[age < 0] = -np.inf
    return score, taste


def sample_softmax(score: np.ndarray, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """One column per row, drawn with probability softmax(score / temperature)."""
    p = np.exp((score - score.max(1, keepdims=True)) / temperature)
    cum = np.cumsum(p, axis=1)
    u = rng.random(len(score))[:, None] * cum[:, -1:]
    return np.minimum((cum < u).sum(1), score.shape[1] - 1)


def choose_items(
    cfg: ShopConfig,
    world: World,
    views: pd.DataFrame,
    rng: np.random.Generator,
    cells: int = 4_000_000,
    max_candidates: int = 512,
) -> tuple[np.ndarray, np.ndarray]:
    """For every view, an item of its session's category, with probability softmax(score).

    Returns the item of each view and its user-item taste (used by the funnel).
    Scores are computed for at most ``cells`` (view, item) pairs at a time. In a
    category of more than ``max_candidates`` items each view first draws
    ``max_candidates // 4`` candidates in proportion to their appeal, then picks among
    them by the rest of the score (sampling-importance-resampling), so that large
    catalogues cost time linear in the number of views.
    """
    item = np.empty(len(views), dtype=np.int64)
    taste = np.empty(len(views))
    user, t = views.user.to_numpy(), views.timestamp.to_numpy()
    by_cat = world.items.groupby("category_id").item_id.apply(np.asarray)
    order = np.argsort(views.category.to_numpy(), kind="stable")
    bounds = np.searchsorted(views.category.to_numpy()[order], np.arange(len(world.related) + 1))
    for c, cand in by_cat.items():
        rows = order[bounds[c] : bounds[c + 1]]
        large = len(cand) > max_candidates
        width = max_candidates // 4 if large else len(cand)
        chunk = max(1, cells // width)  # bounds memory to ~cells scores at a time
        for lo in range(0, len(rows), chunk):
            r = rows[lo : lo + chunk]
            pool = propose(world, cand, len(r), width, rng) if large else cand
            score, tst = item_scores(cfg, world, user[r], t[r], pool)
            if large:
                score -= world.appeal[pool]  # the proposal already drew by appeal
            pick = sample_softmax(score, cfg.temperature, rng)
            chosen = pool[pick] if not large else pool[np.arange(len(r)), pick]
            item[r], taste[r] = chosen, tst[np.arange(len(r)), pick]
    return item, taste


def propose(
    world: World, cand: np.ndarray, rows: int, width: int, rng: np.random.Generator
) -> np.ndarray:
    """``width`` candidates per row from ``cand``, drawn in proportion to exp(appeal)."""
    cum = np.cumsum(np.exp(world.appeal[cand]))
    return cand[np.searchsorted(cum, rng.random((rows, width)) * cum[-1])]


def repeat_views(
    cfg: ShopConfig, views: pd.DataFrame, item: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Some views return to the session's first item; returns a mask of those repeats."""
    first = np.flatnonzero(views.pos.to_numpy() == 0)
    session_first = first[views.session.to_numpy()]
    repeat = (views.pos.to_numpy() > 0) & (rng.random(len(views)) < cfg.repeat_view_prob)
    item[repeat] = item[session_first[repeat]]
    return repeat


# ------------------------------------------------------------------------ assembly
def generate_shop(size: str | ShopConfig = "default", seed: int = 0) -> Dataset:
    """Generate users, items and events. The same ``size`` and ``seed`` give the same shop.

    Args:
        size: a key of ``SIZES`` (``"tiny"``, ``"default"``, ``"medium"``, ``"large"``)
            or a ``ShopConfig``.
        seed: seed of the ``numpy.random.Generator`` that draws everything.

    Raises:
        ValueError: ``size`` names a preset of ``STREAMED_SIZES``, written by ``write_taobao``.
    """
    if isinstance(size, str) and size in STREAMED_SIZES:
        raise ValueError(f"{size!r} is too big to hold in memory: use write_taobao({size!r})")
    cfg = SIZES[size] if isinstance(size, str) else size
    rng = np.random.default_rng(seed)
    world = build_world(cfg, rng)
    views, item, taste, repeat = draw_views(cfg, world, rng)
    z = (taste - taste.mean()) / taste.std()
    follow = funnel_events(cfg, views, z, ~repeat, rng)
    end = START_TIMESTAMP + NUM_DAYS * DAY - 1
    events = pd.DataFrame(
        {
            "user_id": np.r_[views.user.to_numpy(), views.user.to_numpy()[follow.view]],
            "item_id": np.r_[item, item[follow.view]],
            "behavior": np.r_[
                np.full(len(views), "pv", dtype=object), follow.behavior.to_numpy(dtype=object)
            ],
            "timestamp": np.minimum(
                np.r_[views.timestamp.to_numpy(), follow.timestamp.to_numpy()], end
            ),
        }
    )
    return Dataset(users=world.users, items=world.items, events=tidy_events(events, world.items))


def draw_views(
    cfg: ShopConfig, world: World, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The page views of a shop, as ``generate_shop`` draws them after its world.

    Returns the views (session, position, user, category, timestamp), the item of each,
    its user-item taste (``item_scores``' taste part) and the mask of repeat views.
    """
    views = expand_views(cfg, draw_sessions(cfg, world, rng), rng)
    item, taste = choose_items(cfg, world, views, rng)
    repeat = repeat_views(cfg, views, item, rng)
    return views, item, taste, repeat


def shop_world(size: str | ShopConfig = "default", seed: int = 0) -> World:
    """The world behind ``generate_shop(size, seed)``: it is the generator's first draw.

    ``shop_world("default", 0)`` is the world of the bundled shop ``data/shop``
    (its ``users`` and ``items`` are the tables of that folder).
    """
    cfg = SIZES[size] if isinstance(size, str) else size
    return build_world(cfg, np.random.default_rng(seed))


def tidy_events(events: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Add ``category_id``, order the columns as UserBehavior does, sort by user and time."""
    rank = events.behavior.map({"pv": 0, "fav": 1, "cart": 2, "buy": 3}).to_numpy()
    order = np.lexsort((rank, events.timestamp.to_numpy(), events.user_id.to_numpy()))
    events = events.iloc[order].reset_index(drop=True)
    events["category_id"] = items.category_id.to_numpy()[events.item_id.to_numpy()]
    events["behavior"] = events.behavior.astype(str)
    cols = ["user_id", "item_id", "category_id", "behavior", "timestamp"]
    return events[cols].astype(
        {"user_id": np.int64, "item_id": np.int64, "category_id": np.int64, "timestamp": np.int64}
    )
