"""The generator's constants, its knobs (``ShopConfig``) and its named sizes.

The calendar of Taobao's UserBehavior log (nine days from ``START_TIMESTAMP``, shop
local time UTC+8), its behaviour shares and counts, the daily rhythm of sessions, the
funnel's slopes, purchase shares and delays, and the presets: ``SIZES`` for
``generate_shop``, ``STREAMED_SIZES`` (built by ``taobao_config``) for ``write_taobao``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gnnrec_utils.data.constants import DAY, TZ_OFFSET

__all__ = [
    "CART_BUY_SHARE",
    "DAY",
    "FUNNEL_DELAYS",
    "FUNNEL_SLOPES",
    "HOURLY_RHYTHM",
    "NUM_DAYS",
    "SIZES",
    "START_TIMESTAMP",
    "STREAMED_SIZES",
    "TAOBAO_ITEMS",
    "TAOBAO_SHARES",
    "TAOBAO_USERS",
    "TZ_OFFSET",
    "ShopConfig",
    "taobao_config",
]

#: 2017-11-25 00:00 in the shop's local time (UTC+8), the first day of Taobao's log.
START_TIMESTAMP = 1_511_539_200
NUM_DAYS = 9
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
