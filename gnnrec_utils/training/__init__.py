"""Training with negative sampling: pipeline stage 4, after the models.

* ``positives.py``: :class:`PositiveSet`, the distinct training pairs, and the positive
  batches drawn from it; ``negatives.py``: uniform, popularity-biased and hard
  negatives; ``walks.py``: random walks on the user-item graph.
* ``losses.py``: BPR, binary cross-entropy and the L2 penalty.
* ``trainer.py``: :func:`train`, one loop for every full-graph model, with early
  stopping on validation NDCG, and :func:`bpr_step`, its step in plain torch;
  checkpoints.
* ``neighbor_sampler.py``, ``loaders.py``: mini-batches of sampled subgraphs for PyG's
  loaders, in plain torch; ``sampled.py``: :func:`train_sampled`, LightGCN trained on
  them, on one process or under ``torchrun`` (``distributed.py``); ``budget.py``: the
  memory such a run needs; ``__main__.py``: ``python -m gnnrec_utils.training``.
* ``ultragcn.py``: :func:`ultragcn_epoch`, one epoch of
  :class:`~gnnrec_utils.models.UltraGCN`'s constraint losses.
"""

from __future__ import annotations

from gnnrec_utils.training.budget import full_graph_step_bytes, memory_budget
from gnnrec_utils.training.distributed import (
    check_ranks_agree,
    data_fingerprint,
    epoch_shard,
    init_distributed,
    rank_and_size,
)
from gnnrec_utils.training.loaders import drop_seed_edges, link_loader
from gnnrec_utils.training.losses import bce_loss, bpr_loss, l2_reg
from gnnrec_utils.training.negatives import (
    hard_negatives,
    popularity_negatives,
    popularity_weights,
    uniform_negatives,
)
from gnnrec_utils.training.neighbor_sampler import (
    CSRNeighborSampler,
    check_num_neighbors,
    check_seeds,
)
from gnnrec_utils.training.positives import (
    Generator,
    PositiveSet,
    intent_positives,
    sample_bpr_batch,
)
from gnnrec_utils.training.sampled import (
    SampledConfig,
    batch_loss,
    epoch_pairs,
    make_optimizers,
    pair_loader,
    train_batch,
    train_sampled,
)
from gnnrec_utils.training.trainer import (
    LOSSES,
    SAMPLERS,
    TrainConfig,
    auxiliary_triples,
    batch_triples,
    bpr_epoch,
    bpr_step,
    load_checkpoint,
    save_checkpoint,
    train,
    train_epochs,
    train_step,
)
from gnnrec_utils.training.ultragcn import ultragcn_epoch
from gnnrec_utils.training.walks import random_walks, walk_item_visit_counts, walk_pairs

__all__ = [
    "LOSSES",
    "SAMPLERS",
    "auxiliary_triples",
    "batch_loss",
    "batch_triples",
    "bce_loss",
    "bpr_loss",
    "bpr_epoch",
    "bpr_step",
    "check_num_neighbors",
    "check_ranks_agree",
    "check_seeds",
    "CSRNeighborSampler",
    "data_fingerprint",
    "drop_seed_edges",
    "epoch_pairs",
    "epoch_shard",
    "full_graph_step_bytes",
    "Generator",
    "hard_negatives",
    "init_distributed",
    "intent_positives",
    "l2_reg",
    "link_loader",
    "load_checkpoint",
    "make_optimizers",
    "memory_budget",
    "pair_loader",
    "popularity_negatives",
    "popularity_weights",
    "PositiveSet",
    "random_walks",
    "rank_and_size",
    "sample_bpr_batch",
    "SampledConfig",
    "save_checkpoint",
    "train",
    "train_batch",
    "train_epochs",
    "train_sampled",
    "train_step",
    "TrainConfig",
    "ultragcn_epoch",
    "uniform_negatives",
    "walk_item_visit_counts",
    "walk_pairs",
]
