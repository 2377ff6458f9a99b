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
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypedDict, Unpack

import numpy as np
import pandas as pd

from gnnrec_utils.data import BEHAVIORS, EVENT_COLUMNS, REPORT_COLUMNS, Dataset
from gnnrec_utils.io.delimited import FileFormat, read_blocks, read_table
from gnnrec_utils.io.errors import (
    DataFormatError,
    PathLike,
    check_unique,
    first_bad,
    raise_earliest,
)
from gnnrec_utils.io.files import BLOCK_BYTES, check_file, find_file, open_bytes
from gnnrec_utils.io.jsonlines import read_json_blocks
from gnnrec_utils.io.kinds import (
    ANY,
    DIGITS,
    ID,
    MILLISECONDS,
    NUMBER,
    SECONDS,
    TEXT,
    Integer,
    Number,
    OneOf,
    Text,
)
from gnnrec_utils.split import PERIODS

MS_THRESHOLD = 10**11
UNKNOWN = "unknown"


def rating_behavior(ratings: np.ndarray) -> np.ndarray:
    """The default rule: a rating of 4 or more is a ``buy``, anything lower a ``pv``."""
    return np.where(np.asarray(ratings) >= 4, "buy", "pv")


# ---------------------------------------------------------------- options


class LoadOptions(TypedDict, total=False):
    """The options every public loader takes as keywords (see the module docstring).

    Attributes:
        window: ``(start, end)``: keep events with ``start <= timestamp < end``.
        sample_users: keep this fraction of the users, chosen by a seeded hash.
        seed: the seed of that hash.
        duplicates: ``"drop"`` (default), ``"keep"`` or ``"error"``.
        k_core: then keep users and items with at least this many events, repeatedly.
        verbose: print the report (default ``True``).
        block_bytes: about how many bytes of text are parsed at a time.
    """

    window: tuple | None
    sample_users: float | None
    seed: int
    duplicates: str
    k_core: int | None
    verbose: bool
    block_bytes: int


@dataclass
class _Options:
    window: tuple | None = None
    sample_users: float | None = None
    seed: int = 0
    duplicates: str = "drop"
    k_core: int | None = None
    verbose: bool = True
    block_bytes: int = BLOCK_BYTES

    def __post_init__(self):
        if self.duplicates not in ("drop", "keep", "error"):
            raise ValueError(
                f"duplicates must be 'drop', 'keep' or 'error', got {self.duplicates!r}"
            )
        if self.sample_users is not None and not 0 < self.sample_users <= 1:
            raise ValueError(
                f"sample_users must be a fraction in (0, 1], got {self.sample_users!r}"
            )
        if self.k_core is not None and (not isinstance(self.k_core, int) or self.k_core < 1):
            raise ValueError(f"k_core must be a positive integer, got {self.k_core!r}")
        if self.window is not None:
            if len(self.window) != 2:
                raise ValueError(f"window must be (start, end), got {self.window!r}")
            self.window = tuple(_seconds(t) for t in self.window)


def _seconds(moment) -> int:
    """Unix seconds from a number or anything ``pandas.Timestamp`` reads (as UTC)."""
    if isinstance(moment, (int, np.integer, float)):
        return int(moment)
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return int(stamp.timestamp())


# ---------------------------------------------------------------- collecting events


class _Labels:
    """Original ids of one column, read block by block.

    Integers are kept as they are (int32 where they fit); text ids get a provisional
    code in order of first sight, so memory holds each distinct text once.
    """

    def __init__(self):
        self.parts: list[np.ndarray] = []
        self.texts: dict[str, int] | None = None

    def codes(self, values) -> np.ndarray:
        """What a block's values are stored as (before any row is dropped)."""
        values = np.asarray(values)
        if values.dtype.kind in "iu":
            return values.astype(np.int32) if len(values) == 0 or values.max() < 2**31 else values
        self.texts = {} if self.texts is None else self.texts
        inverse, uniques = pd.factorize(values)
        get, texts = self.texts.setdefault, self.texts
        ids = np.fromiter((get(v, len(texts)) for v in uniques), np.int64, len(uniques))
        return ids[inverse].astype(np.int32)

    def finish(self, stored: np.ndarray) -> tuple[np.ndarray, pd.Index]:
        """``(codes 0..n-1 in ascending label order, labels)`` of the stored values."""
        codes, uniques = _compact(stored)
        if self.texts is None:
            return codes, pd.Index(uniques)
        keys = np.array(list(self.texts), dtype=object)[uniques]
        order = np.argsort(keys, kind="stable")
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        return rank[codes], pd.Index(keys[order])


def _compact(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, uniques)``: ``uniques`` sorted, ``codes`` int32 with ``uniques[codes] == values``.

    A lookup table (one pass, ``max + 1`` entries) when the values are dense enough,
    else ``np.unique`` (a sort).
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.int32), values[:0]
    high = int(values.max())
    if int(values.min()) >= 0 and high < 4 * len(values) + (1 << 24):
        present = np.zeros(high + 1, dtype=bool)
        present[values] = True
        lookup = (np.cumsum(present, dtype=np.int64) - 1).astype(np.int32)
        return lookup[values], np.flatnonzero(present).astype(values.dtype)
    uniques, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int32), uniques


class _Collector:
    """Events gathered block by block, filtered while reading, finished into a Dataset."""

    def __init__(self, name: str, options: _Options, unit: str = "s"):
        self.name, self.options, self.unit = name, options, unit
        self.users, self.items, self.cats = _Labels(), _Labels(), _Labels()
        self.columns: dict[str, list[np.ndarray]] = {
            k: [] for k in ("user", "item", "cat", "behavior", "timestamp", "rating")
        }
        self.steps: list[tuple[str, int, str]] = []
        self.read = self.other_unit = self.in_window = self.sampled = 0
        self.other_unit_line: tuple[Path, int] | None = None
        self.path: Path | None = None

    def note(self, step: str, rows: int | None, detail: str = "") -> None:
        """A line of the report: a step, the rows it kept (``None``: not a filter), what it did."""
        self.steps.append((step, rows, detail))

    def add(
        self,
        path: Path,
        first_line: int,
        user,
        item,
        category,
        behavior: np.ndarray,
        timestamp: np.ndarray,
        rating: np.ndarray | None = None,
    ) -> None:
        """One block: original ids, behaviour codes (int8), raw timestamps in the file's unit."""
        self.read, self.path = self.read + len(timestamp), path
        seconds = self._to_seconds(path, first_line, np.asarray(timestamp, dtype=np.int64))
        keep = self._keep(seconds, np.asarray(user))
        take = (lambda a: a) if keep is None else (lambda a: np.asarray(a)[keep])
        self.columns["user"].append(take(self.users.codes(user)))
        self.columns["item"].append(take(self.items.codes(item)))
        self.columns["cat"].append(take(self.cats.codes(category)))
        self.columns["behavior"].append(take(np.asarray(behavior, dtype=np.int8)))
        self.columns["timestamp"].append(take(seconds))
        if rating is not None:
            self.columns["rating"].append(take(np.asarray(rating, dtype=np.float32)))

    def _to_seconds(self, path: Path, first_line: int, ts: np.ndarray) -> np.ndarray:
        """Seconds; values in the other unit than the format's are converted and counted."""
        is_ms = ts >= MS_THRESHOLD
        other = is_ms if self.unit == "s" else ~is_ms
        if other.any():
            if self.other_unit_line is None:
                self.other_unit_line = (path, first_line + int(np.flatnonzero(other)[0]))
            self.other_unit += int(other.sum())
        return np.where(is_ms, ts // 1000, ts)

    def _keep(self, seconds: np.ndarray, user: np.ndarray) -> np.ndarray | None:
        """Rows inside the window and of sampled users; ``None`` for all."""
        keep = None
        if self.options.window is not None:
            start, end = self.options.window
            keep = (seconds >= start) & (seconds < end)
            self.in_window += int(keep.sum())
        if self.options.sample_users is not None:
            hashed = _user_hash(user, self.options.seed)
            chosen = hashed < np.uint64(int(self.options.sample_users * 2**64 - 1))
            keep = chosen if keep is None else keep & chosen
            self.sampled += int(keep.sum())
        return keep

    def finish(self, user_table=None, item_table=None) -> Dataset:
        """Concatenate, report, drop duplicates, k-core, remap, and build the tables.

        Works on plain numpy columns, filtered one column at a time, so that the
        peak stays near two copies of one column above the kept events.
        """
        cols = {}
        for key in list(self.columns):
            parts = self.columns.pop(key)
            if parts:
                cols[key] = np.concatenate(parts)
            del parts
        self._report_reading(len(cols["timestamp"]))
        cols["user"], user_ids = self.users.finish(cols["user"])
        cols["item"], item_ids = self.items.finish(cols["item"])
        cols["cat"], categories = self.cats.finish(cols["cat"])
        self._duplicates(cols, user_ids, item_ids)
        self._k_core(cols)
        return self._tables(cols, user_ids, item_ids, categories, user_table, item_table)

    def _report_reading(self, kept: int) -> None:
        self.steps.insert(0, ("read", self.read, self.name))
        if self.other_unit:
            path, line = self.other_unit_line
            want, got = (
                ("seconds", "milliseconds") if self.unit == "s" else ("milliseconds", "seconds")
            )
            self.note(
                f"timestamps in {got}",
                None,
                f"{self.other_unit:,} timestamps looked like {got} where the format uses "
                f"{want} (first: {path.name}, line {line}); converted to seconds",
            )
        if self.options.window is not None:
            start, end = self.options.window
            self.note(
                "window",
                self.in_window,
                f"{pd.Timestamp(start, unit='s')} <= time < {pd.Timestamp(end, unit='s')} (UTC)",
            )
        if self.options.sample_users is not None:
            self.note(
                "sample users",
                kept,
                f"a fraction {self.options.sample_users} of users, hash seed {self.options.seed}",
            )

    def _duplicates(self, cols: dict[str, np.ndarray], user_ids, item_ids) -> None:
        """Find rows equal in every column; drop, keep or refuse them as asked (in place)."""
        again = _repeated_rows(cols)
        count = int(again.sum())
        if count and self.options.duplicates == "error":
            row = int(np.flatnonzero(again)[0])
            raise DataFormatError(
                self.path,
                None,
                "each event once (or duplicates='drop')",
                f"{count:,} repeated rows, e.g. user {user_ids[cols['user'][row]]} "
                f"item {item_ids[cols['item'][row]]} {BEHAVIORS[cols['behavior'][row]]} "
                f"at {cols['timestamp'][row]}",
            )
        if self.options.duplicates == "drop":
            if count:
                _take(cols, ~again)
            self.note("drop duplicates", len(cols["timestamp"]), f"{count:,} repeated rows dropped")
        else:
            self.note("keep duplicates", len(cols["timestamp"]), f"{count:,} repeated rows kept")

    def _k_core(self, cols: dict[str, np.ndarray]) -> None:
        """Peel users and items with fewer than ``k`` events until none is left (in place)."""
        k = self.options.k_core
        if k is None:
            return
        rounds = 0
        while True:
            user, item = cols["user"], cols["item"]
            keep = (np.bincount(user)[user] >= k) & (np.bincount(item)[item] >= k)
            del user, item
            if keep.all():
                break
            _take(cols, keep)
            rounds += 1
        self.note(
            f"{k}-core",
            len(cols["timestamp"]),
            f"users and items with >= {k} events ({rounds} rounds)",
        )

    def _tables(self, cols, user_ids, item_ids, categories, user_table, item_table) -> Dataset:
        """Remap to the ids still present and build the events, users and items tables."""
        user, used_u = _compact(cols.pop("user"))
        item, used_i = _compact(cols.pop("item"))
        cat, used_c = _compact(cols.pop("cat"))
        events = pd.DataFrame(
            {
                "user_id": user,
                "item_id": item,
                "category_id": cat,
                "behavior": pd.Categorical.from_codes(cols.pop("behavior"), BEHAVIORS),
                "timestamp": cols.pop("timestamp"),
                **cols,
            },
            copy=False,
        )
        user_ids, item_ids, categories = user_ids[used_u], item_ids[used_i], categories[used_c]
        users = pd.DataFrame({"user_id": np.arange(len(user_ids)), "orig_user_id": user_ids})
        if user_table is not None:
            users = users.merge(user_table, on="orig_user_id", how="left")
        first = np.full(len(item_ids), -1, dtype=np.int32)
        first[item[::-1]] = cat[::-1]  # the category of each item's first event
        items = pd.DataFrame(
            {"item_id": np.arange(len(item_ids)), "orig_item_id": item_ids, "category_id": first}
        )
        if item_table is not None:
            items = items.merge(item_table, on="orig_item_id", how="left")
        disagree = int((first[item] != cat).sum())
        self.note(
            "tables",
            len(events),
            f"{len(user_ids):,} users, {len(item_ids):,} items, "
            f"{len(categories):,} categories; {disagree:,} events whose category differs from "
            "their item's first",
        )
        report = pd.DataFrame(self.steps, columns=list(REPORT_COLUMNS)).astype({"rows": "Int64"})
        if self.options.verbose:
            print(report.to_string(index=False))
        return Dataset(
            users,
            items,
            events,
            name=self.name,
            user_ids=user_ids,
            item_ids=item_ids,
            categories=categories,
            report=report,
        )


def _take(cols: dict[str, np.ndarray], keep: np.ndarray) -> None:
    """Keep the rows ``keep`` of every column, one column at a time (in place)."""
    for key in cols:
        cols[key] = cols[key][keep]


_MIX = np.uint64(0x9E3779B97F4A7C15)


def _row_hash(cols: dict[str, np.ndarray], piece: int = 1 << 22) -> np.ndarray:
    """A 64-bit hash of each row over all columns (equal rows, equal hashes), in pieces."""
    n = len(cols["timestamp"])
    out = np.empty(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, n, piece):
            h = np.zeros(min(piece, n - start), dtype=np.uint64)
            for values in cols.values():
                part = values[start : start + piece]
                part = part.view(np.uint32) if part.dtype == np.float32 else part
                h = (h ^ part.astype(np.uint64)) * _MIX
                h ^= h >> np.uint64(29)
            out[start : start + piece] = h
    return out


def _repeated_rows(cols: dict[str, np.ndarray]) -> np.ndarray:
    """True for each row equal to an earlier one in every column.

    Rows are hashed; only rows whose hash occurs twice or more (the repeated rows,
    and rare collisions) are compared exactly, so the cost is one 8-byte hash and
    one sorted copy of it per row.
    """
    hashes = _row_hash(cols)
    ordered = np.sort(hashes)
    twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    candidates = (
        np.flatnonzero(pd.Series(hashes, copy=False).isin(twice).to_numpy())
        if len(twice)
        else np.zeros(0, dtype=np.int64)
    )
    del hashes
    again = np.zeros(len(cols["timestamp"]), dtype=bool)
    if len(candidates):
        subset = pd.DataFrame({k: v[candidates] for k, v in cols.items()})
        again[candidates[subset.duplicated().to_numpy()]] = True
    return again


def _user_hash(user: np.ndarray, seed: int) -> np.ndarray:
    """A seeded 64-bit hash of each original user id (ints and texts alike)."""
    salt = np.uint64(int(pd.util.hash_array(np.array([seed], dtype=np.int64))[0]))
    if user.dtype.kind in "iu":
        return pd.util.hash_array(user.astype(np.uint64) ^ salt)
    key = f"{int(salt):016x}"[:16]
    return pd.util.hash_array(user.astype(object), hash_key=key, categorize=False)


def _source(path: PathLike, download: str | bool, root: PathLike | None) -> PathLike:
    """``path``, or the folder of the dataset named ``download`` in the cache ``root``."""
    if not download:
        return path
    from gnnrec_utils.download import fetch

    return fetch(download, root=root)


def _behavior_codes(labels) -> np.ndarray:
    """int8 codes of behaviour labels in :data:`BEHAVIORS`."""
    return pd.Index(BEHAVIORS).get_indexer(np.asarray(labels, dtype=object)).astype(np.int8)


def _rated_behaviors(behavior_of: Callable, ratings: np.ndarray) -> np.ndarray:
    """Behaviour codes from ``behavior_of(ratings)``; a clear error if it returns something else."""
    labels = np.asarray(behavior_of(ratings))
    if labels.shape != ratings.shape:
        raise ValueError(
            f"behavior_of must return one behaviour per rating ({ratings.shape}), "
            f"returned shape {labels.shape}"
        )
    codes = _behavior_codes(labels)
    if (codes < 0).any():
        bad = labels[np.flatnonzero(codes < 0)[0]]
        raise ValueError(
            f"behavior_of returned {str(bad)!r}; expected one of {', '.join(BEHAVIORS)}"
        )
    return codes


# ---------------------------------------------------------------- Taobao UserBehavior

TAOBAO_FORMAT = FileFormat(
    "UserBehavior events, one per line", EVENT_COLUMNS, (ID, ID, ID, OneOf(BEHAVIORS), SECONDS)
)
#: The official window, 2017-11-25 to 2017-12-03 inclusive, China time (UTC+8).
TAOBAO_WINDOW = (1511539200, 1512316800)


def load_taobao_userbehavior(
    path: PathLike,
    *,
    download: bool = False,
    root: PathLike | None = None,
    **options: Unpack[LoadOptions],
) -> Dataset:
    """Taobao's UserBehavior log: ``user_id,item_id,category_id,behavior_type,timestamp``.

    ``path`` is ``UserBehavior.csv`` (or ``.csv.gz``) or its folder. No header;
    behaviours ``pv, buy, cart, fav``; Unix seconds. The published log has a few
    rows outside the official 9 days: pass ``window=TAOBAO_WINDOW`` to drop them.
    The full log (100 million rows, 3.4 GiB) loads in blocks: see
    ``benchmarks/big_file.py`` for time and memory. The dataset needs a Tianchi
    login, so ``download=True`` only says where to get it.

    Args:
        path: the file or its folder (ignored with ``download=True``).
        options: the options shared by all loaders (:class:`LoadOptions`).
        download, root: look in the cache folder ``root`` (see :mod:`gnnrec_utils.download`).

    Returns:
        A :class:`~gnnrec_utils.data.Dataset`.

    Raises:
        MissingFileError: no ``UserBehavior.csv`` at ``path``.
        DataFormatError: naming the file, line and expectation of the first problem.
    """
    path = _source(path, download and "taobao-userbehavior", root)
    settings = _Options(**options)
    file = find_file(path, ("UserBehavior.csv", "UserBehavior.csv.gz"), "the UserBehavior log")
    collector = _Collector(f"Taobao UserBehavior ({file.name})", settings)
    for line, frame in read_blocks(file, TAOBAO_FORMAT, settings.block_bytes):
        collector.add(
            file,
            line,
            frame.user_id.to_numpy(),
            frame.item_id.to_numpy(),
            frame.category_id.to_numpy(),
            frame.behavior.cat.codes.to_numpy(),
            frame.timestamp.to_numpy(),
        )
    return collector.finish()


# ---------------------------------------------------------------- MovieLens

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
_RATING_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
_STARS = Integer("an integer from 1 to 5", 1, 5, dtype="float64")
_HALF_STARS = Number("a number from 0.5 to 5", 0.5, 5.0)
_GENDER = OneOf(("M", "F"), "M or F", categorical=False)


def _latin1(what: str, columns: tuple[str, ...], kinds: tuple, sep: str, **layout) -> FileFormat:
    """A MovieLens file of the 100K and 1M releases: no header, latin-1 text."""
    return FileFormat(what, columns, kinds, sep=sep, encoding="latin-1", **layout)


ML_U_DATA = _latin1("ratings, one per line", _RATING_COLUMNS, (ID, ID, _STARS, SECONDS), "\t")
# u.item and u.user hold text: the careful parse only, so that an id "1.0" is refused
ML_U_ITEM = _latin1(
    "movies, one per line",
    ("item_id", "title", "release_date", "video_release_date", "imdb_url") + ML100K_GENRES,
    (ID, ANY, ANY, ANY, ANY) + (Integer("a genre flag 0 or 1", 0, 1, dtype="int8"),) * 19,
    "|",
    fast=False,
)
ML_U_USER = _latin1(
    "users, one per line",
    ("user_id", "age", "gender", "occupation", "zip"),
    (ID, Integer("an age in years (non-negative integer)"), _GENDER, ANY, ANY),
    "|",
    fast=False,
)
ML_RATINGS_DAT = _latin1("ratings, one per line", _RATING_COLUMNS, (ID, ID, _STARS, SECONDS), "::")
ML_MOVIES_DAT = _latin1(
    "movies, one per line", ("item_id", "title", "genres"), (ID, ANY, ANY), "::"
)
ML_USERS_DAT = _latin1(
    "users, one per line",
    ("user_id", "gender", "age", "occupation", "zip"),
    (ID, _GENDER, ID, ID, ANY),
    "::",
)
ML_RATINGS_CSV = FileFormat(
    "ratings, one per line",
    _RATING_COLUMNS,
    (ID, ID, _HALF_STARS, SECONDS),
    header=("userId", "movieId", "rating", "timestamp"),
)
ML_MOVIES_CSV = FileFormat(
    "movies, one per line",
    ("item_id", "title", "genres"),
    (ID, ANY, ANY),
    header=("movieId", "title", "genres"),
    quoted=True,
)


def _flagged_genre(movies: pd.DataFrame) -> np.ndarray:
    """100K: the first genre whose flag is set, in the file's genre order."""
    flags = movies[list(ML100K_GENRES)].to_numpy()
    return np.where(flags.any(1), np.array(ML100K_GENRES)[flags.argmax(1)], UNKNOWN)


def _listed_genre(movies: pd.DataFrame) -> pd.Series:
    """1M and later: the first genre of the ``|``-separated list."""
    return movies.genres.str.split("|", n=1).str[0].replace("", UNKNOWN)


@dataclass(frozen=True)
class _Release:
    """The files of one MovieLens layout, told by the name of its ratings file."""

    label: str
    ratings: FileFormat
    movies: tuple[str, FileFormat]
    category: Callable[[pd.DataFrame], object]
    users: tuple[str, FileFormat] | None = None
    unused: tuple[str, ...] = ()  # movie columns left out of the items table


_RELEASES = {
    "u.data": _Release(
        "MovieLens-100K",
        ML_U_DATA,
        ("u.item", ML_U_ITEM),
        _flagged_genre,
        ("u.user", ML_U_USER),
        unused=("video_release_date",),
    ),
    "ratings.dat": _Release(
        "MovieLens",
        ML_RATINGS_DAT,
        ("movies.dat", ML_MOVIES_DAT),
        _listed_genre,
        ("users.dat", ML_USERS_DAT),
    ),
    "ratings.csv": _Release(
        "MovieLens", ML_RATINGS_CSV, ("movies.csv", ML_MOVIES_CSV), _listed_genre
    ),
}


def load_movielens(
    path: PathLike,
    *,
    behavior_of: Callable = rating_behavior,
    download: bool = False,
    release: str = "ml-100k",
    root: PathLike | None = None,
    **options: Unpack[LoadOptions],
) -> Dataset:
    """A MovieLens release from its unzipped folder (or its ratings file).

    The release is told by the ratings file found: ``u.data`` (100K, tab-separated,
    with ``u.item`` and ``u.user``, ``|``-separated latin-1), ``ratings.dat`` (1M,
    ``::``-separated latin-1, with ``movies.dat`` and ``users.dat``) or ``ratings.csv``
    (latest, latest-small, 20M, 25M, 32M: header ``userId,movieId,rating,timestamp``,
    with ``movies.csv``). The movies and users files are optional; where present, every
    rated movie and user needs a line there. Ratings become behaviours through
    ``behavior_of``; the category is the first listed genre.

    Args:
        path: the folder or the ratings file (ignored with ``download=True``).
        behavior_of: ratings to behaviours (default :func:`rating_behavior`: >= 4 is
            ``buy``, else ``pv``).
        options: the options shared by all loaders (:class:`LoadOptions`).
        download, release, root: fetch ``release`` (``"ml-100k"``, ``"ml-1m"``,
            ``"ml-latest-small"`` ...) from GroupLens into ``root`` and load it.

    Returns:
        A :class:`~gnnrec_utils.data.Dataset`; ``items`` holds the movies' titles and
        genres (100K: release date, IMDb URL and a 0/1 column per genre in
        :data:`ML100K_GENRES`), ``users`` their attributes (100K, 1M).

    Raises:
        MissingFileError: no ratings file at ``path``.
        DataFormatError: naming the file, line and expectation of the first problem,
            or the first rated movie or user without a line in its file.
    """
    path = _source(path, download and release, root)
    settings = _Options(**options)
    file = find_file(path, _RELEASES, "a MovieLens ratings file")
    layout = _RELEASES[_layout_of(file)]
    movies = _ml_table(file.parent, layout.movies, "orig_item_id")
    movies = None if movies is None else movies.assign(category=layout.category(movies))
    users = _ml_table(file.parent, layout.users, "orig_user_id")
    collector = _Collector(f"{layout.label} ({file.parent.name}/{file.name})", settings)
    for line, frame in read_blocks(file, layout.ratings, settings.block_bytes):
        _add_ratings(collector, file, line, frame, layout, movies, users, behavior_of)
    items = None if movies is None else movies.drop(columns=["category", *layout.unused])
    return collector.finish(user_table=users, item_table=items)


def _layout_of(file: Path) -> str:
    """The key of ``_RELEASES`` for a ratings file."""
    if file.name == "u.data":
        return "u.data"
    return "ratings.dat" if file.suffix == ".dat" else "ratings.csv"


def _ml_table(folder: Path, spec: tuple[str, FileFormat] | None, key: str) -> pd.DataFrame | None:
    """A movies or users file, each id once, the id renamed to ``key``; ``None`` if absent."""
    if spec is None or not (folder / spec[0]).is_file():
        return None
    table, first_line = read_table(folder / spec[0], spec[1])
    check_unique(folder / spec[0], first_line, table.iloc[:, 0])
    return table.rename(columns={table.columns[0]: key})


def _add_ratings(
    collector: _Collector,
    file: Path,
    line: int,
    frame: pd.DataFrame,
    layout: _Release,
    movies: pd.DataFrame | None,
    users: pd.DataFrame | None,
    behavior_of: Callable,
) -> None:
    """Check that a block's movies and users are listed, and add it."""
    user, item = frame.user_id.to_numpy(), frame.item_id.to_numpy()
    category = np.full(len(item), UNKNOWN, dtype=object)
    if movies is not None:
        row = _rows_of(file, file.parent / layout.movies[0], movies.orig_item_id, item)
        category = movies.category.to_numpy(dtype=object)[row]
    if users is not None:
        _rows_of(file, file.parent / layout.users[0], users.orig_user_id, user)
    rating = frame.rating.to_numpy()
    behavior = _rated_behaviors(behavior_of, rating)
    collector.add(file, line, user, item, category, behavior, frame.timestamp.to_numpy(), rating)


def _rows_of(ratings: Path, table: Path, listed: pd.Series, rated: np.ndarray) -> np.ndarray:
    """The row of ``listed`` (a column of ``table``) for each rated id.

    Raises:
        DataFormatError: naming ``table``, for the first rated id it does not list.
    """
    rows = pd.Index(listed).get_indexer(rated)
    if (rows < 0).any():
        key = str(listed.name).removeprefix("orig_")
        raise DataFormatError(
            table,
            None,
            f"a line for every {key} rated in {ratings.name}",
            f"no line for {key} {rated[np.argmax(rows < 0)]}",
        )
    return rows


# ---------------------------------------------------------------- Amazon Reviews

AMAZON_JSON_FIELDS = {
    "user": ("user_id", "reviewerID"),
    "item": ("parent_asin", "asin"),
    "rating": ("rating", "overall"),
    "timestamp": ("timestamp", "unixReviewTime"),
}
_ASIN = re.compile(r"B0[0-9A-Z]{8}|[0-9]{9}[0-9X]")
AMAZON_CSV_ORDER = {
    "2014": ("user", "item", "rating", "timestamp"),
    "2018": ("item", "user", "rating", "timestamp"),
}


def _amazon_csv_format(order: tuple[str, ...]) -> FileFormat:
    """The ratings-only CSV with its columns in ``order`` (ids are text, ASINs or not)."""
    kinds = {"user": TEXT, "item": TEXT, "rating": NUMBER, "timestamp": SECONDS}
    return FileFormat("ratings, one per line", order, tuple(kinds.get(c, TEXT) for c in order))


def load_amazon_reviews(
    path: PathLike,
    *,
    release: str | None = None,
    behavior_of: Callable = rating_behavior,
    download: bool = False,
    category: str | None = None,
    root: PathLike | None = None,
    **options: Unpack[LoadOptions],
) -> Dataset:
    """Amazon Reviews: JSON lines (plain or ``.gz``) or the headerless ratings-only CSV.

    * JSON lines, 2014 / 2018: ``reviewerID, asin, overall, unixReviewTime`` (seconds);
      2023: ``user_id, parent_asin, rating, timestamp`` (milliseconds). The keys tell
      the release apart; other keys (the review text) are ignored.
    * CSV: ``user,item,rating,timestamp`` (2014) or ``item,user,rating,timestamp``
      (2018). Pass ``release="2014"`` or ``"2018"``; without it the loader looks at the
      first block and takes as the item column the one whose values look like ASINs
      (ten characters, ``B0`` + 8, or an ISBN-10), and the report says which it assumed.

    Reviews carry no category: every item gets ``"unknown"``.

    Args:
        path: the file (ignored with ``download=True``).
        release: ``"2014"``, ``"2018"`` or ``"2023"``; ``None``: told from the file.
        behavior_of: ratings to behaviours (default :func:`rating_behavior`).
        options: the options shared by all loaders (:class:`LoadOptions`).
        download, category, root: fetch the ratings-only CSV of ``category`` (e.g.
            ``"Digital_Music"``) for ``release`` 2014 or 2018, or the 2023 JSON lines.

    Returns:
        A :class:`~gnnrec_utils.data.Dataset`.

    Raises:
        ValueError: an unknown ``release``.
        MissingFileError: no file at ``path``.
        DataFormatError: naming the file, line and expectation of the first problem.
    """
    if release is not None and release not in ("2014", "2018", "2023"):
        raise ValueError(f"release must be '2014', '2018' or '2023', got {release!r}")
    if download:
        from gnnrec_utils.download import amazon_fetch

        path = amazon_fetch(release or "2018", category, root=root)
    settings = _Options(**options)
    file = Path(path)
    check_file(file, "Amazon reviews (JSON lines or a ratings-only CSV)")
    suffixes = [s for s in file.suffixes if s != ".gz"]
    if suffixes and suffixes[-1] in (".json", ".jsonl"):
        return _amazon_json(file, release, behavior_of, settings)
    return _amazon_csv(file, release, behavior_of, settings)


def _amazon_json(file: Path, release, behavior_of, options) -> Dataset:
    collector = None
    for line, frame in read_json_blocks(file, AMAZON_JSON_FIELDS, options.block_bytes):
        if collector is None:
            unit = "ms" if release == "2023" or (release is None and _json_is_2023(file)) else "s"
            collector = _Collector(
                f"Amazon Reviews {'2023' if unit == 'ms' else '2014/2018'} ({file.name})",
                options,
                unit=unit,
            )
        _add_amazon(collector, file, line, frame, behavior_of)
    return collector.finish()


def _json_is_2023(file: Path) -> bool:
    """True if the first line names its rating ``rating`` (2023) rather than ``overall``."""
    import json

    with open_bytes(file) as stream:
        return "rating" in json.loads(stream.readline())


def _bad_amazon_id(file: Path, line: int, values: np.ndarray, name: str) -> DataFormatError | None:
    """The error for the first id of a block that is not a non-empty text, if any."""
    bad = np.array([not isinstance(v, str) or v == "" for v in values], dtype=bool)
    return first_bad(
        file, line, bad, f"{name} as a non-empty text id", lambda row: repr(values[row])
    )


def _bad_amazon_time(file: Path, line: int, values: np.ndarray) -> DataFormatError | None:
    """The error for the first timestamp of a block that is not a Unix time, if any."""
    bad = np.array(
        [
            not (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
            and not (isinstance(v, str) and v.isdigit())
            for v in values
        ],
        dtype=bool,
    )
    return first_bad(
        file,
        line,
        bad,
        "timestamp as a Unix time (non-negative integer)",
        lambda row: repr(values[row]),
    )


def _add_amazon(
    collector: _Collector, file: Path, line: int, frame: pd.DataFrame, behavior_of
) -> None:
    """Check the four columns of a block and add it."""
    user, item = frame.user.to_numpy(dtype=object), frame.item.to_numpy(dtype=object)
    given, ts = frame.rating.to_numpy(dtype=object), frame.timestamp.to_numpy(dtype=object)
    rating = pd.to_numeric(frame.rating, errors="coerce").to_numpy(dtype=np.float64)
    raise_earliest(
        _bad_amazon_id(file, line, user, "user"),
        _bad_amazon_id(file, line, item, "item"),
        first_bad(
            file,
            line,
            ~((rating >= 0) & (rating <= 5)),
            "rating as a number from 0 to 5",
            lambda row: repr(given[row]),
        ),
        _bad_amazon_time(file, line, ts),
    )
    collector.add(
        file,
        line,
        user,
        item,
        np.full(len(frame), UNKNOWN, dtype=object),
        _rated_behaviors(behavior_of, rating),
        ts.astype(np.int64),
        rating,
    )


def _guess_amazon_order(file: Path, frame: pd.DataFrame) -> tuple[str, str]:
    """``(release, reason)`` from how many values of each of the first two columns look like ASINs."""
    share = [frame[c].astype(str).str.fullmatch(_ASIN).mean() for c in frame.columns[:2]]
    if max(share) < 0.5 or min(share) > 0.5:
        raise DataFormatError(
            file,
            None,
            "ASINs (B0 + 8 characters, or ISBN-10) in one of the first "
            "two columns, to tell the 2014 order from the 2018 one",
            f"{share[0]:.0%} and {share[1]:.0%} of them look like ASINs: "
            "pass release='2014' or '2018'",
        )
    release = "2014" if share[1] > share[0] else "2018"
    return release, (
        f"assumed the {release} column order ({','.join(AMAZON_CSV_ORDER[release])}): "
        f"{max(share):.0%} of column {2 if release == '2014' else 1} look like ASINs"
    )


def _amazon_csv(file: Path, release, behavior_of, options) -> Dataset:
    probe = _amazon_csv_format(("a", "b", "rating", "timestamp"))
    collector, fmt = None, None
    if release in AMAZON_CSV_ORDER:
        fmt, reason = _amazon_csv_format(AMAZON_CSV_ORDER[release]), f"release {release} as given"
    for line, frame in read_blocks(file, fmt or probe, options.block_bytes):
        if collector is None:
            if fmt is None:
                release, reason = _guess_amazon_order(file, frame)
                fmt = _amazon_csv_format(AMAZON_CSV_ORDER[release])
            collector = _Collector(f"Amazon Reviews {release} ratings ({file.name})", options)
            collector.note("column order", None, reason)
        frame.columns = list(fmt.columns)
        _add_amazon(collector, file, line, frame, behavior_of)
    return collector.finish()


# ---------------------------------------------------------------- RetailRocket

RR_EVENTS = FileFormat(
    "events, one per line",
    ("timestamp", "visitorid", "event", "itemid", "transactionid"),
    (
        MILLISECONDS,
        ID,
        OneOf(("view", "addtocart", "transaction")),
        ID,
        Text("a transaction id, or nothing", fast_bytes=DIGITS),
    ),
    header=("timestamp", "visitorid", "event", "itemid", "transactionid"),
)
RR_PROPERTIES = FileFormat(
    "item properties, one per line",
    ("timestamp", "itemid", "property", "value"),
    (MILLISECONDS, ID, TEXT, ANY),
    header=("timestamp", "itemid", "property", "value"),
)
#: RetailRocket's events as the kit's behaviours.
RR_BEHAVIORS = {"view": "pv", "addtocart": "cart", "transaction": "buy"}


def load_retailrocket(
    path: PathLike,
    *,
    download: bool = False,
    root: PathLike | None = None,
    **options: Unpack[LoadOptions],
) -> Dataset:
    """RetailRocket: ``events.csv`` (``timestamp,visitorid,event,itemid,transactionid``,
    milliseconds) and, when in the same folder, ``item_properties_part*.csv``.

    ``view`` / ``addtocart`` / ``transaction`` become ``pv`` / ``cart`` / ``buy``. An
    item's category is its latest ``categoryid`` property (items change category over
    time); items without one get the category ``-1`` (unknown), counted in the report.

    Args:
        path: ``events.csv`` or its folder (ignored with ``download=True``).
        options: the options shared by all loaders (:class:`LoadOptions`).
        download, root: the dataset is on Kaggle behind a login, so ``download=True``
            only says where to get it (or uses what is in ``root``).

    Returns:
        A :class:`~gnnrec_utils.data.Dataset`.

    Raises:
        MissingFileError: no ``events.csv`` at ``path``.
        DataFormatError: naming the file, line and expectation of the first problem.
    """
    path = _source(path, download and "retailrocket", root)
    settings = _Options(**options)
    file = find_file(path, ("events.csv", "events.csv.gz"), "RetailRocket's events.csv")
    properties = sorted(file.parent.glob("item_properties_part*.csv*"))
    category = _rr_categories(properties, settings.block_bytes)
    collector = _Collector(f"RetailRocket ({file.name})", settings, unit="ms")
    codes = _behavior_codes(list(RR_BEHAVIORS.values()))
    for line, frame in read_blocks(file, RR_EVENTS, settings.block_bytes):
        item = frame.itemid.to_numpy()
        cat = (
            category.reindex(item, fill_value=-1).to_numpy()
            if len(category)
            else np.full(len(item), -1)
        )
        collector.add(
            file,
            line,
            frame.visitorid.to_numpy(),
            item,
            cat,
            codes[frame.event.cat.codes.to_numpy()],
            frame.timestamp.to_numpy(),
        )
    collector.note(
        "categories",
        None,
        f"from {len(category):,} items' categoryid properties "
        f"({'none found' if not len(category) else 'latest value per item'}); others -1",
    )
    return collector.finish()


def _rr_category_rows(file: Path, line: int, frame: pd.DataFrame) -> pd.DataFrame:
    """The ``categoryid`` rows of a properties block, values as integers; raise on one that is not."""
    is_category = frame.property.to_numpy() == "categoryid"
    value = frame.value.to_numpy(dtype=object)
    bad = np.zeros(len(frame), dtype=bool)
    bad[is_category] = [not (v.isascii() and v.isdigit()) for v in value[is_category]]
    raise_earliest(
        first_bad(
            file,
            line,
            bad,
            "a categoryid value as a non-negative integer",
            lambda row: repr(value[row]),
        )
    )
    rows = frame[is_category]
    return rows.assign(value=value[is_category].astype(np.int64))[["timestamp", "itemid", "value"]]


def _rr_categories(files: list[Path], block_bytes: int) -> pd.Series:
    """Latest ``categoryid`` per item over the property files, as a Series item -> category."""
    found = [
        _rr_category_rows(file, line, frame)
        for file in files
        for line, frame in read_blocks(file, RR_PROPERTIES, block_bytes)
    ]
    if not found:
        return pd.Series(dtype=np.int64)
    table = pd.concat(found, ignore_index=True).sort_values(["itemid", "timestamp"], kind="stable")
    return table.drop_duplicates("itemid", keep="last").set_index("itemid")["value"]


# ---------------------------------------------------------------- Tmall (multi-behaviour)

#: Tmall's files: the behaviour each holds and the period it belongs to.
TMALL_FILES = (
    ("buy.txt", "buy", "train"),
    ("collect.txt", "fav", "train"),
    ("cart.txt", "cart", "train"),
    ("validation.txt", "buy", "valid"),
    ("test.txt", "buy", "test"),
)
_TMALL_COUNT = (
    'one JSON object {"user": <number of users>, "item": <number of items>}, '
    "each a positive integer"
)


def _tmall_counts(folder: Path) -> tuple[int, int]:
    """The numbers of users and items that ``count.txt`` gives (ids run from 1 to them)."""
    path = folder / "count.txt"
    check_file(path, _TMALL_COUNT)
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    try:
        counts = json.loads(text)
    except ValueError:
        counts = None
    if not isinstance(counts, dict) or not all(
        _positive_int(counts.get(k)) for k in ("user", "item")
    ):
        found = repr(text[:80]) if text else "an empty file"
        raise DataFormatError(path, 1 if text else None, _TMALL_COUNT, found)
    return counts["user"], counts["item"]


def _positive_int(value) -> bool:
    """True for an integer (not a bool) of at least 1."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _tmall_format(num_users: int, num_items: int) -> FileFormat:
    """A ``user item`` file whose ids run from 1 to the counts of ``count.txt``."""
    return FileFormat(
        "(user, item) pairs, one per line",
        ("user_id", "item_id"),
        (
            Integer(f"a user id from 1 to {num_users} (count.txt)", 1, num_users),
            Integer(f"an item id from 1 to {num_items} (count.txt)", 1, num_items),
        ),
        sep=" ",
        sep_name="space",
    )


def load_tmall(path: PathLike, *, verbose: bool = True) -> Dataset:
    """Tmall's multi-behaviour benchmark: one ``user item`` pair per line, ids from 1.

    The folder holds ``buy.txt`` (training purchases), ``collect.txt`` (favourites),
    ``cart.txt`` (add-to-carts), ``validation.txt`` and ``test.txt`` (held-out purchases)
    and ``count.txt``, the JSON object ``{"user": U, "item": I}``: user ids run from 1
    to U and item ids from 1 to I. The files are read in that order, each in file order.

    **The files have no timestamps**: every event gets ``timestamp`` 0, and the period
    its file belongs to goes into an extra column ``period`` (``"train"`` for the three
    training files, ``"valid"``, ``"test"``): :func:`gnnrec_utils.split.period_split`
    turns it into the series' split. Held-out purchases are ``buy`` events. There are
    no attributes: ``users`` and ``items`` hold the ids only, and every item has the one
    category ``"unknown"`` (``category_id`` 0). Ids are remapped to ``0..n-1`` over the
    users and items that have an event (ascending original ids, kept in
    ``Dataset.user_ids`` / ``item_ids``); the report says how many of ``count.txt``'s do.
    Rows repeated within one file and period are dropped and counted, as other loaders do.

    Args:
        path: the folder, or any file in it.
        verbose: print the report.

    Returns:
        A :class:`~gnnrec_utils.data.Dataset` whose events have the extra column ``period``.

    Raises:
        MissingFileError: ``count.txt`` or one of the five files is not there.
        DataFormatError: naming the file, the line and what was expected: a line without
            two space-separated fields, an id that is not an integer or lies outside
            ``1..count``, an empty file, a ``count.txt`` that is not the object above.
    """
    folder = find_file(path, ("count.txt",), "Tmall's count.txt").parent
    num_users, num_items = _tmall_counts(folder)
    fmt = _tmall_format(num_users, num_items)
    collector = _Collector(f"Tmall ({folder.name})", _Options(verbose=False))
    for name, behavior, period in TMALL_FILES:
        for line, frame in read_blocks(folder / name, fmt):
            _add_tmall(collector, folder / name, line, frame, behavior, period)
    data = _tmall_periods(collector.finish(), num_users, num_items)
    if verbose:
        print(data.report.to_string(index=False))
    return data


def _add_tmall(
    collector: _Collector, file: Path, line: int, frame: pd.DataFrame, behavior: str, period: str
) -> None:
    """Add a block of one file. While collecting, the period's index stands in the
    timestamp column, so that the same pair in two periods is not a duplicate."""
    n = len(frame)
    collector.add(
        file,
        line,
        frame.user_id.to_numpy(),
        frame.item_id.to_numpy(),
        np.full(n, UNKNOWN, dtype=object),
        np.full(n, BEHAVIORS.index(behavior), dtype=np.int8),
        np.full(n, PERIODS.index(period), dtype=np.int64),
    )


def _tmall_periods(data: Dataset, num_users: int, num_items: int) -> Dataset:
    """The period's index moved from ``timestamp`` to ``period``; timestamps 0; reported."""
    events = data.events
    period = pd.Categorical.from_codes(events.timestamp.to_numpy(), PERIODS)
    events = events.assign(timestamp=np.zeros(len(events), dtype=np.int64), period=period)
    rows = [
        (
            "count.txt",
            None,
            f"{data.num_users:,} of its {num_users:,} users and {data.num_items:,} of its "
            f"{num_items:,} items have an event",
        ),
        ("periods", len(events), "no timestamps in the files: timestamp 0, period from the file"),
    ]
    extra = pd.DataFrame(rows, columns=list(REPORT_COLUMNS)).astype({"rows": "Int64"})
    report = pd.concat([data.report, extra], ignore_index=True)
    return replace(data, events=events, report=report)


# ---------------------------------------------------------------- LightGCN's format

#: LightGCN's files and the period each holds.
LIGHTGCN_FILES = (("train.txt", "train"), ("test.txt", "test"))
_LIGHTGCN_LINE = (
    "space-separated non-negative integer ids: a user id, then that user's item ids (possibly none)"
)


def load_lightgcn_format(path: PathLike, *, verbose: bool = True) -> Dataset:
    """Data in LightGCN's format (He et al., SIGIR 2020): ``train.txt`` and ``test.txt``,
    one line per user, ``user item item ...``, ids from 0 (Gowalla, Yelp2018,
    Amazon-Book as the LightGCN and GF-CF papers use them).

    Built as :func:`load_tmall` builds its result: no timestamps, so every event gets
    ``timestamp`` 0 and the file it came from goes into the column ``period``
    (``"train"`` or ``"test"``; there is no validation file, so
    :func:`gnnrec_utils.split.period_split` gives an empty ``valid``). Every pair is a
    ``buy`` event, so ``ShopSplit.targets("test")`` is the test pairs. The files' ids
    are kept as the kit's ids: ``num_users`` and ``num_items`` are one more than the
    largest user and item id of either file, so a user whose line holds only its id
    still gets a row, and an item seen only in ``test.txt`` is a cold item. Every item
    has the one category ``"unknown"``. An item repeated on one line is kept once; the
    report counts such repeats.

    Args:
        path: the folder, or either file in it.
        verbose: print the report.

    Returns:
        A :class:`~gnnrec_utils.data.Dataset` whose events have the extra column ``period``.

    Raises:
        MissingFileError: ``train.txt`` or ``test.txt`` is not there.
        DataFormatError: naming the file, the line and what was expected: a token that is
            not a non-negative integer (``-3``, ``1.5``, ``a``), a user on two lines of
            one file, an empty file, or a test pair that is also a training pair (it
            could never be recommended: the protocol excludes training items from the
            ranking, so such a file is not in the format).
    """
    folder = find_file(path, [name for name, _ in LIGHTGCN_FILES], "LightGCN's train.txt")
    folder = folder.parent
    read = {}
    for name, period in LIGHTGCN_FILES:
        check_file(folder / name, f"LightGCN's {period} pairs ({_LIGHTGCN_LINE})")
        read[period] = _lightgcn_file(folder / name)
    _check_test_not_in_train(folder / "test.txt", read["train"], read["test"])
    data = _lightgcn_dataset(folder, read)
    if verbose:
        print(data.report.to_string(index=False))
    return data


def _lightgcn_file(file: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """(users, items, line of each pair, largest user id or -1, items repeated on a line)."""
    users, items, lines, first_line_of = [], [], [], {}
    top_user, repeats = -1, 0
    with open(file, encoding="utf-8", errors="replace") as f:
        for number, text in enumerate(f, start=1):
            tokens = text.split()
            if not tokens:
                continue
            ids = _lightgcn_ids(file, number, tokens)
            user, line_items = ids[0], np.unique(ids[1:])
            if user in first_line_of:
                found = f"user {user} again (first on line {first_line_of[user]})"
                raise DataFormatError(file, number, "each user on one line only", found)
            first_line_of[user], top_user = number, max(top_user, user)
            repeats += len(ids) - 1 - len(line_items)
            users.append(np.full(len(line_items), user, dtype=np.int64))
            items.append(line_items)
            lines.append(np.full(len(line_items), number, dtype=np.int64))
    if not first_line_of:
        raise DataFormatError(file, None, f"one line per user, {_LIGHTGCN_LINE}", "an empty file")
    return np.concatenate(users), np.concatenate(items), np.concatenate(lines), top_user, repeats


def _lightgcn_ids(file: Path, number: int, tokens: list[str]) -> np.ndarray:
    """The ids of one line; raises on the first token that is not a non-negative integer."""
    for token in tokens:
        if not token.isascii() or not token.isdigit():
            what = "a negative id" if token.lstrip("-").isdigit() else "not an integer"
            raise DataFormatError(file, number, _LIGHTGCN_LINE, f"{token!r} ({what})")
    return np.array([int(t) for t in tokens], dtype=np.int64)


def _check_test_not_in_train(file: Path, train, test) -> None:
    """Raise at the first line of ``test.txt`` holding a pair of ``train.txt``."""
    width = int(max(train[1].max(initial=0), test[1].max(initial=0))) + 1
    both = np.isin(test[0] * width + test[1], train[0] * width + train[1])
    if both.any():
        row = int(np.flatnonzero(both)[0])
        raise DataFormatError(
            file,
            int(test[2][row]),
            "only items the user has no train.txt pair with (training items are excluded "
            "from the ranking, so a pair in both files could never be recommended)",
            f"user {test[0][row]} item {test[1][row]}, also in train.txt",
        )


def _lightgcn_dataset(folder: Path, read: dict) -> Dataset:
    """The events, tables and report of the two files."""
    num_users = max(r[3] for r in read.values()) + 1
    num_items = int(max(r[1].max(initial=-1) for r in read.values())) + 1
    user = np.concatenate([read[p][0] for p in ("train", "test")]).astype(np.int32)
    item = np.concatenate([read[p][1] for p in ("train", "test")]).astype(np.int32)
    sizes = [len(read[p][0]) for p in ("train", "test")]
    events = pd.DataFrame(
        {
            "user_id": user,
            "item_id": item,
            "category_id": np.zeros(len(user), dtype=np.int32),
            "behavior": pd.Categorical.from_codes(
                np.full(len(user), BEHAVIORS.index("buy"), dtype=np.int8), BEHAVIORS
            ),
            "timestamp": np.zeros(len(user), dtype=np.int64),
            "period": pd.Categorical.from_codes(np.repeat([0, 2], sizes), PERIODS),
        }
    )
    users = pd.DataFrame({"user_id": np.arange(num_users), "orig_user_id": np.arange(num_users)})
    items = pd.DataFrame(
        {
            "item_id": np.arange(num_items),
            "orig_item_id": np.arange(num_items),
            "category_id": np.zeros(num_items, dtype=np.int32),
        }
    )
    report = _lightgcn_report(read, num_users, num_items, len(events))
    return Dataset(
        users,
        items,
        events,
        name=f"LightGCN format ({folder.name})",
        user_ids=pd.Index(np.arange(num_users)),
        item_ids=pd.Index(np.arange(num_items)),
        categories=pd.Index([UNKNOWN]),
        report=report,
    )


def _lightgcn_report(read: dict, num_users: int, num_items: int, num_events: int) -> pd.DataFrame:
    """One row per file read, then the tables' sizes."""
    rows = [
        (f"read {name}", len(read[p][0]), f"{read[p][4]:,} items repeated on a line dropped")
        for name, p in LIGHTGCN_FILES
    ]
    trained_items = len(np.unique(read["train"][1]))
    detail = (
        f"{num_users:,} users, {num_items:,} items (largest ids + 1), "
        f"{trained_items:,} items in train.txt; no pair in both files"
    )
    rows.append(("tables", num_events, detail))
    return pd.DataFrame(rows, columns=list(REPORT_COLUMNS)).astype({"rows": "Int64"})
