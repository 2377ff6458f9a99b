"""The interface every model implements, and the empty exclusion table.

:class:`Recommender` declares every hook a caller may use, each with its default, so a
trainer, an evaluator or a server calls them without asking what kind of model it holds:

============================  ==========================================================
hook                          default
============================  ==========================================================
``get_embedding()``           raises: a model with vectors implements it
``ego_embedding(users, items)``  raises: a model trained by gradient implements it
``extra_loss(users, items)``  zero: a model with its own loss term adds it (XSimGCL)
``scorer()``                  ``users -> user_emb[users] @ item_emb.T``, embeddings once
``user_scores(users)``        ``scorer()(users)``
``score(users, items)``       dot products of the embeddings
``recommend(users, k, ...)``  :func:`~gnnrec_utils.models.topk_excluding` of ``scorer()``
============================  ==========================================================

``NO_PAIRS`` is the (user_id, item_id) table that excludes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from gnnrec_utils.models.topk import topk_excluding

__all__ = ["NO_PAIRS", "Recommender"]


NO_PAIRS = pd.DataFrame(
    {"user_id": pd.Series(dtype=np.int64), "item_id": pd.Series(dtype=np.int64)}
)


class Recommender(nn.Module):
    """Base class of every model: users ``0..num_users-1`` and items ``0..num_items-1``.

    Subclasses implement :meth:`get_embedding` (a model with user and item vectors) or
    override :meth:`scorer` (a model whose scores need more than two tables, e.g.
    sparse item-kNN or GF-CF); a model trained by gradient also implements
    :meth:`ego_embedding`.
    """

    def __init__(self, num_users: int, num_items: int):
        super().__init__()
        self.num_users, self.num_items = num_users, num_items

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        """``(user_emb, item_emb)`` of shapes (num_users, d) and (num_items, d)."""
        raise NotImplementedError(f"{type(self).__name__} has no user and item vectors")

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        """The layer-0 parameters a batch touches, for L2 regularisation."""
        raise NotImplementedError(f"{type(self).__name__} is not trained by gradient descent")

    def extra_loss(self, users: Tensor, items: Tensor) -> Tensor:
        """A term the model adds to a training step's loss, for the batch's ``users`` and
        positive ``items``; zero unless the model has one (e.g. a contrastive term)."""
        return torch.zeros((), device=users.device)

    def scorer(self) -> Callable[[np.ndarray], Tensor]:
        """A function from user ids to their (len, num_items) scores over every item,
        for ranking a chunk of users at a time. The default computes the embeddings once
        (without gradients) and scores a chunk by dot products."""
        with torch.no_grad():
            user_emb, item_emb = self.get_embedding()
        return lambda users: user_emb[users] @ item_emb.T

    @torch.no_grad()
    def user_scores(self, users) -> Tensor:
        """Dense (len(users), num_items) scores of every item for ``users``."""
        return self.scorer()(users)

    def score(self, users: Tensor, items: Tensor) -> Tensor:
        """Dot-product scores of (user, item) pairs; ``items`` may be (B,) or (B, m)."""
        user_emb, item_emb = self.get_embedding()
        u = user_emb[users]
        return (
            (u.unsqueeze(1) * item_emb[items]).sum(-1)
            if items.dim() == 2
            else (u * item_emb[items]).sum(-1)
        )

    @torch.no_grad()
    def recommend(
        self,
        users,
        k: int = 10,
        exclude: pd.DataFrame | None = None,
        chunk: int = 1024,
        progress: bool = False,
    ) -> np.ndarray:
        """Top-``k`` item ids for each of ``users`` over all items.

        Args:
            users: user ids (array-like).
            k: list length.
            exclude: (user_id, item_id) pairs never to recommend, e.g. the history.
            chunk: users scored at once (memory ``chunk * num_items`` floats).
            progress: show a progress bar over the users.
        """
        users = np.asarray(users, dtype=np.int64)
        exclude = NO_PAIRS if exclude is None else exclude
        with progress_bar(self.scorer(), len(users), progress) as score_fn:
            return topk_excluding(score_fn, users, exclude, k, chunk)

    def extra_repr(self) -> str:
        return f"num_users={self.num_users}, num_items={self.num_items}"


@contextmanager
def progress_bar(score_fn: Callable[[np.ndarray], Tensor], total: int, show: bool):
    """``score_fn`` counting the users it scores on a tqdm bar of ``total`` users (closed
    on leaving), or ``score_fn`` itself when ``show`` is false."""
    if not show:
        yield score_fn
        return
    bar = tqdm(total=total, desc="ranking", unit="user")

    def counted(users) -> Tensor:
        scores = score_fn(users)
        bar.update(len(users))
        return scores

    try:
        yield counted
    finally:
        bar.close()
