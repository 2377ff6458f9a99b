"""A seeded, vectorised generator of a shop log in Taobao's UserBehavior schema.

No real e-commerce log may be shipped with the kit, so it generates one that
behaves like real shop data (see ``data/README.md`` for the measured card):

* shoppers with attributes (age group, gender, city tier) whose category
  tastes depend on their segment, plus a personal taste on top;
* items with a category, a brand and a price, and a long-tailed appeal;
* sessions that follow a daily rhythm, each browsing one category;
* a funnel: ``pv`` may lead to ``fav`` / ``cart``, and ``pv``, ``cart`` or an
  earlier ``fav`` to ``buy``, calibrated to the behaviour shares of Taobao's public
  log (how favourites couple with purchases is set against a real Tmall log:
  ``data/README.md``);
* related categories (same department, or complements such as phones and
  phone cases), so that shoppers of one also shop the other;
* users who join and items launched during the window (cold start), and item
  appeal that trends up or down over the nine days.

``generate_shop`` holds a shop in memory (presets ``SIZES``, up to 10 M events);
``write_taobao`` writes one of Taobao's size (presets ``STREAMED_SIZES``: 1 M, 10 M and
100 M events) in blocks of users to files that the kit's loaders read.

Example:
    >>> from gnnrec_utils.synthetic import generate_shop
    >>> shop = generate_shop("tiny", seed=0)
    >>> sorted(shop.events.behavior.unique())
    ['buy', 'cart', 'fav', 'pv']
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from gnnrec_utils.data import BEHAVIORS, ITEM_COLUMNS, USER_COLUMNS, Dataset
from gnnrec_utils.datasets import ML100K_GENRES
from gnnrec_utils.io.errors import PathLike

#: 2017-11-25 00:00 in the shop's local time (UTC+8), the first day of Taobao's log.
START_TIMESTAMP = 1_511_539_200
#: Offset of the shop's local time from UTC, in seconds (Taobao: China, UTC+8).
TZ_OFFSET = 8 * 3600
NUM_DAYS = 9
DAY = 86_400
#: Behaviour shares of Taobao UserBehavior (Tianchi dataset 649).
TAOBAO_SHARES = {"pv": 0.895, "cart": 0.055, "fav": 0.029, "buy": 0.020}
#: Relative weight of each local hour of the day in session starts.
HOURLY_RHYTHM = np.array(
    [
        2.0,
        1.0,
        0.6,
        0.4,
        0.3,
        0.4,
        0.8,
        1.6,
        2.6,
        3.2,
        3.6,
        3.8,
        4.0,
        3.6,
        3.4,
        3.5,
        3.6,
        3.8,
        4.2,
        5.0,
        6.2,
        6.8,
        6.0,
        4.0,
    ]
)


@dataclass(frozen=True)
class ShopConfig:
    """Knobs of the generator. ``SIZES`` holds the named presets."""

    num_users: int
    num_items: int
    sessions_per_user_day: float = 1.0  # mean over users; heavy-tailed per user
    num_departments: int = 8
    categories_per_department: int = 5
    num_brands: int = 160
    dim: int = 16
    mean_session_views: float = 7.0
    late_user_share: float = 0.10  # users whose first day is after day 0
    late_item_share: float = 0.08  # items launched during the window
    repeat_view_prob: float = 0.25
    taste_weight: float = 1.6  # weight of the user-item dot product in appeal
    temperature: float = 1.0  # softmax temperature of each choice
    segment_taste: float = 0.8  # spread of tastes shared by an age-gender segment
    personal_taste: float = 2.0  # spread of each shopper's own taste
    category_persistence: float = 0.5  # chance a session continues the previous category
    related_mix: float = 0.4  # share of category taste passed on to related categories
    # Favourites, set against Tmall on validation (benchmarks/favourite_signal.py): a
    # favourite follows taste less steeply than a cart or a purchase, and some purchases
    # come back to an earlier favourite days later.
    fav_taste: float = 0.25  # slope of a favourite's chance on the user-item taste
    fav_buy_share: float = 0.15  # share of purchases that return to an earlier favourite
    fav_buy_days: float = 2.0  # mean days from a favourite to its later purchase
    # Streamed shops only (``write_taobao``); ``generate_shop`` does not read these.
    interest_categories: int = 40  # categories a shopper's taste is spread over
    candidates: int = 128  # items drawn per view by appeal, then resampled by the full score


SIZES = {
    "tiny": ShopConfig(num_users=300, num_items=240, num_brands=40),
    "default": ShopConfig(num_users=6_000, num_items=3_000),
    "medium": ShopConfig(num_users=30_000, num_items=20_000, num_brands=400),
    "large": ShopConfig(num_users=150_000, num_items=100_000, num_brands=1_000),
}

#: Counts of Taobao's UserBehavior log (Tianchi dataset 649), as commonly reported.
TAOBAO_USERS = 987_994
TAOBAO_ITEMS = 4_162_024
TAOBAO_EVENTS = 100_150_807
TAOBAO_CATEGORIES = 9_439


def taobao_config(fraction: float = 1.0) -> ShopConfig:
    """A shop with ``fraction`` of the users and items of Taobao's log, for ``write_taobao``.

    The bundled shop's knobs, with four changes:

    * ``sessions_per_user_day=1.48``: sessions keep the bundled shop's length (7 views
      on average), and 1.48 of them per active day give about 101 events per user
      (100.7 measured on ``taobao_10m``), as in the real log (100,150,807 / 987,994 =
      101.4); the bundled shop has about 69.
    * ``200 * fraction`` departments of 47 categories: 9,400 categories at full size
      (the real log has 9,439), and at every size about 440 items per category and the
      same 46 same-department relatives per category, so that the three sizes of the
      scaling benchmark differ in scale only, not in the shape of a category.
    * ``208`` brands per department, about 100 items per brand (the ``large`` preset's).
    * Each shopper's taste is spread over ``interest_categories=40`` categories, as
      each shopper of the bundled shop spreads it over its 40 (see ``block_shoppers``).
    """
    departments = max(2, round(200 * fraction))
    return ShopConfig(
        num_users=round(TAOBAO_USERS * fraction),
        num_items=round(TAOBAO_ITEMS * fraction),
        sessions_per_user_day=1.48,
        num_departments=departments,
        categories_per_department=47,
        num_brands=208 * departments,
    )


#: Presets written in blocks by ``write_taobao`` (too big for ``generate_shop``): the real
#: log's 987,994 users and 4,162,024 items, one tenth of both and one hundredth.
STREAMED_SIZES = {
    "taobao": taobao_config(1.0),
    "taobao_10m": taobao_config(0.1),
    "taobao_1m": taobao_config(0.01),
}


# --------------------------------------------------------------------------- world
@dataclass
class World:
    """Latent structure behind a shop: tastes, appeal, relations between categories."""

    users: pd.DataFrame
    items: pd.DataFrame
    user_vec: np.ndarray  # (num_users, dim) taste vectors
    item_vec: np.ndarray  # (num_items, dim)
    category_pref: np.ndarray  # (num_users, num_categories), rows sum to 1
    price_level: np.ndarray  # (num_users,) preferred log-price offset
    activity: np.ndarray  # (num_users,) sessions per active day
    first_day: np.ndarray  # (num_users,)
    appeal: np.ndarray  # (num_items,) log appeal at the window's middle
    trend: np.ndarray  # (num_items,) change of log appeal over the window
    launch: np.ndarray  # (num_items,) launch timestamp
    rel_price: np.ndarray  # (num_items,) log price relative to its category's level
    related: np.ndarray  # (num_categories, num_categories) 0/1, no diagonal


def related_categories(cfg: ShopConfig, rng: np.random.Generator) -> np.ndarray:
    """Categories of one department are related; each also has one complement elsewhere."""
    c = cfg.num_departments * cfg.categories_per_department
    dept = np.arange(c) // cfg.categories_per_department
    related = (dept[:, None] == dept[None, :]).astype(np.float64)
    complement = (
        np.arange(c) + cfg.categories_per_department * rng.integers(1, cfg.num_departments, c)
    ) % c
    related[np.arange(c), complement] = 1.0
    related = np.maximum(related, related.T)
    np.fill_diagonal(related, 0.0)
    return related


def make_users(cfg: ShopConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Users with age group (0-5), gender (0 female, 1 male) and city tier (1-5)."""
    n = cfg.num_users
    return pd.DataFrame(
        {
            "user_id": np.arange(n, dtype=np.int64),
            "age_group": rng.choice(6, n, p=[0.08, 0.27, 0.30, 0.18, 0.11, 0.06]),
            "gender": rng.choice(2, n, p=[0.55, 0.45]),
            "city_tier": rng.choice(np.arange(1, 6), n, p=[0.12, 0.22, 0.28, 0.22, 0.16]),
        }
    )


def make_items(cfg: ShopConfig, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Items with category (Zipf-sized), brand (from the category's department) and price."""
    c = cfg.num_departments * cfg.categories_per_department
    cat_weight = 1.0 / np.arange(1, c + 1) ** 0.7
    category = rng.permutation(c)[rng.choice(c, cfg.num_items, p=cat_weight / cat_weight.sum())]
    brand_dept = np.arange(cfg.num_brands) % cfg.num_departments
    dept = category // cfg.categories_per_department
    # each item's brand is drawn among the brands of its department, Zipf-like
    per_dept = cfg.num_brands // cfg.num_departments
    rank = np.minimum(rng.zipf(1.6, cfg.num_items) - 1, per_dept - 1)
    brand = dept + cfg.num_departments * rank
    assert (brand_dept[brand] == dept).all()
    cat_price = np.exp(rng.uniform(np.log(8), np.log(800), c))
    brand_tier = rng.normal(0.0, 0.45, cfg.num_brands)
    log_price = (
        np.log(cat_price[category]) + brand_tier[brand] + rng.normal(0.0, 0.3, cfg.num_items)
    )
    items = pd.DataFrame(
        {
            "item_id": np.arange(cfg.num_items, dtype=np.int64),
            "category_id": category.astype(np.int64),
            "brand_id": brand.astype(np.int64),
            "price": np.round(np.exp(log_price), 2),
        }
    )
    return items, log_price - np.log(cat_price[category])


def user_tastes(cfg, users, related, rng):
    """Category preferences and taste vectors: a segment part plus a personal part."""
    c = related.shape[0]
    segment = (users.age_group * 2 + users.gender).to_numpy()
    seg_logits = rng.normal(0.0, cfg.segment_taste, (12, c))
    logits = seg_logits[segment] + rng.normal(0.0, cfg.personal_taste, (len(users), c))
    pref = np.exp(logits - logits.max(1, keepdims=True))
    pref /= pref.sum(1, keepdims=True)
    spread = related / related.sum(1, keepdims=True)
    pref = (
        1 - cfg.related_mix
    ) * pref + cfg.related_mix * pref @ spread  # shoppers of a category also shop related ones
    seg_vec = rng.normal(0.0, 0.5 * cfg.segment_taste, (12, cfg.dim))
    user_vec = seg_vec[segment] + rng.normal(0.0, 0.5 * cfg.personal_taste, (len(users), cfg.dim))
    tier = users.city_tier.to_numpy()
    age = users.age_group.to_numpy()
    price_level = 0.25 * (3 - tier) + 0.08 * (age - 2) + rng.normal(0.0, 0.35, len(users))
    return pref, user_vec, price_level


def build_world(cfg: ShopConfig, rng: np.random.Generator) -> World:
    """Draw every latent quantity of the shop."""
    related = related_categories(cfg, rng)
    users = make_users(cfg, rng)
    items, rel_price = make_items(cfg, rng)
    pref, user_vec, price_level = user_tastes(cfg, users, related, rng)
    c = related.shape[0]
    cat_vec = rng.normal(0.0, 0.6, (c, cfg.dim))
    brand_vec = rng.normal(0.0, 0.8, (cfg.num_brands, cfg.dim))
    item_vec = (
        cat_vec[items.category_id]
        + brand_vec[items.brand_id]
        + rng.normal(0.0, 0.6, (cfg.num_items, cfg.dim))
    )
    late_u = rng.random(cfg.num_users) < cfg.late_user_share
    first_day = np.where(late_u, rng.integers(1, NUM_DAYS, cfg.num_users), 0)
    late_i = rng.random(cfg.num_items) < cfg.late_item_share
    late_i[np.unique(items.category_id.to_numpy(), return_index=True)[1]] = (
        False  # one per category from day 0
    )
    launch_day = rng.uniform(1.0, NUM_DAYS - 0.3, cfg.num_items)
    launch = np.where(late_i, START_TIMESTAMP + launch_day * DAY, START_TIMESTAMP - DAY).astype(
        np.int64
    )
    return World(
        users=users,
        items=items,
        user_vec=user_vec,
        item_vec=item_vec,
        category_pref=pref,
        price_level=price_level,
        activity=cfg.sessions_per_user_day * rng.lognormal(-0.6, 1.1, cfg.num_users),
        first_day=first_day,
        appeal=rng.normal(0.0, 1.1, cfg.num_items) - 0.6 * (rel_price - rel_price.mean()),
        trend=rng.normal(0.0, 0.8, cfg.num_items),
        launch=launch,
        related=related,
        rel_price=rel_price,
    )


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


# -------------------------------------------------------------------------- funnel
#: Slope on the standardised user-item taste z of each funnel step's chance (a
#: favourite's is ``ShopConfig.fav_taste``): p = sigmoid(b + slope * z).
FUNNEL_SLOPES = {"cart": 1.2, "buy_cart": 1.0, "buy_fav": 1.0, "buy_direct": 1.5}
#: Share of purchases that come from the cart.
CART_BUY_SHARE = 0.55
#: Delay of each funnel step after its view: ``offset + Exponential(scale)`` seconds
#: (a purchase from a favourite waits ``600 + Exponential(fav_buy_days days)``).
FUNNEL_DELAYS = {
    "fav": (5, 40),
    "cart": (5, 40),
    "buy_direct": (10, 90),
    "buy_cart": (120, 3 * 3600),
}


def calibrated_intercept(
    z: np.ndarray, target: float, slope: float, weight: np.ndarray | None = None
) -> float:
    """The b for which sum(weight * sigmoid(b + slope * z)) == target (weight 1 if None),
    by bisection over [-30, 30]."""
    lo, hi = -30.0, 30.0
    for _ in range(80):
        b = (lo + hi) / 2
        p = 1 / (1 + np.exp(-(b + slope * z)))
        if (p if weight is None else weight * p).sum() > target:
            hi = b
        else:
            lo = b
    return b


def calibrated_draw(
    z: np.ndarray, target: float, slope: float, rng: np.random.Generator
) -> np.ndarray:
    """Bernoulli draws with p = sigmoid(b + slope * z), b set so that sum(p) == target."""
    b = calibrated_intercept(z, target, slope)
    p = 1 / (1 + np.exp(-(b + slope * z)))
    return rng.random(len(z)) < p


def funnel_events(
    cfg: ShopConfig,
    views: pd.DataFrame,
    z: np.ndarray,
    trigger: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """fav, cart and buy events that follow first views, at Taobao's behaviour shares.

    A purchase comes one of three ways: right after the view, from the cart some hours
    later, or (a share ``cfg.fav_buy_share``) back from a favourite days later. A
    purchase that would fall after the window's end is not made; the direct purchases
    make up the count.
    """
    n_pv = len(views)
    want = {b: n_pv * TAOBAO_SHARES[b] / TAOBAO_SHARES["pv"] for b in ("fav", "cart", "buy")}
    idx = np.flatnonzero(trigger)
    zt = z[idx]
    t = views.timestamp.to_numpy()
    end = START_TIMESTAMP + NUM_DAYS * DAY - 1
    slope, delay = FUNNEL_SLOPES, FUNNEL_DELAYS
    fav = idx[calibrated_draw(zt, want["fav"], cfg.fav_taste, rng)]
    cart = idx[calibrated_draw(zt, want["cart"], slope["cart"], rng)]
    buy_cart = cart[calibrated_draw(z[cart], CART_BUY_SHARE * want["buy"], slope["buy_cart"], rng)]
    buy_fav, t_fav = fav[:0], t[:0]
    if cfg.fav_buy_share > 0:
        buy_fav = fav[
            calibrated_draw(z[fav], cfg.fav_buy_share * want["buy"], slope["buy_fav"], rng)
        ]
        t_fav = t[buy_fav] + 600 + rng.exponential(cfg.fav_buy_days * DAY, len(buy_fav))
        buy_fav, t_fav = buy_fav[t_fav <= end], t_fav[t_fav <= end]
    direct = max(want["buy"] - len(buy_cart) - len(buy_fav), 0.0)
    buy_direct = idx[calibrated_draw(zt, direct, slope["buy_direct"], rng)]

    def later(v, step):
        return t[v] + delay[step][0] + rng.exponential(delay[step][1], len(v))

    parts = [
        (fav, "fav", later(fav, "fav")),
        (cart, "cart", later(cart, "cart")),
        (buy_direct, "buy", later(buy_direct, "buy_direct")),
        (buy_cart, "buy", later(buy_cart, "buy_cart")),
        (buy_fav, "buy", t_fav),
    ]
    frames = [
        pd.DataFrame({"view": v, "behavior": b, "timestamp": ts.astype(np.int64)})
        for v, b, ts in parts
    ]
    return pd.concat(frames, ignore_index=True)


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


# ----------------------------------------------------------------- streamed shops
@dataclass
class Catalogue:
    """The item side of a streamed shop, held in category order (position ``p``).

    The items of a category sit next to each other, so the candidates of the views of
    one category are read from one stretch of memory; ``item_id[p]`` is the id written
    out, the item's row in ``items.csv``.
    """

    item_id: np.ndarray  # (num_items,) written id of each position
    category: np.ndarray  # (num_items,) category of each position, ascending
    item_aug: np.ndarray  # (num_items, dim + 3) float32, see ``augmented_items``
    launch: np.ndarray  # (num_items,) as in World
    rel_price: np.ndarray  # (num_items,) as in World
    start: np.ndarray  # (C + 1,) first position of each category
    mass: np.ndarray  # (num_items,) share of its category's exp(appeal) up to p, inclusive
    guide: np.ndarray  # guide[start[c] + k]: first position of c with mass >= k / size of c
    anchor: np.ndarray  # (C,) a position of each category launched before the window, or -1
    seg_vec: np.ndarray  # (12, dim) float32 taste shared by an age-gender segment
    seg_mass: np.ndarray  # (12 * C,) 2 s + cumulative share of segment s's interest
    rel_ptr: np.ndarray  # (C + 1,) the stocked related categories of c are
    rel_idx: np.ndarray  # rel_idx[rel_ptr[c] : rel_ptr[c + 1]]


def related_lists(
    cfg: ShopConfig, rng: np.random.Generator, stocked: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``related_categories`` as lists (CSR ``ptr``, ``idx``), keeping stocked categories.

    Same draws as the dense matrix, whose (C, C) size would not fit thousands of
    categories comfortably: each category's department mates and its complements.
    """
    k, c = cfg.categories_per_department, cfg.num_departments * cfg.categories_per_department
    complement = (np.arange(c) + k * rng.integers(1, cfg.num_departments, c)) % c
    mates = (np.arange(c) // k * k)[:, None] + np.arange(k)
    src = np.r_[np.repeat(np.arange(c), k), np.arange(c), complement]
    dst = np.r_[mates.ravel(), complement, np.arange(c)]
    keep = (src != dst) & stocked[dst]
    key = np.unique(src[keep] * c + dst[keep])
    return np.searchsorted(key // c, np.arange(c + 1)), key % c


def build_catalogue(cfg: ShopConfig, rng: np.random.Generator) -> tuple[Catalogue, pd.DataFrame]:
    """Draw the items, their latent quantities and the category relations once.

    Returns the catalogue and the items table to write (``item_id`` order). The
    draws are those of ``build_world`` for items, in another order.
    """
    items, rel_price = make_items(cfg, rng)
    c = cfg.num_departments * cfg.categories_per_department
    category = items.category_id.to_numpy()
    stocked = np.bincount(category, minlength=c) > 0
    rel_ptr, rel_idx = related_lists(cfg, rng, stocked)
    order = np.argsort(category, kind="stable")
    item_vec = item_vectors(cfg, items, order, rng)
    appeal = rng.normal(0.0, 1.1, cfg.num_items) - 0.6 * (rel_price - rel_price.mean())
    start = np.searchsorted(category[order], np.arange(c + 1))
    anchor = np.where(stocked, start[:-1], -1)  # each category's first item ...
    late = rng.random(cfg.num_items) < cfg.late_item_share
    late[order[anchor[stocked]]] = False  # ... is there from day 0
    launch_day = rng.uniform(1.0, NUM_DAYS - 0.3, cfg.num_items)
    launch = np.where(late, START_TIMESTAMP + launch_day * DAY, START_TIMESTAMP - DAY)
    mass, guide = appeal_guide(appeal[order], start)
    seg_logits = rng.normal(0.0, cfg.segment_taste, (12, c))
    seg_vec = rng.normal(0.0, 0.5 * cfg.segment_taste, (12, cfg.dim)).astype(np.float32)
    trend = rng.normal(0.0, 0.8, cfg.num_items)[order]
    catalogue = Catalogue(
        item_id=order,
        category=category[order],
        item_aug=augmented_items(cfg, item_vec, rel_price[order], trend),
        launch=launch.astype(np.int64)[order],
        rel_price=rel_price[order],
        start=start,
        mass=mass,
        guide=guide,
        anchor=anchor,
        seg_vec=seg_vec,
        seg_mass=interest_mass(seg_logits, stocked),
        rel_ptr=rel_ptr,
        rel_idx=rel_idx,
    )
    return catalogue, items


def item_vectors(
    cfg: ShopConfig, items: pd.DataFrame, order: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Taste vectors of the items ``order`` (category + brand + own part), float32.

    Drawn a million items at a time, so that no float64 (num_items, dim) matrix is held.
    """
    cat_vec = rng.normal(0.0, 0.6, (cfg.num_departments * cfg.categories_per_department, cfg.dim))
    brand_vec = rng.normal(0.0, 0.8, (cfg.num_brands, cfg.dim))
    category, brand = items.category_id.to_numpy(), items.brand_id.to_numpy()
    out = np.empty((cfg.num_items, cfg.dim), dtype=np.float32)
    for lo in range(0, cfg.num_items, 1 << 20):
        p = order[lo : lo + (1 << 20)]
        noise = rng.normal(0.0, 0.6, (len(p), cfg.dim))
        out[lo : lo + len(p)] = cat_vec[category[p]] + brand_vec[brand[p]] + noise
    return out


def augmented_items(
    cfg: ShopConfig, item_vec: np.ndarray, rel_price: np.ndarray, trend: np.ndarray
) -> np.ndarray:
    """Item rows whose dot product with ``augmented_users`` rows is most of ``item_scores``.

    ``item_scores`` is ``w u.v / sqrt(dim) - 0.8 (p - l)^2 + appeal + trend frac``
    (plus a novelty term for late items); without the appeal (which the proposal draws
    by) and the ``-0.8 l^2`` that is the same for every candidate of a view, it is
    ``[w v / sqrt(dim), 1.6 p, -0.8 p^2, trend] . [u, l, 1, frac]``: one small matrix
    product per view instead of a dozen passes over its candidates.
    """
    out = np.empty((len(item_vec), cfg.dim + 3), dtype=np.float32)
    out[:, : cfg.dim] = item_vec * np.float32(cfg.taste_weight / np.sqrt(cfg.dim))
    out[:, cfg.dim :] = np.stack([1.6 * rel_price, -0.8 * rel_price**2, trend], axis=1)
    return out


def augmented_users(shoppers: Shoppers, user: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``[u, l, 1, frac]`` of each view: the user's vector and price level, the time."""
    frac = (t - START_TIMESTAMP) / (NUM_DAYS * DAY) - 0.5
    extra = np.stack([shoppers.price_level[user], np.ones(len(user)), frac], axis=1)
    return np.concatenate([shoppers.user_vec[user], extra.astype(np.float32)], axis=1)


def streamed_scores(
    catalogue: Catalogue, shoppers: Shoppers, user: np.ndarray, t: np.ndarray, pool: np.ndarray
) -> np.ndarray:
    """``item_scores`` less the appeal and a per-view constant, for positions ``pool``
    (rows, m), float32: the augmented dot product, and the novelty of items launched
    during the window (``-inf`` before their launch), computed on those items only."""
    rows = np.take(catalogue.item_aug, pool, axis=0)  # faster than item_aug[pool]
    score = np.matmul(rows, augmented_users(shoppers, user, t)[:, :, None])
    score = score[:, :, 0]
    launch = catalogue.launch[pool]
    row, col = np.nonzero(launch > START_TIMESTAMP)
    age = (t[row] - launch[row, col]) / DAY
    score[row, col] += np.where(age < 0, -np.inf, 1.2 * np.exp(-np.maximum(age, 0) / 2))
    return score


def streamed_taste(
    cfg: ShopConfig, catalogue: Catalogue, shoppers: Shoppers, user: np.ndarray, pos: np.ndarray
) -> np.ndarray:
    """The taste part of ``item_scores`` for one position per view (what the funnel reads)."""
    dot = np.einsum("rd,rd->r", catalogue.item_aug[pos, : cfg.dim], shoppers.user_vec[user])
    return dot - 0.8 * (catalogue.rel_price[pos] - shoppers.price_level[user]) ** 2


def appeal_guide(appeal: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative share of exp(appeal) within each category, and its guide table.

    ``guide[start[c] + k]`` is the first position of category ``c`` whose share reaches
    ``k / n_c``: drawing ``u`` uniform, position ``guide[start[c] + floor(u n_c)]`` is
    at most a step or two before the one whose share first reaches ``u`` (Chen and
    Asau's guide table), so that a draw costs the same in a category of 10 items as in
    one of 100,000 and needs no binary search over the whole catalogue.
    """
    size = np.diff(start)
    cat = np.repeat(np.arange(len(size)), size)
    cum = np.cumsum(np.exp(appeal))
    before = np.r_[0.0, cum][start[:-1]]
    total = np.r_[0.0, cum][start[1:]] - before
    mass = (cum - before[cat]) / total[cat]
    mass[start[1:][size > 0] - 1] = 1.0  # exactly, whatever the rounding
    slot = np.arange(len(cat)) - start[cat]  # k = 0 .. n_c - 1 in each category
    guide = np.searchsorted(2 * cat + mass, 2 * cat + slot / size[cat], side="left")
    return mass, guide


def interest_mass(seg_logits: np.ndarray, stocked: np.ndarray) -> np.ndarray:
    """``2 s + F_s(c)``, flattened: F_s the cumulative share of exp(logit) over stocked c.

    ``searchsorted(seg_mass, 2 s + u, side="right") % C`` then draws a category for
    segment ``s``; unstocked categories add no share and are never drawn.
    """
    weight = np.exp(seg_logits) * stocked
    cum = np.cumsum(weight, axis=1)
    cum /= cum[:, -1:]
    cum[:, -1] = 1.0
    return (2 * np.arange(len(cum))[:, None] + cum).ravel()


def propose_in_category(
    catalogue: Catalogue, category: np.ndarray, width: int, rng: np.random.Generator
) -> np.ndarray:
    """``width`` positions per row, drawn in row's ``category`` in proportion to exp(appeal)."""
    size = np.diff(catalogue.start)[category][:, None]
    u = rng.random((len(category), width))
    k = np.minimum((u * size).astype(np.int64), size - 1)
    pos = catalogue.guide[catalogue.start[category][:, None] + k].ravel()
    u = u.ravel()
    todo = np.flatnonzero(catalogue.mass[pos] < u)
    while len(todo):  # walk from the guide to the first position whose share reaches u
        pos[todo] += 1
        todo = todo[catalogue.mass[pos[todo]] < u[todo]]
    return pos.reshape(len(category), width)


@dataclass
class Shoppers:
    """One block of a streamed shop's users (rows 0 .. n - 1), as in :class:`World`;
    a shopper's category taste is kept sparse: ``interest`` categories and their
    cumulative shares ``interest_cum``."""

    user_vec: np.ndarray  # (n, dim) float32
    price_level: np.ndarray  # (n,)
    activity: np.ndarray  # (n,)
    first_day: np.ndarray  # (n,)
    interest: np.ndarray  # (n, interest_categories) categories, repeats allowed
    interest_cum: np.ndarray  # (n, interest_categories) cumulative shares, last 1


def block_shoppers(
    cfg: ShopConfig, catalogue: Catalogue, users: pd.DataFrame, rng: np.random.Generator
) -> Shoppers:
    """Tastes, activity and first day of a block of ``users``.

    As in ``user_tastes``, a segment part plus a personal part, but the category taste
    is sparse: a shopper draws ``cfg.interest_categories`` categories in proportion to
    its segment's exp(logit), then weighs them by exp(N(0, personal_taste)). The
    bundled shop's shoppers weigh its 40 categories the same way (segment logit plus
    personal logit), so a shopper here is a bundled-shop shopper whose 40 categories
    are drawn from thousands. A dense (users, categories) matrix is never built.
    """
    n, m = len(users), cfg.interest_categories
    segment = (users.age_group * 2 + users.gender).to_numpy()
    personal = rng.normal(0.0, 0.5 * cfg.personal_taste, (n, cfg.dim))
    tier, age = users.city_tier.to_numpy(), users.age_group.to_numpy()
    price_level = 0.25 * (3 - tier) + 0.08 * (age - 2) + rng.normal(0.0, 0.35, n)
    drawn = np.searchsorted(catalogue.seg_mass, 2 * segment[:, None] + rng.random((n, m)), "right")
    weight = np.cumsum(np.exp(rng.normal(0.0, cfg.personal_taste, (n, m))), axis=1)
    weight /= weight[:, -1:]
    late = rng.random(n) < cfg.late_user_share
    return Shoppers(
        user_vec=(catalogue.seg_vec[segment] + personal).astype(np.float32),
        price_level=price_level,
        activity=cfg.sessions_per_user_day * rng.lognormal(-0.6, 1.1, n),
        first_day=np.where(late, rng.integers(1, NUM_DAYS, n), 0),
        interest=drawn % (len(catalogue.start) - 1),
        interest_cum=weight,
    )


def block_sessions(
    cfg: ShopConfig, catalogue: Catalogue, shoppers: Shoppers, rng: np.random.Generator
) -> pd.DataFrame:
    """Sessions of a block, as ``draw_sessions``: a category from the shopper's interests,
    passed on to a related category with probability ``related_mix`` (drawing from
    ``pref @ spread`` in ``user_tastes`` is exactly this two-step draw), then persisted."""
    user, start = session_starts(shoppers.activity, shoppers.first_day, rng)
    u = rng.random(len(user))
    slot = np.minimum(
        (shoppers.interest_cum[user] < u[:, None]).sum(1), cfg.interest_categories - 1
    )
    category = shoppers.interest[user, slot]
    ptr, idx = catalogue.rel_ptr, catalogue.rel_idx
    degree = ptr[category + 1] - ptr[category]
    move = (rng.random(len(user)) < cfg.related_mix) & (degree > 0)
    pick = ptr[category] + (rng.random(len(user)) * degree).astype(np.int64)
    category = np.where(move, idx[np.minimum(pick, len(idx) - 1)], category)
    category = persist(category, user, cfg.category_persistence, rng)
    return pd.DataFrame({"user": user, "start": start, "category": category})


def choose_streamed(
    cfg: ShopConfig,
    catalogue: Catalogue,
    shoppers: Shoppers,
    views: pd.DataFrame,
    rng: np.random.Generator,
    cells: int = 250_000,
) -> tuple[np.ndarray, np.ndarray]:
    """``choose_items`` for a streamed shop: the catalogue position of each view, and its taste.

    Every view draws ``cfg.candidates`` items of its category in proportion to
    exp(appeal) (with replacement) and picks one by softmax of the rest of the score:
    the sampling-importance-resampling that ``choose_items`` uses in categories of
    more than 512 items, here in all of them, so that a view costs the same whatever
    its category's size and the views need no loop over categories. Views are taken
    in category order, ``cells`` (view, candidate) pairs at a time.
    """
    item = np.empty(len(views), dtype=np.int64)
    user, t = views.user.to_numpy(), views.timestamp.to_numpy()
    category = views.category.to_numpy()
    order = np.argsort(category, kind="stable")
    step = max(1, cells // cfg.candidates)
    for lo in range(0, len(order), step):
        r = order[lo : lo + step]
        pool = propose_in_category(catalogue, category[r], cfg.candidates, rng)
        score = streamed_scores(catalogue, shoppers, user[r], t[r], pool)
        dead = np.isneginf(score.max(1))
        score[dead] = 0.0  # every candidate launches later: the category's first item stands in
        pool[dead] = catalogue.anchor[category[r[dead]]][:, None]
        item[r] = pool[np.arange(len(r)), sample_softmax(score, cfg.temperature, rng)]
    return item, streamed_taste(cfg, catalogue, shoppers, user, item)


def shop_block(
    cfg: ShopConfig, catalogue: Catalogue, first_user: int, n: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Users ``first_user`` .. ``first_user + n - 1`` and their events, sorted by user and time.

    The steps of ``generate_shop`` on one block; tastes are standardised for the funnel
    within the block (tens of thousands of users, so the block barely moves them).
    """
    users = make_users(replace(cfg, num_users=n), rng)
    users["user_id"] += first_user
    shoppers = block_shoppers(cfg, catalogue, users, rng)
    views = expand_views(cfg, block_sessions(cfg, catalogue, shoppers, rng), rng)
    item, taste = choose_streamed(cfg, catalogue, shoppers, views, rng)
    repeat = repeat_views(cfg, views, item, rng)
    follow = funnel_events(cfg, views, (taste - taste.mean()) / taste.std(), ~repeat, rng)
    user = views.user.to_numpy()[np.r_[np.arange(len(views)), follow.view]]
    pos = item[np.r_[np.arange(len(views)), follow.view]]
    code = np.r_[np.zeros(len(views), dtype=np.int8), follow.behavior.map(_CODE).to_numpy()]
    end = START_TIMESTAMP + NUM_DAYS * DAY - 1
    ts = np.minimum(np.r_[views.timestamp.to_numpy(), follow.timestamp.to_numpy()], end)
    order = np.lexsort((code, ts, user))
    events = pd.DataFrame(
        {
            "user_id": user[order] + first_user,
            "item_id": catalogue.item_id[pos[order]],
            "category_id": catalogue.category[pos[order]],
            "behavior": np.array(BEHAVIORS)[code[order]],
            "timestamp": ts[order],
        }
    )
    return users, events


_CODE = {b: i for i, b in enumerate(BEHAVIORS)}


def events_per_user(cfg: ShopConfig) -> float:
    """Expected events per user: sessions x views per session / pv share.

    Sessions per user: ``sessions_per_user_day`` x mean of lognormal(-0.6, 1.1) x mean
    active days (late users join on days 1-8). Ignores that everyone has one session
    at least, which adds one or two events per user.
    """
    days = NUM_DAYS - cfg.late_user_share * NUM_DAYS / 2
    sessions = cfg.sessions_per_user_day * np.exp(-0.6 + 1.1**2 / 2) * days
    return float(sessions * cfg.mean_session_views / TAOBAO_SHARES["pv"])


def peak_bytes(cfg: ShopConfig, block_users: int, cells: int = 250_000) -> int:
    """About the most memory ``write_taobao`` holds, in bytes (an upper estimate).

    Python and its libraries (100 MiB); the catalogue, about 300 bytes per item plus
    the float64 pieces its vectors are drawn in; one block's events at 440 bytes each
    (about 350 measured on ``taobao_10m``, whose peak was 0.88 GiB against 1.3 GiB
    estimated); one chunk of candidate scores.
    """
    catalogue = cfg.num_items * 300 + min(cfg.num_items, 1 << 20) * cfg.dim * 24
    block = min(block_users, cfg.num_users) * (events_per_user(cfg) + 2) * 440
    scores = cells * (4 * cfg.dim + 60)
    return int(100 * 2**20 + catalogue + block + scores)


def available_bytes() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes; ``None`` where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def check_memory(cfg: ShopConfig, block_users: int, max_bytes: int | None = None) -> int:
    """Refuse, before anything is drawn, a shop whose estimated peak exceeds the memory.

    Args:
        cfg: the shop.
        block_users: users per block.
        max_bytes: the memory to fit in; the machine's available memory if ``None``
            (no check where that cannot be read).

    Returns:
        The estimated peak, in bytes.

    Raises:
        MemoryError: saying how much is needed and how much is available.
    """
    need = peak_bytes(cfg, block_users)
    have = available_bytes() if max_bytes is None else max_bytes
    if have is not None and need > have:
        raise MemoryError(
            f"this shop needs about {need / 2**30:.2f} GiB of memory ({cfg.num_items:,} items, "
            f"blocks of {block_users:,} users) and {have / 2**30:.2f} GiB is available; "
            "free memory or pass a smaller block_users (which changes the draw)"
        )
    return need


def _peak_rss(reset: bool = False) -> int | None:
    """This process's peak resident memory (``VmHWM``) in bytes, Linux only; ``None`` elsewhere.

    ``reset=True`` first sets the peak to the current resident memory, so that a later
    reading measures what came after.
    """
    try:
        if reset:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def write_blocks(
    cfg: ShopConfig,
    catalogue: Catalogue,
    folder: Path,
    seed: int,
    block_users: int,
    progress: Callable[[dict], None] | None,
    began: float,
) -> dict[str, int]:
    """Write ``users.csv`` and ``UserBehavior.csv.part`` block by block (``write_taobao``).

    Returns the number of events of each behaviour.
    """
    counts = dict.fromkeys(BEHAVIORS, 0)
    blocks = -(-cfg.num_users // block_users)
    part = folder / "UserBehavior.csv.part"
    with open(folder / "users.csv", "w", newline="") as fu, open(part, "w", newline="") as fe:
        fu.write(",".join(USER_COLUMNS) + "\n")
        for b in range(blocks):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, b)))
            lo = b * block_users
            users, events = shop_block(
                cfg, catalogue, lo, min(block_users, cfg.num_users - lo), rng
            )
            users[list(USER_COLUMNS)].to_csv(fu, header=False, index=False, lineterminator="\n")
            events.to_csv(fe, header=False, index=False, lineterminator="\n")
            for behavior, count in events.behavior.value_counts().items():
                counts[behavior] += int(count)
            if progress is not None:
                progress(
                    {
                        "block": b + 1,
                        "blocks": blocks,
                        "users": lo + len(users),
                        "events": sum(counts.values()),
                        "seconds": time.perf_counter() - began,
                    }
                )
    return counts


def write_taobao(
    folder: PathLike,
    size: str | ShopConfig = "taobao",
    seed: int = 0,
    block_users: int = 20_000,
    progress: Callable[[dict], None] | None = None,
    max_bytes: int | None = None,
) -> dict:
    """Write a Taobao-scale shop in blocks of users, with bounded memory.

    Writes ``users.csv`` and ``items.csv`` (as ``write_shop``; ``load_users`` and
    ``load_items`` read them) and ``UserBehavior.csv``: the events in the real log's
    format, no header, ``user_id,item_id,category_id,behavior_type,timestamp``, sorted
    by user then time; ``load_taobao_userbehavior(folder)`` reads it (and, as for the
    real log, renumbers ids from 0 in order, keeping these as ``orig_user_id`` /
    ``orig_item_id``). The catalogue is drawn once; then each block of ``block_users``
    users is drawn, its events are appended, and it is freed.

    Randomness: the catalogue draws from ``SeedSequence(seed, spawn_key=(0,))`` and
    block ``b`` from ``SeedSequence(seed, spawn_key=(1, b))``, so the same ``size``,
    ``seed`` and ``block_users`` give byte-identical files; ``block_users`` is part of
    the seed (another block size draws another, equally distributed shop).

    Args:
        folder: where to write the three files; created if needed.
        size: a key of ``STREAMED_SIZES`` (``"taobao"``, ``"taobao_10m"``,
            ``"taobao_1m"``) or a ``ShopConfig``.
        seed: the seed.
        block_users: users per block; memory grows with it (``peak_bytes``).
        progress: called after each block with ``block``, ``blocks``, ``users``,
            ``events`` (so far) and ``seconds``.
        max_bytes: memory to fit in (default: the machine's available memory).

    Returns:
        ``users``, ``items``, ``categories``, ``events``, the count of each behaviour,
        ``seconds``, ``peak_rss_bytes`` (this call's peak resident memory, Linux only)
        and ``estimated_peak_bytes``.

    Raises:
        MemoryError: the estimated peak exceeds the memory, before anything is written.
    """
    cfg = STREAMED_SIZES[size] if isinstance(size, str) else size
    estimate = check_memory(cfg, block_users, max_bytes)
    _peak_rss(reset=True)
    began = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    catalogue, items = build_catalogue(
        cfg, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    )
    items[list(ITEM_COLUMNS)].to_csv(
        folder / "items.csv", index=False, lineterminator="\n", float_format="%.2f"
    )
    del items
    counts = write_blocks(cfg, catalogue, folder, seed, block_users, progress, began)
    (folder / "UserBehavior.csv.part").replace(folder / "UserBehavior.csv")
    return {
        "users": cfg.num_users,
        "items": cfg.num_items,
        "categories": int((np.diff(catalogue.start) > 0).sum()),
        "events": sum(counts.values()),
        **counts,
        "seconds": time.perf_counter() - began,
        "peak_rss_bytes": _peak_rss(),
        "estimated_peak_bytes": estimate,
    }


def related_category_pairs(size: str | ShopConfig = "default", seed: int = 0) -> np.ndarray:
    """The (category, category) pairs that the generator made related, shape (n, 2)."""
    cfg = SIZES[size] if isinstance(size, str) else size
    return np.argwhere(related_categories(cfg, np.random.default_rng(seed)) > 0)


def write_movielens_sample(
    folder: PathLike, num_users: int = 600, num_items: int = 800, num_days: int = 120, seed: int = 0
) -> Path:
    """Write an invented, seeded MovieLens-100K-format folder (``u.data``, ``u.item``, ``u.user``).

    **Synthetic**, for running the pipeline where the real files may not be shipped:
    each movie has one or two genres and a popularity drawn from a log-normal; each
    user has a taste over genres (Dirichlet), rates 20 or more movies chosen in
    proportion to popularity times taste, over a stretch of days after a start day
    spread across ``num_days`` days, and gives higher ratings to movies of genres
    they like. Nothing in it comes from MovieLens; ``load_movielens`` reads it.

    Args:
        folder: where to write the three files; created if needed.
        num_users, num_items: how many invented users and movies.
        num_days: the stretch of days the ratings span.
        seed: seed of the ``numpy.random.Generator`` that draws everything.

    Returns:
        ``folder``, as a :class:`~pathlib.Path`.
    """
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    genres = rng.integers(1, len(ML100K_GENRES), (num_items, 2))
    genres[:, 1] = np.where(rng.random(num_items) < 0.4, genres[:, 1], genres[:, 0])
    popularity = rng.lognormal(0.0, 1.0, num_items)
    taste = rng.dirichlet(np.full(len(ML100K_GENRES), 0.3), num_users)
    rows = [_sample_user(rng, u, taste[u], genres, popularity, num_days) for u in range(num_users)]
    start = 874_724_710  # 1997-09-20, as MovieLens-100K starts
    lines = [f"{u + 1}\t{i + 1}\t{r}\t{start + t}" for u, i, r, t in np.concatenate(rows)]
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    (folder / "u.item").write_text(_sample_movies(genres), encoding="latin-1")
    (folder / "u.user").write_text(_sample_users(rng, num_users))
    return folder


def _sample_movies(genres: np.ndarray) -> str:
    """``u.item`` lines for invented movies with the genres ``genres`` (two per movie)."""
    flags = np.zeros((len(genres), len(ML100K_GENRES)), dtype=int)
    flags[np.arange(len(genres))[:, None], genres] = 1
    head = "{0}|Invented Movie {0} (1997)|01-Jan-1997||http://example.org/{0}|"
    return "".join(
        head.format(i + 1) + "|".join(map(str, flags[i])) + "\n" for i in range(len(genres))
    )


def _sample_users(rng: np.random.Generator, num_users: int) -> str:
    """``u.user`` lines for invented users: age, gender, occupation, a blank zip code."""
    jobs = ["student", "engineer", "writer", "other", "educator"]
    lines = []
    for u in range(num_users):
        age, gender, job = (
            rng.integers(15, 70),
            "MF"[rng.integers(2)],
            jobs[rng.integers(len(jobs))],
        )
        lines.append(f"{u + 1}|{age}|{gender}|{job}|00000\n")
    return "".join(lines)


def _sample_user(
    rng, user: int, taste: np.ndarray, genres: np.ndarray, popularity: np.ndarray, num_days: int
) -> np.ndarray:
    """Rows ``(user, item, rating, seconds)`` for one invented user."""
    like = taste[genres].mean(1)
    weight = popularity * like
    count = min(20 + int(rng.geometric(1 / 40)), len(weight) // 2)
    items = rng.choice(len(weight), count, replace=False, p=weight / weight.sum())
    score = like[items] / like.max() + rng.normal(0, 0.25, count)
    rating = np.clip(np.round(1.5 + 3.5 * score), 1, 5).astype(int)
    first = rng.uniform(0, num_days - 10) * 86_400
    seconds = np.minimum(first + rng.exponential(12 * 86_400, count), num_days * 86_400 - 1)
    return np.stack([np.full(count, user), items, rating, seconds.astype(int)], axis=1)


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m gnnrec_utils.synthetic --size default --out data/shop``.

    The presets of ``STREAMED_SIZES`` (``--size taobao_10m``) are written in blocks by
    ``write_taobao``, with a line of progress per tenth of the users.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="default", choices=sorted(SIZES) + sorted(STREAMED_SIZES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out",
        required=True,
        help="folder to write users.csv, items.csv and events.csv.gz (streamed presets: "
        "UserBehavior.csv)",
    )
    parser.add_argument(
        "--block-users", type=int, default=20_000, help="streamed presets: users per block"
    )
    args = parser.parse_args(argv)
    if args.size in STREAMED_SIZES:
        done = write_taobao(args.out, args.size, args.seed, args.block_users, _report_progress)
        print(
            f"{args.out}: {done['users']:,} users, {done['items']:,} items, "
            f"{done['events']:,} events in {done['seconds']:.0f} s, "
            f"peak memory {(done['peak_rss_bytes'] or 0) / 2**20:,.0f} MiB"
        )
        return
    from gnnrec_utils.data import write_shop

    shop = generate_shop(args.size, args.seed)
    write_shop(shop, args.out)
    print(
        f"{args.out}: {shop.num_users:,} users, {shop.num_items:,} items, {len(shop.events):,} events"
    )


def _report_progress(done: dict) -> None:
    """Print a line when a block crosses a tenth of the users."""
    if done["block"] * 10 // done["blocks"] > (done["block"] - 1) * 10 // done["blocks"]:
        print(
            f"block {done['block']}/{done['blocks']}: {done['users']:,} users, "
            f"{done['events']:,} events, {done['seconds']:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
