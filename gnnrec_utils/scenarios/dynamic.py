"""Keeping a trained recommender current while new events stream in (notebook 07).

A shop does not stop at the end of the training log. Each day brings new edges (views,
favs, carts, buys), new shoppers and new interests. This module replays a stretch of
the log one local day at a time and offers the cheap-to-expensive ways to take a day's
events in:

* **re-propagate**: keep the weights, rebuild the model's normalised adjacency from
  every event known so far (:func:`refresh_graph`). A LightGCN-style embedding is a
  weighted sum over the graph, so new edges move the vectors without any training;
* **warm-start fine-tune**: a few optimiser steps from the current weights, half of each
  batch from the new intent pairs, half from all of them (:func:`fit_steps`; the pairs
  come from :func:`gnnrec_utils.training.positives.intent_positives`);
* **full retrain**: new weights from scratch on everything known (:func:`fit_steps`
  again, from a fresh model).

The day's evaluation follows the series' target (:mod:`gnnrec_utils.data.split`): the
(user, item) pairs a shopper favs, carts or buys that day and had never touched before
(:func:`gnnrec_utils.data.split.new_intent_pairs`), ranked over the whole catalogue with
everything known before the day excluded, for the users with an event before the day
(:func:`gnnrec_utils.evaluation.ranking.warm_target_users`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.data.constants import DAY
from gnnrec_utils.data.split import local_day_start
from gnnrec_utils.graph.build import normalized_adjacency
from gnnrec_utils.graph.propagation import compact_csr
from gnnrec_utils.models.base import Recommender
from gnnrec_utils.models.lightgcn import LightGCN
from gnnrec_utils.models.multibehavior import MultiBehaviorGCN
from gnnrec_utils.training.negatives import uniform_negatives
from gnnrec_utils.training.positives import PositiveSet, sample_bpr_batch
from gnnrec_utils.training.trainer import TrainConfig, train_step

__all__ = ["cut_days", "fit_steps", "refresh_graph"]


def cut_days(events: pd.DataFrame, start: int) -> list[pd.DataFrame]:
    """The events at or after ``start``, one table per local day, in time order.

    ``start`` must be a local midnight (e.g. ``split.test_start``). Days without events
    between the first and the last are kept as empty tables, so list position ``d``
    is always the day beginning at ``start + d * DAY``.

    Raises:
        ValueError: ``start`` is not a local midnight, or ``events`` has no timestamp column.
    """
    if "timestamp" not in events:
        raise ValueError(f"events need a 'timestamp' column, got columns {list(events.columns)}")
    if local_day_start(start) != start:
        raise ValueError(
            f"start must be a local midnight, got {start} "
            f"(the day starts at {local_day_start(start)})"
        )
    later = events[events.timestamp >= start]
    day = ((later.timestamp - start) // DAY).to_numpy()
    num_days = int(day.max()) + 1 if len(later) else 0
    return [later[day == d].reset_index(drop=True) for d in range(num_days)]


def refresh_graph(model: Recommender, events: pd.DataFrame) -> Recommender:
    """Rebuild the adjacency that ``model`` propagates over from ``events``; weights stay."""
    if not isinstance(model, (LightGCN, MultiBehaviorGCN)):
        raise TypeError(
            f"refresh_graph needs a LightGCN or MultiBehaviorGCN, got {type(model).__name__}"
        )
    n_u, n_i = model.num_users, model.num_items
    device = next(model.parameters()).device
    if isinstance(model, LightGCN):
        model.adj = compact_csr(normalized_adjacency(events, n_u, n_i)).to(device)
    else:
        for b in model.behaviors:
            adj = normalized_adjacency(events[events.behavior == b], n_u, n_i)
            setattr(model, f"adj_{b}", compact_csr(adj).to(device))
    return model


def fit_steps(
    model: Recommender,
    positives: PositiveSet,
    num_steps: int,
    config: TrainConfig,
    generator: torch.Generator,
    recent: PositiveSet | None = None,
) -> float:
    """``num_steps`` BPR steps with a fresh Adam optimiser; returns the mean loss.

    Each batch holds ``config.batch_size`` pairs drawn from ``positives``; with
    ``recent``, half of them come from ``recent`` instead (a warm-start fine-tune on a
    day's new pairs, mixed with the old ones so the model does not forget them).
    Negatives are uniform over the items the user has no pair with in ``positives``,
    so ``recent`` should be a subset of ``positives``.

    Raises:
        ValueError: ``num_steps`` is negative, or ``recent`` is given but empty.
    """
    if num_steps < 0:
        raise ValueError(f"num_steps must be >= 0, got {num_steps}")
    if recent is not None and len(recent) == 0:
        raise ValueError("recent holds no pairs: pass None to draw every pair from positives")
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    half = config.batch_size // 2 if recent is not None else 0
    losses = []
    for _ in range(num_steps):
        users, pos = sample_bpr_batch(positives, config.batch_size - half, generator=generator)
        if half:
            new_users, new_pos = sample_bpr_batch(recent, half, generator=generator)
            users, pos = torch.cat([users, new_users]), torch.cat([pos, new_pos])
        neg = uniform_negatives(positives, users, generator=generator)
        losses.append(train_step(model, optimizer, users, pos, neg, config))
    return float(np.mean(losses)) if losses else float("nan")
