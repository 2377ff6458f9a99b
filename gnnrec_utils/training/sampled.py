r"""LightGCN trained on sampled subgraphs, on one process or many, with exact inference.

Full-graph LightGCN (:class:`gnnrec_utils.models.LightGCN`) multiplies the whole
adjacency at every training step, so a step costs as much as the graph. Here a step
costs as much as its batch:

1. PyG's ``LinkLoader`` draws a batch of positive (user, item) pairs, one negative
   item per pair (the kit's ``uniform_negatives``: an item the user has not touched),
   and the sampled ``num_neighbors``-hop neighbourhood of those users and items
   (:class:`gnnrec_utils.training.neighbor_sampler.CSRNeighborSampler`; the batch's own pairs are kept
   out of it, so a positive cannot be read off its own edge).
2. :class:`~gnnrec_utils.models.sampled_lightgcn.SampledLightGCN` propagates over that subgraph only. Each sampled edge
   :math:`j \to i` carries LightGCN's weight rescaled by how many of :math:`i`'s
   neighbours were drawn,

   .. math::
       e_i^{(l+1)} = \frac{d_i}{s_i} \sum_{j \in S(i)} \frac{1}{\sqrt{d_i d_j}} e_j^{(l)},

   where :math:`d` is the degree in the full graph and :math:`S(i)` the :math:`s_i`
   neighbours drawn for :math:`i`. The sum over a uniform draw, scaled by
   :math:`d_i / s_i`, has LightGCN's full sum as its expected value; when every
   neighbour is drawn it *is* that sum.
3. After training, :func:`~gnnrec_utils.graph.propagation.layerwise_embedding` computes every user and item vector
   over the whole graph, exactly as LightGCN does, one layer at a time and one block
   of rows at a time, so memory holds three embedding tables and the adjacency, not
   a dense product.

:func:`train_sampled` runs unchanged on one process or under ``torchrun`` (one
process per CPU socket or GPU, on one machine or several): each rank reads its own
shard of the positive pairs, and ``DistributedDataParallel`` averages the gradients.
The embedding table is the only large parameter; its gradients are sparse (only the
rows a batch touched), so a step's cost and the traffic between ranks follow the
batch, not the catalogue; :mod:`gnnrec_utils.training.distributed` holds what the ranks
share. ``python -m gnnrec_utils.training --help`` is the command line.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import pandas as pd
import torch
import torch.distributed as dist
from torch import Tensor, nn

from gnnrec_utils.graph.bipartite import BipartiteCSR
from gnnrec_utils.models.sampled_lightgcn import SampledLightGCN
from gnnrec_utils.training.distributed import check_ranks_agree, epoch_shard, rank_and_size
from gnnrec_utils.training.losses import bpr_loss, l2_reg
from gnnrec_utils.training.negatives import uniform_negatives
from gnnrec_utils.training.neighbor_sampler import CSRNeighborSampler
from gnnrec_utils.training.positives import PositiveSet

__all__ = [
    "SampledConfig",
    "batch_loss",
    "epoch_pairs",
    "make_optimizers",
    "pair_loader",
    "train_batch",
    "train_sampled",
]


@dataclass
class SampledConfig:
    """Knobs of :func:`train_sampled`.

    ``batch_size`` is the global batch: under ``torchrun`` with ``N`` processes each
    takes ``batch_size / N`` pairs a step, so one process and ``N`` processes make the
    same number of steps over the same pairs. ``negatives``: ``"uniform"`` draws one
    item the user has not touched per pair (the kit's sampler, inside the loader);
    ``"in_batch"`` uses the next pair's positive item instead (no extra item to sample;
    it may now and then be one of the user's own items).
    """

    num_epochs: int = 10
    batch_size: int = 4096
    num_neighbors: list[int] = field(default_factory=lambda: [10, 5])
    lr: float = 0.01
    reg_weight: float = 1e-4
    negatives: str = "uniform"
    exclude_batch_edges: bool = True
    patience: int = 3
    max_steps: int | None = None  # per epoch; None: one pass over the pairs
    seed: int = 0

    def __post_init__(self):
        if self.negatives not in ("uniform", "in_batch"):
            raise ValueError(f"negatives must be 'uniform' or 'in_batch', got {self.negatives!r}")
        if self.batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {self.batch_size}")


def epoch_pairs(
    positives: PositiveSet, epoch: int, seed: int, rank: int, size: int, negatives: bool
) -> tuple[Tensor, Tensor, Tensor | None]:
    """This rank's ``(users, positive items, negative items)`` for ``epoch``, in step order.

    The epoch's order and its negatives (the kit's ``uniform_negatives``: an item the
    user has not touched) are drawn for every pair from a generator seeded by ``seed``
    and ``epoch``, the same on every rank, before the pairs are sharded
    (:func:`epoch_shard`). So the pairs and negatives of a global step do not depend on
    how many processes share it. ``negatives=False`` returns ``None`` for them.
    """
    gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
    order = torch.randperm(len(positives), generator=gen)
    users, items = positives.users[order], positives.items[order]
    neg = uniform_negatives(positives, users, generator=gen) if negatives else None
    mine = epoch_shard(len(positives), rank, size)
    return users[mine], items[mine], None if neg is None else neg[mine]


# ----------------------------------------------------------------------- training
def pair_loader(graph, positives, pairs, config, local_batch, rank):
    """PyG's ``LinkLoader`` over this rank's pairs, driven by the kit's sampler.

    With negatives, the loader's seed pairs alternate (user, positive), (user, negative),
    so every batch of ``2 * local_batch`` seed pairs holds whole triples and the sampled
    subgraph reaches the negative items too. Only the positive pairs are graph edges,
    so only they are kept out of the batch's subgraph.
    """
    from torch_geometric.loader import LinkLoader

    users, pos, neg = pairs
    if neg is None:
        label_index, per_batch = torch.stack([users, pos]), local_batch
    else:
        label_index = torch.stack([users.repeat_interleave(2), torch.stack([pos, neg], 1).view(-1)])
        per_batch = 2 * local_batch
    sampler = CSRNeighborSampler(
        graph,
        list(config.num_neighbors),
        seed=config.seed * 1_000 + rank,
        positives=positives,
        exclude_batch_edges=config.exclude_batch_edges,
    )
    return LinkLoader(
        graph.to_data(with_edges=False),
        link_sampler=sampler,
        edge_label_index=label_index + torch.tensor([[0], [graph.num_users]]),
        batch_size=per_batch,
        shuffle=False,  # epoch_pairs already ordered the pairs
    )


def batch_loss(model, batch, config: SampledConfig) -> Tensor:
    """BPR over one batch plus the L2 penalty on its layer-0 embeddings."""
    out, ego = model(batch.n_id, batch.edge_index)
    src, dst = batch.edge_label_index
    if config.negatives == "uniform":
        src, pos, neg = src[0::2], dst[0::2], dst[1::2]
    else:
        pos = dst
        neg = pos.roll(1)
    u = out[src]
    pos_scores, neg_scores = (u * out[pos]).sum(-1), (u * out[neg]).sum(-1)
    reg = l2_reg(ego[src], ego[torch.cat([pos, neg])], batch_size=len(src))
    return bpr_loss(pos_scores, neg_scores) + config.reg_weight * reg


def make_optimizers(model: SampledLightGCN, lr: float) -> list[torch.optim.Optimizer]:
    sparse = [p for p in model.parameters() if p is model.embedding.weight]
    if model.embedding.sparse:
        dense = [p for p in model.parameters() if p is not model.embedding.weight]
        opts = [torch.optim.SparseAdam(sparse, lr=lr)]
        return opts + ([torch.optim.Adam(dense, lr=lr)] if dense else [])
    return [torch.optim.Adam(model.parameters(), lr=lr)]


def train_batch(model, batch, optimizers, config: SampledConfig) -> float:
    """One optimisation step on one sampled batch (:func:`batch_loss`); returns the loss.

    ``model`` is what the loss calls: the model itself, or its ``DistributedDataParallel``
    wrapper, whose backward pass averages the gradients over the ranks.
    """
    loss = batch_loss(model, batch, config)
    for opt in optimizers:
        opt.zero_grad()
    loss.backward()
    for opt in optimizers:
        opt.step()
    return loss.item()


def train_sampled(
    model: SampledLightGCN,
    graph: BipartiteCSR,
    positives: PositiveSet,
    config: SampledConfig | None = None,
    validate=None,
    progress: bool = True,
) -> pd.DataFrame:
    """Train ``model`` on sampled subgraphs, on one process or every rank of a group.

    Under ``torchrun`` call :func:`init_distributed` first; every rank calls this with the
    same data (checked), trains on its shard, and ends with the same weights.

    Args:
        model: the model; the full graph is attached for ``validate``.
        graph: the training graph the sampler draws from.
        positives: the pairs the loss contrasts with negatives (and that negatives avoid).
        config: the knobs (default ``SampledConfig()``).
        validate: ``model -> float`` called on rank 0 after each epoch (e.g. validation
            NDCG@10); training stops after ``config.patience`` epochs without a gain and
            every rank restores the best epoch's weights. ``None``: train every epoch.
        progress: print one line per epoch on rank 0.

    Returns:
        One row per epoch: mean loss over all ranks, steps, seconds, the validation score.
    """
    config = SampledConfig() if config is None else config
    rank, size = rank_and_size()
    check_ranks_agree(positives, graph, config.batch_size)
    torch.manual_seed(config.seed)
    if size > 1:  # every rank starts from rank 0's weights
        for p in model.parameters():
            dist.broadcast(p.data, 0)
    net = nn.parallel.DistributedDataParallel(model) if size > 1 else model
    optimizers = make_optimizers(model, config.lr)
    local_batch = config.batch_size // size
    rows, best, best_state, since = [], -math.inf, None, 0
    start = time.perf_counter()
    for epoch in range(config.num_epochs):
        model.train()
        pairs = epoch_pairs(
            positives, epoch, config.seed, rank, size, config.negatives == "uniform"
        )
        steps = max(1, len(positives) // config.batch_size)  # equal on every rank
        if config.max_steps is not None:
            steps = min(steps, config.max_steps)
        pairs = tuple(None if x is None else x[: steps * local_batch] for x in pairs)
        loader = pair_loader(graph, positives, pairs, config, local_batch, rank)
        total = torch.zeros(2, dtype=torch.float64)
        for batch in loader:
            total += torch.tensor([train_batch(net, batch, optimizers, config), 1.0])
        if size > 1:
            dist.all_reduce(total)
        model._cache = None
        model.eval()
        score = validate(model) if validate is not None and rank == 0 else float("nan")
        if size > 1:
            shared = torch.tensor([score], dtype=torch.float64)
            dist.broadcast(shared, 0)
            score = float(shared)
        rows.append(
            {
                "epoch": epoch + 1,
                "loss": float(total[0] / max(total[1], 1.0)),
                "steps": steps,
                "valid": score,
                "seconds": time.perf_counter() - start,
            }
        )
        if progress and rank == 0:
            print(
                f"epoch {epoch + 1}: loss {rows[-1]['loss']:.4f}, {steps} steps, "
                f"valid {score:.4f}, {rows[-1]['seconds']:.1f} s",
                flush=True,
            )
        if validate is None:
            continue
        if score > best:
            best, since = score, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            since += 1
            if since >= config.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model._cache = None
    return pd.DataFrame(rows).set_index("epoch")
