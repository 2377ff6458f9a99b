"""The kit's tables, their one shared vocabulary, and the series' split: pipeline stage 1.

* ``constants.py``: behaviours, the series' target, column names, the log's clock
  (``DAY``, ``TZ_OFFSET``), shared by every stage.
* ``tables.py``: :class:`Dataset`, what every loader returns, and the bundled shop's
  files (:func:`load_shop`, :func:`write_shop`), checked line by line as they are read.
* ``split.py``: the global temporal split into train / validation / test
  (:class:`ShopSplit`, :func:`temporal_split`), the series' target
  (:meth:`ShopSplit.targets`), and the split of the MovieLens benchmark.
* ``stats.py``: what a log looks like (shares, long tails, sessions, rhythm, funnel),
  the numbers of the data card and notebook 01.

Public datasets in their official formats are :mod:`gnnrec_utils.datasets`; the
generator of the bundled shop is :mod:`gnnrec_utils.synthetic`.
"""

from __future__ import annotations

from gnnrec_utils.data.constants import (
    BEHAVIORS,
    DAY,
    EVENT_COLUMNS,
    ITEM_COLUMNS,
    ML100K_GENRES,
    PERIODS,
    REPORT_COLUMNS,
    TARGET_BEHAVIORS,
    TZ_OFFSET,
    USER_COLUMNS,
)
from gnnrec_utils.data.split import (
    ShopSplit,
    local_day_start,
    new_intent_pairs,
    period_split,
    random_split,
    stratified_split,
    temporal_split,
)
from gnnrec_utils.data.stats import (
    SESSION_GAP,
    behavior_shares,
    category_lift,
    first_seen_day,
    funnel,
    gini,
    local_hour,
    preceded_share,
    session_ids,
    summary,
    top_share,
)
from gnnrec_utils.data.tables import Dataset, load_items, load_shop, load_users, write_shop

__all__ = [
    "BEHAVIORS",
    "DAY",
    "EVENT_COLUMNS",
    "ITEM_COLUMNS",
    "ML100K_GENRES",
    "PERIODS",
    "REPORT_COLUMNS",
    "SESSION_GAP",
    "TARGET_BEHAVIORS",
    "TZ_OFFSET",
    "USER_COLUMNS",
    "behavior_shares",
    "category_lift",
    "Dataset",
    "first_seen_day",
    "funnel",
    "gini",
    "load_items",
    "load_shop",
    "load_users",
    "local_day_start",
    "local_hour",
    "new_intent_pairs",
    "period_split",
    "preceded_share",
    "random_split",
    "session_ids",
    "ShopSplit",
    "stratified_split",
    "summary",
    "temporal_split",
    "top_share",
    "write_shop",
]
