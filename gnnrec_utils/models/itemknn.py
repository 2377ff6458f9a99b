"""Item-based nearest neighbours (:class:`ItemKNN`), with its dense path and its
blocked sparse path (the pruned cosine similarity built a block of items at a time).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from gnnrec_utils.checks import check_positive
from gnnrec_utils.graph.sparse import csr_row_block, csr_rows_as_columns, sparse_csr, transpose_csr
from gnnrec_utils.models.base import Recommender

__all__ = ["ItemKNN", "top_item_neighbours"]


class ItemKNN(Recommender):
    r"""Item-based nearest neighbours (Sarwar et al., WWW 2001): an item scores by its
    cosine similarity to the items in the user's history.

    .. math::
        \hat y_{ui} = \sum_{j \in N(u)} \cos(r_i, r_j), \qquad
        \cos(r_i, r_j) = \frac{r_i^\top r_j}{\lVert r_i \rVert \lVert r_j \rVert}

    where :math:`r_i` is item :math:`i`'s column of the binary user-item matrix. Only the
    ``top_neighbours`` most similar items of each item are kept (all when ``None``).
    ``get_embedding`` returns the user rows of the interaction matrix and the item rows of
    the similarity matrix, so the dot product is the score above.

    **Two paths.** By default (``block_size=None``) both matrices are dense: the
    similarity takes ``num_items ** 2`` floats, about 3.8 GB at 30,917 items in float32.
    With ``block_size`` (and ``top_neighbours``) the interactions stay a sparse CSR
    matrix and the similarity is built ``block_size`` items at a time: their
    co-occurrence counts with every item by a sparse product, the cosine, the diagonal
    dropped and only each item's ``top_neighbours`` largest similarities kept. Memory is
    then at most ``block_size * num_items`` co-occurrences at once (fewer on sparse data)
    plus ``num_items * top_neighbours`` kept entries, never ``num_items ** 2``.
    ``similarity`` is a sparse CSR matrix holding the dense path's entries (same
    orientation and values, for non-negative interactions); where equal similarities
    straddle the cut, the lower item id is kept, a choice the dense path leaves to
    ``torch.topk``. :meth:`user_scores` scores a chunk of users at a time;
    ``get_embedding`` raises on this path, since its dense matrices are what the path
    avoids.

    Args:
        interactions: binary (num_users, num_items) interaction matrix, dense or sparse
            (COO or CSR).
        top_neighbours: neighbours kept per item. (default: ``None``)
        dtype: precision of the stored matrices. (default: ``torch.float32``)
        block_size: items per block of the sparse path; needs ``top_neighbours``.
            (default: ``None``, the dense path)
    """

    def __init__(
        self,
        interactions: Tensor,
        top_neighbours: int | None = None,
        dtype: torch.dtype = torch.float32,
        block_size: int | None = None,
    ):
        if block_size is not None:
            check_positive(block_size, "block_size")
            if top_neighbours is None:
                raise ValueError("top_neighbours: the sparse path (block_size) needs it, got None")
            check_positive(top_neighbours, "top_neighbours")
            x = sparse_csr(interactions, dtype)
            super().__init__(*x.shape)
            self.top_neighbours, self.block_size = top_neighbours, block_size
            sim = _top_cosine_similarity(x, top_neighbours, block_size)
            self.register_buffer("interactions", x, persistent=False)
            self.register_buffer("similarity", sim, persistent=False)
            return
        r = (interactions.to_dense() if interactions.is_sparse else interactions).to(dtype)
        super().__init__(*r.shape)
        self.top_neighbours, self.block_size = top_neighbours, None
        norm = r.norm(dim=0).clamp_min(1e-12)
        sim = (r.T @ r) / norm[:, None] / norm[None, :]
        sim.fill_diagonal_(0.0)
        if top_neighbours is not None and top_neighbours < sim.shape[1]:
            keep = sim.topk(top_neighbours, dim=1).indices
            sim = torch.zeros_like(sim).scatter_(1, keep, sim.gather(1, keep))
        self.register_buffer("interactions", r, persistent=False)
        self.register_buffer("similarity", sim.T.contiguous(), persistent=False)

    @property
    def is_sparse(self) -> bool:
        """Whether the model was built on the sparse path (``block_size`` given)."""
        return self.block_size is not None

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        if self.is_sparse:
            raise NotImplementedError(
                f"ItemKNN(block_size={self.block_size}) keeps its matrices sparse; dense "
                f"embeddings would take {self.num_users} x {self.num_items} and "
                f"{self.num_items} x {self.num_items} floats. Use recommend(), score() or "
                "user_scores() instead"
            )
        return self.interactions, self.similarity

    @torch.no_grad()
    def user_scores(self, users) -> Tensor:
        """Dense (len(users), num_items) scores of every item for ``users``."""
        users = torch.as_tensor(users, dtype=torch.long, device=self.similarity.device)
        if not self.is_sparse:
            return self.interactions[users] @ self.similarity.T
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
            history = csr_rows_as_columns(self.interactions, users)
            return (self.similarity @ history).to_dense().T

    def score(self, users: Tensor, items: Tensor) -> Tensor:
        """Scores of (user, item) pairs; on the sparse path each of ``users`` costs a
        row of ``num_items`` floats."""
        if not self.is_sparse:
            return super().score(users, items)
        rows = self.user_scores(users)
        return rows.gather(1, items) if items.dim() == 2 else rows.gather(1, items[:, None])[:, 0]

    def scorer(self) -> Callable[[np.ndarray], Tensor]:
        """:meth:`user_scores` itself: a chunk of users is scored from their rows of the
        interaction matrix, never from dense embeddings."""
        return self.user_scores

    def extra_repr(self) -> str:
        if not self.is_sparse:
            return super().extra_repr()
        return (
            f"{super().extra_repr()}, top_neighbours={self.top_neighbours}, "
            f"block_size={self.block_size}"
        )


def _top_cosine_similarity(x: Tensor, top_neighbours: int, block_size: int) -> Tensor:
    """ItemKNN's pruned cosine similarity from a sparse CSR user-item matrix, built
    ``block_size`` items at a time; a (num_items, num_items) CSR matrix whose column
    ``j`` holds item ``j``'s kept neighbours (the dense path's orientation)."""
    num_items = x.shape[1]
    norm = torch.zeros(num_items, dtype=x.dtype, device=x.device)
    norm = norm.index_add_(0, x.col_indices(), x.values() ** 2).sqrt().clamp_min(1e-12)

    def cosine(counts, item, neighbour):
        return counts / norm[item] / norm[neighbour]  # the dense path's order of ops

    item, neighbour, value = top_item_neighbours(x, top_neighbours, block_size, cosine)
    sim_t = torch.sparse_coo_tensor(
        torch.stack([neighbour, item]), value, (num_items, num_items), check_invariants=False
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
        return sim_t.coalesce().to_sparse_csr()


def top_item_neighbours(
    x: Tensor,
    k: int,
    block_size: int,
    weight: Callable[[Tensor, Tensor, Tensor], Tensor],
) -> tuple[Tensor, Tensor, Tensor]:
    """The ``k`` heaviest neighbours of every item, built ``block_size`` items at a time.

    ``x`` is a sparse CSR (num_users, num_items) matrix; ``weight(counts, item,
    neighbour)`` turns the co-occurrence counts :math:`(x^\top x)_{ij}` of item-neighbour
    pairs (1-D tensors of one length) into the weights ranked. Returns ``(item,
    neighbour, weight)``, sorted by item, then weight descending; equal weights go to the
    lower neighbour id; an item is never its own neighbour, and a pair that never
    co-occurs or weighs zero is never kept. At most ``block_size * num_items``
    co-occurrences are held at once, fewer on sparse data.
    """
    check_positive(k, "k")
    check_positive(block_size, "block_size")
    num_items = x.shape[1]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
        x_t = transpose_csr(x)
        parts = [
            _block_top_neighbours(x_t, x, weight, lo, min(lo + block_size, num_items), k)
            for lo in range(0, num_items, block_size)
        ]
    if not parts:
        empty = torch.zeros(0, dtype=torch.long, device=x.device)
        return empty, empty, torch.zeros(0, dtype=x.dtype, device=x.device)
    item, neighbour, value = (torch.cat(p) for p in zip(*parts, strict=True))
    return item, neighbour, value


def _block_top_neighbours(
    x_t: Tensor, x: Tensor, weight: Callable, lo: int, hi: int, k: int
) -> tuple[Tensor, Tensor, Tensor]:
    """(item, neighbour, weight) of the ``k`` heaviest neighbours of items ``lo:hi``:
    co-occurrence counts by a sparse product, never a dense block."""
    counts = csr_row_block(x_t, lo, hi) @ x  # (hi - lo, num_items), sparse
    item = lo + torch.repeat_interleave(
        torch.arange(hi - lo, device=x.device), counts.crow_indices().diff()
    )
    neighbour = counts.col_indices()
    keep = neighbour != item
    item, neighbour = item[keep], neighbour[keep]
    value = weight(counts.values()[keep], item, neighbour)
    keep = value != 0
    item, neighbour, value = item[keep], neighbour[keep], value[keep]
    order = torch.argsort(neighbour, stable=True)
    order = order[torch.argsort(-value[order], stable=True)]
    order = order[torch.argsort(item[order], stable=True)]
    item, neighbour, value = item[order], neighbour[order], value[order]
    rank = torch.arange(len(item), device=x.device) - torch.searchsorted(item, item)
    keep = rank < k
    return item[keep], neighbour[keep], value[keep]
