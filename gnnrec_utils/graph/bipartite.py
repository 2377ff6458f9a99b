"""The user-item graph in CSR form, for samplers and for propagation at scale.

* :class:`BipartiteCSR`: the undirected user-item graph as one node set (users
  ``0 .. U-1``, items ``U .. U+I-1``), both directions stored, neighbours ascending;
  what :class:`~gnnrec_utils.training.neighbor_sampler.CSRNeighborSampler` draws from.
* :func:`normalized_csr`: its symmetric normalised adjacency, built from the CSR arrays
  without the sort that a COO build needs (gigabytes at the real Taobao log's size).
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor
from torch_geometric.data import Data

from gnnrec_utils.checks import check_range
from gnnrec_utils.graph.propagation import compact_csr

__all__ = ["BipartiteCSR", "normalized_csr"]


class BipartiteCSR:
    """The undirected user-item graph as one homogeneous node set, in CSR form.

    Users are nodes ``0 .. U-1`` and items are nodes ``U .. U+I-1``. Each distinct
    ``(user, item)`` pair is stored in both directions, so a node's neighbours are
    the items of a user or the users of an item. Stored edge ``e`` (the ``e``-th entry
    of ``indices``) runs from ``indices[e]`` to the node whose row holds it, which is
    how :meth:`edge_index` lists it.

    Args:
        users: int64 ``(n,)`` user ids in ``[0, num_users)``.
        items: int64 ``(n,)`` item ids in ``[0, num_items)``; repeated pairs count once.
        num_users, num_items: catalogue sizes (nodes without a pair are kept, degree 0).

    Attributes:
        num_users, num_items, num_nodes: ``U``, ``I`` and ``U + I``.
        num_pairs: number of distinct pairs ``E`` (the graph stores ``2E`` edges).
        indptr: int64 ``(num_nodes + 1,)``; node ``n``'s neighbours, ascending, are
            ``indices[indptr[n]:indptr[n + 1]]``.
        indices: int64 ``(2E,)`` neighbour node ids.
        degree: int64 ``(num_nodes,)`` number of neighbours per node.

    Raises:
        ValueError: ``users`` and ``items`` differ in shape or hold an id out of range.
    """

    def __init__(self, users: torch.Tensor, items: torch.Tensor, num_users: int, num_items: int):
        users = torch.as_tensor(users, dtype=torch.long)
        items = torch.as_tensor(items, dtype=torch.long)
        if users.dim() != 1 or users.shape != items.shape:
            raise ValueError(
                f"users and items must be 1-D of one length, got "
                f"{tuple(users.shape)} and {tuple(items.shape)}"
            )
        self.num_users, self.num_items = int(num_users), int(num_items)
        self.num_nodes = self.num_users + self.num_items
        check_range("users", users, self.num_users)
        check_range("items", items, self.num_items)
        keys = torch.unique(users * self.num_items + items)  # sorted by user, then item
        users, items = keys // max(self.num_items, 1), keys % max(self.num_items, 1)
        by_item = torch.sort(items, stable=True).indices  # stable: users stay ascending
        self.num_pairs = len(keys)
        self.degree = torch.cat(
            [
                torch.bincount(users, minlength=self.num_users),
                torch.bincount(items, minlength=self.num_items),
            ]
        )
        self.indptr = torch.cat([self.degree.new_zeros(1), self.degree.cumsum(0)])
        self.indices = torch.cat([items + self.num_users, users[by_item]])

    @classmethod
    def from_positives(cls, positives) -> BipartiteCSR:
        """The graph of a :class:`~gnnrec_utils.training.positives.PositiveSet`'s pairs."""
        return cls(positives.users, positives.items, positives.num_users, positives.num_items)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(num_users={self.num_users}, num_items={self.num_items}, "
            f"{self.num_pairs} pairs)"
        )

    def edge_index(self) -> torch.Tensor:
        """int64 ``(2, 2E)`` ``[source; target]`` of every stored edge, in storage order.

        Column ``e`` is ``[indices[e], n]`` where row ``n`` holds entry ``e``: the
        order of the sampler's edge ids, so ``edge_index()[:, out.edge]`` are the
        sampled edges. Sorted by target, like PyG's CSC.
        """
        target = torch.repeat_interleave(torch.arange(self.num_nodes), self.degree)
        return torch.stack([self.indices, target])

    def to_data(self, with_edges: bool = True) -> Data:
        """A ``Data(edge_index=..., num_nodes=...)`` for PyG's loaders.

        ``with_edges=False`` stores an empty ``(2, 0)`` ``edge_index`` instead of
        :meth:`edge_index` (``4E`` int64, 3.2 GB at 100 M pairs): enough for a
        ``LinkLoader`` or ``NodeLoader`` driven by :class:`CSRNeighborSampler`, whose
        batches still get their ``edge_index`` from the sampler; PyG's own samplers
        need the full one.
        """
        if with_edges:
            return Data(edge_index=self.edge_index(), num_nodes=self.num_nodes)
        return Data(edge_index=torch.empty(2, 0, dtype=torch.long), num_nodes=self.num_nodes)

    def edge_ids(self, src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
        """Id of the stored edge ``src -> dst`` for each pair, ``-1`` where there is none.

        A binary search within ``dst``'s neighbours, vectorised over the pairs:
        ``log2(max degree)`` steps of work per pair.
        """
        src, dst = torch.as_tensor(src, dtype=torch.long), torch.as_tensor(dst, dtype=torch.long)
        if len(self.indices) == 0:
            return torch.full_like(dst, -1)
        lo, end = self.indptr[dst], self.indptr[dst + 1]
        hi = end.clone()
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) // 2
            right = active & (self.indices[mid.clamp(max=len(self.indices) - 1)] < src)
            lo = torch.where(right, mid + 1, lo)
            hi = torch.where(active & ~right, mid, hi)
        found = (lo < end) & (self.indices[lo.clamp(max=len(self.indices) - 1)] == src)
        return torch.where(found, lo, -1)


# ---------------------------------------------------------------- one hop


# ---------------------------------------------------------------- the sampler


# ---------------------------------------------------------------- loaders


# --------------------------------------------------------------------------- graph
def normalized_csr(graph: BipartiteCSR) -> Tensor:
    r""":math:`D^{-1/2} A D^{-1/2}` of ``graph`` as sparse CSR, built from its CSR arrays.

    The same matrix as ``gnnrec_utils.graph.normalized_adjacency`` over the same distinct
    pairs, without the COO sort that needs several copies of the edge list: at the real
    Taobao log's size (about 140 million stored directions) that sort alone is gigabytes.
    """
    deg = graph.degree.to(torch.float32)
    inv_sqrt = deg.pow(-0.5).masked_fill(deg == 0, 0.0)
    row = torch.repeat_interleave(torch.arange(graph.num_nodes), graph.degree)
    values = inv_sqrt[row] * inv_sqrt[graph.indices]
    del row
    with warnings.catch_warnings():  # torch marks sparse CSR as beta; it is what we want here
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support", category=UserWarning)
        adj = torch.sparse_csr_tensor(
            graph.indptr,
            graph.indices,
            values,
            (graph.num_nodes, graph.num_nodes),
            check_invariants=False,
        )
    return compact_csr(adj)
