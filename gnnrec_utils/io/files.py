"""Finding data files, opening them (plain or gzip) and reading them in blocks of whole lines."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from gnnrec_utils.io.errors import DataFormatError, MissingFileError, PathLike

__all__ = ["BLOCK_BYTES", "check_file", "find_file", "open_bytes", "raw_blocks"]

BLOCK_BYTES = 1 << 24  # 16 MiB of text per block


def open_bytes(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, through gzip when its name ends in ``.gz``.

    Args:
        path: the file.

    Returns:
        A binary stream of its (decompressed) bytes, to use in a ``with`` block.
    """
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def check_file(path: Path, holding: str) -> None:
    """Raise unless ``path`` is a file.

    Args:
        path: where the file should be.
        holding: what it should hold, for the message.

    Raises:
        MissingFileError: nothing, or a folder, at ``path``.
    """
    if not path.is_file():
        found = "a folder" if path.is_dir() else "no such file"
        raise MissingFileError(path, None, f"a file at {path} holding {holding}", found)


def find_file(path: PathLike, names: Iterable[str], what: str) -> Path:
    """``path`` if it is a file, else the first of ``names`` in the folder ``path``.

    Args:
        path: a file, or the folder to look in.
        names: the file names to look for, in order of preference.
        what: what the file holds, for the message.

    Returns:
        The file's path.

    Raises:
        MissingFileError: ``path`` does not exist, or the folder holds none of ``names``
            (the error then names the first of them).
    """
    path, names = Path(path), list(names)
    if path.is_file():
        return path
    if not path.is_dir():
        raise MissingFileError(
            path,
            None,
            f"{what} at {path} (a file or its folder)",
            "no file or folder (nothing is there)",
        )
    for name in names:
        if (path / name).is_file():
            return path / name
    raise MissingFileError(
        path / names[0],
        None,
        f"{what} in the folder {path} (one of {', '.join(names)})",
        "no such file (nor any of the others)",
    )


def _broken(path: Path, kind: str, line: int, at_start: bool, error: Exception) -> DataFormatError:
    """The error for a compressed stream that cannot be read on from ``line``."""
    if at_start and isinstance(error, gzip.BadGzipFile):
        return DataFormatError(
            path,
            None,
            f"a gzip-compressed {kind} file (the name ends in .gz)",
            "bytes that are not gzip",
        )
    return DataFormatError(
        path, line, "a complete gzip-compressed file", f"the compressed data breaking off ({error})"
    )


def raw_blocks(path: Path, block_bytes: int, kind: str = "CSV") -> Iterator[tuple[int, bytes]]:
    """``(file line of its first line, bytes)`` for blocks of whole lines, the last one completed.

    Args:
        path: a plain or gzip-compressed (``.gz``) text file.
        block_bytes: about how many bytes a block holds (it ends at a line end).
        kind: what kind of text file it is, for the message on bytes that are not gzip.

    Raises:
        DataFormatError: a ``.gz`` file that is not gzip, or whose data breaks off.
    """
    line, rest = 1, b""
    with open_bytes(path) as stream:
        while True:
            try:
                data = stream.read(block_bytes)
            except (EOFError, OSError, zlib.error) as error:
                at = line + rest.count(b"\n")
                raise _broken(path, kind, at, line == 1 and not rest, error) from None
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if cut:
                yield line, data[:cut]
                line += data.count(b"\n", 0, cut)
            rest = data[cut:]
    if rest:
        yield line, rest + b"\n"
