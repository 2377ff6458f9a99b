"""Reading big delimited and JSON-lines files in blocks, with errors that name the line.

The dataset loaders of :mod:`gnnrec_utils.datasets` describe each file as a
:class:`FileFormat` (separator, columns, what each column holds) and read it with
:func:`read_blocks`, which yields one typed :class:`pandas.DataFrame` per block of
about ``block_bytes`` of text. Memory stays bounded by the block, whatever the file's
size; plain and gzip-compressed files (name ending in ``.gz``) are read alike.

Each block is parsed twice at most:

* **fast**: pandas' C parser with typed columns, trusted only when the block holds
  nothing but the bytes the format allows (so ``1e3`` or `` 1`` cannot slip through
  as integers) and every column passes its check;
* **careful**: otherwise, a line-by-line parse in Python that stops at the first
  problem with a :class:`~gnnrec_utils.data.DataFormatError` naming the file, the
  line (counted over the whole file, as a text editor shows it) and what was expected.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from gnnrec_utils.data import DataFormatError

BLOCK_BYTES = 1 << 24  # 16 MiB of text per block

#: Column kinds: what a field may hold and what it becomes.
KINDS = {
    "id": "a non-negative integer",
    "time": "a Unix time (non-negative integer)",
    "number": "a number",
    "text": "a non-empty text",
    "any": "any text",
}


@dataclass(frozen=True)
class FileFormat:
    """How one kind of file is laid out.

    Args:
        what: a few words for error messages ("ratings, one per line").
        columns: column names in file order.
        kinds: kind of each column: a key of :data:`KINDS`, or a tuple of the values
            allowed (read as a categorical).
        sep: the field separator (``"::"`` is handled too).
        header: the header line's fields if the file has one, else ``None``.
        encoding: text encoding.
        quoted: fields may be double-quoted (``movies.csv`` titles hold commas).
        fast_bytes: every byte the fast reader may see; ``None``: any.
    """

    what: str
    columns: tuple[str, ...]
    kinds: tuple[object, ...]
    sep: str = ","
    header: tuple[str, ...] | None = None
    encoding: str = "utf-8"
    quoted: bool = False
    fast_bytes: bytes | None = None

    def describe(self) -> str:
        names = ", ".join(self.columns)
        return f"{len(self.columns)} {self.sep!r}-separated fields ({names})"


def check_file(path: Path) -> None:
    """Raise a :class:`FileNotFoundError` naming ``path`` unless it is a file."""
    if not path.is_file():
        where = "a folder" if path.is_dir() else "nothing"
        raise FileNotFoundError(f"{path.name}: expected a file at {path}, found {where} there")


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _raw_blocks(path: Path, block_bytes: int) -> Iterator[tuple[int, bytes]]:
    """``(first line number, bytes)`` for blocks of whole lines, the last one completed."""
    line, rest = 1, b""
    with _open(path) as f:
        while True:
            try:
                data = f.read(block_bytes)
            except (EOFError, OSError, zlib.error) as error:
                done = line + rest.count(b"\n")
                raise DataFormatError(path, done, "a complete gzip-compressed file",
                                      f"the compressed data breaking off ({error})") from None
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            yield line, data[:cut]
            line += data.count(b"\n", 0, cut)
            rest = data[cut:]
    if rest:
        yield line, rest + b"\n"


def _check_header(path: Path, fmt: FileFormat, block: bytes) -> bytes:
    """Check the header line of the first block; return the block without it."""
    end = block.find(b"\n") + 1
    text = block[:end].decode(fmt.encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
    names = tuple(n.strip().strip('"') for n in text.split(fmt.sep))
    if names != fmt.header:
        missing = [c for c in fmt.header if c not in names]
        extra = [n for n in names if n not in fmt.header]
        why = "; ".join(p for p in (f"missing {', '.join(missing)}" if missing else "",
                                    f"unexpected {', '.join(extra)}" if extra else "") if p)
        raise DataFormatError(path, 1, f"the header {fmt.sep.join(fmt.header)}",
                              f"{text!r}" + (f" ({why})" if why else " (columns in another order)"))
    return block[end:]


def read_blocks(path: str | Path, fmt: FileFormat,
                block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[int, pd.DataFrame]]:
    """Yield ``(first line number, typed frame)`` per block of ``path``.

    Raises:
        FileNotFoundError: no file at ``path``.
        DataFormatError: an empty file, a wrong header, a line with the wrong number
            of fields or a field of the wrong kind, a broken gzip stream.
    """
    path = Path(path)
    check_file(path)
    empty = True
    for line, block in _raw_blocks(path, block_bytes):
        if empty and fmt.header is not None:
            block, line = _check_header(path, fmt, block), line + 1
        empty = False
        if block:
            yield line, _parse_block(path, fmt, block, line)
    if empty:
        expected = f"a header {fmt.sep.join(fmt.header)} and " if fmt.header else ""
        raise DataFormatError(path, None, expected + fmt.what, "an empty file")


# ---------------------------------------------------------------- parsing one block


def _dtype(kind):
    if isinstance(kind, tuple):
        return pd.CategoricalDtype(list(kind))
    return {"id": "int64", "time": "int64", "number": "float64"}.get(kind, str)


def _valid(values: pd.Series, kind) -> bool:
    """The check a column parsed by pandas must pass to be trusted."""
    if isinstance(kind, tuple):
        return not values.isna().any()
    if kind in ("id", "time"):
        return bool((values >= 0).all())
    if kind == "number":
        return bool(np.isfinite(values.to_numpy()).all())
    if kind == "text":
        return not values.isna().any()
    return True


def _fast(fmt: FileFormat, block: bytes) -> pd.DataFrame | None:
    """pandas' typed parse of ``block``, or ``None`` where it cannot be trusted."""
    if fmt.fast_bytes is not None and block.translate(None, fmt.fast_bytes):
        return None
    sep = fmt.sep
    if len(sep) > 1:
        block, sep = block.replace(sep.encode(), b"\x1f"), "\x1f"
    dtypes = {i: _dtype(kind) for i, kind in enumerate(fmt.kinds)}
    try:
        frame = pd.read_csv(io.BytesIO(block), sep=sep, header=None, dtype=dtypes,
                            keep_default_na=False, na_values={i: [""] for i in range(len(fmt.kinds))},
                            quoting=csv.QUOTE_MINIMAL if fmt.quoted else csv.QUOTE_NONE,
                            skip_blank_lines=False, encoding=fmt.encoding, engine="c")
    except (ValueError, OverflowError, UnicodeDecodeError):  # ParserError is a ValueError
        return None
    if frame.shape[1] != len(fmt.columns) or (not fmt.quoted and len(frame) != block.count(b"\n")):
        return None
    frame.columns = list(fmt.columns)
    for name, kind in zip(fmt.columns, fmt.kinds):
        if kind == "any":
            frame[name] = frame[name].fillna("")
    if not all(_valid(frame[c], k) for c, k in zip(fmt.columns, fmt.kinds)):
        return None
    return frame


def _field(path: Path, line: int, name: str, kind, text: str):
    """One field parsed by ``kind``; raise naming the line if it does not fit."""
    if isinstance(kind, tuple):
        if text in kind:
            return text
        expected = f"{name} as one of {'/'.join(kind)}"
    elif kind in ("id", "time"):
        if text.isascii() and text.isdigit() and len(text) < 19:
            return int(text)
        expected = f"{name} as {KINDS[kind]}"
    elif kind == "number":
        try:
            value = float(text)
            if math.isfinite(value):
                return value
        except ValueError:
            pass
        expected = f"{name} as a number"
    elif kind == "text" and text == "":
        expected = f"{name} as a non-empty text"
    else:
        return text
    raise DataFormatError(path, line, expected, "an empty field" if text == "" else repr(text))


def _split_lines(fmt: FileFormat, text: str) -> list[list[str]]:
    lines = text.split("\n")[:-1]
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if fmt.quoted:
        return [next(csv.reader([line], delimiter=fmt.sep), []) for line in lines]
    return [line.split(fmt.sep) if line else [] for line in lines]


_SEPARATORS = (",", "\t", ";", "|", "::", " ")


def _other_separator(fmt: FileFormat, line: str) -> str | None:
    """A common separator other than the format's that splits ``line`` into the right count."""
    for sep in _SEPARATORS:
        if sep != fmt.sep and line and len(line.split(sep)) == len(fmt.columns):
            return sep
    return None


def _careful(path: Path, fmt: FileFormat, block: bytes, first_line: int) -> pd.DataFrame:
    """Parse line by line; the first problem raises with its line number."""
    try:
        text = block.decode(fmt.encoding)
    except UnicodeDecodeError as error:
        line = first_line + block.count(b"\n", 0, error.start)
        byte = block[error.start:error.start + 1]
        raise DataFormatError(path, line, f"text in {fmt.encoding}", f"the byte {byte!r}") from None
    rows = []
    for offset, fields in enumerate(_split_lines(fmt, text)):
        line = first_line + offset
        if len(fields) != len(fmt.columns):
            found = "an empty line" if not fields else f"{len(fields)} fields"
            other = _other_separator(fmt, text.split("\n")[offset].rstrip("\r"))
            if other:
                found += f" (the line splits on {other!r} into {len(fmt.columns)})"
            raise DataFormatError(path, line, fmt.describe(), found)
        rows.append([_field(path, line, name, kind, value)
                     for name, kind, value in zip(fmt.columns, fmt.kinds, fields)])
    frame = pd.DataFrame(rows, columns=list(fmt.columns))
    for name, kind in zip(fmt.columns, fmt.kinds):
        frame[name] = frame[name].astype(_dtype(kind))
    return frame


def _parse_block(path: Path, fmt: FileFormat, block: bytes, first_line: int) -> pd.DataFrame:
    frame = _fast(fmt, block)
    return frame if frame is not None else _careful(path, fmt, block, first_line)


# ---------------------------------------------------------------- JSON lines


def read_json_blocks(path: str | Path, fields: dict[str, tuple[str, ...]],
                     block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[int, pd.DataFrame]]:
    """Yield ``(first line number, frame)`` per block of a JSON-lines file.

    ``fields`` maps each output column to the keys it may come from, first match
    wins (Amazon 2023 names the item ``parent_asin``, older files ``asin``). Each
    line must be one JSON object holding one key of every entry.
    """
    path = Path(path)
    check_file(path)
    empty = True
    for line, block in _raw_blocks(path, block_bytes):
        empty = False
        yield line, _json_block(path, block, line, fields)
    if empty:
        raise DataFormatError(path, None, "one JSON object per line", "an empty file")


def _json_block(path: Path, block: bytes, first_line: int,
                fields: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    columns = {name: [] for name in fields}
    for offset, text in enumerate(block.split(b"\n")[:-1]):
        line = first_line + offset
        try:
            record = json.loads(text)
        except ValueError:
            found = "an empty line" if not text.strip() else repr(text[:60].decode("utf-8", "replace"))
            raise DataFormatError(path, line, "one JSON object per line", found) from None
        if not isinstance(record, dict):
            raise DataFormatError(path, line, "one JSON object per line", type(record).__name__)
        for name, keys in fields.items():
            key = next((k for k in keys if k in record), None)
            if key is None:
                raise DataFormatError(path, line, f"a key {' or '.join(keys)}",
                                      f"keys {', '.join(sorted(record))}")
            columns[name].append(record[key])
    return pd.DataFrame(columns)
