r"""LightGCN: ID embeddings averaged over propagation layers.

:func:`lightgcn_embedding` is the propagation, a plain loop of sparse products that
notebook 03 writes out; :class:`LightGCN` is the model that trains it, passing
:func:`~gnnrec_utils.graph.propagation.propagate` as the product so that the backward
pass reuses the symmetric matrix instead of transposing it.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnrec_utils.graph.propagation import compact_csr, propagate
from gnnrec_utils.models.base import Recommender

__all__ = ["LightGCN", "lightgcn_embedding"]


# saved as gnnrec_utils.models.lightgcn.lightgcn_embedding
def lightgcn_embedding(adj, emb, num_layers, product=torch.sparse.mm):
    """LightGCN's vectors: the mean of ``emb`` and its 1..num_layers propagations over
    the normalised adjacency ``adj``, one sparse ``product`` per layer."""
    w = 1.0 / (num_layers + 1)
    x, out = emb, emb * w
    for _ in range(num_layers):
        x = product(adj, x)
        out = torch.add(out, x, alpha=w)  # out + w * x in one pass
    return out


class LightGCN(Recommender):
    r"""LightGCN (He et al., SIGIR 2020, https://arxiv.org/abs/2002.02126).

    .. math::
        E^{(l+1)} = \hat{A} E^{(l)}, \qquad E = \frac{1}{L+1} \sum_{l=0}^{L} E^{(l)}

    over the symmetric normalised user-item adjacency :math:`\hat A`
    (:func:`lightgcn_embedding`, with the fast backward of
    :func:`~gnnrec_utils.graph.propagation.propagate`).

    Args:
        adj: normalised adjacency from ``gnnrec_utils.graph.normalized_adjacency``.
        num_users, num_items: catalogue sizes (users are nodes ``0..num_users-1``).
        embedding_dim: vector size. (default: 64)
        num_layers: propagation layers :math:`L`. (default: 3)
        num_extra_nodes: nodes after the items that are propagated over but never
            recommended, e.g. attribute values (``gnnrec_utils.scenarios.coldstart``). (default: 0)
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
        out = lightgcn_embedding(self.adj, self.embedding.weight, self.num_layers, propagate)
        return out[: self.num_users], out[self.num_users : self.num_users + self.num_items]

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.embedding(users), self.embedding(items + self.num_users)]

    def extra_repr(self) -> str:
        extra = f", num_extra_nodes={self.num_extra_nodes}" if self.num_extra_nodes else ""
        return (
            f"{super().extra_repr()}, embedding_dim={self.embedding.embedding_dim}, "
            f"num_layers={self.num_layers}{extra}"
        )
