"""EASE^R (:class:`EASE`), a closed-form linear item-item model, and its memory
estimate (:func:`ease_memory_bytes`, checked against :func:`~gnnrec_utils.machine.available_memory_bytes`
before the fit allocates anything).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from gnnrec_utils.machine import available_memory_bytes
from gnnrec_utils.models.base import Recommender

__all__ = ["EASE", "ease_memory_bytes"]


def ease_memory_bytes(
    *, num_users: int = 0, num_items: int, dtype: torch.dtype = torch.float64
) -> int:
    r"""Bytes :class:`EASE` holds at its peak for ``num_items`` items.

    Three dense (num_items, num_items) matrices are alive at once in every step of the
    fit: while ``torch.linalg.inv`` runs, its input (the Gram matrix plus
    :math:`\lambda I`), the LU factor it works on and the inverse it returns; before
    that the Gram matrix, :math:`\lambda I` and their sum; after it :math:`P`,
    :math:`B` and :math:`B^\top`. (Measured: 3.2 such matrices of peak resident memory
    at 7,000 items; the rest is LAPACK's workspace.) The model also keeps the dense
    (num_users, num_items) interaction matrix, counted when ``num_users`` is given.

    Args:
        num_users: rows of the interaction matrix. (default: 0, left out)
        num_items: catalogue size.
        dtype: precision of the solve. (default: ``torch.float64``)

    Every argument is a keyword, so that the two counts cannot be swapped.
    """
    for value, name in ((num_items, "num_items"), (num_users, "num_users")):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    itemsize = torch.empty((), dtype=dtype).element_size()
    return itemsize * (3 * int(num_items) ** 2 + int(num_users) * int(num_items))


def _check_ease_fits(shape, dtype: torch.dtype, max_bytes: float | None) -> None:
    """Raise ``MemoryError`` before EASE allocates more than ``max_bytes``."""
    source = "max_bytes"
    if max_bytes is None:
        max_bytes, source = available_memory_bytes(), "available (MemAvailable)"
    need = ease_memory_bytes(num_users=int(shape[0]), num_items=int(shape[1]), dtype=dtype)
    if max_bytes is not None and need > max_bytes:
        raise MemoryError(
            f"EASE over {shape[1]:,} items needs about {need / 2**30:.1f} GiB ({need:,} bytes: "
            f"three {shape[1]:,} x {shape[1]:,} {dtype} matrices at once plus the "
            f"{shape[0]:,} x {shape[1]:,} interaction matrix), more than the {max_bytes:,.0f} "
            f"bytes {source}; use fewer items, dtype=torch.float32, or "
            "ItemKNN(..., top_neighbours=..., block_size=...)"
        )


class EASE(Recommender):
    r"""EASE^R (Steck, WWW 2019, https://arxiv.org/abs/1905.03375): a linear item-item
    model with a closed-form solution.

    .. math::
        B = \arg\min_B \lVert X - XB \rVert_F^2 + \lambda \lVert B \rVert_F^2
            \ \text{s.t.}\ \operatorname{diag}(B) = 0, \qquad
        P = (X^\top X + \lambda I)^{-1}, \quad B_{ij} = -P_{ij} / P_{jj}\ (i \ne j)

    and :math:`\hat y_{u} = x_u B`. ``get_embedding`` returns the interaction rows and
    :math:`B^\top`, so the dot product is that score. Inverting the item-item matrix
    costs :math:`O(I^3)`: seconds for a few thousand items. Memory is three dense
    item-item matrices at once (:func:`ease_memory_bytes`): those alone fill 16 GiB at
    about 26,700 items and 24 GiB at 32,700 in float64, at 37,800 and 46,300 in float32.
    The fit checks this before allocating anything.

    Args:
        interactions: binary (num_users, num_items) interaction matrix, dense or sparse.
        l2: the weight :math:`\lambda`. (default: 500.0)
        dtype: precision of the solve and the stored matrices. (default: ``torch.float64``)
        max_bytes: raise ``MemoryError`` instead of fitting when
            :func:`ease_memory_bytes` exceeds it; ``float("inf")`` skips the check.
            (default: ``None``, the machine's available memory, no limit where unknown)
    """

    def __init__(
        self,
        interactions: Tensor,
        l2: float = 500.0,
        dtype: torch.dtype = torch.float64,
        max_bytes: float | None = None,
    ):
        _check_ease_fits(interactions.shape, dtype, max_bytes)
        x = (interactions.to_dense() if interactions.is_sparse else interactions).to(dtype)
        super().__init__(*x.shape)
        p = torch.linalg.inv(x.T @ x + l2 * torch.eye(x.shape[1], dtype=dtype))
        b = -p / torch.diagonal(p)
        b.fill_diagonal_(0.0)
        self.l2 = l2
        self.register_buffer("interactions", x, persistent=False)
        self.register_buffer("weights_t", b.T.contiguous(), persistent=False)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        return self.interactions, self.weights_t

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, l2={self.l2}"
