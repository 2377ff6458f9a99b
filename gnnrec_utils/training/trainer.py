"""Training with negative sampling, early stopping on validation NDCG@K, checkpoints.

One loop for every model of :mod:`gnnrec_utils.models`: each step draws a batch of
positive (user, item) pairs, one negative item per pair, scores both with the model,
and minimises BPR or binary cross-entropy plus an L2 penalty on the batch's layer-0
embeddings. After every epoch the model ranks all items for the validation users;
training stops when NDCG@K has not improved for ``patience`` epochs and the best
weights are restored.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.evaluation.ranking import evaluate
from gnnrec_utils.models.base import Recommender
from gnnrec_utils.training.losses import bce_loss, bpr_loss, l2_reg
from gnnrec_utils.training.negatives import hard_negatives, popularity_negatives, uniform_negatives
from gnnrec_utils.training.positives import PositiveSet, sample_bpr_batch
from gnnrec_utils.training.walks import walk_pairs

__all__ = [
    "LOSSES",
    "SAMPLERS",
    "TrainConfig",
    "auxiliary_triples",
    "batch_triples",
    "bpr_epoch",
    "bpr_step",
    "load_checkpoint",
    "save_checkpoint",
    "train",
    "train_epochs",
    "train_step",
]

LOSSES = {"bpr": bpr_loss, "bce": bce_loss}
SAMPLERS = ("uniform", "popularity", "hard", "walk")


@dataclass
class TrainConfig:
    """Every knob of :func:`train`.

    ``sampler``: ``"uniform"`` negatives; ``"popularity"`` negatives drawn in proportion
    to training popularity ** 0.75; ``"hard"``: the highest-scoring of
    ``num_candidates`` uniform candidates; ``"walk"``: uniform negatives, but half of
    each batch's positives come from random walks (an item ``walk_length`` hops or
    fewer away), the rest from the training pairs.
    """

    num_epochs: int = 50
    batch_size: int = 2048
    lr: float = 5e-3
    reg_weight: float = 1e-4
    loss: str = "bpr"
    sampler: str = "uniform"
    num_candidates: int = 10
    walk_length: int = 3
    top_k: int = 10
    patience: int = 5
    batches_per_epoch: int | None = None  # default: one pass over the positive pairs
    aux_weight: float = 1.0  # weight of the auxiliary BPR term, when train() gets one
    seed: int = 0

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {self.loss!r}")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        if self.aux_weight < 0:
            raise ValueError(f"aux_weight must be >= 0, got {self.aux_weight}")


def batch_triples(
    model: Recommender,
    positives: PositiveSet,
    config: TrainConfig,
    popularity: torch.Tensor | None,
    generator: torch.Generator,
):
    """One batch of (users, positive items, negative items) for ``config.sampler``."""
    users, pos = sample_bpr_batch(positives, config.batch_size, generator=generator)
    if config.sampler == "walk":
        half = config.batch_size // 2
        walk_u, walk_i = walk_pairs(positives, half, config.walk_length, generator=generator)
        users, pos = (
            torch.cat([users[: config.batch_size - half], walk_u]),
            torch.cat([pos[: config.batch_size - half], walk_i]),
        )
    if config.sampler == "popularity":
        neg = popularity_negatives(positives, users, popularity, generator=generator)
    elif config.sampler == "hard":
        neg = hard_negatives(
            model.score, positives, users, config.num_candidates, generator=generator
        )
    else:
        neg = uniform_negatives(positives, users, generator=generator)
    return users, pos, neg


def auxiliary_triples(positives: PositiveSet, config: TrainConfig, generator: torch.Generator):
    """A batch of (users, positive items, uniform negative items) of an auxiliary
    behaviour; negatives avoid that behaviour's own pairs."""
    users, pos = sample_bpr_batch(positives, config.batch_size, generator=generator)
    return users, pos, uniform_negatives(positives, users, generator=generator)


# saved as gnnrec_utils.training.trainer.bpr_step
def bpr_step(model, optimizer, users, pos, neg, reg_weight=1e-4):
    """One BPR step in plain torch: score the batch, BPR plus an L2 penalty on the batch's
    layer-0 vectors, one optimiser step; returns the loss."""
    model.train()
    user_emb, item_emb = model.get_embedding()
    u = user_emb[users]
    pos_scores = (u * item_emb[pos]).sum(-1)
    neg_scores = (u * item_emb[neg]).sum(-1)
    loss = torch.nn.functional.softplus(neg_scores - pos_scores).mean()
    ego = model.ego_embedding(users, torch.cat([pos, neg]))
    loss = loss + reg_weight * (sum(e.pow(2).sum() for e in ego) / len(users))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def train_step(
    model: Recommender,
    optimizer: torch.optim.Optimizer,
    users,
    pos,
    neg,
    config: TrainConfig,
    aux: tuple | None = None,
) -> float:
    """One optimiser step on a batch; returns the loss. The batch (drawn on the CPU)
    moves to the model's device. ``aux``, a second (users, positives, negatives) batch
    of an auxiliary behaviour, adds ``config.aux_weight`` times its loss, scored with
    the same embeddings. The model's ``extra_loss(users, pos)`` (zero unless it has one,
    e.g. :class:`~gnnrec_utils.models.XSimGCL`'s contrastive term) is added, computed
    from the pass ``get_embedding`` just made. :func:`bpr_step` is the same step for
    BPR alone, written in plain torch."""
    model.train()
    device = next(model.parameters()).device
    user_emb, item_emb = model.get_embedding()

    def batch_loss(users, pos, neg):
        users, pos, neg = users.to(device), pos.to(device), neg.to(device)
        u = user_emb[users]
        pos_scores, neg_scores = (u * item_emb[pos]).sum(-1), (u * item_emb[neg]).sum(-1)
        return LOSSES[config.loss](pos_scores, neg_scores) + config.reg_weight * l2_reg(
            *model.ego_embedding(users, torch.cat([pos, neg])), batch_size=len(users)
        )

    loss = batch_loss(users, pos, neg)
    if aux is not None:
        loss = loss + config.aux_weight * batch_loss(*aux)
    loss = loss + model.extra_loss(users.to(device), pos.to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


#: One epoch of training: ``epoch(model, optimizer, generator)`` returns its mean loss.
Epoch = Callable[[Recommender, torch.optim.Optimizer, torch.Generator], float]


def bpr_epoch(
    model: Recommender,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    positives: PositiveSet,
    config: TrainConfig,
    popularity: torch.Tensor | None = None,
    auxiliary: PositiveSet | None = None,
) -> float:
    """One epoch of :func:`train_step`: ``config.batches_per_epoch`` batches, or one pass
    over ``positives``; returns the mean loss. ``popularity`` is needed by
    ``sampler="popularity"`` only."""
    steps = config.batches_per_epoch or math.ceil(len(positives) / config.batch_size)
    losses = [
        train_step(
            model,
            optimizer,
            *batch_triples(model, positives, config, popularity, generator),
            config,
            aux=None if auxiliary is None else auxiliary_triples(auxiliary, config, generator),
        )
        for _ in range(steps)
    ]
    return float(np.mean(losses))


def train(
    model: Recommender,
    split: ShopSplit,
    positives: PositiveSet,
    config: TrainConfig | None = None,
    progress: bool = True,
    auxiliary: PositiveSet | None = None,
    epoch: Epoch | None = None,
) -> pd.DataFrame:
    """Train ``model`` on ``positives``; early-stop on validation NDCG@``top_k``.

    Returns one row per epoch: mean loss, validation recall and NDCG, seconds. The
    model ends with the weights of its best validation epoch. ``config`` defaults to
    ``TrainConfig()``.

    ``auxiliary``: pairs of other behaviours (e.g. favourites and carts when the target
    is a purchase) learned alongside, multi-task: every step adds the loss of an equal
    batch of them, with uniform negatives, weighted by ``config.aux_weight``. An epoch
    is still one pass over ``positives``.

    ``epoch``: a model's own epoch (e.g. ``UltraGCN``'s, see
    :func:`~gnnrec_utils.training.ultragcn_epoch`) in place of :func:`bpr_epoch`; it
    gets the optimiser (Adam at ``config.lr``) and the run's generator.
    """
    config = TrainConfig() if config is None else config
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    popularity = torch.tensor(split.item_popularity(), dtype=torch.float)
    rows, best, best_state, since, start = [], -1.0, None, 0, time.perf_counter()
    bar = tqdm(range(config.num_epochs), desc=type(model).__name__, disable=not progress)
    for number in bar:
        if epoch is None:
            loss = bpr_epoch(model, optimizer, generator, positives, config, popularity, auxiliary)
        else:
            loss = epoch(model, optimizer, generator)
        metrics = evaluate(model, split, "valid", config.top_k)
        rows.append(
            {
                "epoch": number + 1,
                "loss": loss,
                **metrics,
                "seconds": time.perf_counter() - start,
            }
        )
        ndcg = metrics[f"ndcg@{config.top_k}"]
        bar.set_postfix(loss=f"{loss:.4f}", ndcg=f"{ndcg:.4f}")
        if ndcg > best:
            best, best_state, since = ndcg, copy.deepcopy(model.state_dict()), 0
        else:
            since += 1
            if since >= config.patience:
                break
    model.load_state_dict(best_state)
    return pd.DataFrame(rows).set_index("epoch")


def train_epochs(
    model: Recommender,
    positives: PositiveSet,
    config: TrainConfig,
    num_epochs: int | None = None,
    epoch: Epoch | None = None,
) -> list[float]:
    """A fixed budget: ``num_epochs`` epochs (default ``config.num_epochs``), with no
    validation and no early stop; the mean loss of each. This is the refit of a model
    whose epoch count was chosen on validation, on the training and validation pairs
    together. ``epoch`` as in :func:`train`; the popularity sampler is not available
    here (it needs the split)."""
    if config.sampler == "popularity" and epoch is None:
        raise ValueError("train_epochs: sampler='popularity' needs the split; use train()")
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    count = config.num_epochs if num_epochs is None else num_epochs
    if epoch is None:
        return [bpr_epoch(model, optimizer, generator, positives, config) for _ in range(count)]
    return [epoch(model, optimizer, generator) for _ in range(count)]


def save_checkpoint(model: Recommender, path: str | Path) -> None:
    """Save the model's weights (not the graph) to ``path``."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)


def load_checkpoint(model: Recommender, path: str | Path) -> Recommender:
    """Load weights saved by :func:`save_checkpoint` into ``model`` (``weights_only=True``:
    a checkpoint cannot run code when loaded)."""
    model.load_state_dict(torch.load(path, weights_only=True))
    return model
