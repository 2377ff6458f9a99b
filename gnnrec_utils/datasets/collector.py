"""Events gathered block by block, filtered while reading, finished into a Dataset.

:class:`Collector` is what the loaders feed (all but LightGCN's): it stores a block's original
ids as compact codes, converts timestamps to seconds (:data:`MS_THRESHOLD`), applies
the window and the user sample while reading, and at the end drops or refuses
duplicate rows (found by a 64-bit row hash, then compared exactly), peels the
k-core, remaps the ids to ``0..n-1`` and builds the tables and the report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import BEHAVIORS, REPORT_COLUMNS
from gnnrec_utils.data.tables import Dataset
from gnnrec_utils.datasets.common import Settings
from gnnrec_utils.io.errors import DataFormatError

__all__ = ["MS_THRESHOLD", "Collector"]

MS_THRESHOLD = 10**11


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


class Collector:
    """Events gathered block by block, filtered while reading, finished into a Dataset."""

    def __init__(self, name: str, options: Settings, unit: str = "s"):
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
