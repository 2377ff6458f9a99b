"""The multi-behaviour GNN (:class:`MultiBehaviorGCN`): attribute encoders, one
graph per behaviour mixed with learned weights.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnrec_utils.graph.propagation import compact_csr, propagate
from gnnrec_utils.models.base import Recommender
from gnnrec_utils.models.encoders import NodeEncoder, check_codes

__all__ = ["MultiBehaviorGCN"]


class MultiBehaviorGCN(Recommender):
    r"""A heterogeneous GNN over the multi-behaviour graph, with attribute encoders.

    Layer 0 encodes every node from its ID and attributes
    (:class:`~gnnrec_utils.models.encoders.NodeEncoder`). Each layer propagates over one
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
            code adds nothing (see :class:`~gnnrec_utils.models.encoders.AttributeEncoder`).
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
