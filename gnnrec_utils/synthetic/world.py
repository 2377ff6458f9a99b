"""The latent world behind a shop: users, items, tastes and related categories.

``build_world`` draws everything a shop's events are then drawn from: shoppers with
attributes and tastes (``make_users``, ``user_tastes``), items with a category, a brand, a
price and an appeal (``make_items``), and which categories are related
(``related_categories``). ``generate_shop`` starts with it; ``shop_world`` returns it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gnnrec_utils.synthetic.config import DAY, NUM_DAYS, SIZES, START_TIMESTAMP, ShopConfig

__all__ = [
    "World",
    "build_world",
    "make_items",
    "make_users",
    "related_categories",
    "related_category_pairs",
    "user_tastes",
]


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


def related_category_pairs(size: str | ShopConfig = "default", seed: int = 0) -> np.ndarray:
    """The (category, category) pairs that the generator made related, shape (n, 2)."""
    cfg = SIZES[size] if isinstance(size, str) else size
    return np.argwhere(related_categories(cfg, np.random.default_rng(seed)) > 0)
