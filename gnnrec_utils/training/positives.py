"""Positive pairs: what a training step contrasts with negatives.

Everything works on a :class:`PositiveSet`, the distinct training ``(user_id,
item_id)`` pairs kept three ways: sorted keys ``user_id * num_items + item_id``
for membership tests, a user -> items CSR and an item -> users CSR for walks.
:func:`intent_positives` builds the one the series trains on: the fav, cart and buy
pairs; :func:`sample_bpr_batch` draws positive pairs, uniform over pairs. Negatives
are :mod:`gnnrec_utils.training.negatives`'s, random walks
:mod:`gnnrec_utils.training.walks`'.

All randomness comes from the ``generator`` argument (``None``: torch's default
generator); the same seeded generator gives the same draws. Everything is plain,
vectorised torch: no compiled PyG extension is needed.
"""

from __future__ import annotations

import pandas as pd
import torch

from gnnrec_utils.checks import check_range
from gnnrec_utils.data.constants import TARGET_BEHAVIORS

__all__ = ["Generator", "PositiveSet", "intent_positives", "sample_bpr_batch"]

#: A seeded ``torch.Generator``, or ``None`` for torch's global one.
Generator = torch.Generator | None


def _csr(
    rows: torch.Tensor, cols: torch.Tensor, num_rows: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(indptr, indices)`` of pairs already sorted by ``(row, col)``."""
    counts = torch.bincount(rows, minlength=num_rows)
    return torch.cat([counts.new_zeros(1), counts.cumsum(0)]), cols


class PositiveSet:
    """The distinct training pairs, ready for membership tests and walks.

    Args:
        users: int64 ``(n,)`` user ids in ``[0, num_users)``.
        items: int64 ``(n,)`` item ids in ``[0, num_items)``. Repeated pairs are
            merged, so the set holds distinct pairs whatever it is given.
        num_users: number of users; defaults to ``max(users) + 1``.
        num_items: size of the item catalogue (negatives are drawn from all of it).

    The two counts are keyword-only, so that they cannot be given in the wrong order.

    Attributes:
        keys: sorted, distinct ``user_id * num_items + item_id``.
        users, items: the pairs in key order (by user, then item).
        indptr, indices: user -> items CSR; user ``u``'s items, ascending, are
            ``indices[indptr[u]:indptr[u + 1]]``.
        item_indptr, item_indices: item -> users CSR, users ascending.
        user_degree: ``(num_users,)`` number of positives per user.
    """

    def __init__(
        self,
        users: torch.Tensor,
        items: torch.Tensor,
        *,
        num_users: int | None = None,
        num_items: int,
    ):
        users = torch.as_tensor(users, dtype=torch.long)
        items = torch.as_tensor(items, dtype=torch.long)
        if users.dim() != 1 or users.shape != items.shape:
            raise ValueError(
                f"users and items must be 1-D of one length, got "
                f"{tuple(users.shape)} and {tuple(items.shape)}"
            )
        if num_users is None:
            num_users = int(users.max()) + 1 if users.numel() else 0
        self.num_items, self.num_users = int(num_items), int(num_users)
        check_range("users", users, self.num_users)
        check_range("items", items, self.num_items)
        self.keys = torch.unique(users * self.num_items + items)  # sorted
        self.users, self.items = self.keys // self.num_items, self.keys % self.num_items
        self.indptr, self.indices = _csr(self.users, self.items, self.num_users)
        by_item = torch.argsort(self.items * self.num_users + self.users)
        self.item_indptr, self.item_indices = _csr(
            self.items[by_item], self.users[by_item], self.num_items
        )
        self.user_degree = self.indptr.diff()

    @classmethod
    def from_events(
        cls, events: pd.DataFrame, *, num_users: int | None = None, num_items: int | None = None
    ) -> PositiveSet:
        """The distinct ``(user_id, item_id)`` pairs of an events table.

        Pass ``num_items`` (e.g. ``shop.num_items``): the default, ``max(item_id) + 1``,
        leaves out catalogue items that no event mentions, and they could then never
        be drawn as negatives. Repeated events (several behaviours) count once.
        """
        users = torch.tensor(events.user_id.to_numpy(), dtype=torch.long)
        items = torch.tensor(events.item_id.to_numpy(), dtype=torch.long)
        if num_items is None:
            num_items = int(items.max()) + 1 if len(items) else 0
        return cls(users, items, num_users=num_users, num_items=num_items)

    def __len__(self) -> int:
        """Number of distinct positive pairs."""
        return len(self.keys)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({len(self)} pairs, num_users={self.num_users}, "
            f"num_items={self.num_items})"
        )

    def contains(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Bool tensor, ``True`` where ``(users, items)`` is a positive pair.

        ``users`` and ``items`` are broadcast against each other (e.g. ``(B, 1)``
        with ``(B, m)``). Ids outside ``[0, num_users)`` / ``[0, num_items)`` are
        never positives and give ``False``.
        """
        users, items = torch.broadcast_tensors(
            torch.as_tensor(users, dtype=torch.long), torch.as_tensor(items, dtype=torch.long)
        )
        valid = (users >= 0) & (users < self.num_users) & (items >= 0) & (items < self.num_items)
        query = torch.where(valid, users * self.num_items + items, -1)
        if len(self.keys) == 0:
            return torch.zeros_like(valid)
        pos = torch.searchsorted(self.keys, query).clamp(max=len(self.keys) - 1)
        return valid & (self.keys[pos] == query)


def intent_positives(events: pd.DataFrame, num_users: int, num_items: int) -> PositiveSet:
    """The distinct (user, item) pairs of ``events`` with a fav, cart or buy: what the
    series trains on.

    Args:
        events: an events table, e.g. ``split.train``; page views are left out.
        num_users, num_items: catalogue sizes (negatives are drawn from all items).

    Returns:
        ``PositiveSet.from_events`` of the events whose behaviour is one of
        :data:`gnnrec_utils.data.constants.TARGET_BEHAVIORS`.
    """
    intent = events[events.behavior.isin(TARGET_BEHAVIORS)]
    return PositiveSet.from_events(intent, num_users=num_users, num_items=num_items)


# ---------------------------------------------------------------- positives


def sample_bpr_batch(
    positives: PositiveSet, batch_size: int, generator: Generator = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` positive pairs ``(users, pos_items)``, uniform over the pairs.

    Drawn with replacement, so a pair can appear twice in one batch. Being uniform
    over *pairs*, a user appears in proportion to their number of positives.

    Raises:
        ValueError: when the set is empty.
    """
    if len(positives) == 0:
        raise ValueError("cannot sample from an empty PositiveSet")
    idx = torch.randint(len(positives), (batch_size,), generator=generator)
    return positives.users[idx], positives.items[idx]


# ---------------------------------------------------------------- negatives


# ---------------------------------------------------------------- random walks
