"""Sampled-subgraph training against full-graph LightGCN on one shop: test-day quality.

    python benchmarks/sampled_parity.py [--data data/shop] [--seeds 0 1 2] [--max-epochs 40]
        [--threads N] [--json FILE]

Both models are trained on the temporal split's training days, early-stopped on the
validation day's NDCG@10 (at most ``--max-epochs`` epochs, patience 4), and judged on the test
day: Recall@10 and NDCG@10 over every item, each shopper's history excluded, warm
shoppers only (as notebook 03). Full-graph LightGCN is trained as notebook 03 trains it
(``gnnrec_utils.training.train``: 64 dimensions, 3 layers, batch 2048, lr 0.01).
``SampledLightGCN`` (``gnnrec_utils.training.sampled``) trains on subgraphs drawn by PyG's
``LinkLoader`` with the kit's sampler, and ranks with its exact full-graph vectors.
For each seed the per-shopper NDCG@10 of the two is compared pair by pair
(``paired_difference``); the table gives mean ± standard error of (sampled − full).
Prints a table and the result as JSON on the last line.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from common import benchmark_parser, emit, set_threads

from gnnrec_utils.data import load_shop, temporal_split
from gnnrec_utils.evaluation import (
    evaluate,
    paired_difference,
    per_user_recall_ndcg,
    warm_target_users,
)
from gnnrec_utils.graph import BipartiteCSR, normalized_adjacency, normalized_csr
from gnnrec_utils.models import LightGCN, SampledLightGCN
from gnnrec_utils.training import (
    PositiveSet,
    SampledConfig,
    TrainConfig,
    intent_positives,
    train,
    train_sampled,
)

ROOT = Path(__file__).resolve().parents[1]


def per_user_ndcg(model, split, users) -> np.ndarray:
    top = model.recommend(users, 10, exclude=split.history("test"))
    return per_user_recall_ndcg(top, users, split.targets("test"))[1]


def main(argv: list[str] | None = None) -> dict:
    p = benchmark_parser(
        __doc__,
        data="a shop folder (users.csv ...)",
        data_default=ROOT / "data" / "shop",
        seeds=[0, 1, 2],
    )
    p.add_argument("--max-epochs", type=int, default=40, help="epoch cap (early stopping)")
    p.add_argument("--fanout", type=int, nargs="+", default=[10, 5])
    p.add_argument("--batch-size", type=int, default=2048)
    args = p.parse_args(argv)
    set_threads(args.threads)

    split = temporal_split(load_shop(args.data))
    n_u, n_i = split.num_users, split.num_items
    positives = intent_positives(split.train, n_u, n_i)
    graph = BipartiteCSR.from_positives(
        PositiveSet.from_events(split.train, num_users=n_u, num_items=n_i)
    )
    adj_csr = normalized_csr(graph)
    users = warm_target_users(split.targets("test"), split.train)
    rows = []
    for seed in args.seeds:
        torch.manual_seed(seed)
        full = LightGCN(normalized_adjacency(split.train, n_u, n_i), n_u, n_i, 64, 3)
        start = time.perf_counter()
        hist_full = train(
            full,
            split,
            positives,
            TrainConfig(
                num_epochs=args.max_epochs, batch_size=2048, lr=0.01, patience=4, seed=seed
            ),
            progress=False,
        )
        full_s = time.perf_counter() - start
        torch.manual_seed(seed)
        sampled = SampledLightGCN(graph.degree, n_u, n_i, 64, num_layers=len(args.fanout))
        sampled.attach(adj_csr)
        config = SampledConfig(
            num_epochs=args.max_epochs,
            batch_size=args.batch_size,
            num_neighbors=args.fanout,
            lr=0.01,
            patience=4,
            seed=seed,
        )
        start = time.perf_counter()
        hist_sampled = train_sampled(
            sampled,
            graph,
            positives,
            config,
            validate=lambda m: evaluate(m, split, "valid", 10)["ndcg@10"],
            progress=False,
        )
        sampled_s = time.perf_counter() - start
        a, b = per_user_ndcg(sampled, split, users), per_user_ndcg(full, split, users)
        diff, se = paired_difference(a, b)
        rows.append(
            {
                "seed": seed,
                "full_ndcg": float(b.mean()),
                "sampled_ndcg": float(a.mean()),
                "diff": diff,
                "diff_se": se,
                "full_epochs": int(hist_full["ndcg@10"].idxmax()),
                "sampled_epochs": int(hist_sampled["valid"].idxmax()),
                "full_seconds": full_s,
                "sampled_seconds": sampled_s,
                "full_valid": float(hist_full["ndcg@10"].max()),
                "sampled_valid": float(hist_sampled["valid"].max()),
            }
        )
        print(pd.DataFrame(rows[-1:]).round(4).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    print(table.round(4).to_string(index=False))
    result = {
        "data": args.data.name,
        "users": int(len(users)),
        "fanout": args.fanout,
        "batch_size": args.batch_size,
        "rows": rows,
    }
    return emit(result, args.json)


if __name__ == "__main__":
    main()
