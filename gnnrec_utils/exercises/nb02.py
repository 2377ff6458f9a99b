"""Checkers for notebook 02 · Encoders."""

from __future__ import annotations

import numpy as np
import torch

from gnnrec_utils.exercises import say_either as _say
from gnnrec_utils.models.base import Recommender
from gnnrec_utils.models.encoders import NodeEncoder, price_bands

__all__ = ["check_exercise_1", "check_exercise_2", "check_exercise_3"]


def check_exercise_1(wrapped, model, stacked_edges: torch.Tensor) -> bool:
    """``wrapped`` is a ``Recommender`` whose vectors are ``model(stacked_edges)``."""
    if not isinstance(wrapped, Recommender):
        return _say(False, "", f"{type(wrapped).__name__} is not a Recommender subclass")
    with torch.no_grad():
        want_users, want_items = model(stacked_edges)
        users, items = wrapped.get_embedding()
    ok = torch.allclose(users, want_users) and torch.allclose(items, want_items)
    return _say(
        ok,
        "the wrapper's vectors are the trained model's, so evaluate() ranks with them",
        "get_embedding() does not return model(stacked_edges): users first, then items",
    )


def check_exercise_2(extra: int, num_items: int, item_cards, dim: int) -> bool:
    """``extra``: parameters that concatenation + MLP adds over the sum, for the items."""
    count = {
        combine: sum(
            p.numel() for p in NodeEncoder(num_items, item_cards, dim, combine).parameters()
        )
        for combine in ("sum", "concat")
    }
    want = count["concat"] - count["sum"]
    return _say(
        extra == want,
        f"{want:,} more parameters, all in the MLP that maps the concatenation back to {dim}",
        f"you counted {extra:,}; building both item encoders and counting gives {want:,}",
    )


def check_exercise_3(bands: np.ndarray, price, num_bands: int = 5) -> bool:
    """``bands``: the price band of every item with ``num_bands`` bands."""
    want = price_bands(price, num_bands=num_bands)
    ok = np.array_equal(np.asarray(bands), want)
    return _say(
        ok,
        f"{num_bands} bands of about {len(want) // num_bands:,} items each",
        f"the bands differ from price_bands(price, num_bands={num_bands}) for "
        f"{int((np.asarray(bands) != want).sum()):,} items",
    )
