"""LightGCN's ``train.txt`` / ``test.txt`` format (Gowalla, Yelp2018, Amazon-Book),
with an optional ``valid.txt``.

One line per user, ``user item item ...``; no timestamps: as for Tmall, the file each
pair came from goes into a ``period`` column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import BEHAVIORS, PERIODS, REPORT_COLUMNS
from gnnrec_utils.data.tables import Dataset
from gnnrec_utils.datasets.common import UNKNOWN
from gnnrec_utils.io.errors import DataFormatError, PathLike
from gnnrec_utils.io.files import check_file, find_file

__all__ = ["LIGHTGCN_FILES", "load_lightgcn_format"]

#: LightGCN's files and the period each holds; ``valid.txt`` is read when present.
LIGHTGCN_FILES = (("train.txt", "train"), ("valid.txt", "valid"), ("test.txt", "test"))
_OPTIONAL = ("valid.txt",)
_LIGHTGCN_LINE = (
    "space-separated non-negative integer ids: a user id, then that user's item ids (possibly none)"
)


def load_lightgcn_format(path: PathLike, *, verbose: bool = True) -> Dataset:
    """Data in LightGCN's format (He et al., SIGIR 2020): ``train.txt``, ``test.txt`` and,
    when the folder has one, ``valid.txt``, one line per user, ``user item item ...``,
    ids from 0 (Gowalla, Yelp2018, Amazon-Book as the LightGCN and GF-CF papers use them).

    Built as :func:`load_tmall` builds its result: no timestamps, so every event gets
    ``timestamp`` 0 and the file it came from goes into the column ``period``
    (``"train"``, ``"valid"`` or ``"test"``). With a ``valid.txt``,
    :func:`gnnrec_utils.data.split.period_split` gives the protocol of a published split
    whose training pairs were cut in two: choose settings with ``history("valid")``
    (train) against ``targets("valid")``, then refit on ``history("test")`` (train +
    valid) and score ``targets("test")`` once. Without one, ``valid`` is empty and
    train is the whole training side. Every pair is a
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
        if name in _OPTIONAL and not (folder / name).exists():
            continue
        check_file(folder / name, f"LightGCN's {period} pairs ({_LIGHTGCN_LINE})")
        read[period] = _lightgcn_file(folder / name)
    if "valid" in read:
        _check_disjoint(
            folder / "valid.txt", "valid.txt", read["train"], read["valid"], "train.txt"
        )
        _check_disjoint(folder / "test.txt", "test.txt", read["valid"], read["test"], "valid.txt")
    _check_disjoint(folder / "test.txt", "test.txt", read["train"], read["test"], "train.txt")
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


def _check_disjoint(file: Path, name: str, earlier, later, earlier_name: str) -> None:
    """Raise at the first line of ``file`` holding a pair of ``earlier_name``: held-out
    pairs are ranked against every item the user's earlier files do not hold."""
    width = int(max(earlier[1].max(initial=0), later[1].max(initial=0))) + 1
    both = np.isin(later[0] * width + later[1], earlier[0] * width + earlier[1])
    if both.any():
        row = int(np.flatnonzero(both)[0])
        raise DataFormatError(
            file,
            int(later[2][row]),
            f"only items the user has no {earlier_name} pair with (known items are excluded "
            "from the ranking, so a pair in both files could never be recommended)",
            f"user {later[0][row]} item {later[1][row]}, also in {earlier_name}",
        )


def _lightgcn_dataset(folder: Path, read: dict) -> Dataset:
    """The events, tables and report of the two files."""
    num_users = max(r[3] for r in read.values()) + 1
    num_items = int(max(r[1].max(initial=-1) for r in read.values())) + 1
    periods = [p for p in PERIODS if p in read]
    user = np.concatenate([read[p][0] for p in periods]).astype(np.int32)
    item = np.concatenate([read[p][1] for p in periods]).astype(np.int32)
    sizes = [len(read[p][0]) for p in periods]
    codes = [PERIODS.index(p) for p in periods]
    events = pd.DataFrame(
        {
            "user_id": user,
            "item_id": item,
            "category_id": np.zeros(len(user), dtype=np.int32),
            "behavior": pd.Categorical.from_codes(
                np.full(len(user), BEHAVIORS.index("buy"), dtype=np.int8), BEHAVIORS
            ),
            "timestamp": np.zeros(len(user), dtype=np.int64),
            "period": pd.Categorical.from_codes(np.repeat(codes, sizes), PERIODS),
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
        if p in read
    ]
    trained_items = len(np.unique(read["train"][1]))
    valid = "" if "valid" in read else "; no valid.txt"
    detail = (
        f"{num_users:,} users, {num_items:,} items (largest ids + 1), "
        f"{trained_items:,} items in train.txt; no pair in two files{valid}"
    )
    rows.append(("tables", num_events, detail))
    return pd.DataFrame(rows, columns=list(REPORT_COLUMNS)).astype({"rows": "Int64"})
