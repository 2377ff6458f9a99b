"""NGCF (:class:`NGCF`), the GNN with weight matrices and non-linearities that
LightGCN simplified.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnrec_utils.checks import check_adjacency, check_positive
from gnnrec_utils.graph.propagation import compact_csr, propagate
from gnnrec_utils.models.base import Recommender

__all__ = ["NGCF"]


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
        check_adjacency(adj, num_users, num_items)
        check_positive(num_layers, "num_layers")
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
