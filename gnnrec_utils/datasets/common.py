"""What every public loader shares: the options, ratings to behaviours, the source.

:class:`LoadOptions` (the keywords every loader takes) and :class:`Settings` (them
checked, with their defaults); :func:`rating_behavior`, the default rule from
ratings to behaviours, and :func:`rated_behaviors` / :func:`behavior_codes`, which
turn labels into the int8 codes the collector stores; :func:`source_path`, the
``download=`` switch of the loaders; :data:`UNKNOWN`, the category of an item
whose format has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import BEHAVIORS
from gnnrec_utils.io.errors import PathLike
from gnnrec_utils.io.files import BLOCK_BYTES

__all__ = [
    "UNKNOWN",
    "LoadOptions",
    "Settings",
    "behavior_codes",
    "rated_behaviors",
    "rating_behavior",
    "source_path",
]

UNKNOWN = "unknown"


def rating_behavior(ratings: np.ndarray) -> np.ndarray:
    """The default rule: a rating of 4 or more is a ``buy``, anything lower a ``pv``."""
    return np.where(np.asarray(ratings) >= 4, "buy", "pv")


# ---------------------------------------------------------------- options


class LoadOptions(TypedDict, total=False):
    """The options every public loader takes as keywords (see :mod:`gnnrec_utils.datasets`).

    Attributes:
        window: ``(start, end)``: keep events with ``start <= timestamp < end``.
        sample_users: keep this fraction of the users, chosen by a seeded hash.
        seed: the seed of that hash.
        duplicates: ``"drop"`` (default), ``"keep"`` or ``"error"``.
        k_core: then keep users and items with at least this many events, repeatedly.
        verbose: print the report (default ``True``).
        block_bytes: about how many bytes of text are parsed at a time.
    """

    window: tuple | None
    sample_users: float | None
    seed: int
    duplicates: str
    k_core: int | None
    verbose: bool
    block_bytes: int


@dataclass
class Settings:
    window: tuple | None = None
    sample_users: float | None = None
    seed: int = 0
    duplicates: str = "drop"
    k_core: int | None = None
    verbose: bool = True
    block_bytes: int = BLOCK_BYTES

    def __post_init__(self):
        if self.duplicates not in ("drop", "keep", "error"):
            raise ValueError(
                f"duplicates must be 'drop', 'keep' or 'error', got {self.duplicates!r}"
            )
        if self.sample_users is not None and not 0 < self.sample_users <= 1:
            raise ValueError(
                f"sample_users must be a fraction in (0, 1], got {self.sample_users!r}"
            )
        if self.k_core is not None and (not isinstance(self.k_core, int) or self.k_core < 1):
            raise ValueError(f"k_core must be a positive integer, got {self.k_core!r}")
        if self.window is not None:
            if len(self.window) != 2:
                raise ValueError(f"window must be (start, end), got {self.window!r}")
            self.window = tuple(_seconds(t) for t in self.window)


def _seconds(moment) -> int:
    """Unix seconds from a number or anything ``pandas.Timestamp`` reads (as UTC)."""
    if isinstance(moment, (int, np.integer, float)):
        return int(moment)
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return int(stamp.timestamp())


def source_path(path: PathLike, download: str | bool, root: PathLike | None) -> PathLike:
    """``path``, or the folder of the dataset named ``download`` in the cache ``root``."""
    if not download:
        return path
    from gnnrec_utils.datasets.download import fetch

    return fetch(download, root=root)


def behavior_codes(labels) -> np.ndarray:
    """int8 codes of behaviour labels in :data:`BEHAVIORS`."""
    return pd.Index(BEHAVIORS).get_indexer(np.asarray(labels, dtype=object)).astype(np.int8)


def rated_behaviors(behavior_of: Callable, ratings: np.ndarray) -> np.ndarray:
    """Behaviour codes from ``behavior_of(ratings)``; a clear error if it returns something else."""
    labels = np.asarray(behavior_of(ratings))
    if labels.shape != ratings.shape:
        raise ValueError(
            f"behavior_of must return one behaviour per rating ({ratings.shape}), "
            f"returned shape {labels.shape}"
        )
    codes = behavior_codes(labels)
    if (codes < 0).any():
        bad = labels[np.flatnonzero(codes < 0)[0]]
        raise ValueError(
            f"behavior_of returned {str(bad)!r}; expected one of {', '.join(BEHAVIORS)}"
        )
    return codes
