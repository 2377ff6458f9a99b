"""What a training step samples: positive pairs, negatives and random-walk contexts.

Everything works on a :class:`PositiveSet`, the distinct training ``(user_id,
item_id)`` pairs kept three ways: sorted keys ``user_id * num_items + item_id``
for membership tests, a user -> items CSR and an item -> users CSR for walks.
``intent_positives`` builds the one the series trains on: the fav, cart and buy pairs.

* ``sample_bpr_batch``: positive pairs, uniform over pairs.
* ``uniform_negatives``, ``popularity_negatives``, ``hard_negatives``: items a user
  has *not* interacted with, uniform, popularity-weighted, or the best-scored of a
  few uniform candidates.
* ``random_walks``, ``walk_pairs``, ``walk_item_visit_counts``: user -> item ->
  user -> ... walks, for positive contexts a few hops away (as DeepWalk,
  https://arxiv.org/abs/1403.6652, draws them) and for importance-ranked
  neighbourhoods (as PinSAGE, https://arxiv.org/abs/1806.01973, picks them).

All randomness comes from the ``generator`` argument (``None``: torch's default
generator); the same seeded generator gives the same draws. Everything is plain,
vectorised torch: no compiled PyG extension is needed.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import torch

from gnnrec_utils.split import TARGET_BEHAVIORS

Generator = torch.Generator | None


def _csr(
    rows: torch.Tensor, cols: torch.Tensor, num_rows: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(indptr, indices)`` of pairs already sorted by ``(row, col)``."""
    counts = torch.bincount(rows, minlength=num_rows)
    return torch.cat([counts.new_zeros(1), counts.cumsum(0)]), cols


def _check_range(name: str, ids: torch.Tensor, size: int) -> None:
    """Raise ``ValueError`` unless every id is in ``[0, size)``."""
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= size):
        raise ValueError(
            f"{name} must lie in [0, {size}), found [{int(ids.min())}, {int(ids.max())}]"
        )


class PositiveSet:
    """The distinct training pairs, ready for membership tests and walks.

    Args:
        users: int64 ``(n,)`` user ids in ``[0, num_users)``.
        items: int64 ``(n,)`` item ids in ``[0, num_items)``. Repeated pairs are
            merged, so the set holds distinct pairs whatever it is given.
        num_items: size of the item catalogue (negatives are drawn from all of it).
        num_users: number of users; defaults to ``max(users) + 1``.

    Attributes:
        keys: sorted, distinct ``user_id * num_items + item_id``.
        users, items: the pairs in key order (by user, then item).
        indptr, indices: user -> items CSR; user ``u``'s items, ascending, are
            ``indices[indptr[u]:indptr[u + 1]]``.
        item_indptr, item_indices: item -> users CSR, users ascending.
        user_degree: ``(num_users,)`` number of positives per user.
    """

    def __init__(
        self, users: torch.Tensor, items: torch.Tensor, num_items: int, num_users: int | None = None
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
        _check_range("users", users, self.num_users)
        _check_range("items", items, self.num_items)
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
        cls, events: pd.DataFrame, num_items: int | None = None, num_users: int | None = None
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
        return cls(users, items, num_items, num_users)

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
        :data:`gnnrec_utils.split.TARGET_BEHAVIORS`.
    """
    intent = events[events.behavior.isin(TARGET_BEHAVIORS)]
    return PositiveSet.from_events(intent, num_items=num_items, num_users=num_users)


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


def _check_users(positives: PositiveSet, users: torch.Tensor) -> None:
    """Raise ``ValueError`` for unknown users or users whose positives are every item."""
    _check_range("users", users, positives.num_users)
    full = positives.user_degree[users] >= positives.num_items
    if full.any():
        raise ValueError(
            f"user {int(users[full][0])} has every one of the {positives.num_items} "
            f"items as a positive: there is no negative to draw"
        )


def _draw(
    weights: torch.Tensor | None, num_items: int, n: int, generator: Generator
) -> torch.Tensor:
    """``n`` items i.i.d. from ``weights`` (``None``: uniform over ``num_items``)."""
    if weights is None:
        return torch.randint(num_items, (n,), generator=generator)
    return torch.multinomial(weights, n, replacement=True, generator=generator)


def _masked_draw(
    positives: PositiveSet, users: torch.Tensor, weights: torch.Tensor | None, generator: Generator
) -> torch.Tensor:
    """One item per entry of 1-D ``users``, from ``weights`` with that user's positives zeroed.

    Exact, but builds a ``(len(users), num_items)`` matrix: meant for the few draws
    rejection sampling failed to settle.
    """
    weights = torch.ones(positives.num_items) if weights is None else weights
    rows = weights.expand(len(users), -1).clone()
    degree = positives.user_degree[users]
    row = torch.repeat_interleave(torch.arange(len(users)), degree)
    first = torch.repeat_interleave(degree.cumsum(0) - degree, degree)
    start = torch.repeat_interleave(positives.indptr[users], degree)
    rows[row, positives.indices[start + torch.arange(len(row)) - first]] = 0
    return torch.multinomial(rows, 1, generator=generator).squeeze(1)


def _rejection_negatives(
    positives: PositiveSet,
    users: torch.Tensor,
    num_neg: int,
    weights: torch.Tensor | None,
    generator: Generator,
    max_rounds: int,
) -> torch.Tensor:
    """Items from ``weights``, redrawn where they hit a positive: ``(B,)`` or ``(B, num_neg)``.

    After ``max_rounds`` redraws the few slots still on a positive (users whose
    positives carry most of the weight) are drawn exactly by :func:`_masked_draw`.
    Either way every item comes from ``weights`` restricted to the user's non-positives.
    """
    users = torch.as_tensor(users, dtype=torch.long)
    _check_users(positives, users)
    flat = users.reshape(-1, 1).expand(-1, num_neg).reshape(-1)
    items = _draw(weights, positives.num_items, len(flat), generator)
    todo = torch.nonzero(positives.contains(flat, items)).squeeze(1)
    for _ in range(max_rounds):
        if len(todo) == 0:
            break
        items[todo] = _draw(weights, positives.num_items, len(todo), generator)
        todo = todo[positives.contains(flat[todo], items[todo])]  # only the offenders are rechecked
    if len(todo):
        items[todo] = _masked_draw(positives, flat[todo], weights, generator)
    return items if num_neg == 1 else items.view(-1, num_neg)


def uniform_negatives(
    positives: PositiveSet,
    users: torch.Tensor,
    num_neg: int = 1,
    generator: Generator = None,
    max_rounds: int = 20,
) -> torch.Tensor:
    """Items drawn uniformly from those each user has not interacted with.

    Draw uniformly over all ``num_items``, then redraw only the draws that hit one of
    the user's positives, until none does (at most ``max_rounds`` rounds; whatever
    is left is then drawn exactly, so the result never contains a positive).
    Draws are independent, so a user's ``num_neg`` negatives may repeat.

    Args:
        positives: the training pairs to avoid.
        users: int64 ``(B,)`` user ids.
        num_neg: negatives per user.

    Returns:
        int64 item ids, shape ``(B,)`` when ``num_neg == 1``, else ``(B, num_neg)``.

    Raises:
        ValueError: a user id is out of range, or a user's positives are every item.
    """
    return _rejection_negatives(positives, users, num_neg, None, generator, max_rounds)


def popularity_weights(popularity: torch.Tensor, alpha: float = 0.75) -> torch.Tensor:
    """Unnormalised sampling weights ``popularity ** alpha``, zeros raised to a floor.

    An item with count 0 gets the smallest non-zero count as its count, so every
    item can be drawn (and an unseen item is as likely as the rarest seen one);
    all zeros gives uniform weights. ``alpha = 1`` follows popularity, ``alpha = 0``
    is uniform, and word2vec's ``0.75`` sits between.

    Raises:
        ValueError: for a negative count.
    """
    popularity = torch.as_tensor(popularity, dtype=torch.float64)
    if (popularity < 0).any():
        raise ValueError("popularity counts must be >= 0")
    nonzero = popularity[popularity > 0]
    floor = nonzero.min() if nonzero.numel() else torch.tensor(1.0, dtype=torch.float64)
    return popularity.clamp(min=floor).pow(alpha)


def popularity_negatives(
    positives: PositiveSet,
    users: torch.Tensor,
    popularity: torch.Tensor,
    alpha: float = 0.75,
    num_neg: int = 1,
    generator: Generator = None,
    max_rounds: int = 20,
) -> torch.Tensor:
    """Non-positive items drawn with probability proportional to ``popularity ** alpha``.

    Each user's negatives follow the weights of :func:`popularity_weights`
    restricted to the items that user has not interacted with (redraw-on-hit as in
    :func:`uniform_negatives`). Popular items are harder negatives than uniform
    ones; this corrects uniform sampling's habit of mostly drawing obscure items.

    Args:
        popularity: ``(num_items,)`` training counts (zeros allowed, see above).
        alpha: exponent in ``[0, 1]`` in practice.

    Returns:
        int64 item ids, shape ``(B,)`` when ``num_neg == 1``, else ``(B, num_neg)``.
    """
    if len(popularity) != positives.num_items:
        raise ValueError(
            f"popularity has {len(popularity)} entries, expected {positives.num_items}"
        )
    weights = popularity_weights(popularity, alpha).float()
    return _rejection_negatives(positives, users, num_neg, weights, generator, max_rounds)


def hard_negatives(
    score_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    positives: PositiveSet,
    users: torch.Tensor,
    num_candidates: int = 10,
    generator: Generator = None,
) -> torch.Tensor:
    """Per user, the highest-scoring of ``num_candidates`` uniform non-positive items.

    ``score_fn(users, items)`` is called once, under ``torch.no_grad()``, with two
    int64 tensors of length ``B * num_candidates`` (each user repeated, next to its
    candidates) and must return as many scores. Choosing is not differentiable:
    score the returned items again to train on them. Candidates are drawn with
    replacement; ties go to the first candidate. ``num_candidates = 1`` is
    :func:`uniform_negatives`.

    Returns:
        int64 item ids of shape ``(B,)``.
    """
    candidates = uniform_negatives(positives, users, num_candidates, generator).view(len(users), -1)
    with torch.no_grad():
        scores = score_fn(users.repeat_interleave(num_candidates), candidates.reshape(-1))
    best = scores.view(len(users), num_candidates).argmax(dim=1, keepdim=True).to(candidates.device)
    return candidates.gather(1, best).squeeze(1)


# ---------------------------------------------------------------- random walks


def _neighbour(
    indptr: torch.Tensor, indices: torch.Tensor, nodes: torch.Tensor, generator: Generator
) -> torch.Tensor:
    """A uniform neighbour of each node in a CSR; -1 for -1 and for nodes without neighbours."""
    safe = nodes.clamp(min=0)
    start, degree = indptr[safe], indptr[safe + 1] - indptr[safe]
    u = torch.rand(nodes.shape, generator=generator, dtype=torch.float64)
    pick = (u * degree).long().clamp(max=degree - 1)  # clamp: guard against rounding up to degree
    out = torch.full_like(nodes, -1)
    ok = (nodes >= 0) & (degree > 0)
    out[ok] = indices[start[ok] + pick[ok]]
    return out


def random_walks(
    positives: PositiveSet, start_users: torch.Tensor, walk_length: int, generator: Generator = None
) -> torch.Tensor:
    """Random walks on the user-item graph, alternating user -> item -> user -> ...

    Each step moves to a neighbour drawn uniformly (a user to one of their
    positives, an item to one of the users who have it), so a walk may step straight
    back to where it came from.

    Args:
        start_users: int64 ``(n,)`` user ids the walks start from.
        walk_length: number of steps, ``>= 0``.

    Returns:
        int64 ``(n, walk_length + 1)``. Column 0 is the start user; even columns hold
        **user ids**, odd columns **item ids** (the two id ranges overlap: read a
        value with its column's parity). Only a start user can be a dead end: a walk
        from a user without positives is ``-1`` after column 0. Any item reached has
        the user who led to it, and any user reached has the item.
    """
    _check_range("start_users", start_users, positives.num_users)
    csr = ((positives.indptr, positives.indices), (positives.item_indptr, positives.item_indices))
    walk = [start_users.long()]
    for step in range(walk_length):
        walk.append(_neighbour(*csr[step % 2], walk[-1], generator))
    return torch.stack(walk, dim=1)


def walk_pairs(
    positives: PositiveSet, batch_size: int, walk_length: int, generator: Generator = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(users, items)`` pairs where a walk from the user reached the item.

    Start users are uniform over users with at least one positive (not over pairs);
    each walks ``walk_length`` steps and is paired with the item at a uniformly
    chosen odd column (1, 3, 5 ...), i.e. reached in 1, 3, 5 ... ``<= walk_length``
    hops. Hop 1 is a direct positive; longer hops give "positive contexts" among the
    items of users with similar taste. A pair may already be a positive.

    Raises:
        ValueError: when ``walk_length < 1`` (no item column) or no user has positives.
    """
    if walk_length < 1:
        raise ValueError(f"walk_length must be >= 1, got {walk_length}")
    active = torch.nonzero(positives.user_degree).squeeze(1)
    if active.numel() == 0:
        raise ValueError("no user has a positive to start a walk from")
    users = active[torch.randint(len(active), (batch_size,), generator=generator)]
    walks = random_walks(positives, users, walk_length, generator)
    column = 1 + 2 * torch.randint((walk_length + 1) // 2, (batch_size,), generator=generator)
    return users, walks.gather(1, column.unsqueeze(1)).squeeze(1)


def walk_item_visit_counts(
    positives: PositiveSet,
    start_users: torch.Tensor,
    walk_length: int,
    num_walks: int = 10,
    generator: Generator = None,
) -> torch.Tensor:
    """How often ``num_walks`` walks from each start user visited each item.

    PinSAGE's importance-based neighbourhood: the most visited items are the user's
    closest items in the graph, beyond their direct positives. ``counts[k].to_dense()
    .topk(T)`` gives start user ``k``'s top-``T`` neighbourhood.

    Returns:
        A coalesced sparse COO float tensor of shape ``(len(start_users), num_items)``;
        row ``k`` sums to ``num_walks * ceil(walk_length / 2)`` (0 for a user without
        positives, whose walks visit nothing).
    """
    repeated = start_users.repeat_interleave(num_walks)
    visited = random_walks(positives, repeated, walk_length, generator)[:, 1::2]
    row = torch.arange(len(start_users)).repeat_interleave(num_walks)
    row, item = row.unsqueeze(1).expand_as(visited)[visited >= 0], visited[visited >= 0]
    index = torch.stack([row, item])
    counts = torch.ones(index.shape[1])
    shape = (len(start_users), positives.num_items)
    return torch.sparse_coo_tensor(index, counts, shape, check_invariants=True).coalesce()
