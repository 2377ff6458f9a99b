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

Example:
    >>> from gnnrec_utils.synthetic import generate_shop
    >>> shop = generate_shop("tiny", seed=0)
    >>> sorted(shop.events.behavior.unique())
    ['buy', 'cart', 'fav', 'pv']
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gnnrec_utils.data import Dataset
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


SIZES = {
    "tiny": ShopConfig(num_users=300, num_items=240, num_brands=40),
    "default": ShopConfig(num_users=6_000, num_items=3_000),
    "medium": ShopConfig(num_users=30_000, num_items=20_000, num_brands=400),
    "large": ShopConfig(num_users=150_000, num_items=100_000, num_brands=1_000),
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
    active_days = NUM_DAYS - world.first_day
    counts = rng.poisson(world.activity * active_days)
    counts[counts == 0] = 1  # everyone in the users table shows up at least once
    user = np.repeat(np.arange(cfg.num_users), counts)
    day = world.first_day[user] + rng.integers(0, active_days[user])
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
    stocked = np.bincount(world.items.category_id, minlength=world.related.shape[0]) > 0
    category = sample_rows(world.category_pref * stocked, user, rng)
    category = persist(category, user, cfg.category_persistence, rng)
    return pd.DataFrame({"user": user, "start": start, "category": category})


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
def calibrated_draw(
    z: np.ndarray, target: float, slope: float, rng: np.random.Generator
) -> np.ndarray:
    """Bernoulli draws with p = sigmoid(b + slope * z), b set so that sum(p) == target."""
    lo, hi = -30.0, 30.0
    for _ in range(80):
        b = (lo + hi) / 2
        if (1 / (1 + np.exp(-(b + slope * z)))).sum() > target:
            hi = b
        else:
            lo = b
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
    fav = idx[calibrated_draw(zt, want["fav"], cfg.fav_taste, rng)]
    cart = idx[calibrated_draw(zt, want["cart"], 1.2, rng)]
    buy_cart = cart[calibrated_draw(z[cart], 0.55 * want["buy"], 1.0, rng)]
    buy_fav, t_fav = fav[:0], t[:0]
    if cfg.fav_buy_share > 0:
        buy_fav = fav[calibrated_draw(z[fav], cfg.fav_buy_share * want["buy"], 1.0, rng)]
        t_fav = t[buy_fav] + 600 + rng.exponential(cfg.fav_buy_days * DAY, len(buy_fav))
        buy_fav, t_fav = buy_fav[t_fav <= end], t_fav[t_fav <= end]
    direct = max(want["buy"] - len(buy_cart) - len(buy_fav), 0.0)
    buy_direct = idx[calibrated_draw(zt, direct, 1.5, rng)]
    parts = [
        (fav, "fav", t[fav] + 5 + rng.exponential(40, len(fav))),
        (cart, "cart", t[cart] + 5 + rng.exponential(40, len(cart))),
        (buy_direct, "buy", t[buy_direct] + 10 + rng.exponential(90, len(buy_direct))),
        (buy_cart, "buy", t[buy_cart] + 120 + rng.exponential(3 * 3600, len(buy_cart))),
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
    """
    cfg = SIZES[size] if isinstance(size, str) else size
    rng = np.random.default_rng(seed)
    world = build_world(cfg, rng)
    views = expand_views(cfg, draw_sessions(cfg, world, rng), rng)
    item, taste = choose_items(cfg, world, views, rng)
    repeat = repeat_views(cfg, views, item, rng)
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
    """Command line: ``python -m gnnrec_utils.synthetic --size default --out data/shop``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="default", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", required=True, help="folder to write users.csv, items.csv, events.csv.gz"
    )
    args = parser.parse_args(argv)
    from gnnrec_utils.data import write_shop

    shop = generate_shop(args.size, args.seed)
    write_shop(shop, args.out)
    print(
        f"{args.out}: {shop.num_users:,} users, {shop.num_items:,} items, {len(shop.events):,} events"
    )


if __name__ == "__main__":
    main()
