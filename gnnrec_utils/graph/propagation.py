r"""Propagating embeddings over the symmetric normalised adjacency, with a cheap backward.

A LightGCN layer multiplies the embedding table by the normalised bipartite adjacency
(``gnnrec_utils.graph.build.normalized_adjacency``): one sparse-dense product ``adj @ x`` per
layer. Training needs the gradient of that product with respect to ``x``:

.. math::
    Y = \hat{A} X \quad\Longrightarrow\quad
    \frac{\partial L}{\partial X} = \hat{A}^\top \frac{\partial L}{\partial Y}

For a ``torch.sparse_csr`` matrix, torch's autograd forms :math:`\hat{A}^\top` on every
backward pass: the transpose of a CSR matrix is a CSC matrix, and the product converts it
back to CSR, which sorts all the non-zero entries of the matrix again. At MovieLens-1M
scale (two million entries) that takes about 0.3 s per layer and training step on one
core of the kit's 2-core test machine, over ten times the product itself (see
``benchmarks/README.md``). The adjacency of an undirected graph is symmetric,
:math:`\hat{A}^\top = \hat{A}`, so the backward pass can reuse the matrix it already
has. :class:`SymmetricPropagation` does exactly that; ``benchmarks/propagation.py``
measures what it saves. LightGCN's layer loop itself is
:func:`gnnrec_utils.models.lightgcn.lightgcn_embedding`, which takes :func:`propagate`
as its product.

:func:`layerwise_embedding` computes the same layers over a graph too large for one
product, a block of rows at a time, for inference after sampled training.

Example:
    >>> import torch
    >>> adj = compact_csr(torch.tensor([[0.0, 0.5], [0.5, 0.0]]).to_sparse())
    >>> propagate(adj, torch.tensor([[1.0], [3.0]]))
    tensor([[1.5000],
            [0.5000]])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import Tensor

from gnnrec_utils.graph.sparse import csr_row_block

__all__ = [
    "SymmetricPropagation",
    "compact_csr",
    "layer_weights",
    "layerwise_embedding",
    "propagate",
]


class SymmetricPropagation(torch.autograd.Function):
    r"""``adj @ x`` for a *symmetric* sparse ``adj``, whose backward reuses ``adj``.

    .. math::
        Y = \hat{A} X, \qquad
        \frac{\partial L}{\partial X} = \hat{A} \frac{\partial L}{\partial Y}
        \quad (\text{valid because } \hat{A}^\top = \hat{A})

    Symmetry is the caller's promise and is not checked (checking would cost as much as
    the transpose it avoids); with a non-symmetric ``adj`` the gradient is wrong.
    ``adj`` is treated as a constant: no gradient flows to its values.
    """

    @staticmethod
    def forward(ctx, adj: Tensor, x: Tensor) -> Tensor:  # noqa: D102 - see class docstring
        ctx.save_for_backward(adj)  # saved, not copied; no gradient is computed for it
        return adj @ x

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> tuple[None, Tensor]:  # noqa: D102
        (adj,) = ctx.saved_tensors
        return None, adj @ grad_output.contiguous()


def propagate(adj: Tensor, x: Tensor) -> Tensor:
    r"""One propagation step :math:`\hat{A} X` over a symmetric sparse matrix.

    Args:
        adj: Symmetric ``(N, N)`` sparse matrix, best ``torch.sparse_csr`` as returned by
            ``gnnrec_utils.graph.build.normalized_adjacency``.
        x: Dense ``(N, F)`` node features or embeddings, same dtype as ``adj``.

    Returns:
        The dense ``(N, F)`` product; differentiable in ``x``, not in ``adj``.
    """
    if adj.size(0) != adj.size(1) or adj.size(1) != x.size(0):
        raise ValueError(
            f"need a square adj matching x, got {tuple(adj.shape)} and {tuple(x.shape)}"
        )
    return SymmetricPropagation.apply(adj, x)


def layer_weights(num_layers: int, alpha: float | Sequence[float] | Tensor | None = None) -> Tensor:
    r"""The ``num_layers + 1`` combination weights :math:`\alpha_0 .. \alpha_L` of LightGCN.

    ``None`` gives the paper's uniform :math:`\alpha_l = 1 / (L + 1)`; a float is used for
    every layer (as PyG's ``LightGCN`` does); a sequence is taken as given.
    """
    if alpha is None:
        alpha = 1.0 / (num_layers + 1)
    weights = torch.as_tensor(alpha, dtype=torch.float64)
    weights = weights.expand(num_layers + 1) if weights.dim() == 0 else weights
    if weights.shape != (num_layers + 1,):
        raise ValueError(f"alpha needs {num_layers + 1} weights, got {tuple(weights.shape)}")
    return weights


def compact_csr(adj: Tensor) -> Tensor:
    """``adj`` as sparse CSR with 32-bit indices, the form the CPU kernel (MKL) works on.

    ``normalized_adjacency`` returns 64-bit indices; ``adj @ x`` then converts them to
    32 bits on every call (about 15 % of each product at MovieLens-1M scale). Converting
    once up front saves that. A COO matrix is coalesced and converted to CSR; ``adj`` is
    returned unchanged when it is already compact, not sparse CSR or COO, or too large
    for 32-bit indices.
    """
    with warnings.catch_warnings():  # torch marks sparse CSR as beta; it is what we want here
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support", category=UserWarning)
        if adj.layout == torch.sparse_coo:
            adj = adj.coalesce().to_sparse_csr()
        if (
            adj.layout != torch.sparse_csr
            or adj.crow_indices().dtype == torch.int32
            or max(adj.values().numel(), adj.size(1)) >= 2**31
        ):
            return adj
        return torch.sparse_csr_tensor(
            adj.crow_indices().int(),
            adj.col_indices().int(),
            adj.values(),
            adj.shape,
            check_invariants=False,
        )


@torch.no_grad()
def layerwise_embedding(
    adj: Tensor,
    emb: Tensor,
    num_layers: int,
    chunk_rows: int = 262_144,
    alpha=None,
) -> Tensor:
    r"""LightGCN's :math:`\sum_l \alpha_l \hat A^l E` over the full graph, in row blocks.

    Each layer multiplies ``chunk_rows`` rows of ``adj`` at a time by the previous
    layer's table, so the working memory is three ``(N, d)`` tables (the running sum,
    the previous layer, the next one) plus one block's product. Equal to
    ``gnnrec_utils.models.lightgcn.lightgcn_embedding`` up to float rounding.

    Args:
        adj: symmetric normalised ``(N, N)`` sparse CSR adjacency
            (:func:`~gnnrec_utils.graph.bipartite.normalized_csr`).
        emb: ``(N, d)`` layer-0 embeddings.
        num_layers: propagation layers :math:`L`.
        chunk_rows: rows of ``adj`` per block.
        alpha: layer weights (see :func:`layer_weights`).
    """
    if adj.layout != torch.sparse_csr:
        adj = adj.to_sparse_csr()
    if adj.shape[0] != emb.shape[0] or adj.shape[1] != emb.shape[0]:
        raise ValueError(
            f"adj must be ({emb.shape[0]}, {emb.shape[0]}) to match emb, got {tuple(adj.shape)}"
        )
    if chunk_rows <= 0:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    weights = layer_weights(num_layers, alpha).tolist()
    x = emb.detach().to(adj.values().dtype)
    out = x * weights[0]
    for w in weights[1:]:
        nxt = torch.empty_like(x)
        for lo in range(0, adj.shape[0], chunk_rows):
            hi = min(lo + chunk_rows, adj.shape[0])
            nxt[lo:hi] = csr_row_block(adj, lo, hi) @ x
        out.add_(nxt, alpha=w)
        x = nxt
    return out
