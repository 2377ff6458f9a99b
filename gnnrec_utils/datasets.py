"""Public datasets in their official formats, loaded into the kit's tables.

Four loaders, one result type:

* :func:`load_movielens` — MovieLens 100K, 1M, latest(-small), 20M, 25M, 32M;
* :func:`load_taobao_userbehavior` — Taobao's ``UserBehavior.csv`` (Tianchi 649);
* :func:`load_amazon_reviews` — Amazon Reviews 2014 / 2018 (JSON lines or the
  ratings-only CSVs) and 2023 (JSON lines);
* :func:`load_retailrocket` — RetailRocket's ``events.csv`` and item properties.

Each returns a :class:`Dataset`: ``events`` in the UserBehavior schema
(``user_id, item_id, category_id, behavior, timestamp``, ids ``0..n-1`` in ascending
order of the original ids, timestamps in Unix **seconds**), ``users`` and ``items``
tables (one row per id, the original id beside it, attributes where the format has
them) and a ``report`` of every step with the rows it kept. ``Dataset.to_shop()``
gives the :class:`~gnnrec_utils.data.Shop` that ``temporal_split`` takes.

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

**Options shared by all loaders**, applied in this order, each reported with the rows
it keeps: ``window=(start, end)`` keeps events with ``start <= timestamp < end``
(Unix seconds, or anything ``pandas.Timestamp`` reads, taken as UTC);
``sample_users=f`` keeps a fraction ``f`` of the users, chosen by a seeded hash of the
original id (the same ``seed`` keeps the same users, whatever the file's order, and
the sample is taken while reading, so a laptop can load 1 % of a 100-million-row log);
duplicates; ``k_core=k`` then drops users and items with fewer than ``k`` events,
repeatedly, until every remaining one has at least ``k``.

Files are read in blocks (see :mod:`gnnrec_utils.readers`), so memory grows with the
rows kept, not with the file: the arrays held are 4-byte ids, a 1-byte behaviour code
and an 8-byte timestamp per kept event.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from gnnrec_utils.data import BEHAVIORS, DataFormatError, PathLike, Shop
from gnnrec_utils.readers import (BLOCK_BYTES, FileFormat, check_file, read_blocks,
                                  read_json_blocks)

MS_THRESHOLD = 10**11
UNKNOWN = "unknown"
_DIGITS = b"0123456789,\r\n"


def rating_behavior(ratings: np.ndarray) -> np.ndarray:
    """The default rule: a rating of 4 or more is a ``buy``, anything lower a ``pv``."""
    return np.where(np.asarray(ratings) >= 4, "buy", "pv")


@dataclass
class Dataset:
    """A public dataset in the kit's tables.

    Attributes:
        name: which dataset and release.
        events: ``user_id, item_id, category_id`` (int32), ``behavior`` (categorical
            over ``pv, fav, cart, buy``), ``timestamp`` (int64, Unix seconds), plus
            ``rating`` (float32) for rated data; in file order.
        users: ``user_id, orig_user_id`` and attributes, row ``u`` for user ``u``.
        items: ``item_id, orig_item_id, category_id`` and attributes, row ``i`` for item ``i``.
        user_ids, item_ids: the original ids, position = new id
            (``user_ids.get_indexer([orig])`` maps original to new).
        categories: the original category labels, position = ``category_id``.
        report: one row per step: ``step, rows`` kept, ``detail``.
    """

    name: str
    events: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame
    user_ids: pd.Index
    item_ids: pd.Index
    categories: pd.Index
    report: pd.DataFrame = field(repr=False)

    @property
    def num_users(self) -> int:
        return len(self.users)

    @property
    def num_items(self) -> int:
        return len(self.items)

    def to_shop(self) -> Shop:
        """The kit's :class:`Shop`: int64 ids and string behaviours, as ``load_shop`` gives."""
        events = self.events.astype({"user_id": "int64", "item_id": "int64",
                                     "category_id": "int64", "behavior": str})
        return Shop(users=self.users, items=self.items, events=events)

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}: {len(self.events):,} events, {self.num_users:,} users, "
                f"{self.num_items:,} items, {len(self.categories):,} categories)")


# ---------------------------------------------------------------- options


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
            raise ValueError(f"duplicates must be 'drop', 'keep' or 'error', got {self.duplicates!r}")
        if self.sample_users is not None and not 0 < self.sample_users <= 1:
            raise ValueError(f"sample_users must be a fraction in (0, 1], got {self.sample_users!r}")
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
        self.columns: dict[str, list[np.ndarray]] = {k: [] for k in
                                                     ("user", "item", "cat", "behavior", "timestamp", "rating")}
        self.steps: list[tuple[str, int, str]] = []
        self.read = self.other_unit = self.in_window = self.sampled = 0
        self.other_unit_line: tuple[Path, int] | None = None

    def note(self, step: str, rows: int | None, detail: str = "") -> None:
        """A line of the report: a step, the rows it kept (``None``: not a filter), what it did."""
        self.steps.append((step, rows, detail))

    def add(self, path: Path, first_line: int, user, item, category, behavior: np.ndarray,
            timestamp: np.ndarray, rating: np.ndarray | None = None) -> None:
        """One block: original ids, behaviour codes (int8), raw timestamps in the file's unit."""
        self.read += len(timestamp)
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
            want, got = ("seconds", "milliseconds") if self.unit == "s" else ("milliseconds", "seconds")
            self.note(f"timestamps in {got}", None,
                      f"{self.other_unit:,} timestamps looked like {got} where the format uses "
                      f"{want} (first: {path.name}, line {line}); converted to seconds")
        if self.options.window is not None:
            start, end = self.options.window
            self.note("window", self.in_window,
                      f"{pd.Timestamp(start, unit='s')} <= time < {pd.Timestamp(end, unit='s')} (UTC)")
        if self.options.sample_users is not None:
            self.note("sample users", kept,
                      f"a fraction {self.options.sample_users} of users, hash seed {self.options.seed}")

    def _duplicates(self, cols: dict[str, np.ndarray], user_ids, item_ids) -> None:
        """Find rows equal in every column; drop, keep or refuse them as asked (in place)."""
        again = _repeated_rows(cols)
        count = int(again.sum())
        if count and self.options.duplicates == "error":
            row = int(np.flatnonzero(again)[0])
            raise DataFormatError(self.name, None, "each event once (or duplicates='drop')",
                                  f"{count:,} repeated rows, e.g. user {user_ids[cols['user'][row]]} "
                                  f"item {item_ids[cols['item'][row]]} {BEHAVIORS[cols['behavior'][row]]} "
                                  f"at {cols['timestamp'][row]}")
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
        self.note(f"{k}-core", len(cols["timestamp"]), f"users and items with >= {k} events ({rounds} rounds)")

    def _tables(self, cols, user_ids, item_ids, categories, user_table, item_table) -> Dataset:
        """Remap to the ids still present and build the events, users and items tables."""
        user, used_u = _compact(cols.pop("user"))
        item, used_i = _compact(cols.pop("item"))
        cat, used_c = _compact(cols.pop("cat"))
        events = pd.DataFrame({"user_id": user, "item_id": item, "category_id": cat,
                               "behavior": pd.Categorical.from_codes(cols.pop("behavior"), BEHAVIORS),
                               "timestamp": cols.pop("timestamp"), **cols}, copy=False)
        user_ids, item_ids, categories = user_ids[used_u], item_ids[used_i], categories[used_c]
        users = pd.DataFrame({"user_id": np.arange(len(user_ids)), "orig_user_id": user_ids})
        if user_table is not None:
            users = users.merge(user_table, on="orig_user_id", how="left")
        first = np.full(len(item_ids), -1, dtype=np.int32)
        first[item[::-1]] = cat[::-1]  # the category of each item's first event
        items = pd.DataFrame({"item_id": np.arange(len(item_ids)), "orig_item_id": item_ids,
                              "category_id": first})
        if item_table is not None:
            items = items.merge(item_table, on="orig_item_id", how="left")
        disagree = int((first[item] != cat).sum())
        self.note("tables", len(events), f"{len(user_ids):,} users, {len(item_ids):,} items, "
                  f"{len(categories):,} categories; {disagree:,} events whose category differs from "
                  "their item's first")
        report = pd.DataFrame(self.steps, columns=["step", "rows", "detail"]).astype({"rows": "Int64"})
        if self.options.verbose:
            print(report.to_string(index=False))
        return Dataset(self.name, events, users, items, user_ids, item_ids, categories, report)


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
                part = values[start:start + piece]
                part = part.view(np.uint32) if part.dtype == np.float32 else part
                h = (h ^ part.astype(np.uint64)) * _MIX
                h ^= h >> np.uint64(29)
            out[start:start + piece] = h
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
    candidates = np.flatnonzero(pd.Series(hashes, copy=False).isin(twice).to_numpy()) if len(twice) \
        else np.zeros(0, dtype=np.int64)
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


def _behavior_codes(labels) -> np.ndarray:
    """int8 codes of behaviour labels in :data:`BEHAVIORS`."""
    return pd.Index(BEHAVIORS).get_indexer(np.asarray(labels, dtype=object)).astype(np.int8)


def _rated_behaviors(behavior_of: Callable, ratings: np.ndarray) -> np.ndarray:
    """Behaviour codes from ``behavior_of(ratings)``; a clear error if it returns something else."""
    labels = np.asarray(behavior_of(ratings))
    if labels.shape != ratings.shape:
        raise ValueError(f"behavior_of must return one behaviour per rating ({ratings.shape}), "
                         f"returned shape {labels.shape}")
    codes = _behavior_codes(labels)
    if (codes < 0).any():
        bad = labels[np.flatnonzero(codes < 0)[0]]
        raise ValueError(f"behavior_of returned {str(bad)!r}; expected one of {', '.join(BEHAVIORS)}")
    return codes


def _first_bad(path: Path, first_line: int, bad: np.ndarray, expected: str, values) -> None:
    """Raise for the first ``True`` in ``bad`` (row ``r`` of a block is line ``first_line + r``)."""
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = np.asarray(values)[row]
        raise DataFormatError(path, first_line + row, expected, repr(value))


def _find(path: PathLike, names: Iterable[str], what: str) -> Path:
    """``path`` if it is a file, else the first of ``names`` in the folder ``path``."""
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        for name in names:
            if (path / name).is_file():
                return path / name
        raise FileNotFoundError(f"{path.name}: expected {what} in the folder {path} "
                                f"(one of {', '.join(names)}), found none")
    raise FileNotFoundError(f"{path.name}: expected {what} at {path} (a file or its folder), "
                            "but nothing is there")


# ---------------------------------------------------------------- Taobao UserBehavior

TAOBAO_FORMAT = FileFormat("UserBehavior events, one per line",
                           ("user_id", "item_id", "category_id", "behavior", "timestamp"),
                           ("id", "id", "id", BEHAVIORS, "time"),
                           fast_bytes=_DIGITS + b"pvfacrtbuy")
#: The official window, 2017-11-25 to 2017-12-03 inclusive, China time (UTC+8).
TAOBAO_WINDOW = (1511539200, 1512316800)


def load_taobao_userbehavior(path: PathLike, *, window: tuple | None = None,
                             sample_users: float | None = None, seed: int = 0,
                             duplicates: str = "drop", k_core: int | None = None,
                             verbose: bool = True, block_bytes: int = BLOCK_BYTES,
                             download: bool = False, root: PathLike | None = None) -> Dataset:
    """Taobao's UserBehavior log: ``user_id,item_id,category_id,behavior_type,timestamp``.

    ``path`` is ``UserBehavior.csv`` (or ``.csv.gz``) or its folder. No header;
    behaviours ``pv, buy, cart, fav``; Unix seconds. The published log has a few
    rows outside the official 9 days: pass ``window=TAOBAO_WINDOW`` to drop them.
    The full log (100 million rows, 3.4 GiB) loads in blocks: see
    ``benchmarks/big_file.py`` for time and memory. The dataset needs a Tianchi
    login, so ``download=True`` only says where to get it.
    """
    if download:
        from gnnrec_utils.download import fetch
        path = fetch("taobao-userbehavior", root=root)
    options = _Options(window, sample_users, seed, duplicates, k_core, verbose, block_bytes)
    file = _find(path, ("UserBehavior.csv", "UserBehavior.csv.gz"), "the UserBehavior log")
    collector = _Collector(f"Taobao UserBehavior ({file.name})", options)
    for line, frame in read_blocks(file, TAOBAO_FORMAT, block_bytes):
        collector.add(file, line, frame.user_id.to_numpy(), frame.item_id.to_numpy(),
                      frame.category_id.to_numpy(), frame.behavior.cat.codes.to_numpy(),
                      frame.timestamp.to_numpy())
    return collector.finish()


# ---------------------------------------------------------------- MovieLens

ML_RATINGS_DAT = FileFormat("ratings, one per line", ("user_id", "item_id", "rating", "timestamp"),
                            ("id", "id", "number", "time"), sep="::", encoding="latin-1",
                            fast_bytes=b"0123456789:\r\n")
ML_MOVIES_DAT = FileFormat("movies, one per line", ("item_id", "title", "genres"),
                           ("id", "any", "any"), sep="::", encoding="latin-1")
ML_USERS_DAT = FileFormat("users, one per line", ("user_id", "gender", "age", "occupation", "zip"),
                          ("id", ("M", "F"), "id", "id", "any"), sep="::", encoding="latin-1")
ML_RATINGS_CSV = FileFormat("ratings, one per line", ("user_id", "item_id", "rating", "timestamp"),
                            ("id", "id", "number", "time"),
                            header=("userId", "movieId", "rating", "timestamp"),
                            fast_bytes=_DIGITS + b".")
ML_MOVIES_CSV = FileFormat("movies, one per line", ("item_id", "title", "genres"),
                           ("id", "any", "any"), header=("movieId", "title", "genres"), quoted=True)
_ML_FILES = ("u.data", "ratings.dat", "ratings.csv")


def load_movielens(path: PathLike, *, behavior_of: Callable = rating_behavior,
                   window: tuple | None = None, sample_users: float | None = None, seed: int = 0,
                   duplicates: str = "drop", k_core: int | None = None, verbose: bool = True,
                   block_bytes: int = BLOCK_BYTES, download: bool = False,
                   release: str = "ml-100k", root: PathLike | None = None) -> Dataset:
    """A MovieLens release from its unzipped folder (or its ratings file).

    The release is told by the ratings file found: ``u.data`` (100K, with ``u.item``
    and ``u.user``), ``ratings.dat`` (1M, ``::``-separated latin-1, with
    ``movies.dat`` and ``users.dat``) or ``ratings.csv`` (latest, latest-small, 20M,
    25M, 32M: header ``userId,movieId,rating,timestamp``, with ``movies.csv``).
    Ratings become behaviours through ``behavior_of`` (default :func:`rating_behavior`:
    >= 4 is ``buy``, else ``pv``); the category is the first listed genre.
    ``download=True`` fetches ``release`` (``"ml-100k"``, ``"ml-1m"``, ``"ml-latest-small"``
    ...) from GroupLens into ``root`` and loads it.
    """
    if download:
        from gnnrec_utils.download import fetch
        path = fetch(release, root=root)
    options = _Options(window, sample_users, seed, duplicates, k_core, verbose, block_bytes)
    file = _find(path, _ML_FILES, "a MovieLens ratings file")
    if file.name == "u.data":
        return _movielens_100k(file, behavior_of, options)
    fmt, movies_name = (ML_RATINGS_DAT, "movies.dat") if file.suffix == ".dat" else (ML_RATINGS_CSV, "movies.csv")
    movies = _ml_movies(file.parent / movies_name)
    collector = _Collector(f"MovieLens ({file.parent.name}/{file.name})", options)
    for line, frame in read_blocks(file, fmt, block_bytes):
        rating = frame.rating.to_numpy()
        _first_bad(file, line, (rating < 0.5) | (rating > 5), "rating as a number from 0.5 to 5", rating)
        item = frame.item_id.to_numpy()
        collector.add(file, line, frame.user_id.to_numpy(), item, _ml_category(movies, item, file),
                      _rated_behaviors(behavior_of, rating), frame.timestamp.to_numpy(), rating)
    users = _ml_users(file.parent / "users.dat") if fmt is ML_RATINGS_DAT else None
    items = None if movies is None else movies.rename(columns={"item_id": "orig_item_id"}).drop(columns="category")
    return collector.finish(user_table=users, item_table=items)


def _first_genre(genres: pd.Series) -> pd.Series:
    return genres.str.split("|", n=1).str[0].replace("", UNKNOWN)


def _ml_movies(path: Path) -> pd.DataFrame | None:
    """``item_id, title, genres, category`` (first genre) from movies.dat / movies.csv."""
    if not path.is_file():
        return None
    fmt = ML_MOVIES_DAT if path.suffix == ".dat" else ML_MOVIES_CSV
    movies = pd.concat([frame for _, frame in read_blocks(path, fmt)], ignore_index=True)
    _check_unique(path, movies.item_id, 1 if fmt.header is None else 2)
    return movies.assign(category=_first_genre(movies.genres))


def _check_unique(path: Path, ids: pd.Series, first_line: int) -> None:
    again = ids.duplicated().to_numpy()
    _first_bad(path, first_line, again, f"each {ids.name} once", ids)


def _ml_category(movies: pd.DataFrame | None, item: np.ndarray, ratings: Path) -> np.ndarray:
    """First genre of each rated item; every rated item must be listed in the movies file."""
    if movies is None:
        return np.full(len(item), UNKNOWN, dtype=object)
    position = pd.Index(movies.item_id).get_indexer(item)
    if (position < 0).any():
        missing = int(item[np.flatnonzero(position < 0)[0]])
        name = "movies.dat" if ratings.suffix == ".dat" else "movies.csv"
        raise DataFormatError(ratings.parent / name, None, f"a line for every movie rated in {ratings.name}",
                              f"no line for movie {missing}")
    return movies.category.to_numpy()[position]


def _ml_users(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    users = pd.concat([frame for _, frame in read_blocks(path, ML_USERS_DAT)], ignore_index=True)
    _check_unique(path, users.user_id, 1)
    return users.rename(columns={"user_id": "orig_user_id"}).astype({"gender": str})


def _movielens_100k(file: Path, behavior_of: Callable, options: _Options) -> Dataset:
    """MovieLens-100K through the kit's validated reader of ``u.data`` / ``u.item`` / ``u.user``."""
    from gnnrec_utils.movielens import GENRES, load_movielens100k
    ratings, items, users = load_movielens100k(file.parent)
    if items is None:
        category = np.full(len(ratings), UNKNOWN, dtype=object)
    else:
        flags = items[list(GENRES)].to_numpy()
        first = np.where(flags.any(1), np.array(GENRES)[flags.argmax(1)], UNKNOWN)
        category = first[ratings.item_id.to_numpy()]
        items = items.drop(columns="item_id")
    rating = ratings.rating.to_numpy().astype(np.float64)
    collector = _Collector(f"MovieLens-100K ({file.parent.name}/u.data)", options)
    collector.add(file, 1, ratings.orig_user_id.to_numpy(), ratings.orig_item_id.to_numpy(),
                  category, _rated_behaviors(behavior_of, rating), ratings.timestamp.to_numpy(), rating)
    users = None if users is None else users.drop(columns="user_id")
    return collector.finish(user_table=users, item_table=items)


# ---------------------------------------------------------------- Amazon Reviews

AMAZON_JSON_FIELDS = {"user": ("user_id", "reviewerID"), "item": ("parent_asin", "asin"),
                      "rating": ("rating", "overall"), "timestamp": ("timestamp", "unixReviewTime")}
_ASIN = re.compile(r"B0[0-9A-Z]{8}|[0-9]{9}[0-9X]")
AMAZON_CSV_ORDER = {"2014": ("user", "item", "rating", "timestamp"),
                    "2018": ("item", "user", "rating", "timestamp")}


def _amazon_csv_format(order: tuple[str, ...]) -> FileFormat:
    return FileFormat("ratings, one per line", order, ("text", "text", "number", "time"))


def load_amazon_reviews(path: PathLike, *, release: str | None = None,
                        behavior_of: Callable = rating_behavior, window: tuple | None = None,
                        sample_users: float | None = None, seed: int = 0, duplicates: str = "drop",
                        k_core: int | None = None, verbose: bool = True,
                        block_bytes: int = BLOCK_BYTES, download: bool = False,
                        category: str | None = None, root: PathLike | None = None) -> Dataset:
    """Amazon Reviews: JSON lines (plain or ``.gz``) or the headerless ratings-only CSV.

    * JSON lines, 2014 / 2018: ``reviewerID, asin, overall, unixReviewTime`` (seconds);
      2023: ``user_id, parent_asin, rating, timestamp`` (milliseconds). The keys tell
      the release apart; other keys (the review text) are ignored.
    * CSV: ``user,item,rating,timestamp`` (2014) or ``item,user,rating,timestamp``
      (2018). Pass ``release="2014"`` or ``"2018"``; without it the loader looks at the
      first block and takes as the item column the one whose values look like ASINs
      (ten characters, ``B0`` + 8, or an ISBN-10), and the report says which it assumed.

    Reviews carry no category: every item gets ``"unknown"``. ``download=True``
    fetches the ratings-only CSV of ``category`` (e.g. ``"Digital_Music"``) for
    ``release`` 2014 or 2018, or the 2023 JSON lines.
    """
    if release is not None and release not in ("2014", "2018", "2023"):
        raise ValueError(f"release must be '2014', '2018' or '2023', got {release!r}")
    if download:
        from gnnrec_utils.download import amazon_fetch
        path = amazon_fetch(release or "2018", category, root=root)
    options = _Options(window, sample_users, seed, duplicates, k_core, verbose, block_bytes)
    file = Path(path)
    check_file(file)
    suffixes = [s for s in file.suffixes if s != ".gz"]
    if suffixes and suffixes[-1] in (".json", ".jsonl"):
        return _amazon_json(file, release, behavior_of, options)
    return _amazon_csv(file, release, behavior_of, options)


def _amazon_json(file: Path, release, behavior_of, options) -> Dataset:
    collector = None
    for line, frame in read_json_blocks(file, AMAZON_JSON_FIELDS, options.block_bytes):
        if collector is None:
            unit = "ms" if release == "2023" or (release is None and _json_is_2023(file)) else "s"
            collector = _Collector(f"Amazon Reviews {'2023' if unit == 'ms' else '2014/2018'} "
                                   f"({file.name})", options, unit=unit)
        _add_amazon(collector, file, line, frame, behavior_of)
    return collector.finish()


def _json_is_2023(file: Path) -> bool:
    """True if the first line names its rating ``rating`` (2023) rather than ``overall``."""
    import gzip
    import json
    with (gzip.open(file, "rb") if file.suffix == ".gz" else open(file, "rb")) as f:
        return "rating" in json.loads(f.readline())


def _add_amazon(collector: _Collector, file: Path, line: int, frame: pd.DataFrame, behavior_of) -> None:
    """Check the four columns of a block and add it."""
    for name in ("user", "item"):
        values = frame[name].to_numpy(dtype=object)
        bad = np.array([not isinstance(v, str) or v == "" for v in values], dtype=bool)
        _first_bad(file, line, bad, f"{name} as a non-empty text id", values)
    rating = pd.to_numeric(frame.rating, errors="coerce").to_numpy(dtype=np.float64)
    _first_bad(file, line, ~((rating >= 0) & (rating <= 5)), "rating as a number from 0 to 5",
               frame.rating)
    ts = frame.timestamp.to_numpy(dtype=object)
    bad = np.array([not (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
                    and not (isinstance(v, str) and v.isdigit()) for v in ts], dtype=bool)
    _first_bad(file, line, bad, "timestamp as a Unix time (non-negative integer)", ts)
    collector.add(file, line, frame.user.to_numpy(dtype=object), frame.item.to_numpy(dtype=object),
                  np.full(len(frame), UNKNOWN, dtype=object), _rated_behaviors(behavior_of, rating),
                  ts.astype(np.int64), rating)


def _guess_amazon_order(file: Path, frame: pd.DataFrame) -> tuple[str, str]:
    """``(release, reason)`` from how many values of each of the first two columns look like ASINs."""
    share = [frame[c].astype(str).str.fullmatch(_ASIN).mean() for c in frame.columns[:2]]
    if max(share) < 0.5 or min(share) > 0.5:
        raise DataFormatError(file, None, "ASINs (B0 + 8 characters, or ISBN-10) in one of the first "
                              "two columns, to tell the 2014 order from the 2018 one",
                              f"{share[0]:.0%} and {share[1]:.0%} of them look like ASINs: "
                              "pass release='2014' or '2018'")
    release = "2014" if share[1] > share[0] else "2018"
    return release, (f"assumed the {release} column order ({','.join(AMAZON_CSV_ORDER[release])}): "
                     f"{max(share):.0%} of column {2 if release == '2014' else 1} look like ASINs")


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

RR_EVENTS = FileFormat("events, one per line",
                       ("timestamp", "visitorid", "event", "itemid", "transactionid"),
                       ("time", "id", ("view", "addtocart", "transaction"), "id", "any"),
                       header=("timestamp", "visitorid", "event", "itemid", "transactionid"),
                       fast_bytes=_DIGITS + b"viewaddtocarttransaction")
RR_PROPERTIES = FileFormat("item properties, one per line", ("timestamp", "itemid", "property", "value"),
                           ("time", "id", "text", "any"),
                           header=("timestamp", "itemid", "property", "value"))
#: RetailRocket's events as the kit's behaviours.
RR_BEHAVIORS = {"view": "pv", "addtocart": "cart", "transaction": "buy"}


def load_retailrocket(path: PathLike, *, window: tuple | None = None,
                      sample_users: float | None = None, seed: int = 0, duplicates: str = "drop",
                      k_core: int | None = None, verbose: bool = True,
                      block_bytes: int = BLOCK_BYTES, download: bool = False,
                      root: PathLike | None = None) -> Dataset:
    """RetailRocket: ``events.csv`` (``timestamp,visitorid,event,itemid,transactionid``,
    milliseconds) and, when in the same folder, ``item_properties_part*.csv``.

    ``view`` / ``addtocart`` / ``transaction`` become ``pv`` / ``cart`` / ``buy``. An
    item's category is its latest ``categoryid`` property (items change category over
    time); items without one get the category ``-1`` (unknown), counted in the report.
    The dataset is on Kaggle behind a login, so ``download=True`` only says where.
    """
    if download:
        from gnnrec_utils.download import fetch
        path = fetch("retailrocket", root=root)
    options = _Options(window, sample_users, seed, duplicates, k_core, verbose, block_bytes)
    file = _find(path, ("events.csv", "events.csv.gz"), "RetailRocket's events.csv")
    category = _rr_categories(sorted(file.parent.glob("item_properties_part*.csv*")), block_bytes)
    collector = _Collector(f"RetailRocket ({file.name})", options, unit="ms")
    codes = _behavior_codes(list(RR_BEHAVIORS.values()))
    for line, frame in read_blocks(file, RR_EVENTS, block_bytes):
        item = frame.itemid.to_numpy()
        cat = category.reindex(item, fill_value=-1).to_numpy() if len(category) else np.full(len(item), -1)
        collector.add(file, line, frame.visitorid.to_numpy(), item, cat,
                      codes[frame.event.cat.codes.to_numpy()], frame.timestamp.to_numpy())
    collector.note("categories", None, f"from {len(category):,} items' categoryid properties "
                   f"({'none found' if not len(category) else 'latest value per item'}); others -1")
    return collector.finish()


def _rr_categories(files: list[Path], block_bytes: int) -> pd.Series:
    """Latest ``categoryid`` per item over the property files, as a Series item -> category."""
    found = []
    for file in files:
        for line, frame in read_blocks(file, RR_PROPERTIES, block_bytes):
            rows = frame[frame.property == "categoryid"]
            value = rows.value.to_numpy(dtype=object)
            bad = np.array([not v.isdigit() for v in value], dtype=bool)
            if bad.any():
                row = int(np.flatnonzero(frame.property.to_numpy() == "categoryid")[bad.argmax()])
                raise DataFormatError(file, line + row, "a categoryid value as a non-negative integer",
                                      repr(value[bad.argmax()]))
            found.append(rows.assign(value=value.astype(np.int64))[["timestamp", "itemid", "value"]])
    if not found:
        return pd.Series(dtype=np.int64)
    table = pd.concat(found, ignore_index=True).sort_values(["itemid", "timestamp"], kind="stable")
    return table.drop_duplicates("itemid", keep="last").set_index("itemid")["value"]


# ---------------------------------------------------------------- a synthetic stand-in


def write_movielens_sample(folder: PathLike, num_users: int = 600, num_items: int = 800,
                           num_days: int = 120, seed: int = 0) -> Path:
    """Write an invented, seeded MovieLens-100K-format folder (``u.data``, ``u.item``, ``u.user``).

    **Synthetic**, for running the pipeline where the real files may not be shipped:
    each movie has one or two genres and a popularity drawn from a log-normal; each
    user has a taste over genres (Dirichlet), rates 20 or more movies chosen in
    proportion to popularity times taste, over a stretch of days after a start day
    spread across ``num_days`` days, and gives higher ratings to movies of genres
    they like. Nothing in it comes from MovieLens. Returns ``folder``.
    """
    from gnnrec_utils.movielens import GENRES
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    genres = rng.integers(1, len(GENRES), (num_items, 2))
    genres[:, 1] = np.where(rng.random(num_items) < 0.4, genres[:, 1], genres[:, 0])
    popularity = rng.lognormal(0.0, 1.0, num_items)
    taste = rng.dirichlet(np.full(len(GENRES), 0.3), num_users)
    rows = [_sample_user(rng, u, taste[u], genres, popularity, num_days) for u in range(num_users)]
    data = np.concatenate(rows)
    start = 874_724_710  # 1997-09-20, as MovieLens-100K starts
    lines = [f"{u + 1}\t{i + 1}\t{r}\t{start + t}" for u, i, r, t in data]
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    flags = np.zeros((num_items, len(GENRES)), dtype=int)
    flags[np.arange(num_items)[:, None], genres] = 1
    (folder / "u.item").write_text("".join(
        f"{i + 1}|Invented Movie {i + 1} (1997)|01-Jan-1997||http://example.org/{i + 1}|"
        + "|".join(map(str, flags[i])) + "\n" for i in range(num_items)), encoding="latin-1")
    jobs = ["student", "engineer", "writer", "other", "educator"]
    (folder / "u.user").write_text("".join(
        f"{u + 1}|{rng.integers(15, 70)}|{'MF'[rng.integers(2)]}|{jobs[rng.integers(len(jobs))]}|00000\n"
        for u in range(num_users)))
    return folder


def _sample_user(rng, user: int, taste: np.ndarray, genres: np.ndarray, popularity: np.ndarray,
                 num_days: int) -> np.ndarray:
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
