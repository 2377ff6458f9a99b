"""Amazon Reviews 2014 / 2018 (JSON lines or the ratings-only CSVs) and 2023 (JSON lines)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd

from gnnrec_utils.data.tables import Dataset
from gnnrec_utils.datasets.collector import Collector
from gnnrec_utils.datasets.common import (
    UNKNOWN,
    LoadOptions,
    Settings,
    rated_behaviors,
    rating_behavior,
)
from gnnrec_utils.io.delimited import FileFormat, read_blocks
from gnnrec_utils.io.errors import DataFormatError, PathLike, first_bad, raise_earliest
from gnnrec_utils.io.files import check_file, open_bytes
from gnnrec_utils.io.jsonlines import read_json_blocks
from gnnrec_utils.io.kinds import NUMBER, SECONDS, TEXT

__all__ = ["AMAZON_CSV_ORDER", "AMAZON_JSON_FIELDS", "load_amazon_reviews"]

AMAZON_JSON_FIELDS = {
    "user": ("user_id", "reviewerID"),
    "item": ("parent_asin", "asin"),
    "rating": ("rating", "overall"),
    "timestamp": ("timestamp", "unixReviewTime"),
}
_ASIN = re.compile(r"B0[0-9A-Z]{8}|[0-9]{9}[0-9X]")
AMAZON_CSV_ORDER = {
    "2014": ("user", "item", "rating", "timestamp"),
    "2018": ("item", "user", "rating", "timestamp"),
}


def _amazon_csv_format(order: tuple[str, ...]) -> FileFormat:
    """The ratings-only CSV with its columns in ``order`` (ids are text, ASINs or not)."""
    kinds = {"user": TEXT, "item": TEXT, "rating": NUMBER, "timestamp": SECONDS}
    return FileFormat("ratings, one per line", order, tuple(kinds.get(c, TEXT) for c in order))


def load_amazon_reviews(
    path: PathLike,
    *,
    release: str | None = None,
    behavior_of: Callable = rating_behavior,
    download: bool = False,
    category: str | None = None,
    root: PathLike | None = None,
    **options: Unpack[LoadOptions],
) -> Dataset:
    """Amazon Reviews: JSON lines (plain or ``.gz``) or the headerless ratings-only CSV.

    * JSON lines, 2014 / 2018: ``reviewerID, asin, overall, unixReviewTime`` (seconds);
      2023: ``user_id, parent_asin, rating, timestamp`` (milliseconds). The keys tell
      the release apart; other keys (the review text) are ignored.
    * CSV: ``user,item,rating,timestamp`` (2014) or ``item,user,rating,timestamp``
      (2018). Pass ``release="2014"`` or ``"2018"``; without it the loader looks at the
      first block and takes as the item column the one whose values look like ASINs
      (ten characters, ``B0`` + 8, or an ISBN-10), and the report says which it assumed.

    Reviews carry no category: every item gets ``"unknown"``.

    Args:
        path: the file (ignored with ``download=True``).
        release: ``"2014"``, ``"2018"`` or ``"2023"``; ``None``: told from the file.
        behavior_of: ratings to behaviours (default :func:`rating_behavior`).
        options: the options shared by all loaders (:class:`LoadOptions`).
        download, category, root: fetch the ratings-only CSV of ``category`` (e.g.
            ``"Digital_Music"``) for ``release`` 2014 or 2018, or the 2023 JSON lines.

    Returns:
        A :class:`~gnnrec_utils.data.Dataset`.

    Raises:
        ValueError: an unknown ``release``.
        MissingFileError: no file at ``path``.
        DataFormatError: naming the file, line and expectation of the first problem.
    """
    if release is not None and release not in ("2014", "2018", "2023"):
        raise ValueError(f"release must be '2014', '2018' or '2023', got {release!r}")
    if download:
        from gnnrec_utils.datasets.download import amazon_fetch

        path = amazon_fetch(release or "2018", category, root=root)
    settings = Settings(**options)
    file = Path(path)
    check_file(file, "Amazon reviews (JSON lines or a ratings-only CSV)")
    suffixes = [s for s in file.suffixes if s != ".gz"]
    if suffixes and suffixes[-1] in (".json", ".jsonl"):
        return _amazon_json(file, release, behavior_of, settings)
    return _amazon_csv(file, release, behavior_of, settings)


def _amazon_json(file: Path, release, behavior_of, options) -> Dataset:
    collector = None
    for line, frame in read_json_blocks(file, AMAZON_JSON_FIELDS, options.block_bytes):
        if collector is None:
            unit = "ms" if release == "2023" or (release is None and _json_is_2023(file)) else "s"
            collector = Collector(
                f"Amazon Reviews {'2023' if unit == 'ms' else '2014/2018'} ({file.name})",
                options,
                unit=unit,
            )
        _add_amazon(collector, file, line, frame, behavior_of)
    return collector.finish()


def _json_is_2023(file: Path) -> bool:
    """True if the first line names its rating ``rating`` (2023) rather than ``overall``."""
    import json

    with open_bytes(file) as stream:
        return "rating" in json.loads(stream.readline())


def _bad_amazon_id(file: Path, line: int, values: np.ndarray, name: str) -> DataFormatError | None:
    """The error for the first id of a block that is not a non-empty text, if any."""
    bad = np.array([not isinstance(v, str) or v == "" for v in values], dtype=bool)
    return first_bad(
        file, line, bad, f"{name} as a non-empty text id", lambda row: repr(values[row])
    )


def _bad_amazon_time(file: Path, line: int, values: np.ndarray) -> DataFormatError | None:
    """The error for the first timestamp of a block that is not a Unix time, if any."""
    bad = np.array(
        [
            not (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
            and not (isinstance(v, str) and v.isdigit())
            for v in values
        ],
        dtype=bool,
    )
    return first_bad(
        file,
        line,
        bad,
        "timestamp as a Unix time (non-negative integer)",
        lambda row: repr(values[row]),
    )


def _add_amazon(
    collector: Collector, file: Path, line: int, frame: pd.DataFrame, behavior_of
) -> None:
    """Check the four columns of a block and add it."""
    user, item = frame.user.to_numpy(dtype=object), frame.item.to_numpy(dtype=object)
    given, ts = frame.rating.to_numpy(dtype=object), frame.timestamp.to_numpy(dtype=object)
    rating = pd.to_numeric(frame.rating, errors="coerce").to_numpy(dtype=np.float64)
    raise_earliest(
        _bad_amazon_id(file, line, user, "user"),
        _bad_amazon_id(file, line, item, "item"),
        first_bad(
            file,
            line,
            ~((rating >= 0) & (rating <= 5)),
            "rating as a number from 0 to 5",
            lambda row: repr(given[row]),
        ),
        _bad_amazon_time(file, line, ts),
    )
    collector.add(
        file,
        line,
        user,
        item,
        np.full(len(frame), UNKNOWN, dtype=object),
        rated_behaviors(behavior_of, rating),
        ts.astype(np.int64),
        rating,
    )


def _guess_amazon_order(file: Path, frame: pd.DataFrame) -> tuple[str, str]:
    """``(release, reason)`` from how many values of each of the first two columns look like ASINs."""
    share = [frame[c].astype(str).str.fullmatch(_ASIN).mean() for c in frame.columns[:2]]
    if max(share) < 0.5 or min(share) > 0.5:
        raise DataFormatError(
            file,
            None,
            "ASINs (B0 + 8 characters, or ISBN-10) in one of the first "
            "two columns, to tell the 2014 order from the 2018 one",
            f"{share[0]:.0%} and {share[1]:.0%} of them look like ASINs: "
            "pass release='2014' or '2018'",
        )
    release = "2014" if share[1] > share[0] else "2018"
    return release, (
        f"assumed the {release} column order ({','.join(AMAZON_CSV_ORDER[release])}): "
        f"{max(share):.0%} of column {2 if release == '2014' else 1} look like ASINs"
    )


def _amazon_csv(file: Path, release, behavior_of, options) -> Dataset:
    probe = _amazon_csv_format(("a", "b", "rating", "timestamp"))
    collector, fmt = None, None
    if release in AMAZON_CSV_ORDER:
        fmt, reason = _amazon_csv_format(AMAZON_CSV_ORDER[release]), f"release {release} as given"
    for line, frame in read_blocks(file, fmt or probe, options.block_bytes):
        if collector is None:
            if fmt is None:
                release, reason = _guess_amazon_order(file, frame)
                fmt = _amazon_csv_format(AMAZON_CSV_ORDER[release])
            collector = Collector(f"Amazon Reviews {release} ratings ({file.name})", options)
            collector.note("column order", None, reason)
        frame.columns = list(fmt.columns)
        _add_amazon(collector, file, line, frame, behavior_of)
    return collector.finish()
