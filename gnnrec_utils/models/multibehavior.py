"""The multi-behaviour GNN (:class:`MultiBehaviorGCN`): attribute encoders, one
graph per behaviour mixed with learned weights, or one graph of every behaviour
refined per behaviour.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnrec_utils.graph.build import union_adjacency
from gnnrec_utils.graph.propagation import compact_csr, propagate
from gnnrec_utils.models.base import Recommender
from gnnrec_utils.models.encoders import NodeEncoder, check_codes
from gnnrec_utils.models.lightgcn import lightgcn_embedding

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

    With ``graph="unified"`` the layers run instead over one graph holding every
    behaviour's edges (:math:`\hat{A}_\cup`, :func:`~gnnrec_utils.graph.union_adjacency`),
    and one hop over each behaviour's own graph refines the result:

    .. math::
        G = \frac{1}{L+1} \sum_{l=0}^{L} \hat{A}_\cup^{\,l} E^{(0)}, \qquad
        E = G + \sum_{b} r_b \, \hat{A}_b G

    with one learned weight :math:`r_b` per behaviour, starting at 0, so the untrained
    model is LightGCN over the union graph and training decides how much each
    behaviour's neighbours add (and with which sign). This is the shape of the recent
    multi-behaviour models built on a global view (MB-HGCN's global graph, MuLe's
    first stage), in the kit's LightGCN style. ``benchmarks/multibehavior.py`` compares
    both forms with LightGCN on Tmall.

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
            one shared by all; ``graph="mixture"`` only. (default: False)
        graph: ``"mixture"`` (the layers mix the behaviours' graphs) or ``"unified"``
            (the layers run over the union graph, then one refining hop per
            behaviour). (default: ``"mixture"``)
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
        graph: str = "mixture",
    ):
        super().__init__(len(user_codes), len(item_codes))
        if graph not in ("mixture", "unified"):
            raise ValueError(f"graph: expected 'mixture' or 'unified', got {graph!r}")
        if graph == "unified" and layer_weights:
            raise ValueError(
                "layer_weights=True needs graph='mixture' (the unified graph has no mixture)"
            )
        if not adjs:
            raise ValueError("adjs: expected at least one behaviour's adjacency, got none")
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
        self.graph = graph
        if graph == "unified":
            self.register_buffer(
                "adj_unified", compact_csr(union_adjacency(adjs)), persistent=False
            )
            self.refine_weights = nn.Parameter(torch.zeros(len(self.behaviors)))
        else:
            shape = (num_layers, len(self.behaviors)) if layer_weights else (len(self.behaviors),)
            self.behavior_logits = nn.Parameter(torch.zeros(shape))

    def reset_parameters(self) -> None:
        self.user_encoder.reset_parameters()
        self.item_encoder.reset_parameters()
        nn.init.zeros_(self.refine_weights if self.graph == "unified" else self.behavior_logits)

    def behavior_weights(self) -> dict[str, float | list[float]]:
        """The learned weight of each behaviour's graph: its mixing weight (one per
        layer, first layer first, with ``layer_weights``), or with ``graph="unified"``
        its refining weight :math:`r_b`."""
        if self.graph == "unified":
            return dict(zip(self.behaviors, self.refine_weights.tolist(), strict=True))
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
        if self.graph == "unified":
            unified = (
                self.adj_unified
                if adjs is None
                else compact_csr(union_adjacency([adjs[b] for b in self.behaviors]))
            )
            adjs = (
                [getattr(self, f"adj_{b}") for b in self.behaviors]
                if adjs is None
                else [compact_csr(adjs[b]) for b in self.behaviors]
            )
            g = lightgcn_embedding(unified, x, self.num_layers, propagate)
            out = g + sum(
                r * propagate(adj, g) for r, adj in zip(self.refine_weights, adjs, strict=True)
            )
            return out[: self.num_users], out[self.num_users :]
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
        if self.graph == "unified":
            form = ", graph='unified'"
        else:
            form = ", layer_weights=True" if self.behavior_logits.dim() == 2 else ""
        return (
            f"{super().extra_repr()}, behaviors={self.behaviors}, "
            f"num_layers={self.num_layers}{form}"
        )
