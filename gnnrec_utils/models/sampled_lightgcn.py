"""LightGCN whose training steps propagate over sampled subgraphs (notebook 09).

:class:`SampledLightGCN` has LightGCN's parameters; a step propagates a sampled
neighbourhood with rescaled weights (:mod:`gnnrec_utils.training.sampled` derives them),
and ranking propagates the full graph one block of rows at a time
(:func:`~gnnrec_utils.graph.propagation.layerwise_embedding`), so evaluation and serving
see exact LightGCN vectors.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnrec_utils.graph.propagation import layer_weights, layerwise_embedding
from gnnrec_utils.models.base import Recommender

__all__ = ["SampledLightGCN"]


# --------------------------------------------------------------------------- model
class SampledLightGCN(Recommender):
    r"""LightGCN whose training steps propagate over sampled subgraphs.

    The parameters are LightGCN's: one embedding per user and item node (users
    ``0..num_users-1``, items after them). :meth:`forward` propagates a sampled
    subgraph with the rescaled weights of the module docstring; :meth:`get_embedding`
    propagates the full graph given to :meth:`attach` with
    :func:`~gnnrec_utils.graph.propagation.layerwise_embedding`,
    so evaluation and serving see exact LightGCN vectors.

    Args:
        degree: ``(num_users + num_items,)`` degrees in the full training graph.
        num_users, num_items: catalogue sizes.
        embedding_dim: vector size. (default: 64)
        num_layers: propagation layers; the sampler needs as many hops. (default: 2)
        sparse: sparse gradients for the embedding table (train with
            ``torch.optim.SparseAdam``); a step then touches only its batch's rows.
            ``nccl`` cannot reduce sparse gradients: pass ``False`` there. (default: ``True``)
    """

    def __init__(
        self,
        degree: Tensor,
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 2,
        sparse: bool = True,
    ):
        super().__init__(num_users, num_items)
        if degree.shape != (num_users + num_items,):
            raise ValueError(
                f"degree must have shape ({num_users + num_items},) for {num_users} users and "
                f"{num_items} items, got {tuple(degree.shape)}"
            )
        self.num_layers = num_layers
        self.embedding = nn.Embedding(num_users + num_items, embedding_dim, sparse=sparse)
        self.register_buffer("degree", degree.to(torch.float32), persistent=False)
        self.adj: Tensor | None = None
        self._cache: tuple[Tensor, Tensor] | None = None
        nn.init.normal_(self.embedding.weight, std=0.1)

    def forward(self, n_id: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
        """Combined embeddings of a subgraph's nodes, and their layer-0 embeddings.

        Args:
            n_id: ``(n,)`` global node ids of the subgraph (``batch.n_id``).
            edge_index: ``(2, e)`` local ``[source; target]`` sampled edges
                (``batch.edge_index``); a target's sampled sources are its drawn neighbours.

        Returns:
            ``(out, ego)``, both ``(n, d)``: only nodes whose neighbourhood was sampled
            ``num_layers`` hops deep (the batch's seeds) get LightGCN's full estimate.
        """
        self._cache = None
        ego = self.embedding(n_id)
        src, dst = edge_index
        deg = self.degree[n_id]
        drawn = torch.bincount(dst, minlength=len(n_id)).to(ego.dtype)
        weight = deg[dst].sqrt() / (deg[src].sqrt() * drawn[dst])
        n = len(n_id)
        msg = torch.sparse_coo_tensor(  # row = target, column = source; sums over sources
            torch.stack([dst, src]), weight, (n, n), check_invariants=False
        ).coalesce()
        weights = layer_weights(self.num_layers).tolist()
        x, out = ego, ego * weights[0]
        for w in weights[1:]:
            x = torch.sparse.mm(msg, x)
            out = out + w * x
        return out, ego

    def attach(self, adj: Tensor) -> SampledLightGCN:
        """Give the full normalised graph
        (:func:`~gnnrec_utils.graph.bipartite.normalized_csr`) for inference."""
        n = self.num_users + self.num_items
        if adj.shape != (n, n):
            raise ValueError(f"adj must be ({n}, {n}), got {tuple(adj.shape)}")
        self.adj, self._cache = adj, None
        return self

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        """Every user's and item's LightGCN vector over the attached full graph."""
        if self.adj is None:
            raise RuntimeError("call attach(normalized_csr(graph)) before ranking")
        if self._cache is None or self.training:
            out = layerwise_embedding(self.adj, self.embedding.weight, self.num_layers)
            self._cache = (out[: self.num_users], out[self.num_users :])
        return self._cache

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.embedding(users), self.embedding(items + self.num_users)]

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, embedding_dim={self.embedding.embedding_dim}, "
            f"num_layers={self.num_layers}"
        )
