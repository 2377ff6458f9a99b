"""What the ranks of a ``torchrun`` group share: who they are, the same data, disjoint shards.

:func:`init_distributed` joins the group ``torchrun`` set up (gloo on CPU, nccl on CUDA);
:func:`check_ranks_agree` refuses to train when the ranks hold different data;
:func:`epoch_shard` splits an epoch's pairs so that one process and ``N`` processes take
the same global steps (:func:`gnnrec_utils.training.sampled.train_sampled`).
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import Tensor

from gnnrec_utils.graph.bipartite import BipartiteCSR
from gnnrec_utils.training.positives import PositiveSet

__all__ = [
    "check_ranks_agree",
    "data_fingerprint",
    "epoch_shard",
    "init_distributed",
    "rank_and_size",
]


def rank_and_size() -> tuple[int, int]:
    """``(rank, world_size)`` of this process; ``(0, 1)`` outside ``torch.distributed``."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_distributed() -> tuple[int, int]:
    """Join the process group ``torchrun`` set up, if any; returns ``(rank, world_size)``.

    ``gloo`` on CPU, ``nccl`` when CUDA is available. Run without ``torchrun`` (no
    ``WORLD_SIZE`` in the environment, or 1) it does nothing and returns ``(0, 1)``.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return rank_and_size()


def data_fingerprint(positives: PositiveSet, graph: BipartiteCSR) -> list[int]:
    """Sizes and checksums that two ranks holding the same data agree on."""
    mod = (1 << 61) - 1
    keys = positives.keys % mod
    return [
        positives.num_users,
        positives.num_items,
        len(positives),
        int((keys * (torch.arange(len(keys)) % 1009 + 1) % mod).sum() % mod),
        graph.num_nodes,
        len(graph.indices),
        int(graph.indices[:: max(1, len(graph.indices) // 4096)].sum()),
    ]


def check_ranks_agree(positives: PositiveSet, graph: BipartiteCSR, batch_size: int) -> None:
    """Refuse to train when the ranks hold different data or there is too little of it.

    Raises:
        ValueError: the global batch does not split evenly over the ranks, a rank
            would get no pair, or a rank's data differ from rank 0's (sizes or checksum).
    """
    rank, size = rank_and_size()
    if batch_size % size:
        raise ValueError(f"batch_size {batch_size} must be a multiple of the {size} ranks")
    if len(positives) < size:
        raise ValueError(
            f"{size} ranks need at least {size} positive pairs to shard, got {len(positives)}"
        )
    if size == 1:
        return
    mine = torch.tensor(data_fingerprint(positives, graph), dtype=torch.long)
    every = [torch.empty_like(mine) for _ in range(size)]
    dist.all_gather(every, mine)
    for r, theirs in enumerate(every):
        if not torch.equal(theirs, every[0]):
            raise ValueError(
                f"rank {r} holds different data from rank 0 (users, items, pairs, checksum, "
                f"nodes, edges, edge checksum: {theirs.tolist()} against {every[0].tolist()}); "
                f"every rank must load the same files"
            )


def epoch_shard(num_pairs: int, rank: int, size: int) -> Tensor:
    """Positions in the epoch's order of the pairs this rank trains on, in step order.

    Rank ``r`` takes every ``size``-th position from ``r``. Global step ``t`` with per-rank batch
    ``b`` then covers exactly positions ``t*b*size .. (t+1)*b*size`` of the permutation,
    the batch one process would take with a batch of ``b * size``. Shards are disjoint;
    their union is every pair.
    """
    return torch.arange(rank, num_pairs, size)
