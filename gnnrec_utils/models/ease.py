"""EASE^R (:class:`EASE`), a closed-form linear item-item model, and its memory
estimate (:func:`ease_memory_bytes`, checked against :func:`~gnnrec_utils.machine.available_memory_bytes`
before the fit allocates anything).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from gnnrec_utils.graph.sparse import (
    csr_row_block,
    csr_rows_as_columns,
    sparse_csr,
    transpose_csr,
)
from gnnrec_utils.machine import available_memory_bytes
from gnnrec_utils.models.base import Recommender

__all__ = ["EASE", "ease_memory_bytes"]


def ease_memory_bytes(
    *, num_users: int = 0, num_items: int, dtype: torch.dtype = torch.float64
) -> int:
    r"""Bytes :class:`EASE` holds at its peak for ``num_items`` items.

    The fit works in one dense (num_items, num_items) buffer: the Gram matrix is built
    in it, factored in place (Cholesky, :math:`LL^\top`), overwritten with
    :math:`L^{-1}` and then with :math:`P = L^{-\top} L^{-1}`, which becomes :math:`B`
    in place; the recursive steps borrow quarter-size blocks. (Measured: 2.0 such
    matrices of peak resident memory at 12,000 items in float32, most of the second one
    while the Cholesky factor is formed; counted here as 2.25.) The interactions
    stay sparse; with ``num_users`` given, one scoring chunk of at most 1,024 users'
    dense scores is counted as well.

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
    chunk = min(int(num_users), 1024)  # the users ``recommend`` scores at once by default
    return itemsize * (9 * int(num_items) ** 2 // 4 + chunk * int(num_items))


def _check_ease_fits(shape, dtype: torch.dtype, max_bytes: float | None) -> None:
    """Raise ``MemoryError`` before EASE allocates more than ``max_bytes``."""
    source = "max_bytes"
    if max_bytes is None:
        max_bytes, source = available_memory_bytes(), "available (MemAvailable)"
    need = ease_memory_bytes(num_users=int(shape[0]), num_items=int(shape[1]), dtype=dtype)
    if max_bytes is not None and need > max_bytes:
        raise MemoryError(
            f"EASE over {shape[1]:,} items needs about {need / 2**30:.1f} GiB ({need:,} bytes: "
            f"2.25 {shape[1]:,} x {shape[1]:,} {dtype} matrices at once plus a "
            f"scoring chunk of {min(int(shape[0]), 1024):,} users), more than the {max_bytes:,.0f} "
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

    and :math:`\hat y_{u} = x_u B`, computed a chunk of users at a time as a sparse
    product of their rows with :math:`B`. Inverting the item-item matrix costs
    :math:`O(I^3)`, spent in dense matrix products (``benchmarks/README.md`` records the
    fit over Gowalla's 40,981 items). Memory is at most 2.25 dense item-item matrices at
    once (:func:`ease_memory_bytes`): 16 GiB at about 30,900 items in float64 and 43,700 in
    float32. The fit checks this before allocating anything.

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
        x = sparse_csr(interactions, dtype)
        super().__init__(*x.shape)
        weights = _gram(x)
        weights.diagonal().add_(l2)
        _invert_spd_in_place(weights)  # P
        weights.div_(weights.diagonal().clone().neg_())  # column j over -P_jj
        weights.fill_diagonal_(0.0)  # B
        self.l2 = l2
        self.register_buffer("interactions", x, persistent=False)
        self.register_buffer("weights", weights, persistent=False)

    @property
    def weights_t(self) -> Tensor:
        """:math:`B^\top`, a view (the item vectors of :meth:`get_embedding`)."""
        return self.weights.T

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        """The dense interaction rows and :math:`B^\top`: their dot products are the
        scores. Builds the dense (num_users, num_items) matrix; :meth:`scorer` does not."""
        return self.interactions.to_dense(), self.weights_t

    def scorer(self) -> Callable[[np.ndarray], Tensor]:
        """Scores of a chunk of users: their sparse rows of the interactions times
        :math:`B`, never the dense interaction matrix."""

        def scores(users) -> Tensor:
            rows = torch.as_tensor(np.asarray(users), dtype=torch.long)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
                chunk = transpose_csr(csr_rows_as_columns(self.interactions, rows))
                return chunk @ self.weights

        return scores

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, l2={self.l2}"


def _gram(x: Tensor) -> Tensor:
    r""":math:`X^\top X` of a sparse CSR ``x`` as a dense matrix, built a block of item
    rows at a time (each block: a sparse product with a dense slice of ``x``'s columns)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
        xt = transpose_csr(x)  # (items, users)
        n = x.shape[1]
        # a block's product and its dense slice of x each at most 1/16 of the result
        block = max(1, min(2048, n // 16, n * n // (16 * max(1, x.shape[0]))))
        gram = torch.empty((n, n), dtype=x.dtype)
        for lo in range(0, n, block):
            hi = min(lo + block, n)
            columns = csr_row_block(xt, lo, hi).to_dense().T.contiguous()  # (users, hi - lo)
            gram[lo:hi] = (xt @ columns).T  # symmetric: rows lo:hi are columns lo:hi
        return gram


def _invert_spd_in_place(a: Tensor) -> None:
    r"""Overwrite the symmetric positive definite ``a`` with its inverse.

    :math:`a = LL^\top` (Cholesky, in place), then :math:`L \leftarrow L^{-1}`
    (:func:`_invert_lower_in_place`), then the lower triangle of
    :math:`P = L^{-\top} L^{-1}` (:func:`_lower_gram_in_place`), mirrored into the upper
    one. Each step recurses on halves and spends its flops in dense matrix products, the
    fastest kernel a CPU has; the temporaries are quarter-size blocks, so at most half a
    matrix more than ``a`` is held at once.
    """
    torch.linalg.cholesky(a, out=a)
    _invert_lower_in_place(a)
    _lower_gram_in_place(a)
    n, block = a.shape[0], _LEAF
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        a[lo:hi, hi:] = a[hi:, lo:hi].T
        diagonal = a[lo:hi, lo:hi]
        diagonal.copy_(diagonal.tril() + diagonal.tril(-1).T)


_LEAF = 1024  # below this size a block is handled by one LAPACK call


def _invert_lower_in_place(w: Tensor) -> None:
    r"""Overwrite the lower-triangular ``w`` (zeros above the diagonal) with its inverse:

    .. math::
        \begin{pmatrix} A & 0 \\ C & D \end{pmatrix}^{-1}
        = \begin{pmatrix} A^{-1} & 0 \\ -D^{-1} C A^{-1} & D^{-1} \end{pmatrix}
    """
    n = w.shape[0]
    if n <= _LEAF:
        w.copy_(torch.linalg.solve_triangular(w, torch.eye(n, dtype=w.dtype), upper=False))
        return
    h = n // 2
    a, c, d = w[:h, :h], w[h:, :h], w[h:, h:]
    _invert_lower_in_place(a)
    _invert_lower_in_place(d)
    c.copy_(d @ (c @ a)).neg_()


def _lower_gram_in_place(w: Tensor) -> None:
    r"""Overwrite the lower-triangular ``w`` with the lower triangle of :math:`W^\top W`
    (zeros above the diagonal):

    .. math::
        \begin{pmatrix} A & 0 \\ C & D \end{pmatrix}^{\top}
        \begin{pmatrix} A & 0 \\ C & D \end{pmatrix}
        = \begin{pmatrix} A^\top A + C^\top C & C^\top D \\ D^\top C & D^\top D \end{pmatrix}
    """
    n = w.shape[0]
    if n <= _LEAF:
        w.copy_((w.T @ w).tril_())
        return
    h = n // 2
    a, c, d = w[:h, :h], w[h:, :h], w[h:, h:]
    _lower_gram_in_place(a)
    a.add_((c.T @ c).tril_())
    c.copy_(d.T @ c)
    _lower_gram_in_place(d)
