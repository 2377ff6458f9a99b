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

Files:

* ``config.py``: the constants (calendar, Taobao's shares and counts, daily rhythm,
  funnel slopes, shares and delays), ``ShopConfig`` and the presets ``SIZES`` and
  ``STREAMED_SIZES``.
* ``world.py``: the latent ``World`` (users, items, tastes, related categories) and
  ``build_world``.
* ``shop.py``: the in-memory shop: sessions, views, the item of each view,
  ``generate_shop``, ``shop_world``, ``draw_views``, ``tidy_events``.
* ``funnel.py``: the fav, cart and buy events that follow views (``funnel_events``,
  ``calibrated_intercept``).
* ``stream.py``: streamed shops, a block of users at a time (``Catalogue``,
  ``Shoppers``, ``shop_block``).
* ``writer.py``: memory estimates and checks, ``write_taobao``.
* ``movielens.py``: ``write_movielens_sample``, an invented MovieLens-100K-format folder.
* ``cli.py`` and ``__main__.py``: the command line,
  ``python -m gnnrec_utils.synthetic --size default --out data/shop``.

Example:
    >>> from gnnrec_utils.synthetic import generate_shop
    >>> shop = generate_shop("tiny", seed=0)
    >>> sorted(shop.events.behavior.unique())
    ['buy', 'cart', 'fav', 'pv']
"""

from gnnrec_utils.synthetic.cli import main
from gnnrec_utils.synthetic.config import (
    CART_BUY_SHARE,
    DAY,
    FUNNEL_DELAYS,
    FUNNEL_SLOPES,
    HOURLY_RHYTHM,
    NUM_DAYS,
    SIZES,
    START_TIMESTAMP,
    STREAMED_SIZES,
    TAOBAO_ITEMS,
    TAOBAO_SHARES,
    TAOBAO_USERS,
    TZ_OFFSET,
    ShopConfig,
    taobao_config,
)
from gnnrec_utils.synthetic.funnel import calibrated_intercept, funnel_events
from gnnrec_utils.synthetic.movielens import write_movielens_sample
from gnnrec_utils.synthetic.shop import (
    draw_views,
    generate_shop,
    item_scores,
    shop_world,
    tidy_events,
)
from gnnrec_utils.synthetic.stream import build_catalogue, propose_in_category, related_lists
from gnnrec_utils.synthetic.world import (
    World,
    build_world,
    related_categories,
    related_category_pairs,
)
from gnnrec_utils.synthetic.writer import check_memory, events_per_user, peak_bytes, write_taobao

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
    "World",
    "build_catalogue",
    "build_world",
    "calibrated_intercept",
    "check_memory",
    "draw_views",
    "events_per_user",
    "funnel_events",
    "generate_shop",
    "item_scores",
    "main",
    "peak_bytes",
    "propose_in_category",
    "related_categories",
    "related_category_pairs",
    "related_lists",
    "shop_world",
    "taobao_config",
    "tidy_events",
    "write_movielens_sample",
    "write_taobao",
]
