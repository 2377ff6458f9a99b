"""Run the series' models on a GPU when one is present: ``python benchmarks/cuda_check.py``.

Not a test (CI has no GPU). Trains LightGCN and MultiBehaviorGCN on the bundled shop on
``cuda`` with each sampler, checks that they learn, and prints test metrics beside the
same run on the CPU. Last line: one JSON object. On a machine without CUDA it runs the CPU
half and says so in the result (``"cuda_available": false`` and ``"cuda_skipped"``, the
reason), so that its record never passes a CPU run off as a GPU check.

Usage::

    python benchmarks/cuda_check.py [--data data/shop] [--threads N] [--json FILE]
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from common import benchmark_parser, emit, run_info, set_threads

from gnnrec_utils.data import BEHAVIORS, load_shop, temporal_split
from gnnrec_utils.evaluation import evaluate
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import (
    LightGCN,
    MultiBehaviorGCN,
    item_attribute_codes,
    user_attribute_codes,
)
from gnnrec_utils.notebook import set_seed
from gnnrec_utils.training import TrainConfig, intent_positives, train

ROOT = Path(__file__).resolve().parents[1]


def models(split, shop):
    """LightGCN and MultiBehaviorGCN on the training graph, freshly seeded."""
    n_u, n_i = split.num_users, split.num_items
    set_seed(0)
    yield "LightGCN", LightGCN(normalized_adjacency(split.train, n_u, n_i), n_u, n_i)
    adjs = {
        b: normalized_adjacency(split.train[split.train.behavior == b], n_u, n_i) for b in BEHAVIORS
    }
    uc, ucard = user_attribute_codes(shop.users)
    ic, icard = item_attribute_codes(shop.items)
    set_seed(0)
    yield "MultiBehaviorGCN", MultiBehaviorGCN(adjs, uc, ic, ucard, icard, num_layers=2)


def main(argv: list[str] | None = None) -> dict:
    begin = time.perf_counter()
    parser = benchmark_parser(
        __doc__, data="a shop folder (users.csv ...)", data_default=ROOT / "data" / "shop"
    )
    args = parser.parse_args(argv)
    set_threads(args.threads)
    shop = load_shop(args.data)
    split = temporal_split(shop)
    positives = intent_positives(split.train, split.num_users, split.num_items)
    cuda = torch.cuda.is_available()
    devices = ["cpu"] + (["cuda"] if cuda else [])
    if not cuda:
        print("CUDA is not available (torch.cuda.is_available() is False): CPU runs only")
    results = {}
    for device in devices:
        for sampler in ("uniform", "hard"):
            for name, model in models(split, shop):
                start = time.perf_counter()
                history = train(
                    model.to(device),
                    split,
                    positives,
                    TrainConfig(num_epochs=8, lr=0.01, sampler=sampler),
                    progress=False,
                )
                key = f"{name}/{sampler}/{device}"
                results[key] = {
                    **evaluate(model, split, "test"),
                    "seconds": round(time.perf_counter() - start, 1),
                    "loss_fell": bool(history.loss.iloc[-1] < history.loss.iloc[0]),
                }
                print(key, results[key], flush=True)
    out = {"devices": devices, "cuda_available": cuda, "results": results}
    if cuda:
        out["cuda_device"] = torch.cuda.get_device_name(0)
    else:
        out["cuda_skipped"] = (
            "torch.cuda.is_available() is False on this machine "
            f"(torch {torch.__version__}); only the CPU runs were made"
        )
    return emit(out | {"run": run_info("cuda_check.py", argv, begin)}, args.json)


if __name__ == "__main__":
    main()
