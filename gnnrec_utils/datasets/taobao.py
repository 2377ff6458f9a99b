"""Taobao's UserBehavior log (Tianchi dataset 649): ``UserBehavior.csv``."""

from __future__ import annotations

from typing import Unpack

from gnnrec_utils.data.constants import BEHAVIORS, EVENT_COLUMNS
from gnnrec_utils.data.tables import Dataset
from gnnrec_utils.datasets.collector import Collector
from gnnrec_utils.datasets.common import LoadOptions, Settings, source_path
from gnnrec_utils.io.delimited import FileFormat, read_blocks
from gnnrec_utils.io.errors import PathLike
from gnnrec_utils.io.files import find_file
from gnnrec_utils.io.kinds import ID, SECONDS, OneOf

__all__ = ["TAOBAO_FORMAT", "TAOBAO_WINDOW", "load_taobao_userbehavior"]

TAOBAO_FORMAT = FileFormat(
    "UserBehavior events, one per line", EVENT_COLUMNS, (ID, ID, ID, OneOf(BEHAVIORS), SECONDS)
)
#: The official window, 2017-11-25 to 2017-12-03 inclusive, China time (UTC+8).
TAOBAO_WINDOW = (1511539200, 1512316800)


def load_taobao_userbehavior(
    path: PathLike,
    *,
    download: bool = False,
    root: PathLike | None = None,
    **options: Unpack[LoadOptions],
) -> Dataset:
    """Taobao's UserBehavior log: ``user_id,item_id,category_id,behavior_type,timestamp``.

    ``path`` is ``UserBehavior.csv`` (or ``.csv.gz``) or its folder. No header;
    behaviours ``pv, buy, cart, fav``; Unix seconds. The published log has a few
    rows outside the official 9 days: pass ``window=TAOBAO_WINDOW`` to drop them.
    The full log (100 million rows, 3.4 GiB) loads in blocks: see
    ``benchmarks/big_file.py`` for time and memory. The dataset needs a Tianchi
    login, so ``download=True`` only says where to get it.

    Args:
        path: the file or its folder (ignored with ``download=True``).
        options: the options shared by all loaders (:class:`LoadOptions`).
        download, root: look in the cache folder ``root`` (see
            :mod:`gnnrec_utils.datasets.download`).

    Returns:
        A :class:`~gnnrec_utils.data.Dataset`.

    Raises:
        MissingFileError: no ``UserBehavior.csv`` at ``path``.
        DataFormatError: naming the file, line and expectation of the first problem.
    """
    path = source_path(path, download and "taobao-userbehavior", root)
    settings = Settings(**options)
    file = find_file(path, ("UserBehavior.csv", "UserBehavior.csv.gz"), "the UserBehavior log")
    collector = Collector(f"Taobao UserBehavior ({file.name})", settings)
    for line, frame in read_blocks(file, TAOBAO_FORMAT, settings.block_bytes):
        collector.add(
            file,
            line,
            frame.user_id.to_numpy(),
            frame.item_id.to_numpy(),
            frame.category_id.to_numpy(),
            frame.behavior.cat.codes.to_numpy(),
            frame.timestamp.to_numpy(),
        )
    return collector.finish()
