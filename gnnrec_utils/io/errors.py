"""The errors of the reading layer, and the helpers that point them at a line.

Every problem in a data file stops the load with a :class:`DataFormatError` naming
the file, the line (as a text editor counts it, header included), what was expected
there and what was found. Nothing is silently dropped or guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "DataFormatError",
    "MissingFileError",
    "PathLike",
    "check_unique",
    "describe_value",
    "first_bad",
    "raise_earliest",
]

PathLike = str | Path


class DataFormatError(ValueError):
    """A data file does not hold what the kit expects.

    Attributes:
        path: the offending file (or folder).
        line: 1-based line number as a text editor shows it, header counted;
            ``None`` when the problem is not on one line (e.g. an empty file).
        expected: what should have been there.
        found: what was there instead.
    """

    def __init__(self, path: PathLike, line: int | None, expected: str, found: str) -> None:
        self.path, self.line = Path(path), line
        self.expected, self.found = expected, found
        where = self.path.name if line is None else f"{self.path.name}, line {line}"
        super().__init__(f"{where}: expected {expected}, found {found}")

    def __reduce__(self):
        return type(self), (self.path, self.line, self.expected, self.found)


class MissingFileError(DataFormatError, FileNotFoundError):
    """A file a loader needs is not there (both a DataFormatError and a FileNotFoundError)."""


def describe_value(text: str) -> str:
    """How a raw field appears in an error message."""
    return "an empty field" if text == "" else repr(text)


def first_bad(
    path: PathLike,
    first_line: int,
    bad,
    expected: str | Callable[[int], str],
    found: Callable[[int], str],
) -> DataFormatError | None:
    """The error for the first ``True`` in ``bad``, or ``None`` if there is none.

    Args:
        path: the file the rows come from.
        first_line: the file line of row 0.
        bad: one boolean per row.
        expected: what a row should hold (or what row ``r`` should hold, as a function).
        found: what row ``r`` holds instead, as words for the message.

    Returns:
        A :class:`DataFormatError` at line ``first_line + r`` for the first bad row ``r``.
    """
    rows = np.flatnonzero(np.asarray(bad, dtype=bool))
    if len(rows) == 0:
        return None
    row = int(rows[0])
    expected = expected(row) if callable(expected) else expected
    return DataFormatError(path, first_line + row, expected, found(row))


def raise_earliest(*errors: DataFormatError | None) -> None:
    """Raise the error on the earliest line among ``errors`` (the first one on a tie).

    Raises:
        DataFormatError: the earliest of the errors that are not ``None``.
    """
    found = [error for error in errors if error is not None]
    if found:
        raise min(found, key=lambda error: error.line)


def check_unique(path: PathLike, first_line: int, ids: pd.Series) -> None:
    """Raise on the first row that repeats a value of ``ids``.

    Args:
        path: the file the rows come from.
        first_line: the file line of row 0.
        ids: the column that must not repeat a value (its name goes into the message).

    Raises:
        DataFormatError: at the repeating row, naming the line of the first occurrence.
    """

    def found(row: int) -> str:
        value = ids.iloc[row]
        first = int(np.flatnonzero((ids == value).to_numpy())[0])
        return f"{ids.name} {value} again (first on line {first + first_line})"

    again = ids.duplicated().to_numpy()
    raise_earliest(first_bad(path, first_line, again, f"each {ids.name} once", found))
