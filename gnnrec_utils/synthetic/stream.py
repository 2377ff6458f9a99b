"""Streamed shops of Taobao's size, drawn one block of users at a time.

The items are drawn once into a ``Catalogue`` (held in category order, with guide
tables to draw candidates by appeal in constant time); then each block of shoppers
(``Shoppers``, a sparse category taste each) gets sessions, views, items and the funnel
from ``shop_block``: the steps of ``generate_shop`` with the memory of one block.
``gnnrec_utils.synthetic.writer`` writes the blocks out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import BEHAVIORS
from gnnrec_utils.synthetic.config import DAY, NUM_DAYS, START_TIMESTAMP, ShopConfig
from gnnrec_utils.synthetic.funnel import funnel_events
from gnnrec_utils.synthetic.shop import (
    expand_views,
    persist,
    repeat_views,
    sample_softmax,
    session_starts,
)
from gnnrec_utils.synthetic.world import make_items, make_users

__all__ = [
    "Catalogue",
    "Shoppers",
    "appeal_guide",
    "augmented_items",
    "augmented_users",
    "block_sessions",
    "block_shoppers",
    "build_catalogue",
    "choose_streamed",
    "interest_mass",
    "item_vectors",
    "propose_in_category",
    "related_lists",
    "shop_block",
    "streamed_scores",
    "streamed_taste",
]

_CODE = {b: i for i, b in enumerate(BEHAVIORS)}


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
