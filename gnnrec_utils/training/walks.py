"""Random walks on the user-item graph: user -> item -> user -> ...

For positive contexts a few hops away, as DeepWalk (https://arxiv.org/abs/1403.6652)
draws them (:func:`random_walks`, :func:`walk_pairs`), and for importance-ranked
neighbourhoods, as PinSAGE (https://arxiv.org/abs/1806.01973) picks them
(:func:`walk_item_visit_counts`). Walks follow a :class:`PositiveSet`'s two CSRs; all
randomness comes from ``generator``.
"""

from __future__ import annotations

import torch

from gnnrec_utils.checks import check_range
from gnnrec_utils.training.positives import Generator, PositiveSet

__all__ = ["random_walks", "walk_item_visit_counts", "walk_pairs"]


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
    check_range("start_users", start_users, positives.num_users)
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
