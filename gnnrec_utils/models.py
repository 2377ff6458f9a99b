"""Recommendation models with one interface.

Every model is a :class:`Recommender`: ``get_embedding()`` returns the user and item
vectors, ``score(users, items)`` scores pairs by a dot product, and
``recommend(users, k, exclude=...)`` ranks all items for each user with
:func:`topk_excluding`, which ranks any scorer's output the same way. The graph a model
propagates over is data, not a parameter: it is passed to the constructor and kept
as a non-persistent buffer — ``model.to(device)`` moves it, ``state_dict()`` leaves it
out, so a checkpoint holds weights only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from gnnrec_utils.encoders import NodeEncoder, check_codes
from gnnrec_utils.propagation import compact_csr, lightgcn_embedding, propagate

NO_PAIRS = pd.DataFrame(
    {"user_id": pd.Series(dtype=np.int64), "item_id": pd.Series(dtype=np.int64)}
)


def topk_excluding(
    score_fn: Callable[[np.ndarray], torch.Tensor],
    users: np.ndarray,
    exclude: pd.DataFrame,
    k: int,
    chunk: int = 1024,
) -> np.ndarray:
    """Top-``k`` item ids for each of ``users``, scoring all items in chunks of users.

    Any scorer ranks this way: a model (:meth:`Recommender.recommend`), a popularity
    column, an item-item matrix (rows indexed by query item instead of user).

    Args:
        score_fn: maps an array of user ids to a (len, num_items) score tensor.
        users: user ids to rank for.
        exclude: (user_id, item_id) pairs never to recommend (the user's history).
        k: list length.
        chunk: users per chunk; memory is ``chunk * num_items`` floats.

    Returns:
        An (len(users), k) int64 array of item ids, best first; equal scores go to the
        lower item id (:func:`stable_topk`).
    """
    users = np.asarray(users, dtype=np.int64)
    out = np.empty((len(users), k), dtype=np.int64)
    last_excluded = exclude.user_id.max() if len(exclude) else -1
    row_of = np.full(max(users.max(initial=-1), last_excluded) + 1, -1)
    row_of[users] = np.arange(len(users))
    ex_row = row_of[exclude.user_id.to_numpy()]
    keep = ex_row >= 0
    ex_row, ex_item = ex_row[keep], exclude.item_id.to_numpy()[keep]
    for lo in range(0, len(users), chunk):
        # on the CPU in float64, whatever device the model scores on
        scores = torch.as_tensor(score_fn(users[lo : lo + chunk]))
        scores = scores.to("cpu", torch.float64, copy=True)
        sel = (ex_row >= lo) & (ex_row < lo + chunk)
        scores[torch.tensor(ex_row[sel] - lo), torch.tensor(ex_item[sel])] = -torch.inf
        out[lo : lo + chunk] = stable_topk(scores, k).numpy()
    return out


def stable_topk(scores: torch.Tensor, k: int, margin: int = 16) -> torch.Tensor:
    """Indices of the ``k`` largest scores per row, equal scores in ascending index order.

    Same result as a stable sort of ``-scores``, but sorts only the ``k + margin`` best
    of each row (``torch.topk`` leaves the order of equal scores unspecified); rows whose
    ties run past that window fall back to the full stable sort.

    Args:
        scores: (n, num_items) scores.
        k: how many indices per row.
        margin: extra candidates sorted beyond ``k`` before falling back.

    Returns:
        An (n, k) int64 tensor of column indices, best first.
    """
    m = min(k + margin, scores.shape[1])
    values, index = torch.topk(scores, m, dim=1)
    by_id = torch.argsort(index, dim=1)
    values, index = values.gather(1, by_id), index.gather(1, by_id)
    order = torch.sort(-values, dim=1, stable=True).indices
    top = index.gather(1, order)[:, :k]
    sorted_values = values.gather(1, order)
    spill = (sorted_values[:, k - 1] == sorted_values[:, m - 1]) & (m < scores.shape[1])
    if spill.any():
        top[spill] = torch.sort(-scores[spill], dim=1, stable=True).indices[:, :k]
    return top


class Recommender(nn.Module):
    """Base class: subclasses implement ``get_embedding`` and ``ego_embedding``."""

    def __init__(self, num_users: int, num_items: int):
        super().__init__()
        self.num_users, self.num_items = num_users, num_items

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        """``(user_emb, item_emb)`` of shapes (num_users, d) and (num_items, d)."""
        raise NotImplementedError

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        """The layer-0 parameters a batch touches, for L2 regularisation."""
        raise NotImplementedError

    def score(self, users: Tensor, items: Tensor) -> Tensor:
        """Dot-product scores of (user, item) pairs; ``items`` may be (B,) or (B, m)."""
        user_emb, item_emb = self.get_embedding()
        u = user_emb[users]
        return (
            (u.unsqueeze(1) * item_emb[items]).sum(-1)
            if items.dim() == 2
            else (u * item_emb[items]).sum(-1)
        )

    @torch.no_grad()
    def recommend(self, users, k: int = 10, exclude: pd.DataFrame | None = None) -> np.ndarray:
        """Top-``k`` item ids for each of ``users`` over all items.

        Args:
            users: user ids (array-like).
            k: list length.
            exclude: (user_id, item_id) pairs never to recommend, e.g. the history.
        """
        user_emb, item_emb = self.get_embedding()
        users = np.asarray(users, dtype=np.int64)
        return topk_excluding(
            lambda u: user_emb[u] @ item_emb.T, users, NO_PAIRS if exclude is None else exclude, k
        )

    def extra_repr(self) -> str:
        return f"num_users={self.num_users}, num_items={self.num_items}"


class Popularity(Recommender):
    """Every user gets the most popular items: score(u, i) = training events of i.

    No parameters; ``get_embedding`` returns a column of ones for users and the
    popularity column for items, so the dot product is the popularity.

    Args:
        popularity: training events per item, shape (num_items,).
        num_users: number of users.
    """

    def __init__(self, popularity, num_users: int):
        popularity = torch.as_tensor(np.asarray(popularity), dtype=torch.float)
        super().__init__(num_users, len(popularity))
        self.register_buffer("popularity", popularity.unsqueeze(1), persistent=False)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        return torch.ones(self.num_users, 1, device=self.popularity.device), self.popularity


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
            _check_positive(block_size, "block_size")
            if top_neighbours is None:
                raise ValueError("top_neighbours: the sparse path (block_size) needs it, got None")
            _check_positive(top_neighbours, "top_neighbours")
            x = _sparse_csr(interactions, dtype)
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
            history = _csr_rows_as_columns(self.interactions, users)
            return (self.similarity @ history).to_dense().T

    def score(self, users: Tensor, items: Tensor) -> Tensor:
        """Scores of (user, item) pairs; on the sparse path each of ``users`` costs a
        row of ``num_items`` floats."""
        if not self.is_sparse:
            return super().score(users, items)
        rows = self.user_scores(users)
        return rows.gather(1, items) if items.dim() == 2 else rows.gather(1, items[:, None])[:, 0]

    @torch.no_grad()
    def recommend(
        self, users, k: int = 10, exclude: pd.DataFrame | None = None, chunk: int = 1024
    ) -> np.ndarray:
        """Top-``k`` item ids for each of ``users`` over all items, ``chunk`` users at a
        time (memory ``chunk * num_items`` floats); see :meth:`Recommender.recommend`."""
        users = np.asarray(users, dtype=np.int64)
        exclude = NO_PAIRS if exclude is None else exclude
        return topk_excluding(self.user_scores, users, exclude, k, chunk)

    def extra_repr(self) -> str:
        if not self.is_sparse:
            return super().extra_repr()
        return (
            f"{super().extra_repr()}, top_neighbours={self.top_neighbours}, "
            f"block_size={self.block_size}"
        )


def _check_positive(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _sparse_csr(x: Tensor, dtype: torch.dtype) -> Tensor:
    """``x`` (dense, COO or CSR) as a sparse CSR matrix of ``dtype``, duplicates summed."""
    with warnings.catch_warnings():  # torch marks sparse CSR as beta; it is what we want here
        warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
        if x.layout != torch.sparse_csr:
            x = x.coalesce() if x.layout == torch.sparse_coo else x.to_sparse_coo().coalesce()
            x = x.to_sparse_csr()
        return x.to(dtype)


def _transpose_csr(x: Tensor) -> Tensor:
    """The transpose of a sparse CSR matrix, itself CSR (rows of the result are columns)."""
    coo = x.to_sparse_coo()
    flipped = torch.sparse_coo_tensor(
        coo.indices().flip(0), coo.values(), (x.shape[1], x.shape[0]), check_invariants=False
    )
    return flipped.coalesce().to_sparse_csr()


def _csr_row_block(x: Tensor, lo: int, hi: int) -> Tensor:
    """Rows ``lo:hi`` of a sparse CSR matrix, as a CSR matrix sharing its storage."""
    crow = x.crow_indices()
    a, b = int(crow[lo]), int(crow[hi])
    return torch.sparse_csr_tensor(
        crow[lo : hi + 1] - a,
        x.col_indices()[a:b],
        x.values()[a:b],
        (hi - lo, x.shape[1]),
        check_invariants=False,
    )


def _csr_rows_as_columns(x: Tensor, rows: Tensor) -> Tensor:
    """The ``rows`` of a sparse CSR matrix as the columns of a (x.shape[1], len(rows))
    CSR matrix: a chunk of users' histories, ready to multiply by an item-item matrix."""
    crow = x.crow_indices()
    start, length = crow[rows], crow[rows + 1] - crow[rows]
    column = torch.repeat_interleave(torch.arange(len(rows), device=x.device), length)
    offset = torch.arange(len(column), device=x.device) - torch.repeat_interleave(
        length.cumsum(0) - length, length
    )
    at = start[column] + offset
    coo = torch.sparse_coo_tensor(
        torch.stack([x.col_indices()[at], column]),
        x.values()[at],
        (x.shape[1], len(rows)),
        check_invariants=False,
    )
    return coo.coalesce().to_sparse_csr()


def _top_cosine_similarity(x: Tensor, top_neighbours: int, block_size: int) -> Tensor:
    """ItemKNN's pruned cosine similarity from a sparse CSR user-item matrix, built
    ``block_size`` items at a time; a (num_items, num_items) CSR matrix whose column
    ``j`` holds item ``j``'s kept neighbours (the dense path's orientation)."""
    num_items = x.shape[1]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
        x_t = _transpose_csr(x)
        norm = torch.zeros(num_items, dtype=x.dtype, device=x.device)
        norm = norm.index_add_(0, x.col_indices(), x.values() ** 2).sqrt().clamp_min(1e-12)
        parts = [
            _block_top_neighbours(x_t, x, norm, lo, min(lo + block_size, num_items), top_neighbours)
            for lo in range(0, num_items, block_size)
        ]
        item, neighbour, value = (torch.cat(p) for p in zip(*parts, strict=True))
        sim_t = torch.sparse_coo_tensor(
            torch.stack([neighbour, item]), value, (num_items, num_items), check_invariants=False
        )
        return sim_t.coalesce().to_sparse_csr()


def _block_top_neighbours(
    x_t: Tensor, x: Tensor, norm: Tensor, lo: int, hi: int, k: int
) -> tuple[Tensor, Tensor, Tensor]:
    """(item, neighbour, cosine) of the ``k`` most similar items of items ``lo:hi``:
    co-occurrence counts by a sparse product, never a dense block; equal cosines go to
    the lower neighbour id; zero cosines and the item itself are never neighbours."""
    counts = _csr_row_block(x_t, lo, hi) @ x  # (hi - lo, num_items), sparse
    item = lo + torch.repeat_interleave(
        torch.arange(hi - lo, device=x.device), counts.crow_indices().diff()
    )
    neighbour = counts.col_indices()
    value = counts.values() / norm[item] / norm[neighbour]  # the dense path's order of ops
    keep = (neighbour != item) & (value != 0)
    item, neighbour, value = item[keep], neighbour[keep], value[keep]
    order = torch.argsort(neighbour, stable=True)
    order = order[torch.argsort(-value[order], stable=True)]
    order = order[torch.argsort(item[order], stable=True)]
    item, neighbour, value = item[order], neighbour[order], value[order]
    rank = torch.arange(len(item), device=x.device) - torch.searchsorted(item, item)
    keep = rank < k
    return item[keep], neighbour[keep], value[keep]


def ease_memory_bytes(
    num_items: int, dtype: torch.dtype = torch.float64, num_users: int = 0
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
        num_items: catalogue size.
        dtype: precision of the solve. (default: ``torch.float64``)
        num_users: rows of the interaction matrix. (default: 0, left out)
    """
    for value, name in ((num_items, "num_items"), (num_users, "num_users")):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    itemsize = torch.empty((), dtype=dtype).element_size()
    return itemsize * (3 * int(num_items) ** 2 + int(num_users) * int(num_items))


def available_memory_bytes() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes; ``None`` where it cannot be read
    (not Linux)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _check_ease_fits(shape, dtype: torch.dtype, max_bytes: float | None) -> None:
    """Raise ``MemoryError`` before EASE allocates more than ``max_bytes``."""
    source = "max_bytes"
    if max_bytes is None:
        max_bytes, source = available_memory_bytes(), "available (MemAvailable)"
    need = ease_memory_bytes(int(shape[1]), dtype, num_users=int(shape[0]))
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


class MatrixFactorization(Recommender):
    r"""Matrix factorisation: :math:`\hat y_{ui} = e_u^\top e_i`, trained with BPR
    (Rendle et al., UAI 2009, https://arxiv.org/abs/1205.2618). The non-graph baseline.

    Args:
        num_users, num_items: catalogue sizes.
        embedding_dim: vector size. (default: 64)
    """

    def __init__(self, num_users: int, num_items: int, embedding_dim: int = 64):
        super().__init__(num_users, num_items)
        self.user = nn.Embedding(num_users, embedding_dim)
        self.item = nn.Embedding(num_items, embedding_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.user.weight, std=0.1)
        nn.init.normal_(self.item.weight, std=0.1)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        return self.user.weight, self.item.weight

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.user(users), self.item(items)]


class LightGCN(Recommender):
    r"""LightGCN (He et al., SIGIR 2020, https://arxiv.org/abs/2002.02126).

    .. math::
        E^{(l+1)} = \hat{A} E^{(l)}, \qquad E = \frac{1}{L+1} \sum_{l=0}^{L} E^{(l)}

    over the symmetric normalised user-item adjacency :math:`\hat A`, with the fast
    propagation of :mod:`gnnrec_utils.propagation`.

    Args:
        adj: normalised adjacency from ``gnnrec_utils.graph.normalized_adjacency``.
        num_users, num_items: catalogue sizes (users are nodes ``0..num_users-1``).
        embedding_dim: vector size. (default: 64)
        num_layers: propagation layers :math:`L`. (default: 3)
        num_extra_nodes: nodes after the items that are propagated over but never
            recommended, e.g. attribute values (``gnnrec_utils.coldstart``). (default: 0)
    """

    def __init__(
        self,
        adj: Tensor,
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 3,
        num_extra_nodes: int = 0,
    ):
        super().__init__(num_users, num_items)
        self.register_buffer("adj", compact_csr(adj), persistent=False)
        self.num_layers, self.num_extra_nodes = num_layers, num_extra_nodes
        self.embedding = nn.Embedding(num_users + num_items + num_extra_nodes, embedding_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.embedding.weight, std=0.1)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        out = lightgcn_embedding(self.adj, self.embedding.weight, self.num_layers)
        return out[: self.num_users], out[self.num_users : self.num_users + self.num_items]

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.embedding(users), self.embedding(items + self.num_users)]

    def extra_repr(self) -> str:
        extra = f", num_extra_nodes={self.num_extra_nodes}" if self.num_extra_nodes else ""
        return (
            f"{super().extra_repr()}, embedding_dim={self.embedding.embedding_dim}, "
            f"num_layers={self.num_layers}{extra}"
        )


class MultiBehaviorGCN(Recommender):
    r"""A heterogeneous GNN over the multi-behaviour graph, with attribute encoders.

    Layer 0 encodes every node from its ID and attributes
    (:class:`~gnnrec_utils.encoders.NodeEncoder`). Each layer propagates over one
    normalised adjacency per behaviour and mixes them with learned weights:

    .. math::
        E^{(l+1)} = \sum_{b} \mathrm{softmax}(w)_b \, \hat{A}_b E^{(l)}, \qquad
        E = \frac{1}{L+1} \sum_{l=0}^{L} E^{(l)}

    with one mixture :math:`w` shared by the layers, or one per layer
    (``layer_weights=True``, :math:`w^{(l)}`).

    Per-relation convolutions in the LightGCN style (no weight matrices, no
    non-linearity) keep it fast on a CPU; ``to_hetero`` with SAGEConv is the general
    PyG route (notebook 02 shows it).

    Args:
        adjs: one normalised adjacency per behaviour, ``{behavior: adj}``.
        user_codes, item_codes: attribute codes, (num_users, a) and (num_items, b); a
            dataset without attributes passes ``a = 0`` columns. A column with a single
            code adds nothing (see :class:`~gnnrec_utils.encoders.AttributeEncoder`).
        user_cardinalities, item_cardinalities: number of codes of each attribute.
        embedding_dim: vector size. (default: 64)
        num_layers: propagation layers. (default: 2)
        use_ids: learn an ID embedding per node besides the attributes. (default: True)
        user_ids: learn one per user; ``False`` makes the model inductive for users —
            a user's vector is built from attributes and graph neighbours only, so a new
            user is embedded exactly as a trained one. (default: ``use_ids``)
        layer_weights: learn a separate behaviour mixture for every layer instead of
            one shared by all. (default: False)
    """

    def __init__(
        self,
        adjs: dict[str, Tensor],
        user_codes: Tensor,
        item_codes: Tensor,
        user_cardinalities: list[int],
        item_cardinalities: list[int],
        embedding_dim: int = 64,
        num_layers: int = 2,
        use_ids: bool = True,
        user_ids: bool | None = None,
        layer_weights: bool = False,
    ):
        super().__init__(len(user_codes), len(item_codes))
        check_codes(user_codes, user_cardinalities, "user_codes")
        check_codes(item_codes, item_cardinalities, "item_codes")
        self.behaviors = list(adjs)
        for b, adj in adjs.items():
            if adj.shape != (self.num_users + self.num_items,) * 2:
                raise ValueError(
                    f"adjs[{b!r}]: expected a square adjacency over {self.num_users} users "
                    f"+ {self.num_items} items (the rows of user_codes and item_codes), "
                    f"got {tuple(adj.shape)}"
                )
            self.register_buffer(f"adj_{b}", compact_csr(adj), persistent=False)
        self.register_buffer("user_codes", user_codes, persistent=False)
        self.register_buffer("item_codes", item_codes, persistent=False)
        self.num_layers = num_layers
        user_ids = use_ids if user_ids is None else user_ids
        self.user_encoder = NodeEncoder(
            self.num_users, user_cardinalities, embedding_dim, use_ids=user_ids
        )
        self.item_encoder = NodeEncoder(
            self.num_items, item_cardinalities, embedding_dim, use_ids=use_ids
        )
        shape = (num_layers, len(self.behaviors)) if layer_weights else (len(self.behaviors),)
        self.behavior_logits = nn.Parameter(torch.zeros(shape))

    def reset_parameters(self) -> None:
        self.user_encoder.reset_parameters()
        self.item_encoder.reset_parameters()
        nn.init.zeros_(self.behavior_logits)

    def behavior_weights(self) -> dict[str, float | list[float]]:
        """The learned mixing weight of each behaviour's graph (one per layer, first
        layer first, with ``layer_weights``)."""
        weights = torch.softmax(self.behavior_logits, -1)
        weights = weights.T if weights.dim() == 2 else weights
        return dict(zip(self.behaviors, weights.tolist(), strict=True))

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        return self.embed()

    def embed(
        self,
        adjs: dict[str, Tensor] | None = None,
        known_users: Tensor | None = None,
        known_items: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """``get_embedding`` over other graphs, or with some nodes treated as new.

        Args:
            adjs: one adjacency per behaviour, same node numbering, e.g. the training
                graph plus the edges of new users (default: the model's graphs).
            known_users, known_items: bool masks; nodes marked ``False`` get no ID
                vector, only their attributes (default: all known).
        """
        x = torch.cat(
            [
                self.user_encoder(self.user_codes, known=known_users),
                self.item_encoder(self.item_codes, known=known_items),
            ]
        )
        weights = torch.softmax(self.behavior_logits, -1).expand(self.num_layers, -1)
        out = x
        adjs = (
            [getattr(self, f"adj_{b}") for b in self.behaviors]
            if adjs is None
            else [compact_csr(adjs[b]) for b in self.behaviors]
        )
        for layer in range(self.num_layers):
            x = sum(w * propagate(adj, x) for w, adj in zip(weights[layer], adjs, strict=True))
            out = out + x
        out = out / (self.num_layers + 1)
        return out[: self.num_users], out[self.num_users :]

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [
            self.user_encoder(self.user_codes[users], users),
            self.item_encoder(self.item_codes[items], items),
        ]

    def extra_repr(self) -> str:
        per_layer = ", layer_weights=True" if self.behavior_logits.dim() == 2 else ""
        return (
            f"{super().extra_repr()}, behaviors={self.behaviors}, "
            f"num_layers={self.num_layers}{per_layer}"
        )


class CascadeGCN(Recommender):
    r"""Behaviours in funnel order, each graph refining the vectors the one before left.

    The idea of CRGCN (Yan et al., "Cascading Residual Graph Convolutional Network
    for Multi-Behavior Recommendation", TOIS 2023, https://arxiv.org/abs/2205.13128),
    written with LightGCN stages: one ID table :math:`E_0`, then for the behaviours
    :math:`b_1, \dots, b_B` in the order given (the target last)

    .. math::
        E_k = \frac{1}{L+1} \sum_{l=0}^{L} \hat{A}_{b_k}^{\,l} E_{k-1}

    and the model's vectors are :math:`E_B`. Each stage keeps its input as its layer-0
    term, so a node with no edge of a behaviour passes through that stage unchanged
    (up to the common scale).

    Args:
        adjs: one normalised adjacency per behaviour, in funnel order, target last,
            e.g. ``{"fav": ..., "cart": ..., "buy": ...}``.
        num_users, num_items: catalogue sizes.
        embedding_dim: vector size. (default: 64)
        num_layers: propagation layers per stage. (default: 1)
    """

    def __init__(
        self,
        adjs: dict[str, Tensor],
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 1,
    ):
        super().__init__(num_users, num_items)
        if not adjs:
            raise ValueError("adjs: expected at least one behaviour's adjacency, got none")
        self.behaviors = list(adjs)
        for b, adj in adjs.items():
            if adj.shape != (num_users + num_items,) * 2:
                raise ValueError(
                    f"adjs[{b!r}]: expected a square adjacency over {num_users} users + "
                    f"{num_items} items, got {tuple(adj.shape)}"
                )
            self.register_buffer(f"adj_{b}", compact_csr(adj), persistent=False)
        self.num_layers = num_layers
        self.embedding = nn.Embedding(num_users + num_items, embedding_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.embedding.weight, std=0.1)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        x = self.embedding.weight
        for b in self.behaviors:
            x = lightgcn_embedding(getattr(self, f"adj_{b}"), x, self.num_layers)
        return x[: self.num_users], x[self.num_users :]

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.embedding(users), self.embedding(items + self.num_users)]

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, behaviors={self.behaviors}, "
            f"embedding_dim={self.embedding.embedding_dim}, num_layers={self.num_layers}"
        )


# ---------------------------------------------------------------- beyond LightGCN


def _check_adjacency(adj: Tensor, num_users: int, num_items: int) -> None:
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


class GFCF(Recommender):
    r"""GF-CF, a training-free graph filter (Shen et al., "How Powerful is Graph
    Convolution for Recommendation?", CIKM 2021, https://arxiv.org/abs/2108.07567).

    With :math:`R` the binary user-item matrix, :math:`D_U, D_I` its user and item
    degrees, :math:`\tilde R = D_U^{-1/2} R D_I^{-1/2}` and :math:`V` the top-``rank``
    right singular vectors of :math:`\tilde R`, user :math:`u`'s scores are

    .. math::
        s_u = r_u \tilde R^\top \tilde R
            + \alpha \, r_u D_I^{-1/2} V V^\top D_I^{1/2}

    a linear low-pass filter (the normalised item-item co-occurrence) plus an ideal
    low-pass filter that keeps only the ``rank`` smoothest item signals. Nothing is
    trained; items and users without any interaction score 0 from both terms.

    **At scale.** :math:`V` comes from ``torch.svd_lowrank`` (randomised SVD: a random
    range finder of ``rank + oversample`` columns, ``niter`` power iterations) on the
    sparse :math:`\tilde R`, seeded by ``seed`` without touching the global generator;
    when ``rank`` equals the smaller side of :math:`R` the range is the whole space and
    the result is exact. The item-item matrix :math:`\tilde R^\top \tilde R` is never
    formed (41k items would need 6.7 GB in float32): scores are computed for a block of
    ``chunk`` users at a time (:math:`X_b`, their rows of :math:`R`), as
    :math:`(\tilde R^\top (\tilde R X_b^\top))^\top` with sparse products and
    :math:`(X_b D_I^{-1/2} V)(V^\top D_I^{1/2})` with dense ones, so memory is a few
    ``chunk * num_items`` blocks plus :math:`V`. On Gowalla (29,858 users, 40,981 items,
    719,081 pairs) the fit takes about a minute and scoring every user four to six on
    one core of a 2-core machine, with a peak of 1.7 GB resident memory, the data
    included (``benchmarks/public.py``).

    Args:
        interactions: (num_users, num_items) interaction matrix, dense or sparse; any
            non-zero entry counts as an interaction.
        num_users, num_items: catalogue sizes, checked against the matrix.
        alpha: weight :math:`\alpha` of the ideal low-pass term. (default: 0.3)
        rank: singular vectors kept. (default: 256, as in the paper)
        oversample: extra columns of the randomised range finder. (default: 16)
        niter: power iterations of the randomised SVD. (default: 4)
        seed: seed of the randomised SVD. (default: 0)
        dtype: precision of the stored matrices. (default: ``torch.float32``)
    """

    def __init__(
        self,
        interactions: Tensor,
        num_users: int,
        num_items: int,
        alpha: float = 0.3,
        rank: int = 256,
        oversample: int = 16,
        niter: int = 4,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ):
        super().__init__(num_users, num_items)
        if tuple(interactions.shape) != (num_users, num_items):
            raise ValueError(
                f"interactions: expected a (num_users, num_items) = ({num_users}, "
                f"{num_items}) matrix, got {tuple(interactions.shape)}"
            )
        _check_positive(rank, "rank")
        if rank > min(num_users, num_items):
            raise ValueError(
                f"rank={rank} is larger than min(num_users, num_items) = "
                f"{min(num_users, num_items)}: a {num_users} x {num_items} matrix has no more "
                "singular vectors"
            )
        r = _sparse_csr(interactions, dtype)
        r = torch.sparse_csr_tensor(
            r.crow_indices(),
            r.col_indices(),
            (r.values() != 0).to(dtype),
            r.shape,
            check_invariants=False,
        )
        if not bool(r.values().any()):
            raise ValueError("interactions: the matrix has no interaction; GF-CF needs one")
        self.alpha, self.rank, self.oversample, self.niter, self.seed = (
            float(alpha),
            rank,
            oversample,
            niter,
            seed,
        )
        self.register_buffer("interactions", r, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Recompute the filter from the interactions (nothing is learned)."""
        r = self.interactions
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
            user_deg = torch.zeros(self.num_users, dtype=r.dtype).index_add_(
                0, _csr_row_ids(r), r.values()
            )
            item_deg = torch.zeros(self.num_items, dtype=r.dtype).index_add_(
                0, r.col_indices(), r.values()
            )
            d_u, d_i = _inv_sqrt(user_deg), _inv_sqrt(item_deg)
            values = d_u[_csr_row_ids(r)] * r.values() * d_i[r.col_indices()]
            norm = torch.sparse_csr_tensor(
                r.crow_indices(), r.col_indices(), values, r.shape, check_invariants=False
            )
            v = self._right_singular_vectors(norm)
        self.register_buffer("norm", norm, persistent=False)
        self.register_buffer("norm_t", _transpose_csr(norm), persistent=False)
        self.register_buffer("item_inv_sqrt", d_i, persistent=False)
        self.register_buffer("item_sqrt", item_deg.sqrt(), persistent=False)
        self.register_buffer("vectors", v, persistent=False)

    def _right_singular_vectors(self, norm: Tensor) -> Tensor:
        """(num_items, rank) top right singular vectors of ``norm``, randomised SVD."""
        q = min(self.rank + self.oversample, *norm.shape)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            _, _, v = torch.svd_lowrank(norm.to_sparse_coo(), q=q, niter=self.niter)
        return v[:, : self.rank].contiguous()

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        raise NotImplementedError(
            "GFCF has no embeddings (a user's scores need its whole row of R); use "
            "user_scores(), score() or recommend()"
        )

    @torch.no_grad()
    def user_scores(self, users) -> Tensor:
        """Dense (len(users), num_items) GF-CF scores of every item for ``users``."""
        users = torch.as_tensor(users, dtype=torch.long, device=self.norm.device)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
            x = _csr_rows_as_columns(self.interactions, users).to_dense()  # (num_items, b)
            linear = (self.norm_t @ (self.norm @ x)).T
        low = (x.T * self.item_inv_sqrt) @ self.vectors
        ideal = (low @ self.vectors.T) * self.item_sqrt
        return linear + self.alpha * ideal

    def score(self, users: Tensor, items: Tensor) -> Tensor:
        """Scores of (user, item) pairs; each of ``users`` costs a row of ``num_items``."""
        rows = self.user_scores(users)
        return rows.gather(1, items) if items.dim() == 2 else rows.gather(1, items[:, None])[:, 0]

    @torch.no_grad()
    def recommend(
        self, users, k: int = 10, exclude: pd.DataFrame | None = None, chunk: int = 1024
    ) -> np.ndarray:
        """Top-``k`` item ids for each of ``users``, ``chunk`` users at a time; see
        :meth:`Recommender.recommend`."""
        users = np.asarray(users, dtype=np.int64)
        exclude = NO_PAIRS if exclude is None else exclude
        return topk_excluding(self.user_scores, users, exclude, k, chunk)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, alpha={self.alpha}, rank={self.rank}"


def _inv_sqrt(degree: Tensor) -> Tensor:
    """``degree ** -0.5``, 0 where the degree is 0."""
    return degree.pow(-0.5).masked_fill(degree == 0, 0.0)


def _csr_row_ids(x: Tensor) -> Tensor:
    """The row of every stored entry of a sparse CSR matrix."""
    counts = x.crow_indices().diff()
    return torch.repeat_interleave(torch.arange(x.shape[0], device=x.device), counts)


def info_nce(view1: Tensor, view2: Tensor, temperature: float) -> Tensor:
    r"""InfoNCE between two views of the same nodes, row ``i`` of each a positive pair.

    .. math::
        \mathcal L = -\frac1n \sum_i \log
            \frac{\exp(z_i^\top z'_i / \tau)}{\sum_j \exp(z_i^\top z'_j / \tau)}

    with :math:`z, z'` the rows of ``view1`` and ``view2`` scaled to unit length: the
    other rows of the batch are the negatives. Two identical views of two orthogonal
    rows give :math:`\log(1 + e^{-1/\tau})`.
    """
    z1 = nn.functional.normalize(view1, dim=1)
    z2 = nn.functional.normalize(view2, dim=1)
    logits = z1 @ z2.T / temperature
    return -torch.diagonal(torch.log_softmax(logits, dim=1)).mean()


class XSimGCL(Recommender):
    r"""XSimGCL (Yu et al., "XSimGCL: Towards Extremely Simple Graph Contrastive Learning
    for Recommendation", TKDE 2023, https://arxiv.org/abs/2209.02544): LightGCN whose
    layers are perturbed by small random noise while training, plus a contrastive loss
    between two layers of the same pass.

    .. math::
        E^{(l+1)} = \hat{A} E^{(l)} + \Delta^{(l+1)}, \qquad
        \Delta = \epsilon \, \operatorname{sign}(\hat A E^{(l)}) \odot
            \frac{U}{\lVert U \rVert_2}, \ U \sim \mathcal U(0, 1)^{N \times d}

    row by row (each node's noise has length :math:`\epsilon` and keeps the signs of
    its embedding, so it turns the vector by a small angle), :math:`E = \frac{1}{L+1}
    \sum_{l=0}^{L} E^{(l)}` as in :class:`LightGCN`, and the loss adds
    :math:`\lambda (\mathrm{InfoNCE}(E_U, E^{(l^*)}_U) + \mathrm{InfoNCE}(E_I,
    E^{(l^*)}_I))` (:func:`info_nce`) over the batch's distinct users and positive items:
    the final embedding and layer :math:`l^*`'s of one noisy pass are the two views
    ("cross-layer"). SimGCL (Yu et al., SIGIR 2022, https://arxiv.org/abs/2112.08679)
    contrasts the final embeddings of two extra noisy passes instead: three
    propagations per step against XSimGCL's one, for the accuracy the XSimGCL paper
    reports as equal. Noise is drawn only in training mode; in ``eval()`` mode and with
    ``eps=0`` the model is :class:`LightGCN`. (The authors' code averages layers
    1..L, leaving :math:`E^{(0)}` out; here it stays in, as in LightGCN.)

    **Training hook.** In training mode :meth:`get_embedding` keeps the layer
    :math:`l^*` views of the pass it made, and :meth:`extra_loss` turns them into the
    contrastive term; ``gnnrec_utils.training.train_step`` adds ``model.extra_loss(users,
    pos)`` to the BPR loss of any model that has one.

    Args:
        adj: normalised adjacency from ``gnnrec_utils.graph.normalized_adjacency``.
        num_users, num_items: catalogue sizes.
        embedding_dim: vector size. (default: 64)
        num_layers: propagation layers :math:`L`. (default: 2)
        eps: noise magnitude :math:`\epsilon`. (default: 0.2)
        cl_layer: the layer :math:`l^*` contrasted with the final embedding, in
            ``1..num_layers``. (default: 1)
        cl_weight: :math:`\lambda`. (default: 0.2)
        temperature: :math:`\tau` of InfoNCE. (default: 0.15)
        seed: seed of the noise generator. (default: 0)
        cl_batch: at most this many of the batch's distinct users, and as many of its
            distinct items, enter InfoNCE, drawn with the model's generator: the loss
            costs ``cl_batch ** 2`` similarities instead of the square of the batch.
            (default: ``None``, all of them, as in the paper)

    The defaults are the authors' (SELFRec's ``XSimGCL.conf``: 2 layers, :math:`l^*=1`,
    :math:`\lambda = 0.2`, :math:`\epsilon = 0.2`, :math:`\tau = 0.15`).
    """

    def __init__(
        self,
        adj: Tensor,
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 2,
        eps: float = 0.2,
        cl_layer: int = 1,
        cl_weight: float = 0.2,
        temperature: float = 0.15,
        seed: int = 0,
        cl_batch: int | None = None,
    ):
        super().__init__(num_users, num_items)
        _check_adjacency(adj, num_users, num_items)
        _check_positive(num_layers, "num_layers")
        if cl_batch is not None:
            _check_positive(cl_batch, "cl_batch")
        if not 1 <= cl_layer <= num_layers:
            raise ValueError(f"cl_layer must lie in 1..num_layers={num_layers}, got {cl_layer}")
        if eps < 0 or temperature <= 0 or cl_weight < 0:
            raise ValueError(
                f"need eps >= 0, temperature > 0 and cl_weight >= 0, got eps={eps}, "
                f"temperature={temperature}, cl_weight={cl_weight}"
            )
        self.register_buffer("adj", compact_csr(adj), persistent=False)
        self.num_layers, self.eps, self.cl_layer = num_layers, float(eps), cl_layer
        self.cl_weight, self.temperature, self.seed = float(cl_weight), float(temperature), seed
        self.cl_batch = cl_batch
        self.embedding = nn.Embedding(num_users + num_items, embedding_dim)
        self.generator = torch.Generator().manual_seed(seed)
        self._views: tuple[Tensor, Tensor] | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.embedding.weight, std=0.1)
        self.generator.manual_seed(self.seed)

    def _noise(self, x: Tensor) -> Tensor:
        u = torch.rand(x.shape, generator=self.generator, dtype=x.dtype).to(x.device)
        return self.eps * torch.sign(x) * nn.functional.normalize(u, dim=1)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        noisy = self.training and self.eps > 0
        x = self.embedding.weight
        out, cl_view = x, None
        for layer in range(1, self.num_layers + 1):
            x = propagate(self.adj, x)
            if noisy:
                x = x + self._noise(x)
            out = out + x
            if layer == self.cl_layer:
                cl_view = x
        out = out / (self.num_layers + 1)
        self._views = (out, cl_view) if self.training else None
        return out[: self.num_users], out[self.num_users :]

    def extra_loss(self, users: Tensor, items: Tensor) -> Tensor:
        """The contrastive term of the last training-mode :meth:`get_embedding`, over the
        distinct ``users`` and positive ``items`` of the batch (once per pass)."""
        if self._views is None:
            raise RuntimeError("extra_loss needs a get_embedding() call in training mode first")
        (final, cl_view), self._views = self._views, None
        u, i = self._some(torch.unique(users)), self._some(torch.unique(items)) + self.num_users
        loss = info_nce(final[u], cl_view[u], self.temperature)
        return self.cl_weight * (loss + info_nce(final[i], cl_view[i], self.temperature))

    def _some(self, ids: Tensor) -> Tensor:
        """``ids``, or ``cl_batch`` of them drawn without replacement."""
        if self.cl_batch is None or len(ids) <= self.cl_batch:
            return ids
        pick = torch.randperm(len(ids), generator=self.generator)[: self.cl_batch]
        return ids[pick.to(ids.device)]

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.embedding(users), self.embedding(items + self.num_users)]

    def extra_repr(self) -> str:
        some = "" if self.cl_batch is None else f", cl_batch={self.cl_batch}"
        return (
            f"{super().extra_repr()}, embedding_dim={self.embedding.embedding_dim}, "
            f"num_layers={self.num_layers}, eps={self.eps}, cl_layer={self.cl_layer}, "
            f"cl_weight={self.cl_weight}, temperature={self.temperature}{some}"
        )


class NGCF(Recommender):
    r"""NGCF (Wang et al., "Neural Graph Collaborative Filtering", SIGIR 2019,
    https://arxiv.org/abs/1905.08108), the GNN LightGCN simplified.

    .. math::
        E^{(l+1)} = \operatorname{LeakyReLU}\big((\hat A + I) E^{(l)} W_1^{(l)}
            + (\hat A E^{(l)}) \odot E^{(l)} \, W_2^{(l)}\big), \qquad
        E = E^{(0)} \,\Vert\, \bar E^{(1)} \,\Vert \cdots \Vert\, \bar E^{(L)}

    (biases :math:`b_1, b_2` added to the two products, LeakyReLU slope 0.2, message
    dropout on each layer's output, :math:`\bar E^{(l)}` that output with rows scaled to
    unit length, as the authors' code does before concatenating). LightGCN (He et al.,
    SIGIR 2020) removed, by ablation, everything but :math:`\hat A E^{(l)}`: the weight
    matrices :math:`W_1, W_2` and biases, the non-linearity, the self-loop :math:`I`,
    the interaction term :math:`(\hat A E) \odot E` and dropout; and it replaced the
    concatenation by a mean of the layers.

    Args:
        adj: normalised adjacency from ``gnnrec_utils.graph.normalized_adjacency``.
        num_users, num_items: catalogue sizes.
        embedding_dim: size of :math:`E^{(0)}` and of every layer. (default: 64)
        num_layers: propagation layers :math:`L`. (default: 3)
        message_dropout: dropout on each layer's output while training. (default: 0.1)

    The final vectors have ``embedding_dim * (num_layers + 1)`` entries.
    """

    def __init__(
        self,
        adj: Tensor,
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 3,
        message_dropout: float = 0.1,
    ):
        super().__init__(num_users, num_items)
        _check_adjacency(adj, num_users, num_items)
        _check_positive(num_layers, "num_layers")
        if not 0 <= message_dropout < 1:
            raise ValueError(f"message_dropout must lie in [0, 1), got {message_dropout}")
        self.register_buffer("adj", compact_csr(adj), persistent=False)
        self.num_layers, self.message_dropout = num_layers, float(message_dropout)
        self.embedding = nn.Embedding(num_users + num_items, embedding_dim)
        d = embedding_dim
        self.w1 = nn.ModuleList(nn.Linear(d, d) for _ in range(num_layers))
        self.w2 = nn.ModuleList(nn.Linear(d, d) for _ in range(num_layers))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.embedding.weight)
        for linear in [*self.w1, *self.w2]:
            nn.init.xavier_uniform_(linear.weight)
            nn.init.zeros_(linear.bias)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        x = self.embedding.weight
        layers = [x]
        for w1, w2 in zip(self.w1, self.w2, strict=True):
            side = propagate(self.adj, x)
            x = nn.functional.leaky_relu(w1(side + x) + w2(side * x), negative_slope=0.2)
            x = nn.functional.dropout(x, self.message_dropout, self.training)
            layers.append(nn.functional.normalize(x, dim=1))
        out = torch.cat(layers, dim=1)
        return out[: self.num_users], out[self.num_users :]

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.embedding(users), self.embedding(items + self.num_users)]

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, embedding_dim={self.embedding.embedding_dim}, "
            f"num_layers={self.num_layers}, message_dropout={self.message_dropout}"
        )
