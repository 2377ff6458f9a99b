"""Inductive inference: recommend to a node the model never trained on, without retraining.

* :func:`attribute_adjacency` adds a node per attribute value (age group, gender, city
  tier; category, brand, price band) to the user-item graph, so that a node without
  interactions still has neighbours (:func:`attribute_nodes` numbers them).
* :func:`inductive_embedding` propagates a trained LightGCN over a graph with new nodes
  and edges; nodes it did not train on (:func:`known_nodes`) start from zero, so their
  vectors come from their trained neighbours.
* :class:`ColdStartRecommender` wraps it for an engineer: ``recommend_for_new_user`` and
  ``recommend_for_new_item``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from gnnrec_utils.graph.build import symmetric_adjacency
from gnnrec_utils.models.encoders import USER_ATTRIBUTES, price_bands
from gnnrec_utils.models.lightgcn import LightGCN, lightgcn_embedding
from gnnrec_utils.scenarios.coldstart import segment_popularity

__all__ = [
    "ColdStartRecommender",
    "attribute_adjacency",
    "attribute_nodes",
    "inductive_embedding",
    "known_nodes",
]


def attribute_nodes(
    users: pd.DataFrame,
    items: pd.DataFrame,
    user_columns: tuple[str, ...],
    item_columns: tuple[str, ...],
) -> tuple[np.ndarray, np.ndarray, int]:
    """Attribute-value node numbers of every user (num_users, len(user_columns)) and item,
    counted from 0 over all the columns, and the number of such nodes."""
    items = items.assign(price_band=price_bands(items.price))
    offset, out = 0, []
    for table, columns in ((users, user_columns), (items, item_columns)):
        codes = table[list(columns)].to_numpy(dtype=np.int64).reshape(len(table), len(columns))
        sizes = codes.max(0, initial=-1) + 1
        out.append(codes + offset + np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64))
        offset += int(sizes.sum())
    return out[0], out[1], offset


def attribute_adjacency(
    events: pd.DataFrame,
    users: pd.DataFrame,
    items: pd.DataFrame,
    user_columns: tuple[str, ...] = (),
    item_columns: tuple[str, ...] = ("category_id", "brand_id"),
    attribute_weight: float = 1.0,
) -> tuple[Tensor, int]:
    """The normalised user-item adjacency of ``events`` with one extra node per attribute
    value, linked to every user or item that has it; and the number of extra nodes.

    Nodes: users ``0..U-1``, items ``U..U+I-1``, attribute values after them. Every user
    and item has its attribute edges, with or without events: a new shopper or product
    is reachable through its age group, category, brand ... from the first day.
    """
    num_users, num_items = len(users), len(items)
    user_attr, item_attr, num_attr = attribute_nodes(users, items, user_columns, item_columns)
    pairs = events[["user_id", "item_id"]].drop_duplicates()
    base = num_users + num_items
    src = np.concatenate(
        [
            pairs.user_id.to_numpy(),
            np.repeat(np.arange(num_users), user_attr.shape[1]),
            np.repeat(np.arange(num_items) + num_users, item_attr.shape[1]),
        ]
    )
    dst = np.concatenate(
        [pairs.item_id.to_numpy() + num_users, user_attr.ravel() + base, item_attr.ravel() + base]
    )
    weight = torch.ones(len(src))
    weight[len(pairs) :] = attribute_weight
    return symmetric_adjacency(
        torch.tensor(src), torch.tensor(dst), base + num_attr, weight
    ), num_attr


# saved as gnnrec_utils.scenarios.inductive.inductive_embedding
@torch.no_grad()
def inductive_embedding(model: LightGCN, adj: Tensor, known: Tensor) -> tuple[Tensor, Tensor]:
    """User and item vectors of a trained ``model`` propagated over ``adj``, a graph with
    new nodes or edges. Nodes not ``known`` (bool, one per node of ``adj``) start from
    zero, not from their untrained ID vector: their vectors come from their neighbours."""
    ego = model.embedding.weight * known.unsqueeze(1)
    out = lightgcn_embedding(adj, ego, model.num_layers)
    return out[: model.num_users], out[model.num_users : model.num_users + model.num_items]


def known_nodes(events: pd.DataFrame, num_users: int, num_items: int, num_extra: int) -> Tensor:
    """Bool mask over all nodes: users and items with an event in ``events``, and every
    extra (attribute) node."""
    known = torch.zeros(num_users + num_items + num_extra, dtype=torch.bool)
    known[torch.tensor(events.user_id.unique())] = True
    known[torch.tensor(events.item_id.unique()) + num_users] = True
    known[num_users + num_items :] = True
    return known


class ColdStartRecommender:
    """Recommendations for a shopper or a product that a trained LightGCN never saw.

    The new node is added to the graph with its edges — the items a new shopper just
    touched, or a new product's category and brand nodes — and the trained vectors are
    propagated over the enlarged graph (:func:`inductive_embedding`); nothing is retrained.

    Args:
        model: a LightGCN trained on ``attribute_adjacency(events, users, items,
            item_columns=item_columns)`` (``item_columns=()``: the plain user-item graph).
        events, users, items: the events it was trained on and the attribute tables.
        item_columns: the item attributes that are nodes of its graph.

    Example::

        cold = ColdStartRecommender(model, split.train, split.users, split.items)
        cold.recommend_for_new_user({"age_group": 2, "gender": 1, "city_tier": 3},
                                    recent_items=[17, 803], k=10)
    """

    def __init__(
        self,
        model: LightGCN,
        events: pd.DataFrame,
        users: pd.DataFrame,
        items: pd.DataFrame,
        item_columns: tuple[str, ...] = (),
    ):
        self.model, self.events, self.users, self.items = model, events, users, items
        self.item_columns = item_columns
        expected = attribute_nodes(users, items, (), item_columns)[2]
        if model.num_extra_nodes != expected:
            raise ValueError(
                f"model has {model.num_extra_nodes} extra nodes, but item_columns={item_columns} "
                f"make {expected}: train it on attribute_adjacency with the same item_columns"
            )

    def _embed(self, users: pd.DataFrame, items: pd.DataFrame, events: pd.DataFrame):
        adj, num_extra = attribute_adjacency(events, users, items, item_columns=self.item_columns)
        ego = self.model.embedding.weight
        u, i = self.model.num_users, self.model.num_items
        table = torch.cat(
            [
                ego[:u],
                ego.new_zeros(len(users) - u, ego.shape[1]),
                ego[u : u + i],
                ego.new_zeros(len(items) - i, ego.shape[1]),
                ego[u + i :],
            ]
        )
        with torch.no_grad():
            out = lightgcn_embedding(adj, table, self.model.num_layers)
        return out[: len(users)], out[len(users) : len(users) + len(items)]

    def recommend_for_new_user(self, attributes: dict, recent_items=(), k: int = 10) -> np.ndarray:
        """Top-``k`` item ids for a shopper with ``attributes`` (age_group, gender, city_tier)
        who has just viewed ``recent_items``; those items are not recommended again.
        Without recent items: the most popular items of the shopper's age-gender segment."""
        recent = np.unique(np.asarray(recent_items, dtype=np.int64))
        if len(recent) and (recent.min() < 0 or recent.max() >= len(self.items)):
            raise ValueError(
                f"recent_items must be item ids in 0..{len(self.items) - 1}, got {recent.tolist()}"
            )
        row = pd.DataFrame(
            [{"user_id": len(self.users), **_values(attributes, self.users, USER_ATTRIBUTES)}]
        )
        users = pd.concat([self.users, row], ignore_index=True)
        if len(recent) == 0:
            scores = segment_popularity(self.events, users, [len(self.users)], len(self.items))[0]
        else:
            new = pd.DataFrame(
                {
                    "user_id": len(self.users),
                    "item_id": recent,
                    "category_id": 0,
                    "behavior": "pv",
                    "timestamp": 0,
                }
            )
            user_emb, item_emb = self._embed(users, self.items, pd.concat([self.events, new]))
            scores = (item_emb @ user_emb[-1]).double()
            scores[torch.as_tensor(recent)] = -torch.inf
        return torch.topk(scores, k).indices.numpy()

    def recommend_for_new_item(self, attributes: dict, k: int = 10) -> np.ndarray:
        """The ``k`` shoppers most likely to engage with a new product with ``attributes``
        (its values of ``item_columns``, e.g. category_id and brand_id, and a price)."""
        if not self.item_columns:
            raise ValueError(
                "a new item has no edges in a graph without attribute nodes: "
                "use item_columns=('category_id', 'brand_id') and a model trained on it"
            )
        row = pd.DataFrame(
            [{"item_id": len(self.items), **_values(attributes, self.items, self.item_columns)}]
        )
        items = pd.concat([self.items, row], ignore_index=True)
        user_emb, item_emb = self._embed(self.users, items, self.events)
        return torch.topk(user_emb @ item_emb[-1], k).indices.numpy()


def _values(attributes: dict, table: pd.DataFrame, categorical: tuple[str, ...]) -> dict:
    """``attributes`` for every column of a users or items ``table`` except the id; the
    ``categorical`` ones must take a value the table already has."""
    needed = [c for c in table.columns if c not in ("user_id", "item_id")]
    missing = [c for c in needed if c not in attributes]
    if missing:
        raise ValueError(f"attributes lack {missing}; expected a value for each of {needed}")
    for c in categorical:
        if attributes[c] not in set(table[c].tolist()):
            raise ValueError(
                f"attributes[{c!r}] = {attributes[c]!r} is not a value of the catalogue's {c} "
                f"(expected one of {table[c].min()}..{table[c].max()} seen in the data)"
            )
    return {c: attributes[c] for c in needed}
