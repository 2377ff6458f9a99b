"""The explorer's tables, as plain functions that each return a pandas DataFrame, so
that a notebook (or a test) can call them without widgets.

* :func:`history_table`: the items a shopper touched before the period, most recent first;
* :func:`recommendation_table`: a model's top k for a shopper, with category, brand,
  price and ``hit`` (the shopper favs, carts or buys the item in the period);
* :func:`new_shopper_recommendations`: the top k for a shopper known only by a few items;
* :func:`similar_items_table`: the items nearest a product by the model's item vectors
  (:func:`gnnrec_utils.retrieval.similar.similar_items`);
* :func:`side_by_side`: titled tables in one row (HTML in Jupyter, aligned text elsewhere).

The ``check_*`` and ``parse_item_ids`` functions turn what a person typed into ids, or
raise ``ValueError`` naming the value.
"""

from __future__ import annotations

import html
import itertools
import re

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from gnnrec_utils.data.constants import BEHAVIORS, ITEM_COLUMNS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.models.base import Recommender
from gnnrec_utils.models.lightgcn import LightGCN
from gnnrec_utils.models.popularity import Popularity
from gnnrec_utils.models.topk import topk_excluding
from gnnrec_utils.retrieval.similar import similar_items
from gnnrec_utils.scenarios.inductive import ColdStartRecommender

__all__ = [
    "SideBySide",
    "as_int",
    "check_items",
    "check_k",
    "check_user",
    "count_noun",
    "history_table",
    "new_shopper_recommendations",
    "parse_item_ids",
    "ranked_items",
    "recommendation_table",
    "side_by_side",
    "similar_items_table",
]


def as_int(value, what: str) -> int:
    """``value`` as an int; ``ValueError`` naming ``what`` and the value when it is not a
    whole number (``"17"`` and ``17`` pass, ``"abc"``, ``"1.5"`` and ``True`` do not)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    raise ValueError(f"{what} must be a whole number, got {value!r}")


def check_user(split: ShopSplit, user_id) -> int:
    """``user_id`` as an int, or ``ValueError`` when it is not a shopper of ``split``."""
    user = as_int(user_id, "a shopper id")
    if not 0 <= user < split.num_users:
        raise ValueError(
            f"shopper {user} is not in the shop: ids run from 0 to {split.num_users - 1}"
        )
    return user


def check_items(item_ids, num_items: int) -> list[int]:
    """``item_ids`` as ints, duplicates dropped (first kept); ``ValueError`` naming every
    id outside the catalogue ``0..num_items-1``, or when there is none."""
    ids = list(dict.fromkeys(as_int(i, "an item id") for i in item_ids))
    if not ids:
        raise ValueError("no item id given: type one or more, e.g. 17, 803")
    outside = [i for i in ids if not 0 <= i < num_items]
    if outside:
        raise ValueError(
            f"item {', '.join(map(str, outside))} not in the catalogue: "
            f"ids run from 0 to {num_items - 1}"
        )
    return ids


def check_k(k, candidates: int) -> int:
    """``k`` as an int, or ``ValueError`` when it is below 1 or above ``candidates``."""
    k = as_int(k, "k")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if k > candidates:
        raise ValueError(f"k = {k} is more than the {candidates} items left to recommend")
    return k


def parse_item_ids(text: str, num_items: int) -> list[int]:
    """Item ids typed as text, separated by commas, semicolons or spaces (``"17, 803"``).

    ``ValueError`` naming the first entry that is not a whole number, or the ids outside
    the catalogue (:func:`check_items`).
    """
    tokens = [t for t in re.split(r"[\s,;]+", str(text)) if t]
    for token in tokens:
        if not re.fullmatch(r"[+-]?\d+", token):
            raise ValueError(
                f"{token!r} is not an item id: type whole numbers separated by commas or spaces"
            )
    return check_items(tokens, num_items)


def history_table(
    split: ShopSplit, user_id, period: str = "test", limit: int | None = None
) -> pd.DataFrame:
    """The items ``user_id`` touched before ``period`` (``split.history(period)``: what
    :func:`recommendation_table` excludes), most recent first, ties by item id.

    Columns: item_id, category_id, brand_id, price, and ``behaviours``, the distinct
    behaviours on the item in funnel order (``"pv, cart"``). ``limit``: at most that many
    rows. A shopper without history gets an empty table.
    """
    user = check_user(split, user_id)
    known = split.history(period)
    mine = known[known.user_id == user]
    funnel = {b: n for n, b in enumerate(BEHAVIORS)}
    per_item = mine.groupby("item_id").agg(
        behaviours=("behavior", lambda b: ", ".join(sorted(set(b), key=funnel.get))),
        last=("timestamp", "max"),
    )
    per_item = per_item.sort_values("last", ascending=False, kind="stable").head(limit)
    table = split.items.loc[per_item.index, list(ITEM_COLUMNS)]
    return table.assign(behaviours=per_item.behaviours.to_numpy()).reset_index(drop=True)


def ranked_items(items: pd.DataFrame, item_ids) -> pd.DataFrame:
    """The catalogue rows of ``item_ids`` in that order, indexed by rank 1, 2, ..."""
    table = items.loc[np.asarray(item_ids), list(ITEM_COLUMNS)]
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


def recommendation_table(
    model: Recommender, split: ShopSplit, user_id, k: int = 10, period: str = "test"
) -> pd.DataFrame:
    """``model``'s top ``k`` for ``user_id`` over all items but those the shopper touched
    before ``period`` (the series' full ranking), indexed by rank.

    Columns: item_id, category_id, brand_id, price and ``hit``: whether the shopper
    favs, carts or buys the item in ``period``, new to them (a pair of
    ``split.targets(period)``).
    """
    user = check_user(split, user_id)
    known = split.history(period)
    k = check_k(k, split.num_items - known.item_id[known.user_id == user].nunique())
    top = model.recommend([user], k, exclude=known)[0]
    targets = split.targets(period)
    wanted = set(targets.item_id[targets.user_id == user])
    return ranked_items(split.items, top).assign(hit=[int(i) in wanted for i in top])


def _typical_attributes(users: pd.DataFrame) -> dict:
    """The most common value of each user attribute: a placeholder for a shopper known
    only by their items (without attribute nodes in the graph it changes nothing)."""
    return {c: users[c].mode().iloc[0] for c in users.columns if c != "user_id"}


@torch.no_grad()
def new_shopper_recommendations(
    model: Recommender, item_ids, split: ShopSplit, k: int = 10
) -> pd.DataFrame:
    """Top ``k`` for a new shopper known only by ``item_ids`` (items they just touched),
    those items excluded; indexed by rank, with category, brand and price.

    How the new shopper is scored, without retraining:

    * **LightGCN** (without attribute nodes): inductive fold-in, reused from
      :class:`gnnrec_utils.scenarios.inductive.ColdStartRecommender` (notebook 05). The shopper is
      added to the training graph as a new node with one edge to each typed item, and the
      trained vectors are propagated over the enlarged graph; the new node starts from
      zero, so its vector is built from those items' vectors and their neighbourhoods,
      degree-weighted: the graph's version of "the mean of the items' vectors".
    * **Popularity**: the same ranking as for every shopper.
    * **any other model**: the mean of the typed items' vectors is the user vector.

    ``split`` supplies the training events the model was trained on (``split.train``)
    and the catalogue.
    """
    ids = check_items(item_ids, split.num_items)
    k = check_k(k, split.num_items - len(ids))
    if isinstance(model, LightGCN) and model.num_extra_nodes == 0:
        cold = ColdStartRecommender(model, split.train, split.users, split.items)
        top = cold.recommend_for_new_user(_typical_attributes(split.users), ids, k)
        return ranked_items(split.items, top)
    user_emb, item_emb = model.get_embedding()
    vector = user_emb[0] if isinstance(model, Popularity) else item_emb[ids].mean(0)
    scores = (item_emb @ vector).unsqueeze(0)
    typed = pd.DataFrame({"user_id": 0, "item_id": ids})
    return ranked_items(split.items, topk_excluding(lambda _: scores, np.zeros(1), typed, k)[0])


@torch.no_grad()
def similar_items_table(
    model: Recommender, items: pd.DataFrame, item_id, k: int = 10, metric: str = "cosine"
) -> pd.DataFrame:
    """The ``k`` items nearest ``item_id`` by ``model``'s item vectors
    (:func:`gnnrec_utils.retrieval.similar.similar_items`, the item itself excluded), indexed by
    rank, with category, brand, price and the similarity (a column named ``metric``).

    ``ValueError`` for a model whose items are one number each (Popularity): nothing
    to compare but that number.
    """
    item = check_items([item_id], len(items))[0]
    k = check_k(k, len(items) - 1)
    item_emb = model.get_embedding()[1]
    if item_emb.shape[1] < 2:
        raise ValueError(
            f"similar items: {type(model).__name__} gives each item one number, not a vector, "
            f"so there are none to find; choose a model with item vectors, such as LightGCN"
        )
    top = similar_items(item_emb, [item], k, metric)[0]
    emb = F.normalize(item_emb, dim=1) if metric == "cosine" else item_emb
    similarity = (emb[torch.as_tensor(top)] @ emb[item]).numpy().round(3)
    return ranked_items(items, top).assign(**{metric: similarity})


def count_noun(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class SideBySide:
    """Titled tables shown in one row: HTML tables in Jupyter (wrapping onto the next
    line when the page is narrow), aligned text elsewhere. A table with a named index
    (rank) shows it; one with an unnamed index does not."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.tables = dict(tables)

    def _repr_html_(self) -> str:
        blocks = "".join(
            f"<div><p><b>{html.escape(title)}</b></p>"
            f"{df.to_html(index=df.index.name is not None)}</div>"
            for title, df in self.tables.items()
        )
        return f'<div style="display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start">{blocks}</div>'

    def __repr__(self) -> str:
        blocks = [
            [title, *df.to_string(index=df.index.name is not None).splitlines()]
            for title, df in self.tables.items()
        ]
        widths = [max(map(len, block)) for block in blocks]
        rows = itertools.zip_longest(*blocks, fillvalue="")
        return "\n".join(
            "   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows
        )


def side_by_side(tables: dict[str, pd.DataFrame]) -> SideBySide:
    """``{title: table}`` displayed in one row (:class:`SideBySide`)."""
    return SideBySide(tables)
