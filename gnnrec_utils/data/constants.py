"""The names and numbers every stage shares: behaviours, columns, the clock of the log.

One home for them, so that the generator, the loaders, the split and the statistics
agree by construction.
"""

from __future__ import annotations

__all__ = [
    "BEHAVIORS",
    "DAY",
    "EVENT_COLUMNS",
    "ITEM_COLUMNS",
    "ML100K_GENRES",
    "PERIODS",
    "REPORT_COLUMNS",
    "TARGET_BEHAVIORS",
    "TZ_OFFSET",
    "USER_COLUMNS",
]

#: The behaviours of Taobao's UserBehavior log, in funnel order.
BEHAVIORS = ("pv", "fav", "cart", "buy")
#: Behaviours that count as a positive in evaluation: the series' target.
TARGET_BEHAVIORS = ("fav", "cart", "buy")
#: Columns of an events table (Taobao's UserBehavior schema).
EVENT_COLUMNS = ("user_id", "item_id", "category_id", "behavior", "timestamp")
#: Columns of the shop's users and items tables.
USER_COLUMNS = ("user_id", "age_group", "gender", "city_tier")
ITEM_COLUMNS = ("item_id", "category_id", "brand_id", "price")
#: Columns of a dataset's loading report: one row per step.
REPORT_COLUMNS = ("step", "rows", "detail")
#: The values of a ``period`` column, in time order (``period_split``, ``load_tmall``).
PERIODS = ("train", "valid", "test")

#: Seconds in a day.
DAY = 86_400
#: Offset of the shop's local time from UTC, in seconds (Taobao: China, UTC+8).
TZ_OFFSET = 8 * 3600

#: MovieLens-100K's 19 genres, in the order of ``u.item``'s flag columns.
ML100K_GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
