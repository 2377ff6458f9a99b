"""Delimited text files (``,``, tab, ``|``, ``::``) read in blocks into typed, checked frames.

A loader describes each kind of file once, as a :class:`FileFormat` (columns, what
each holds, separator, header, encoding), and reads it with :func:`read_blocks` (one
typed :class:`pandas.DataFrame` per block of about ``block_bytes`` of text, so memory
stays bounded whatever the file's size) or :func:`read_table` (the whole file).
Plain and gzip-compressed files (name ending in ``.gz``) are read alike.

Each block is parsed twice at most:

* **fast**: pandas' C parser with typed columns, trusted only when the block holds
  nothing but the bytes the format allows (so ``1e3`` or `` 1`` cannot pass as
  integers) and every column passes its kind's check;
* **careful**: otherwise, line by line in Python, stopping at the first problem
  with a :class:`~gnnrec_utils.io.errors.DataFormatError` that names the file, the
  line (counted over the whole file, as a text editor shows it, header included),
  what was expected and what was found: a wrong header, a line with too many or too
  few fields (and the separator it would split on), a field of the wrong kind, text
  not in the file's encoding.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from gnnrec_utils.io.errors import DataFormatError, PathLike, describe_value
from gnnrec_utils.io.files import BLOCK_BYTES, check_file, raw_blocks
from gnnrec_utils.io.kinds import ID, Kind

__all__ = ["FileFormat", "read_blocks", "read_table"]

_SEPARATORS = (",", "\t", ";", "|", "::", " ")


@dataclass(frozen=True)
class FileFormat:
    """How one kind of delimited file is laid out.

    Args:
        what: a few words for error messages ("ratings, one per line").
        columns: column names, in the order the loader returns them.
        kinds: what each column holds (see :mod:`gnnrec_utils.io.kinds`).
        sep: the field separator (``"::"`` is handled too).
        header: the header's name for each column if the file has a header, else ``None``.
        header_optional: the header may be left out (the file then starts with data,
            told by a non-negative integer in its first field).
        any_order: the header may name the columns in any order.
        aliases: ``(other name, header name)`` pairs also accepted in the header.
        encoding: text encoding (a UTF-8 byte order mark is skipped).
        quoted: fields may be double-quoted (``movies.csv`` titles hold commas).
        fast: whether pandas' typed parse may be tried at all (``False`` for small
            files that hold text, where pandas would read ``1.0`` as the integer 1).
        sep_name: how messages name the separator (default: the separator quoted).
    """

    what: str
    columns: tuple[str, ...]
    kinds: tuple[Kind, ...]
    sep: str = ","
    header: tuple[str, ...] | None = None
    header_optional: bool = False
    any_order: bool = False
    aliases: tuple[tuple[str, str], ...] = ()
    encoding: str = "utf-8"
    quoted: bool = False
    fast: bool = True
    sep_name: str = ""

    def describe(self) -> str:
        """The fields a line should hold, e.g. ``5 ','-separated fields (user_id,...)``."""
        names = ",".join(self.columns[:8]) + (",..." if len(self.columns) > 8 else "")
        return f"{len(self.columns)} {self.sep_name or repr(self.sep)}-separated fields ({names})"

    @property
    def fast_bytes(self) -> bytes | None:
        """The bytes a block may hold for the fast parse to be trusted; ``None``: any."""
        allowed = [kind.fast_bytes for kind in self.kinds]
        if any(part is None for part in allowed):
            return None
        return b"".join(allowed) + self.sep.encode() + b"\r\n"

    def in_file_order(self, order: list[int]) -> FileFormat:
        """The format with its columns as a header lists them (``order``: positions in ours)."""
        return replace(
            self,
            columns=tuple(self.columns[i] for i in order),
            kinds=tuple(self.kinds[i] for i in order),
        )


# ---------------------------------------------------------------- whole files


def read_blocks(
    path: PathLike, fmt: FileFormat, block_bytes: int = BLOCK_BYTES
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Yield ``(file line of its first row, typed frame)`` per block of ``path``.

    Args:
        path: a plain or gzip-compressed file in format ``fmt``.
        fmt: its layout.
        block_bytes: about how many bytes of text a block holds.

    Returns:
        An iterator of frames with ``fmt.columns`` in that order, whatever the header's.

    Raises:
        MissingFileError: no file at ``path``.
        DataFormatError: an empty file, a wrong header, a line with the wrong number of
            fields, a field of the wrong kind, text not in ``fmt.encoding``, a broken
            gzip stream.
    """
    path = Path(path)
    check_file(path, f"{fmt.what} ({fmt.describe()})")
    blocks = raw_blocks(path, block_bytes)
    start, first = next(blocks, (None, b""))
    if start is None:
        raise DataFormatError(path, None, _empty_expected(fmt), "an empty file")
    ours, start, first = _skip_header(path, fmt, start, _without_bom(fmt, first))
    for line, block in itertools.chain([(start, first)], blocks):
        if block:
            yield line, _parse_block(path, ours, block, line)[list(fmt.columns)]


def read_table(
    path: PathLike, fmt: FileFormat, block_bytes: int = BLOCK_BYTES
) -> tuple[pd.DataFrame, int]:
    """The whole of ``path`` as one frame (see :func:`read_blocks`).

    Args:
        path: a plain or gzip-compressed file in format ``fmt``.
        fmt: its layout.
        block_bytes: about how many bytes of text are parsed at a time.

    Returns:
        ``(frame, first_line)``: the rows in file order with a fresh index, and the
        file line of row 0 (every later row is on the next line).

    Raises:
        MissingFileError, DataFormatError: as :func:`read_blocks`.
    """
    parts = list(read_blocks(path, fmt, block_bytes))
    if not parts:
        return _typed([], fmt), 1
    return pd.concat([frame for _, frame in parts], ignore_index=True), parts[0][0]


def _empty_expected(fmt: FileFormat) -> str:
    """What an empty file should have held."""
    header = f"a header {fmt.sep.join(fmt.header)} and " if fmt.header else ""
    return f"{header}{fmt.what}: {fmt.describe()}"


def _without_bom(fmt: FileFormat, block: bytes) -> bytes:
    """The first block without a UTF-8 byte order mark."""
    if fmt.encoding.startswith("utf") and block.startswith(codecs.BOM_UTF8):
        return block[len(codecs.BOM_UTF8) :]
    return block


# ---------------------------------------------------------------- header


def _skip_header(
    path: Path, fmt: FileFormat, line: int, block: bytes
) -> tuple[FileFormat, int, bytes]:
    """Check the header at the start of ``block``.

    Returns:
        ``(format in the file's column order, line of the first data row, block without
        the header)``; the block unchanged for a file without a header.
    """
    if fmt.header is None:
        return fmt, line, block
    end = block.find(b"\n") + 1
    text = block[:end].decode(fmt.encoding, errors="replace").rstrip("\r\n")
    order = _column_order(path, fmt, text)
    if order is None:
        return fmt, line, block
    return fmt.in_file_order(order), line + 1, block[end:]


def _column_order(path: Path, fmt: FileFormat, text: str) -> list[int] | None:
    """For each field of the header ``text``, the position of its column in ``fmt``.

    Returns:
        The positions, or ``None`` for a header-optional file that starts with data.

    Raises:
        DataFormatError: at line 1, the header does not name the columns as it should.
    """
    aliases = dict(fmt.aliases)
    names = [aliases.get(n, n) for n in (f.strip().strip('"') for f in text.split(fmt.sep))]
    if fmt.header_optional and _is_id(names[0]):
        return None
    problem = _header_problem(names, fmt.header)
    if not problem and (fmt.any_order or tuple(names) == fmt.header):
        return [fmt.header.index(name) for name in names]
    found = f"{text!r} ({problem or 'columns in another order'})"
    raise DataFormatError(
        path, 1, _header_expected(fmt), found if text.strip() else "an empty line"
    )


def _is_id(text: str) -> bool:
    """True if ``text`` is a non-negative integer (data, not a column name)."""
    try:
        ID.parse(text)
    except ValueError:
        return False
    return True


def _header_problem(names: list[str], header: tuple[str, ...]) -> str:
    """How the header ``names`` differs from ``header`` as a set; empty if it does not."""
    missing = [c for c in header if c not in names]
    extra = [n for n in names if n not in header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    parts = [
        f"missing {', '.join(missing)}" if missing else "",
        f"unexpected {', '.join(extra)}" if extra else "",
        f"repeated {', '.join(repeated)}" if repeated else "",
    ]
    return "; ".join(part for part in parts if part)


def _header_expected(fmt: FileFormat) -> str:
    """The header a file in ``fmt`` should start with, in words."""
    if not fmt.any_order:
        return f"the header {fmt.sep.join(fmt.header)}"
    optional = " (or no header, data from line 1)" if fmt.header_optional else ""
    return f"a header naming {','.join(fmt.header)} in any order{optional}"


# ---------------------------------------------------------------- one block


def _parse_block(path: Path, fmt: FileFormat, block: bytes, first_line: int) -> pd.DataFrame:
    """The typed frame of ``block``: the fast parse if it can be trusted, else the careful one."""
    frame = _fast(fmt, block)
    return frame if frame is not None else _careful(path, fmt, block, first_line)


def _fast(fmt: FileFormat, block: bytes) -> pd.DataFrame | None:
    """pandas' typed parse of ``block``, or ``None`` where it cannot be trusted."""
    allowed = fmt.fast_bytes
    if not fmt.fast or (allowed is not None and block.translate(None, allowed)):
        return None
    frame = _pandas_read(fmt, block)
    lines = block.count(b"\n")
    if (
        frame is None
        or frame.shape[1] != len(fmt.columns)
        or (not fmt.quoted and len(frame) != lines)
    ):
        return None
    frame.columns = list(fmt.columns)
    if not all(kind.valid(frame[name]) for name, kind in zip(fmt.columns, fmt.kinds, strict=True)):
        return None
    for name, kind in zip(fmt.columns, fmt.kinds, strict=True):
        frame[name] = kind.column(frame[name])
    return frame


def _pandas_read(fmt: FileFormat, block: bytes) -> pd.DataFrame | None:
    """pandas' C parser on ``block`` with each column's ``fast_dtype``; ``None`` if it fails."""
    sep = fmt.sep
    if len(sep) > 1:
        block, sep = block.replace(sep.encode(), b"\x1f"), "\x1f"
    width = range(len(fmt.kinds))
    try:
        return pd.read_csv(
            io.BytesIO(block),
            sep=sep,
            header=None,
            engine="c",
            dtype={i: kind.fast_dtype for i, kind in enumerate(fmt.kinds)},
            keep_default_na=False,
            na_values={i: [""] for i in width},
            quoting=csv.QUOTE_MINIMAL if fmt.quoted else csv.QUOTE_NONE,
            skip_blank_lines=False,
            encoding=fmt.encoding,
        )
    except (ValueError, OverflowError, UnicodeDecodeError):  # ParserError is a ValueError
        return None


def _careful(path: Path, fmt: FileFormat, block: bytes, first_line: int) -> pd.DataFrame:
    """Parse ``block`` line by line; the first problem raises with its line number."""
    text = _decode(path, fmt, block, first_line)
    lines = [line.removesuffix("\r") for line in text.split("\n")[:-1]]
    rows = [_parse_line(path, fmt, line, first_line + offset) for offset, line in enumerate(lines)]
    return _typed(rows, fmt)


def _decode(path: Path, fmt: FileFormat, block: bytes, first_line: int) -> str:
    """``block`` as text; raise naming the line of the first byte not in the encoding."""
    try:
        return block.decode(fmt.encoding)
    except UnicodeDecodeError as error:
        line = first_line + block.count(b"\n", 0, error.start)
        byte = block[error.start : error.start + 1]
        raise DataFormatError(path, line, f"text in {fmt.encoding}", f"the byte {byte!r}") from None


def _parse_line(path: Path, fmt: FileFormat, line: str, number: int) -> list:
    """The values of one line; raise if it has the wrong width or a field of the wrong kind."""
    fields = _split(fmt, line)
    if len(fields) != len(fmt.columns):
        raise DataFormatError(path, number, fmt.describe(), _width_found(fmt, line, fields))
    return [
        _field(path, number, name, kind, text)
        for name, kind, text in zip(fmt.columns, fmt.kinds, fields, strict=True)
    ]


def _split(fmt: FileFormat, line: str) -> list[str]:
    """The fields of ``line``; none for a blank line."""
    if not line.strip():
        return []
    if fmt.quoted:
        return next(csv.reader([line], delimiter=fmt.sep))
    return line.split(fmt.sep)


def _width_found(fmt: FileFormat, line: str, fields: list[str]) -> str:
    """What a line of the wrong width holds, with the separator it would split on, if any."""
    if not fields:
        return "an empty line"
    other = [
        sep for sep in _SEPARATORS if sep != fmt.sep and len(line.split(sep)) == len(fmt.columns)
    ]
    hint = f" (the line splits on {other[0]!r} into {len(fmt.columns)})" if other else ""
    return f"{len(fields)} fields{hint}"


def _field(path: Path, line: int, name: str, kind: Kind, text: str):
    """One field parsed by ``kind``; raise naming the line if it does not fit."""
    try:
        return kind.parse(text)
    except ValueError:
        raise DataFormatError(
            path, line, f"{name} as {kind.describe}", describe_value(text)
        ) from None


def _typed(rows: list[list], fmt: FileFormat) -> pd.DataFrame:
    """A frame of parsed ``rows`` with each column in its kind's dtype."""
    frame = pd.DataFrame(rows, columns=list(fmt.columns))
    return frame.astype(
        {name: kind.dtype for name, kind in zip(fmt.columns, fmt.kinds, strict=True)}
    )
