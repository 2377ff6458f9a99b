"""What a column may hold: how the careful reader parses one field, how the fast one is checked.

A kind serves both parsing paths of :mod:`gnnrec_utils.io.delimited`:

* the **fast** path lets pandas parse a whole block into ``fast_dtype``, trusted only
  when the block holds nothing but the bytes the kinds allow (``fast_bytes``; ``None``:
  any text) and every column passes ``valid``; ``column`` then gives the final column;
* the **careful** path calls ``parse`` on each field, which raises ``ValueError`` for
  a field that does not fit, and casts the column to ``dtype``.

Both paths give the same values for a file they both accept.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ANY",
    "DIGITS",
    "ID",
    "INT",
    "MILLISECONDS",
    "NON_NEGATIVE",
    "NUMBER",
    "SECONDS",
    "TEXT",
    "Integer",
    "Kind",
    "Number",
    "OneOf",
    "Text",
]

#: The bytes of a plain decimal number: the one set of digits of the reading layer.
DIGITS = b"0123456789"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class Integer:
    """Plain ASCII digits (a leading ``-`` where ``low < 0``) in ``[low, high]``.

    Args:
        describe: the words an error message uses for the kind.
        low, high: the range of allowed values.
        dtype: the column's dtype (``"int8"`` for 0/1 flags).
    """

    describe: str = "a non-negative integer"
    low: int = 0
    high: int = INT64_MAX
    dtype: str = "int64"
    fast_dtype = "int64"

    @property
    def fast_bytes(self) -> bytes:
        return DIGITS + (b"-" if self.low < 0 else b"")

    def parse(self, text: str) -> int:
        """The integer in ``text``; ``ValueError`` unless plain digits in range."""
        digits = text[1:] if self.low < 0 and text.startswith("-") else text
        if not (digits.isascii() and digits.isdigit() and self.low <= int(text) <= self.high):
            raise ValueError(text)
        return int(text)

    def valid(self, values: pd.Series) -> bool:
        return bool(values.between(self.low, self.high).all())

    def column(self, values: pd.Series) -> pd.Series:
        return values.astype(self.dtype)


@dataclass(frozen=True)
class Number:
    """A finite decimal number (``1``, ``-2.5``, ``.5``, ``1e3``) in ``[low, high]``, as float64."""

    describe: str = "a number"
    low: float = -math.inf
    high: float = math.inf
    dtype = "float64"
    fast_dtype = "float64"

    @property
    def fast_bytes(self) -> bytes:
        return DIGITS + (b".-" if self.low < 0 else b".")

    def parse(self, text: str) -> float:
        """The number in ``text``; ``ValueError`` unless a finite decimal in range."""
        value = float(text) if _NUMBER.fullmatch(text) else math.nan
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ValueError(text)
        return value

    def valid(self, values: pd.Series) -> bool:
        numbers = values.to_numpy()
        return bool((np.isfinite(numbers) & (numbers >= self.low) & (numbers <= self.high)).all())

    def column(self, values: pd.Series) -> pd.Series:
        return values


@dataclass(frozen=True)
class Text:
    """Any text (``empty_ok``) or any non-empty text, as strings.

    Args:
        describe: the words an error message uses for the kind.
        empty_ok: whether an empty field is allowed.
        fast_bytes: the bytes a field holds in a format that limits them (``None``: any).
    """

    describe: str = "any text"
    empty_ok: bool = True
    fast_bytes: bytes | None = None  # the bytes it holds where the format limits them
    dtype = str
    fast_dtype = str

    def parse(self, text: str) -> str:
        """``text`` itself; ``ValueError`` for an empty field where one is not allowed."""
        if text == "" and not self.empty_ok:
            raise ValueError(text)
        return text

    def valid(self, values: pd.Series) -> bool:
        return self.empty_ok or not values.isna().any()

    def column(self, values: pd.Series) -> pd.Series:
        return values.fillna("") if self.empty_ok else values


@dataclass(frozen=True)
class OneOf:
    """One of a few labels, as a categorical over them (or as strings).

    Args:
        labels: the allowed values.
        words: how an error names them (default: ``one of a/b/c``).
        categorical: a categorical column (else plain strings).
    """

    labels: tuple[str, ...]
    words: str = ""
    categorical: bool = True

    @property
    def describe(self) -> str:
        return self.words or "one of " + "/".join(self.labels)

    @property
    def dtype(self):
        return pd.CategoricalDtype(list(self.labels)) if self.categorical else str

    @property
    def fast_dtype(self):
        return self.dtype

    @property
    def fast_bytes(self) -> bytes:
        return bytes(sorted(set("".join(self.labels).encode())))

    def parse(self, text: str) -> str:
        """``text`` if it is one of the labels; else ``ValueError``."""
        if text not in self.labels:
            raise ValueError(text)
        return text

    def valid(self, values: pd.Series) -> bool:
        return bool(values.notna().all() and values.isin(self.labels).all())

    def column(self, values: pd.Series) -> pd.Series:
        return values


Kind = Integer | Number | Text | OneOf

#: The kinds most formats use.
ID = Integer()
INT = Integer("an integer", low=INT64_MIN)
SECONDS = Integer("a Unix time in seconds (non-negative integer)")
MILLISECONDS = Integer("a Unix time in milliseconds (non-negative integer)")
NUMBER = Number()
NON_NEGATIVE = Number("a non-negative number", low=0.0)
TEXT = Text("a non-empty text", empty_ok=False)
ANY = Text()
