"""Argument checks shared across the kit: a bad value is refused with its name.

Every public function that takes ids, a count, a size or an embedding table checks it
here, so that a wrong argument raises a ``ValueError`` naming the argument and what
was expected, not an ``IndexError`` from deep inside torch or numpy.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "as_ids",
    "as_matrix",
    "check_adjacency",
    "check_between",
    "check_positive",
    "check_range",
]


def check_positive(value, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer ``>= 1`` (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_between(name: str, ids: Tensor, low: int, high: int) -> None:
    """Raise ``ValueError`` unless every id is in ``[low, high)``."""
    if ids.numel() and (int(ids.min()) < low or int(ids.max()) >= high):
        raise ValueError(
            f"{name} must lie in [{low}, {high}), found [{int(ids.min())}, {int(ids.max())}]"
        )


def check_range(name: str, ids: Tensor, size: int) -> None:
    """Raise ``ValueError`` unless every id is in ``[0, size)``."""
    check_between(name, ids, 0, size)


def as_ids(users, name: str = "users", bound: int | None = None) -> np.ndarray:
    """``users`` as a 1-D int64 array, each id in ``[0, bound)``."""
    ids = np.asarray(users)
    if ids.ndim != 1 or (len(ids) and not np.issubdtype(ids.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-D array of integer ids, got shape {ids.shape}")
    ids = ids.astype(np.int64)
    bad = ids[(ids < 0) | (ids >= (bound if bound is not None else np.iinfo(np.int64).max))]
    if len(bad):
        limit = f"[0, {bound})" if bound is not None else "non-negative"
        raise ValueError(f"{name} must be ids in {limit}, got {bad[0]}")
    return ids


def as_matrix(emb, name: str = "embeddings") -> np.ndarray:
    """``emb`` (tensor or array) as a C-contiguous float32 (n, d) array."""
    x = emb.detach().cpu().numpy() if isinstance(emb, Tensor) else np.asarray(emb)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (n, d) array, got shape {x.shape}")
    return np.ascontiguousarray(x, dtype=np.float32)


def check_adjacency(adj: Tensor, num_users: int, num_items: int) -> None:
    """Raise ``ValueError`` unless ``adj`` is a square adjacency over users + items with
    at least one edge."""
    n = num_users + num_items
    if adj.dim() != 2 or tuple(adj.shape) != (n, n):
        raise ValueError(
            f"adj: expected a square adjacency over {num_users} users + {num_items} items "
            f"({n} x {n}), got {tuple(adj.shape)}"
        )
    nnz = adj._nnz() if adj.layout == torch.sparse_coo else None
    if adj.layout == torch.sparse_csr:
        nnz = adj.values().numel()
    if nnz is None:
        nnz = int(torch.count_nonzero(adj))
    if nnz == 0:
        raise ValueError("adj: the graph has no edge; a model needs at least one interaction")
