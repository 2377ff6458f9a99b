"""Reading and writing the kit's tables: users, items and events.

Events follow the schema of Taobao's public UserBehavior log
(``user_id, item_id, category_id, behavior, timestamp``).

Every loader checks what it reads and stops at the first problem with a
:class:`DataFormatError` that names the file, the line (as a text editor
counts it, header included) and what was expected there. Nothing is
silently dropped or guessed.
"""
from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

BEHAVIORS = ("pv", "fav", "cart", "buy")
EVENT_COLUMNS = ("user_id", "item_id", "category_id", "behavior", "timestamp")
USER_COLUMNS = ("user_id", "age_group", "gender", "city_tier")
ITEM_COLUMNS = ("item_id", "category_id", "brand_id", "price")


@dataclass
class Shop:
    """The three tables of a shop: ``users``, ``items`` and ``events``."""

    users: pd.DataFrame
    items: pd.DataFrame
    events: pd.DataFrame

    @property
    def num_users(self) -> int:
        return len(self.users)

    @property
    def num_items(self) -> int:
        return len(self.items)


PathLike = str | Path
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_ALIASES = {"behavior_type": "behavior"}  # header variants of UserBehavior.csv


class DataFormatError(ValueError):
    """A data file does not hold what the kit expects.

    Attributes:
        path: the offending file (or folder).
        line: 1-based line number as a text editor shows it, header counted;
            ``None`` when the problem is not on one line (e.g. an empty file).
        expected: what should have been there.
        found: what was there instead.
    """

    def __init__(self, path: PathLike, line: int | None, expected: str, found: str):
        self.path, self.line = Path(path), line
        self.expected, self.found = expected, found
        where = self.path.name if line is None else f"{self.path.name}, line {line}"
        super().__init__(f"{where}: expected {expected}, found {found}")

    def __reduce__(self):
        return type(self), (self.path, self.line, self.expected, self.found)


class _BadRow(Exception):
    """Internal: a problem at a 0-based data row, before the line is known."""

    def __init__(self, row: int, expected: str, found: str):
        super().__init__(row, expected, found)
        self.row, self.expected, self.found = row, expected, found


# ---------------------------------------------------------------- values


def _describe(value: str) -> str:
    """How a raw field appears in an error message."""
    return "an empty field" if value == "" else repr(value)


def _is_int_literal(text: str, signed: bool) -> bool:
    """True if ``text`` is plain ASCII digits (``-`` allowed if signed) fitting int64."""
    pattern = r"-?[0-9]+" if signed else r"[0-9]+"
    return bool(re.fullmatch(pattern, text)) and _INT64_MIN <= int(text) <= _INT64_MAX


def _first_bad(values: pd.Series, bad: pd.Series, expected: str) -> _BadRow:
    """A :class:`_BadRow` for the first ``True`` in ``bad``."""
    row = int(np.flatnonzero(bad.to_numpy())[0])
    return _BadRow(row, f"{values.name} as {expected}", _describe(values.iloc[row]))


def _to_int64(values: pd.Series, signed: bool) -> pd.Series:
    """Parse strings as int64; reject anything but plain (optionally signed) digits.

    Fast path: check the character set of all values at once, then ``astype``.
    Only when that fails is each value tested, to find the first bad row.
    """
    digits = "".join(values.tolist())
    digits = digits.replace("-", "") if signed else digits
    if len(values) == 0 or (digits.isascii() and digits.isdigit()):
        try:
            return values.astype("int64")
        except (ValueError, OverflowError):
            pass  # e.g. an empty field or "5-3": locate it below
    ok = values.map(lambda text: _is_int_literal(text, signed))
    expected = "an integer" if signed else "a non-negative integer"
    raise _first_bad(values, ~ok.astype(bool), expected)


def _to_id(values: pd.Series) -> pd.Series:
    """Ids: non-negative integers."""
    return _to_int64(values, signed=False)


def _to_int(values: pd.Series) -> pd.Series:
    """Codes and timestamps: integers, negative allowed."""
    return _to_int64(values, signed=True)


def _to_behavior(values: pd.Series) -> pd.Series:
    """Behaviors: one of :data:`BEHAVIORS`, kept as strings."""
    bad = ~values.isin(BEHAVIORS)
    if bad.any():
        raise _first_bad(values, bad, "one of " + "/".join(BEHAVIORS))
    return values.astype(str)


def _to_price(values: pd.Series) -> pd.Series:
    """Prices: finite, non-negative numbers, as float64."""
    prices = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = ~(np.isfinite(prices) & (prices >= 0))
    if bad.any():
        raise _first_bad(values, bad, "a non-negative number")
    return prices


# ---------------------------------------------------------------- tables


@dataclass(frozen=True)
class _Kind:
    """How one kind of column is read: strictly from strings, and by the fast reader."""

    parse: Callable[[pd.Series], pd.Series]  # strings -> values; raises _BadRow
    dtype: object  # what the fast reader asks pandas for
    valid: Callable[[pd.Series], bool]  # check of a column the fast reader parsed


_ID = _Kind(_to_id, "int64", lambda values: bool((values >= 0).all()))
_INT = _Kind(_to_int, "int64", lambda values: True)
_BEHAVIOR = _Kind(_to_behavior, str, lambda values: bool(values.isin(BEHAVIORS).all()))
_PRICE = _Kind(_to_price, "float64", lambda values: False)  # items: always read strictly


@dataclass(frozen=True)
class _Table:
    """What one kind of file holds and how each of its columns is read.

    ``fast_chars`` lists the bytes a file may contain for the fast reader to be
    trusted (``None``: never use it). pandas reads ``1.0``, ``1e3`` or ``+1`` as
    the integer 1, 1000, 1; excluding ``.``, ``e``, ``+`` and spaces keeps the
    fast reader exactly as strict as the string parsers.
    """

    what: str
    columns: tuple[str, ...]
    kinds: tuple[_Kind, ...]
    key: str | None = None  # column whose values must be unique
    header_optional: bool = False
    fast_chars: bytes | None = None


_DIGITS = b"0123456789-,\r\n"
_EVENTS = _Table("events, one per line", EVENT_COLUMNS, (_ID, _ID, _ID, _BEHAVIOR, _INT),
                 header_optional=True, fast_chars=_DIGITS + "".join(BEHAVIORS).encode())
_USERS = _Table("users, one per line", USER_COLUMNS, (_ID, _INT, _INT, _INT),
                key="user_id", fast_chars=_DIGITS)
_ITEMS = _Table("items, one per line", ITEM_COLUMNS, (_ID, _ID, _ID, _PRICE), key="item_id")


def _open(path: Path, text: bool = True):
    """Open a ``.csv`` or ``.csv.gz`` file, as text (BOM-tolerant, universal newlines) or bytes."""
    opener = gzip.open if path.suffix == ".gz" else open
    return opener(path, "rt", encoding="utf-8-sig") if text else opener(path, "rb")


class _NotPlain(ValueError):
    """Internal: the fast reader met a byte outside its allowed set."""


class _PlainBytes(io.RawIOBase):
    """A byte stream that fails with :class:`_NotPlain` on a byte not in ``allowed``.

    Lets pandas parse and the character check run in one pass over the file.
    """

    def __init__(self, stream, allowed: bytes):
        super().__init__()
        self.stream, self.allowed = stream, allowed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        if data.translate(None, self.allowed):
            raise _NotPlain
        buffer[: len(data)] = data
        return len(data)


def _read_plain(path: Path, table: _Table, names: list[str], first_line: int) -> pd.DataFrame:
    """pandas' typed read of the data lines, checked to hold only ``table.fast_chars``."""
    kinds = dict(zip(table.columns, table.kinds))
    with _open(path, text=False) as stream:
        if first_line == 2:
            stream.readline()  # the header, already checked
        plain = io.BufferedReader(_PlainBytes(stream, table.fast_chars), 1 << 20)
        return pd.read_csv(plain, header=None, na_filter=False, quoting=csv.QUOTE_NONE,
                           dtype={i: kinds[name].dtype for i, name in enumerate(names)},
                           skip_blank_lines=False)


def _read_fast(path: Path, table: _Table, names: list[str],
               first_line: int) -> pd.DataFrame | None:
    """The common case, quickly: pandas reads typed columns straight from a clean file.

    Returns ``None`` (and the careful string reader takes over) unless the file
    uses only ``table.fast_chars``, pandas parses every field (a short, long or
    blank line makes it fail) and every column passes its kind's check.
    """
    if table.fast_chars is None:
        return None
    try:
        frame = _read_plain(path, table, names, first_line)
    except (ValueError, OverflowError):  # incl. _NotPlain, ParserError, EmptyDataError
        return None
    if frame.shape[1] != len(names):
        return None
    frame = frame.set_axis(names, axis=1)[list(table.columns)]
    kinds = dict(zip(table.columns, table.kinds))
    return frame if all(kinds[c].valid(frame[c]) for c in table.columns) else None


def _first_line(path: Path, table: _Table) -> str:
    """The first line of the file; checks that the file exists and is not empty."""
    columns = ",".join(table.columns)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path.name}: expected a CSV file at {path} holding {table.what} "
            f"(columns {columns}), but there is no such file")
    try:
        with _open(path) as f:
            first = f.readline()
    except gzip.BadGzipFile:
        raise DataFormatError(path, None, "a gzip-compressed CSV file (the name ends in .gz)",
                              "bytes that are not gzip") from None
    if first == "":
        raise DataFormatError(path, None, f"a header {columns} and {table.what}",
                              "an empty file")
    return first.rstrip("\r\n")


def _header_problem(names: list[str], columns: tuple[str, ...]) -> str:
    """Describe how a header differs from ``columns``; empty if it does not."""
    missing = [c for c in columns if c not in names]
    extra = [n for n in names if n not in columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    parts = [f"missing {', '.join(missing)}" if missing else "",
             f"unexpected {', '.join(extra)}" if extra else "",
             f"repeated {', '.join(repeated)}" if repeated else ""]
    return "; ".join(p for p in parts if p)


def _read_header(path: Path, first: str, table: _Table) -> list[str] | None:
    """Column names in file order, or ``None`` for a header-less events file.

    A header must name each expected column once (any order; ``behavior_type``
    is read as ``behavior``). Events may have no header at all, which is
    recognised by an integer in the first field.
    """
    names = [_ALIASES.get(n.strip(), n.strip()) for n in first.split(",")]
    if table.header_optional and _is_int_literal(names[0], signed=False):
        return None
    problem = _header_problem(names, table.columns)
    if not problem:
        return names
    expected = f"a header naming {','.join(table.columns)}"
    if table.header_optional:
        expected += " (or no header, data from line 1)"
    found = "an empty line" if not first.strip() else f"{first!r} ({problem})"
    raise DataFormatError(path, 1, expected, found)


def _first_wrong_width(path: Path, width: int, first_line: int) -> tuple[int, int] | None:
    """``(line, fields)`` of the first data line without ``width`` fields, else None.

    A pure-Python scan, only run once the fast reader has seen a problem.
    """
    with _open(path) as f:
        for line, text in enumerate(f, start=1):
            text = text.rstrip("\r\n")
            fields = text.count(",") + 1 if text.strip() else 0
            if line >= first_line and fields != width:
                return line, fields
    return None


def _width_error(path: Path, table: _Table, line: int, fields: int) -> DataFormatError:
    """The error for a line with the wrong number of fields."""
    expected = (f"{len(table.columns)} comma-separated fields "
                f"({','.join(table.columns)})")
    found = "an empty line" if fields == 0 else str(fields)
    return DataFormatError(path, line, expected, found)


def _check_width(path: Path, table: _Table, first_line: int) -> None:
    """Raise if some data line has too many or too few fields."""
    wrong = _first_wrong_width(path, len(table.columns), first_line)
    if wrong is not None:
        raise _width_error(path, table, *wrong)


def _read_raw(path: Path, first_line: int, width: int) -> pd.DataFrame | None:
    """All data lines as strings, one row per line; ``None`` if pandas cannot tokenize.

    No quoting and no NA guessing, and blank lines are kept, so that data row
    ``r`` is file line ``r + first_line``.
    """
    try:
        return pd.read_csv(path, header=None, skiprows=first_line - 1, dtype=str,
                           na_filter=False, quoting=csv.QUOTE_NONE,
                           skip_blank_lines=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:  # header only (or only blank lines: see below)
        return pd.DataFrame({i: pd.Series([], dtype=str) for i in range(width)})
    except pd.errors.ParserError:  # a line with more fields than the first one
        return None


def _read_strings(path: Path, table: _Table, first_line: int) -> pd.DataFrame:
    """Read all data lines as strings, checking that each has the right field count.

    pandas pads short rows with empty strings and skips blank lines after a
    header, so whenever the result looks suspicious (wrong width, no rows, an
    empty last field) the raw lines are counted to find the offending one.
    """
    width = len(table.columns)
    raw = _read_raw(path, first_line, width)
    if raw is None or raw.shape[1] != width or len(raw) == 0 or (raw[width - 1] == "").any():
        _check_width(path, table, first_line)
    if raw is None or raw.shape[1] != width:  # not expected after _check_width
        raise DataFormatError(path, None, f"{width} fields per line", "a file pandas cannot read")
    return raw


def _parse_columns(raw: pd.DataFrame, table: _Table) -> pd.DataFrame:
    """Apply each column's parser; raise the problem on the earliest row."""
    parsed, problems = {}, []
    for column, kind in zip(table.columns, table.kinds):
        try:
            parsed[column] = kind.parse(raw[column].rename(column))
        except _BadRow as bad:
            problems.append(bad)
    if problems:
        raise min(problems, key=lambda bad: bad.row)
    return pd.DataFrame(parsed)


def _check_unique(frame: pd.DataFrame, key: str | None, first_line: int) -> None:
    """Raise on the first row repeating a value of the ``key`` column."""
    if key is None or not frame[key].duplicated().any():
        return
    again = int(np.flatnonzero(frame[key].duplicated().to_numpy())[0])
    value = frame[key].iloc[again]
    first = int(np.flatnonzero((frame[key] == value).to_numpy())[0])
    raise _BadRow(again, f"each {key} once",
                  f"{key} {value} again (first on line {first + first_line})")


def _read_careful(path: Path, table: _Table, names: list[str], first_line: int) -> pd.DataFrame:
    """Read every field as a string, then parse each column strictly; raises _BadRow."""
    raw = _read_strings(path, table, first_line)
    return _parse_columns(raw.set_axis(names, axis=1), table)


def _load_table(path: PathLike, table: _Table) -> tuple[pd.DataFrame, int]:
    """Read and check one table; returns the frame and the file line of row 0."""
    path = Path(path)
    names = _read_header(path, _first_line(path, table), table)
    first_line = 1 if names is None else 2
    names = list(table.columns) if names is None else names
    try:
        frame = _read_fast(path, table, names, first_line)
        frame = _read_careful(path, table, names, first_line) if frame is None else frame
        _check_unique(frame, table.key, first_line)
    except _BadRow as bad:
        raise DataFormatError(path, bad.row + first_line, bad.expected, bad.found) from None
    return frame, first_line


# ---------------------------------------------------------------- public loaders


def load_events(path: PathLike) -> pd.DataFrame:
    """Load an events file (``.csv`` or ``.csv.gz``) in UserBehavior format.

    The header is optional: the kit's ``user_id,item_id,category_id,behavior,
    timestamp``, the variant with ``behavior_type``, or none (as in Taobao's
    ``UserBehavior.csv``). Validated: the file exists and is not empty; the
    header names the five columns; every line has exactly five fields; ids are
    non-negative integers; ``behavior`` is one of :data:`BEHAVIORS`;
    ``timestamp`` is an integer (Unix seconds).

    Returns:
        Columns :data:`EVENT_COLUMNS` in file order of rows; ids and
        ``timestamp`` int64, ``behavior`` strings.

    Raises:
        FileNotFoundError: no such file.
        DataFormatError: naming the file, line and expectation of the first problem.
    """
    return _load_table(path, _EVENTS)[0]


def load_users(path: PathLike) -> pd.DataFrame:
    """Load ``users.csv``: header naming :data:`USER_COLUMNS` (any order).

    Validated: every line has four fields; ``user_id`` is a non-negative
    integer and appears once; ``age_group``, ``gender``, ``city_tier`` are
    integer codes. Returns int64 columns in :data:`USER_COLUMNS` order.
    """
    return _load_table(path, _USERS)[0]


def load_items(path: PathLike) -> pd.DataFrame:
    """Load ``items.csv``: header naming :data:`ITEM_COLUMNS` (any order).

    Validated: every line has four fields; ``item_id`` (unique), ``category_id``
    and ``brand_id`` are non-negative integers; ``price`` is a finite,
    non-negative number. Returns int64 ids and a float64 ``price``.
    """
    return _load_table(path, _ITEMS)[0]


# ---------------------------------------------------------------- shop


def _events_file(folder: Path) -> Path:
    """``events.csv.gz`` or ``events.csv`` in ``folder``; refuses to pick between both."""
    packed, plain = folder / "events.csv.gz", folder / "events.csv"
    if packed.exists() and plain.exists():
        raise DataFormatError(folder, None, "one events file, events.csv.gz or events.csv",
                              "both")
    if not (packed.exists() or plain.exists()):
        raise FileNotFoundError(f"events.csv.gz: expected {packed} (or {plain.name}) "
                                f"holding {_EVENTS.what}, but there is no such file")
    return plain if plain.exists() else packed


def _unknown(events: pd.Series, known: pd.Series, source: str) -> _BadRow | None:
    """The first event whose id is not among ``known``, if any."""
    bad = ~events.isin(known)
    if not bad.any():
        return None
    row = int(np.flatnonzero(bad.to_numpy())[0])
    name = events.name
    return _BadRow(row, f"a known {name} (one listed in {source})",
                   f"{name} {events.iloc[row]}")


def _wrong_category(events: pd.DataFrame, items: pd.DataFrame) -> _BadRow | None:
    """The first event whose ``category_id`` differs from its item's, if any."""
    category = events["item_id"].map(items.set_index("item_id")["category_id"])
    bad = category.notna() & (category != events["category_id"])
    if not bad.any():
        return None
    row = int(np.flatnonzero(bad.to_numpy())[0])
    item, want = events["item_id"].iloc[row], int(category.iloc[row])
    return _BadRow(row, f"category_id {want} (item {item}'s category in items.csv)",
                   f"category_id {events['category_id'].iloc[row]}")


def _check_consistency(events: pd.DataFrame, users: pd.DataFrame,
                       items: pd.DataFrame) -> None:
    """Raise the earliest event with an unknown user or item, or a wrong category."""
    problems = [_unknown(events["user_id"], users["user_id"], "users.csv"),
                _unknown(events["item_id"], items["item_id"], "items.csv"),
                _wrong_category(events, items)]
    problems = [p for p in problems if p is not None]
    if problems:
        raise min(problems, key=lambda bad: bad.row)


def load_shop(folder: PathLike) -> Shop:
    """Load ``users.csv``, ``items.csv`` and ``events.csv.gz`` (or ``events.csv``).

    Each file is checked as by its loader; then every event must name a
    ``user_id`` in users, an ``item_id`` in items, and that item's
    ``category_id``. Errors name the events file and the line of the first
    offending event.
    """
    folder = Path(folder)
    users = load_users(folder / "users.csv")
    items = load_items(folder / "items.csv")
    path = _events_file(folder)
    events, first_line = _load_table(path, _EVENTS)
    try:
        _check_consistency(events, users, items)
    except _BadRow as bad:
        raise DataFormatError(path, bad.row + first_line, bad.expected, bad.found) from None
    return Shop(users=users, items=items, events=events)


def _csv_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> str:
    """The frame as CSV text with a header, ``\\n`` line ends and 2-decimal floats."""
    return frame[list(columns)].to_csv(index=False, lineterminator="\n", float_format="%.2f")


def write_shop(shop: Shop, folder: PathLike) -> None:
    """Write ``users.csv``, ``items.csv`` and ``events.csv.gz`` into ``folder``.

    Deterministic: the same shop gives byte-identical files (gzip without
    timestamp or file name, prices with two decimals, ``\\n`` line ends).
    ``load_shop`` reads them back unchanged (prices to two decimals).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users.csv").write_text(_csv_text(shop.users, USER_COLUMNS), newline="")
    (folder / "items.csv").write_text(_csv_text(shop.items, ITEM_COLUMNS), newline="")
    events = _csv_text(shop.events, EVENT_COLUMNS).encode("utf-8")
    (folder / "events.csv.gz").write_bytes(gzip.compress(events, compresslevel=6, mtime=0))
