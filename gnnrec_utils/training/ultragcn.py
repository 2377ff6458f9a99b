"""One epoch of :class:`~gnnrec_utils.models.UltraGCN`'s training
(:func:`ultragcn_epoch`): many negatives per pair, shared by a batch."""

from __future__ import annotations

import torch

from gnnrec_utils.checks import check_positive
from gnnrec_utils.models.ultragcn import UltraGCN
from gnnrec_utils.training.positives import PositiveSet

__all__ = ["ultragcn_epoch"]


def ultragcn_epoch(
    model: UltraGCN,
    positives: PositiveSet,
    optimizer: torch.optim.Optimizer,
    *,
    batch_size: int = 512,
    num_negatives: int = 1500,
    generator: torch.Generator | None = None,
    exclude_known: bool = False,
) -> float:
    """One pass over ``positives`` in shuffled batches of ``batch_size`` pairs; each
    batch is contrasted with ``num_negatives`` items drawn uniformly (with replacement)
    and shared by the batch, so its negative scores are one matrix product. Returns the
    mean loss per pair.

    ``exclude_known=True`` drops a user's own training items from its negatives. The
    paper's sampler does not, and at 1,500 negatives out of tens of thousands of items
    a user meets about one of its own per batch; the membership test costs about a
    quarter of an epoch on Gowalla, so it is off by default.

    Sharing the negatives is this kit's choice, not the paper's (it draws
    ``num_negatives`` per pair): the paper's way gathers ``batch_size * num_negatives``
    item vectors a step, memory traffic a laptop CPU cannot afford at 1,500 negatives.
    """
    check_positive(batch_size, "batch_size")
    check_positive(num_negatives, "num_negatives")
    model.train()
    order = torch.randperm(len(positives), generator=generator)
    total = 0.0
    for batch in order.split(batch_size):
        users, items = positives.users[batch], positives.items[batch]
        negatives = torch.randint(positives.num_items, (num_negatives,), generator=generator)
        exclude = (
            positives.contains(users.unsqueeze(1), negatives.unsqueeze(0))
            if exclude_known
            else None
        )
        loss = model.loss(users, items, negatives, exclude)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / max(1, len(positives))
