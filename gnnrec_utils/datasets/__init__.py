"""Public datasets in their official formats, loaded into the kit's tables.

Six loaders, one result type:

* :func:`load_movielens` — MovieLens 100K, 1M, latest(-small), 20M, 25M, 32M;
* :func:`load_taobao_userbehavior` — Taobao's ``UserBehavior.csv`` (Tianchi 649);
* :func:`load_amazon_reviews` — Amazon Reviews 2014 / 2018 (JSON lines or the
  ratings-only CSVs) and 2023 (JSON lines);
* :func:`load_retailrocket` — RetailRocket's ``events.csv`` and item properties;
* :func:`load_tmall` — the Tmall multi-behaviour benchmark files (``buy.txt``,
  ``collect.txt``, ``cart.txt``, ``validation.txt``, ``test.txt``, ``count.txt``),
  which carry no timestamps: their held-out periods come in an extra ``period`` column;
* :func:`load_lightgcn_format` — ``train.txt`` / ``test.txt`` in LightGCN's format
  (Gowalla, Yelp2018, Amazon-Book), periods in a ``period`` column as for Tmall.

Each returns a :class:`~gnnrec_utils.data.Dataset`, as :func:`~gnnrec_utils.data.load_shop`
does: ``events`` in the UserBehavior schema (``user_id, item_id, category_id, behavior,
timestamp``, ids ``0..n-1`` in ascending order of the original ids, timestamps in Unix
**seconds**), ``users`` and ``items`` tables (one row per id, the original id beside
it, attributes where the format has them) and a ``report`` of every step with the
rows it kept. ``Dataset.to_shop()`` gives the int64 ids and string behaviours that
``temporal_split`` and the series' pipeline take.

**Rules, stated once.**

* *Ratings to behaviours* (MovieLens, Amazon): ``behavior_of(ratings)`` maps an array
  of ratings to behaviours; the default :func:`rating_behavior` makes a rating of 4 or
  more a ``buy`` and anything lower a ``pv``, so the series' target (fav / cart / buy)
  is "a movie or product the user liked". The rating itself stays in ``events.rating``.
* *Categories*: Taobao's ``category_id``; MovieLens: the movie's **first listed genre**
  (100K: the first genre flag set, in the file's genre order); RetailRocket: the item's
  latest ``categoryid`` property; Amazon reviews carry none: every item gets the
  category ``"unknown"``. Category ids are ``0..C-1`` in ascending order of the labels
  in ``Dataset.categories``; ``items.category_id`` is the category of the item's first
  event (``report`` counts events that disagree).
* *Timestamps*: a value of 10^11 or more is read as milliseconds (10^11 s is the year
  5138, 10^11 ms is 1973). Files whose format uses milliseconds (RetailRocket, Amazon
  2023) are converted to seconds; a value in the other unit than the format's is
  converted too, and the report says how many and the first line.
* *Duplicates*: rows equal in user, item, behaviour and timestamp (and rating) are
  dropped (``duplicates="drop"``, reported) or kept (``"keep"``, reported) or refused
  (``"error"``).
* *Listed ids*: where a release has a movies or users file, every rated movie and
  user must have a line there.

**Options shared by all loaders**, applied in this order, each reported with the rows
it keeps: ``window=(start, end)`` keeps events with ``start <= timestamp < end``
(Unix seconds, or anything ``pandas.Timestamp`` reads, taken as UTC);
``sample_users=f`` keeps a fraction ``f`` of the users, chosen by a seeded hash of the
original id (the same ``seed`` keeps the same users, whatever the file's order, and
the sample is taken while reading, so a laptop can load 1 % of a 100-million-row log);
duplicates; ``k_core=k`` then drops users and items with fewer than ``k`` events,
repeatedly, until every remaining one has at least ``k``.

Files are read in blocks through :mod:`gnnrec_utils.io`, so memory grows with the
rows kept, not with the file: the arrays held are 4-byte ids, a 1-byte behaviour code
and an 8-byte timestamp per kept event. A problem in a file stops the load with a
:class:`~gnnrec_utils.io.DataFormatError` naming the file, the line and what was expected.

**Files.** One per dataset, the shared machinery beside them:

* ``common.py`` — :class:`LoadOptions` and their checked form ``Settings``,
  :func:`rating_behavior` and the behaviour codes, ``source_path`` (``download=``);
* ``collector.py`` — ``Collector``: events gathered block by block, the window, the
  user sample, duplicates, the k-core, the tables and the report;
* ``taobao.py``, ``movielens.py``, ``amazon.py``, ``retailrocket.py``, ``tmall.py``,
  ``lightgcn.py`` — each dataset's file formats and its loader;
* ``download.py`` — the optional download, checked by SHA-256 and cached
  (:func:`~gnnrec_utils.datasets.download.fetch`).
"""

from gnnrec_utils.datasets.amazon import (
    AMAZON_CSV_ORDER,
    AMAZON_JSON_FIELDS,
    load_amazon_reviews,
)
from gnnrec_utils.datasets.collector import MS_THRESHOLD
from gnnrec_utils.datasets.common import UNKNOWN, LoadOptions, rating_behavior
from gnnrec_utils.datasets.lightgcn import LIGHTGCN_FILES, load_lightgcn_format
from gnnrec_utils.datasets.movielens import (
    ML_MOVIES_CSV,
    ML_MOVIES_DAT,
    ML_RATINGS_CSV,
    ML_RATINGS_DAT,
    ML_U_DATA,
    ML_U_ITEM,
    ML_U_USER,
    ML_USERS_DAT,
    load_movielens,
)
from gnnrec_utils.datasets.retailrocket import (
    RR_BEHAVIORS,
    RR_EVENTS,
    RR_PROPERTIES,
    load_retailrocket,
)
from gnnrec_utils.datasets.taobao import TAOBAO_FORMAT, TAOBAO_WINDOW, load_taobao_userbehavior
from gnnrec_utils.datasets.tmall import TMALL_FILES, load_tmall

__all__ = [
    "AMAZON_CSV_ORDER",
    "AMAZON_JSON_FIELDS",
    "LIGHTGCN_FILES",
    "ML_MOVIES_CSV",
    "ML_MOVIES_DAT",
    "ML_RATINGS_CSV",
    "ML_RATINGS_DAT",
    "ML_USERS_DAT",
    "ML_U_DATA",
    "ML_U_ITEM",
    "ML_U_USER",
    "MS_THRESHOLD",
    "RR_BEHAVIORS",
    "RR_EVENTS",
    "RR_PROPERTIES",
    "TAOBAO_FORMAT",
    "TAOBAO_WINDOW",
    "TMALL_FILES",
    "UNKNOWN",
    "LoadOptions",
    "load_amazon_reviews",
    "load_lightgcn_format",
    "load_movielens",
    "load_retailrocket",
    "load_taobao_userbehavior",
    "load_tmall",
    "rating_behavior",
]
