"""JSON-lines files (one object per line, plain or gzip) read in blocks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from gnnrec_utils.io.errors import DataFormatError, PathLike
from gnnrec_utils.io.files import BLOCK_BYTES, check_file, raw_blocks

__all__ = ["read_json_blocks"]

_WHAT = "one JSON object per line"


def read_json_blocks(
    path: PathLike, fields: dict[str, tuple[str, ...]], block_bytes: int = BLOCK_BYTES
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Yield ``(file line of its first row, frame)`` per block of a JSON-lines file.

    Args:
        path: the file (``.gz`` for gzip-compressed).
        fields: each output column and the keys it may come from, first match wins
            (Amazon 2023 names the item ``parent_asin``, older files ``asin``).
        block_bytes: about how many bytes of text a block holds.

    Returns:
        An iterator of frames with one column per entry of ``fields``, values as parsed.

    Raises:
        MissingFileError: no file at ``path``.
        DataFormatError: an empty file, a line that is not a JSON object or lacks a key
            of some entry of ``fields``, a broken gzip stream.
    """
    path = Path(path)
    check_file(path, _WHAT)
    empty = True
    for line, block in raw_blocks(path, block_bytes, kind="JSON-lines"):
        empty = False
        yield line, _json_block(path, block, line, fields)
    if empty:
        raise DataFormatError(path, None, _WHAT, "an empty file")


def _json_block(
    path: Path, block: bytes, first_line: int, fields: dict[str, tuple[str, ...]]
) -> pd.DataFrame:
    """The records of one block as columns, one row per line."""
    columns = {name: [] for name in fields}
    for offset, text in enumerate(block.split(b"\n")[:-1]):
        record = _record(path, first_line + offset, text)
        for name, keys in fields.items():
            columns[name].append(record[_key(path, first_line + offset, record, keys)])
    return pd.DataFrame(columns)


def _record(path: Path, line: int, text: bytes) -> dict:
    """The JSON object on one line; raise naming the line if it is not one."""
    try:
        record = json.loads(text)
    except ValueError:
        found = "an empty line" if not text.strip() else repr(text[:60].decode("utf-8", "replace"))
        raise DataFormatError(path, line, _WHAT, found) from None
    if not isinstance(record, dict):
        raise DataFormatError(path, line, _WHAT, type(record).__name__)
    return record


def _key(path: Path, line: int, record: dict, keys: tuple[str, ...]) -> str:
    """The first of ``keys`` that ``record`` holds; raise naming the line if none."""
    key = next((k for k in keys if k in record), None)
    if key is None:
        raise DataFormatError(
            path, line, f"a key {' or '.join(keys)}", f"keys {', '.join(sorted(record))}"
        )
    return key
