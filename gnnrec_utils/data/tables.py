"""The kit's tables: the :class:`Dataset` every loader returns, and the shop's files.

Events follow the schema of Taobao's public UserBehavior log
(``user_id, item_id, category_id, behavior, timestamp``). The shop is three files,
``users.csv``, ``items.csv`` and ``events.csv.gz`` (or ``events.csv``):
:func:`load_shop` reads them, :func:`write_shop` writes them.

The files are read through :mod:`gnnrec_utils.io`, which checks what it reads and
stops at the first problem with a :class:`~gnnrec_utils.io.DataFormatError` that names
the file, the line (as a text editor counts it, header included), what was expected
there and what was found. Nothing is silently dropped or guessed.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import (
    BEHAVIORS,
    EVENT_COLUMNS,
    ITEM_COLUMNS,
    REPORT_COLUMNS,
    USER_COLUMNS,
)
from gnnrec_utils.io.delimited import FileFormat, read_table
from gnnrec_utils.io.errors import (
    DataFormatError,
    MissingFileError,
    PathLike,
    check_unique,
    first_bad,
    raise_earliest,
)
from gnnrec_utils.io.kinds import ID, INT, NON_NEGATIVE, OneOf

__all__ = ["Dataset", "load_items", "load_shop", "load_users", "write_shop"]


@dataclass
class Dataset:
    """A log of events with the tables of its users and items: what every loader returns.

    Attributes:
        users: one row per user: ``user_id`` and the attributes the data has.
        items: one row per item: ``item_id``, ``category_id`` and the attributes the data has.
        events: ``user_id, item_id, category_id, behavior, timestamp`` (Unix seconds) in
            file order, plus ``rating`` for rated data. The shop's have int64 ids and
            string behaviours; a public dataset's int32 ids ``0..n-1`` and a categorical
            ``behavior`` (:meth:`to_shop` converts).
        name: which dataset and release.
        user_ids, item_ids: the original ids, position = row of ``users`` / ``items``
            (``user_ids.get_indexer([orig])`` maps an original id to the kit's). The shop
            keeps its files' ids: here they are the tables' own.
        categories: the category labels, position = ``category_id`` (the shop's: its
            items' category ids, sorted).
        report: one row per loading step: ``step, rows`` kept, ``detail``.

    """

    users: pd.DataFrame
    items: pd.DataFrame
    events: pd.DataFrame
    name: str = "shop"
    user_ids: pd.Index | None = None
    item_ids: pd.Index | None = None
    categories: pd.Index | None = None
    report: pd.DataFrame | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        """Where not given, the ids are the tables' own and the report is empty."""
        if self.user_ids is None:
            self.user_ids = pd.Index(self.users["user_id"])
        if self.item_ids is None:
            self.item_ids = pd.Index(self.items["item_id"])
        if self.categories is None:
            self.categories = pd.Index(np.unique(self.items["category_id"]))
        if self.report is None:
            self.report = pd.DataFrame(columns=list(REPORT_COLUMNS))

    @property
    def num_users(self) -> int:
        return len(self.users)

    @property
    def num_items(self) -> int:
        return len(self.items)

    def to_shop(self) -> Dataset:
        """This dataset with the shop's dtypes: int64 ids and string behaviours, as
        :func:`load_shop` gives and the series' pipeline takes."""
        events = self.events.astype(
            {"user_id": "int64", "item_id": "int64", "category_id": "int64", "behavior": str}
        )
        return replace(self, events=events)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}: {len(self.events):,} events, {self.num_users:,} users, "
            f"{self.num_items:,} items, {len(self.categories):,} categories)"
        )


_BEHAVIOR = OneOf(BEHAVIORS, categorical=False)


def _shop_format(what: str, columns: tuple[str, ...], kinds: tuple, **layout) -> FileFormat:
    """A shop file: comma-separated, a header naming ``columns`` in any order."""
    return FileFormat(
        what, columns, kinds, header=columns, any_order=True, sep_name="comma", **layout
    )


_EVENTS = _shop_format(
    "events, one per line",
    EVENT_COLUMNS,
    (ID, ID, ID, _BEHAVIOR, INT),
    header_optional=True,
    aliases=(("behavior_type", "behavior"),),
)
_USERS = _shop_format("users, one per line", USER_COLUMNS, (ID, INT, INT, INT))
# never the fast parse: with "." allowed for prices, pandas would read an id "1.0" as 1
_ITEMS = _shop_format("items, one per line", ITEM_COLUMNS, (ID, ID, ID, NON_NEGATIVE), fast=False)


# ---------------------------------------------------------------- one table


def load_events(path: PathLike) -> pd.DataFrame:
    """Load an events file (``.csv`` or ``.csv.gz``) in UserBehavior format.

    The header is optional: the kit's ``user_id,item_id,category_id,behavior,
    timestamp`` (any order), the variant with ``behavior_type``, or none (as in
    Taobao's ``UserBehavior.csv``).

    Args:
        path: the file.

    Returns:
        Columns :data:`EVENT_COLUMNS` in file order of rows; ids and ``timestamp``
        int64, ``behavior`` strings.

    Raises:
        MissingFileError: no such file.
        DataFormatError: naming the file and line of the first problem: an empty
            file, a wrong header, a line without five fields, an id that is not a
            non-negative integer, a behaviour not in :data:`BEHAVIORS`, a timestamp
            that is not an integer.
    """
    return read_table(path, _EVENTS)[0]


def load_users(path: PathLike) -> pd.DataFrame:
    """Load ``users.csv``: a header naming :data:`USER_COLUMNS` (any order), then users.

    Args:
        path: the file.

    Returns:
        int64 columns in :data:`USER_COLUMNS` order.

    Raises:
        MissingFileError: no such file.
        DataFormatError: a line without four fields, a ``user_id`` that is not a
            non-negative integer or comes twice, a code that is not an integer.
    """
    users, first_line = read_table(path, _USERS)
    check_unique(path, first_line, users["user_id"])
    return users


def load_items(path: PathLike) -> pd.DataFrame:
    """Load ``items.csv``: a header naming :data:`ITEM_COLUMNS` (any order), then items.

    Args:
        path: the file.

    Returns:
        int64 ids and a float64 ``price``, in :data:`ITEM_COLUMNS` order.

    Raises:
        MissingFileError: no such file.
        DataFormatError: a line without four fields, an id that is not a non-negative
            integer, an ``item_id`` that comes twice, a price that is not a finite,
            non-negative number.
    """
    items, first_line = read_table(path, _ITEMS)
    check_unique(path, first_line, items["item_id"])
    return items


# ---------------------------------------------------------------- shop


def _events_file(folder: Path) -> Path:
    """``events.csv.gz`` or ``events.csv`` in ``folder``; refuses to pick between both."""
    packed, plain = folder / "events.csv.gz", folder / "events.csv"
    if packed.exists() and plain.exists():
        raise DataFormatError(folder, None, "one events file, events.csv.gz or events.csv", "both")
    if not (packed.exists() or plain.exists()):
        raise MissingFileError(
            packed,
            None,
            f"{packed} (or {plain.name}) holding {_EVENTS.what} ({_EVENTS.describe()})",
            "no such file",
        )
    return plain if plain.exists() else packed


def _unknown(
    path: Path, first_line: int, events: pd.Series, known: pd.Series, source: str
) -> DataFormatError | None:
    """The error for the first event whose id is not among ``known``, if any."""
    name = events.name
    return first_bad(
        path,
        first_line,
        ~events.isin(known),
        f"a known {name} (one listed in {source})",
        lambda row: f"{name} {events.iloc[row]}",
    )


def _wrong_category(
    path: Path, first_line: int, events: pd.DataFrame, items: pd.DataFrame
) -> DataFormatError | None:
    """The error for the first event whose ``category_id`` differs from its item's, if any."""
    category = events["item_id"].map(items.set_index("item_id")["category_id"])
    bad = category.notna() & (category != events["category_id"])

    def expected(row: int) -> str:
        item, want = events["item_id"].iloc[row], int(category.iloc[row])
        return f"category_id {want} (item {item}'s category in items.csv)"

    return first_bad(
        path,
        first_line,
        bad,
        expected,
        lambda row: f"category_id {events['category_id'].iloc[row]}",
    )


def load_shop(folder: PathLike) -> Dataset:
    """Load ``users.csv``, ``items.csv`` and ``events.csv.gz`` (or ``events.csv``).

    Each file is checked as by its loader; then every event must name a ``user_id``
    in users, an ``item_id`` in items, and that item's ``category_id``.

    Args:
        folder: the folder holding the three files (e.g. ``data/shop``).

    Returns:
        A :class:`Dataset` of the three tables with the files' ids (int64) and
        string behaviours.

    Raises:
        MissingFileError: one of the files is not there.
        DataFormatError: as the loaders of each file; both ``events.csv.gz`` and
            ``events.csv``; an event with an unknown user or item or the wrong
            category, naming the events file and the line of the first one.
    """
    folder = Path(folder)
    users = load_users(folder / "users.csv")
    items = load_items(folder / "items.csv")
    path = _events_file(folder)
    events, first_line = read_table(path, _EVENTS)
    raise_earliest(
        _unknown(path, first_line, events["user_id"], users["user_id"], "users.csv"),
        _unknown(path, first_line, events["item_id"], items["item_id"], "items.csv"),
        _wrong_category(path, first_line, events, items),
    )
    report = pd.DataFrame(
        [
            ("users", len(users), "users.csv"),
            ("items", len(items), "items.csv"),
            (
                "events",
                len(events),
                f"{path.name}, each naming a listed user, a listed item and its category",
            ),
        ],
        columns=list(REPORT_COLUMNS),
    )
    return Dataset(users, items, events, name=f"shop ({folder.name})", report=report)


def _csv_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> str:
    """The frame as CSV text with a header, ``\\n`` line ends and 2-decimal floats."""
    return frame[list(columns)].to_csv(index=False, lineterminator="\n", float_format="%.2f")


def write_shop(shop: Dataset, folder: PathLike) -> None:
    """Write ``users.csv``, ``items.csv`` and ``events.csv.gz`` into ``folder``.

    Deterministic: the same shop gives byte-identical files (gzip without
    timestamp or file name, prices with two decimals, ``\\n`` line ends).
    :func:`load_shop` reads them back unchanged (prices to two decimals).

    Args:
        shop: the tables to write (e.g. from ``generate_shop``).
        folder: where to write them; created if needed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users.csv").write_text(_csv_text(shop.users, USER_COLUMNS), newline="")
    (folder / "items.csv").write_text(_csv_text(shop.items, ITEM_COLUMNS), newline="")
    events = _csv_text(shop.events, EVENT_COLUMNS).encode("utf-8")
    (folder / "events.csv.gz").write_bytes(gzip.compress(events, compresslevel=6, mtime=0))
