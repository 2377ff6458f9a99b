"""RetailRocket's e-commerce dataset: ``events.csv`` and the item property files."""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd

from gnnrec_utils.data.tables import Dataset
from gnnrec_utils.datasets.collector import Collector
from gnnrec_utils.datasets.common import LoadOptions, Settings, behavior_codes, source_path
from gnnrec_utils.io.delimited import FileFormat, read_blocks
from gnnrec_utils.io.errors import PathLike, first_bad, raise_earliest
from gnnrec_utils.io.files import find_file
from gnnrec_utils.io.kinds import ANY, DIGITS, ID, MILLISECONDS, TEXT, OneOf, Text

__all__ = ["RR_BEHAVIORS", "RR_EVENTS", "RR_PROPERTIES", "load_retailrocket"]

RR_EVENTS = FileFormat(
    "events, one per line",
    ("timestamp", "visitorid", "event", "itemid", "transactionid"),
    (
        MILLISECONDS,
        ID,
        OneOf(("view", "addtocart", "transaction")),
        ID,
        Text("a transaction id, or nothing", fast_bytes=DIGITS),
    ),
    header=("timestamp", "visitorid", "event", "itemid", "transactionid"),
)
RR_PROPERTIES = FileFormat(
    "item properties, one per line",
    ("timestamp", "itemid", "property", "value"),
    (MILLISECONDS, ID, TEXT, ANY),
    header=("timestamp", "itemid", "property", "value"),
)
#: RetailRocket's events as the kit's behaviours.
RR_BEHAVIORS = {"view": "pv", "addtocart": "cart", "transaction": "buy"}


def load_retailrocket(
    path: PathLike,
    *,
    download: bool = False,
    root: PathLike | None = None,
    **options: Unpack[LoadOptions],
) -> Dataset:
    """RetailRocket: ``events.csv`` (``timestamp,visitorid,event,itemid,transactionid``,
    milliseconds) and, when in the same folder, ``item_properties_part*.csv``.

    ``view`` / ``addtocart`` / ``transaction`` become ``pv`` / ``cart`` / ``buy``. An
    item's category is its latest ``categoryid`` property (items change category over
    time); items without one get the category ``-1`` (unknown), counted in the report.

    Args:
        path: ``events.csv`` or its folder (ignored with ``download=True``).
        options: the options shared by all loaders (:class:`LoadOptions`).
        download, root: the dataset is on Kaggle behind a login, so ``download=True``
            only says where to get it (or uses what is in ``root``).

    Returns:
        A :class:`~gnnrec_utils.data.Dataset`.

    Raises:
        MissingFileError: no ``events.csv`` at ``path``.
        DataFormatError: naming the file, line and expectation of the first problem.
    """
    path = source_path(path, download and "retailrocket", root)
    settings = Settings(**options)
    file = find_file(path, ("events.csv", "events.csv.gz"), "RetailRocket's events.csv")
    properties = sorted(file.parent.glob("item_properties_part*.csv*"))
    category = _rr_categories(properties, settings.block_bytes)
    collector = Collector(f"RetailRocket ({file.name})", settings, unit="ms")
    codes = behavior_codes(list(RR_BEHAVIORS.values()))
    for line, frame in read_blocks(file, RR_EVENTS, settings.block_bytes):
        item = frame.itemid.to_numpy()
        cat = (
            category.reindex(item, fill_value=-1).to_numpy()
            if len(category)
            else np.full(len(item), -1)
        )
        collector.add(
            file,
            line,
            frame.visitorid.to_numpy(),
            item,
            cat,
            codes[frame.event.cat.codes.to_numpy()],
            frame.timestamp.to_numpy(),
        )
    collector.note(
        "categories",
        None,
        f"from {len(category):,} items' categoryid properties "
        f"({'none found' if not len(category) else 'latest value per item'}); others -1",
    )
    return collector.finish()


def _rr_category_rows(file: Path, line: int, frame: pd.DataFrame) -> pd.DataFrame:
    """The ``categoryid`` rows of a properties block, values as integers; raise on one that is not."""
    is_category = frame.property.to_numpy() == "categoryid"
    value = frame.value.to_numpy(dtype=object)
    bad = np.zeros(len(frame), dtype=bool)
    bad[is_category] = [not (v.isascii() and v.isdigit()) for v in value[is_category]]
    raise_earliest(
        first_bad(
            file,
            line,
            bad,
            "a categoryid value as a non-negative integer",
            lambda row: repr(value[row]),
        )
    )
    rows = frame[is_category]
    return rows.assign(value=value[is_category].astype(np.int64))[["timestamp", "itemid", "value"]]


def _rr_categories(files: list[Path], block_bytes: int) -> pd.Series:
    """Latest ``categoryid`` per item over the property files, as a Series item -> category."""
    found = [
        _rr_category_rows(file, line, frame)
        for file in files
        for line, frame in read_blocks(file, RR_PROPERTIES, block_bytes)
    ]
    if not found:
        return pd.Series(dtype=np.int64)
    table = pd.concat(found, ignore_index=True).sort_values(["itemid", "timestamp"], kind="stable")
    return table.drop_duplicates("itemid", keep="last").set_index("itemid")["value"]
