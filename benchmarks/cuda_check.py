"""Run the series' models on a GPU when one is present: ``python benchmarks/cuda_check.py``.

Not a test (CI has no GPU). Trains LightGCN and MultiBehaviorGCN on the bundled shop on
``cuda`` with each sampler, checks that they learn, and prints test metrics beside the
same run on the CPU. Last line: one JSON object.
"""

from __future__ import annotations

import json
import time

import torch

from gnnrec_utils.data import BEHAVIORS, load_shop
from gnnrec_utils.encoders import item_attribute_codes, user_attribute_codes
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import LightGCN, MultiBehaviorGCN
from gnnrec_utils.sampling import intent_positives
from gnnrec_utils.split import temporal_split
from gnnrec_utils.training import TrainConfig, evaluate, train
from gnnrec_utils.utils import set_seed


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


def main() -> None:
    shop = load_shop("data/shop")
    split = temporal_split(shop)
    positives = intent_positives(split.train, split.num_users, split.num_items)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
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
    print(json.dumps({"devices": devices, "results": results}))


if __name__ == "__main__":
    main()
