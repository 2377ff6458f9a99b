"""Negatives: items a user has *not* interacted with, to contrast with a positive.

* :func:`uniform_negatives`: uniform over the user's non-positives;
* :func:`popularity_negatives`: in proportion to popularity ** alpha (word2vec's 0.75),
  so that popular items, which uniform draws rarely pick, are contrasted more often;
* :func:`hard_negatives`: the best-scored of a few uniform candidates under the current
  model, the items it confuses with positives.

Draws never return a known positive: offenders are redrawn, and the few left after
``max_rounds`` are drawn exactly. All randomness comes from ``generator``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from gnnrec_utils.checks import check_range
from gnnrec_utils.training.positives import Generator, PositiveSet

__all__ = ["hard_negatives", "popularity_negatives", "popularity_weights", "uniform_negatives"]


def _check_users(positives: PositiveSet, users: torch.Tensor) -> None:
    """Raise ``ValueError`` for unknown users or users whose positives are every item."""
    check_range("users", users, positives.num_users)
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
