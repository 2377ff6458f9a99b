"""The cascading multi-behaviour model (:class:`CascadeGCN`): LightGCN stages over
the behaviours in funnel order.
"""

from __future__ import annotations

from torch import Tensor, nn

from gnnrec_utils.graph.propagation import compact_csr, propagate
from gnnrec_utils.models.base import Recommender
from gnnrec_utils.models.lightgcn import lightgcn_embedding

__all__ = ["CascadeGCN"]


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
    (up to the common scale). CRGCN also trains every stage on its own behaviour's
    pairs (a multi-task loss); this version is trained on the target's loss alone, as
    any model of the kit is by ``train`` (pass ``auxiliary=`` to ``train`` to add one
    auxiliary behaviour's loss on the final vectors).

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
            x = lightgcn_embedding(getattr(self, f"adj_{b}"), x, self.num_layers, propagate)
        return x[: self.num_users], x[self.num_users :]

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.embedding(users), self.embedding(items + self.num_users)]

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, behaviors={self.behaviors}, "
            f"embedding_dim={self.embedding.embedding_dim}, num_layers={self.num_layers}"
        )
