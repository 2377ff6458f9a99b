"""Tmall's multi-behaviour benchmark: ``user item`` pairs per behaviour and period.

The files carry no timestamps: the period each event belongs to comes in an extra
``period`` column, which :func:`gnnrec_utils.data.split.period_split` turns into a split.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import BEHAVIORS, PERIODS, REPORT_COLUMNS
from gnnrec_utils.data.tables import Dataset
from gnnrec_utils.datasets.collector import Collector
from gnnrec_utils.datasets.common import UNKNOWN, Settings
from gnnrec_utils.io.delimited import FileFormat, read_blocks
from gnnrec_utils.io.errors import DataFormatError, PathLike
from gnnrec_utils.io.files import check_file, find_file
from gnnrec_utils.io.kinds import Integer

__all__ = ["TMALL_FILES", "load_tmall"]

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
    training files, ``"valid"``, ``"test"``): :func:`gnnrec_utils.data.split.period_split`
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
    collector = Collector(f"Tmall ({folder.name})", Settings(verbose=False))
    for name, behavior, period in TMALL_FILES:
        for line, frame in read_blocks(folder / name, fmt):
            _add_tmall(collector, folder / name, line, frame, behavior, period)
    data = _tmall_periods(collector.finish(), num_users, num_items)
    if verbose:
        print(data.report.to_string(index=False))
    return data


def _add_tmall(
    collector: Collector, file: Path, line: int, frame: pd.DataFrame, behavior: str, period: str
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
