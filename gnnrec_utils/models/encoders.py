"""Encoders: from ids and attributes to vectors.

A node's vector is the sum of an ID embedding (what the model learns about this
very user or item from its history) and one embedding per attribute (what it
shares with every node of the same age group, category, brand, price band …).
Summing keeps the dimension fixed and lets a node without history — a cold user
or item — still get a meaningful vector from its attributes alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

__all__ = [
    "ITEM_ATTRIBUTES",
    "USER_ATTRIBUTES",
    "AttributeEncoder",
    "NodeEncoder",
    "attribute_codes",
    "check_codes",
    "item_attribute_codes",
    "price_bands",
    "user_attribute_codes",
]

USER_ATTRIBUTES = ("age_group", "gender", "city_tier")
ITEM_ATTRIBUTES = ("category_id", "brand_id", "price_band")


def price_bands(price: pd.Series | np.ndarray, num_bands: int = 10) -> np.ndarray:
    """Price as a band 0..num_bands-1, by deciles of log price over the catalogue."""
    log_price = np.log1p(np.asarray(price, dtype=np.float64))
    edges = np.quantile(log_price, np.linspace(0, 1, num_bands + 1)[1:-1])
    return np.searchsorted(edges, log_price, side="right")


def attribute_codes(table: pd.DataFrame, columns: tuple[str, ...]) -> tuple[Tensor, list[int]]:
    """Integer codes of ``columns`` as a (rows, len(columns)) LongTensor, and each
    column's number of codes (its largest code + 1)."""
    codes = torch.tensor(table[list(columns)].to_numpy(dtype=np.int64))
    return codes, [int(c) + 1 for c in codes.max(0).values]


def user_attribute_codes(users: pd.DataFrame) -> tuple[Tensor, list[int]]:
    """Codes of age group, gender and city tier for every user."""
    return attribute_codes(users, USER_ATTRIBUTES)


def item_attribute_codes(items: pd.DataFrame, num_bands: int = 10) -> tuple[Tensor, list[int]]:
    """Codes of category, brand and price band for every item."""
    return attribute_codes(
        items.assign(price_band=price_bands(items.price, num_bands)), ITEM_ATTRIBUTES
    )


def check_codes(codes: Tensor, cardinalities: list[int], name: str) -> None:
    """Raise a ``ValueError`` naming ``name`` unless ``codes`` fits ``cardinalities``.

    Args:
        codes: attribute codes, one row per node and one column per attribute (no
            column at all for nodes without attributes).
        cardinalities: the number of codes of each attribute.
        name: the argument's name, for the message (``"user_codes"``).
    """
    if codes.dim() != 2 or codes.dtype not in (torch.int32, torch.int64):
        raise ValueError(
            f"{name}: expected a 2-D integer tensor, got {codes.dtype} {tuple(codes.shape)}"
        )
    if codes.shape[1] != len(cardinalities):
        raise ValueError(
            f"{name}: {codes.shape[1]} columns, but {len(cardinalities)} cardinalities given"
        )
    for j, cardinality in enumerate(cardinalities):
        column = codes[:, j]
        if len(column) and (column.min() < 0 or column.max() >= cardinality):
            raise ValueError(
                f"{name}: column {j} must hold codes 0..{cardinality - 1}, "
                f"found {int(column.min())}..{int(column.max())}"
            )


class AttributeEncoder(nn.Module):
    """Sum of one learned embedding per categorical attribute.

    An attribute with a single code gets no table and adds nothing: it is the same for
    every node, so it tells none apart, and its one vector, shared by every node, would act
    as an offset that graph propagation turns into a popularity feature which every
    training sample pulls on (issue 15). A dataset without attributes can then pass one
    constant column and get the model without attributes.

    Args:
        cardinalities: number of codes of each attribute.
        embedding_dim: size of the output vectors.
    """

    def __init__(self, cardinalities: list[int], embedding_dim: int):
        super().__init__()
        self.embedding_dim = embedding_dim
        self.columns = [j for j, c in enumerate(cardinalities) if c > 1]
        self.tables = nn.ModuleList(
            nn.Embedding(cardinalities[j], embedding_dim) for j in self.columns
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for table in self.tables:
            nn.init.normal_(table.weight, std=0.1)

    def forward(self, codes: Tensor) -> Tensor:
        """``codes``: (n, num_attributes) LongTensor → (n, embedding_dim); zeros when no
        attribute has two codes or more."""
        if not self.tables:
            return torch.zeros(len(codes), self.embedding_dim, device=codes.device)
        return sum(table(codes[:, j]) for j, table in zip(self.columns, self.tables, strict=True))


class NodeEncoder(nn.Module):
    """ID embedding plus attribute embeddings, combined by ``"sum"`` or ``"concat"``.

    ``"sum"`` adds the ID vector and the attribute vector; ``"concat"`` concatenates
    them and maps the result back to ``embedding_dim`` with a small MLP (more
    expressive, more parameters, slower to train). With ``use_ids=False`` only the
    attributes are used: every node with the same attributes gets the same vector.

    Args:
        num_nodes: number of users (or items).
        cardinalities: number of codes of each attribute.
        embedding_dim: size of the output vectors.
        combine: ``"sum"`` (default) or ``"concat"``.
        use_ids: whether to learn an ID embedding per node.
    """

    def __init__(
        self,
        num_nodes: int,
        cardinalities: list[int],
        embedding_dim: int,
        combine: str = "sum",
        use_ids: bool = True,
    ):
        super().__init__()
        if combine not in ("sum", "concat"):
            raise ValueError(f"combine must be 'sum' or 'concat', got {combine!r}")
        self.combine, self.use_ids = combine, use_ids
        self.ids = nn.Embedding(num_nodes, embedding_dim) if use_ids else None
        self.attributes = AttributeEncoder(cardinalities, embedding_dim)
        self.mlp = (
            nn.Sequential(
                nn.Linear(2 * embedding_dim, embedding_dim),
                nn.ReLU(),
                nn.Linear(embedding_dim, embedding_dim),
            )
            if combine == "concat" and use_ids
            else None
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.ids is not None:
            nn.init.normal_(self.ids.weight, std=0.1)
        self.attributes.reset_parameters()
        for layer in self.mlp or []:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()

    def forward(
        self, codes: Tensor, node_ids: Tensor | None = None, known: Tensor | None = None
    ) -> Tensor:
        """Vectors of the nodes ``node_ids`` (all nodes when ``None``) with attribute ``codes``.

        ``known`` (bool, one per row) marks the nodes seen in training; the others get a
        zero ID vector, so they are encoded from their attributes alone (cold start).
        """
        attr = self.attributes(codes)
        if self.ids is None:
            return attr
        ids = self.ids.weight if node_ids is None else self.ids(node_ids)
        if known is not None:
            ids = ids * known.unsqueeze(1).to(ids.dtype)
        if self.mlp is None:
            return ids + attr
        return self.mlp(torch.cat([ids, attr], dim=1))
