"""Why do favourites lift LightGCN so much more on the shop than on Tmall?

``multibehavior.py`` finds that adding favourites to LightGCN's purchase graph lifts its
validation NDCG@10 on the bundled shop cut down to Tmall's behaviours
(``shop_like_tmall``) by about twice its value, and on Tmall by a few per cent. Two
explanations predict that gap:

* **density**: the shop's purchase graph is far sparser (0.66 training purchase pairs
  per shopper against Tmall's 4.35; nine days against months), and favourites add
  more to a sparse graph;
* **taste in favourites**: in the generator a favourite follows the shopper's taste
  as steeply as a purchase does (``ShopConfig.fav_taste``), so the shop's favourites
  may say more about the *other* items a shopper buys than real ones do.

Tasks, each with a purchase target and favourites as the only other behaviour:

* ``tmall_sparse``: Tmall with its training purchase pairs sampled (seeded) down to
  ``--buys-per-user`` per shopper (default: the bundled shop's) and its favourites to
  Tmall's 1.221 favourite pairs per purchase pair; carts dropped. If density explains
  the gap, favourites lift this graph as much as the shop's.
* ``shop fav_taste=S fav_buy_share=F seed=G``: a generated shop (``--size``) for every
  ``--fav-taste``, ``--fav-buy-share`` and ``--shop-seeds``, cut down like
  ``shop_like_tmall``.

Per task and training seed (``--seeds``): LightGCN on the purchase graph and on
purchases + favourites, with 2 and with 3 layers, the better of each pair on validation
NDCG@10, trained as ``multibehavior.py`` trains (``gnnrec_utils.training.train``,
``--batch-size``, ``--lr``, ``--max-epochs``). Only the validation period is read: this
script is for choosing the generator's favourite knobs, and the test period stays for
``multibehavior.py``. Printed per task: both validation NDCG@10 values, the gain
(with favourites / without - 1), and ``behavior_overlap.py``'s lift of a favourite on a
later purchase of the same item (over the same periods).

Usage::

    python benchmarks/favourite_signal.py --data ../shared/datasets/tmall
    python benchmarks/favourite_signal.py --fav-taste 0 0.5 1 --fav-buy-share 0 0.2 \\
        --shop-seeds 0 1 2 [--jobs 2 --threads 1]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch
from behavior_overlap import overlap
from multibehavior import (
    TMALL_FAV_PER_BUY,
    Settings,
    Task,
    candidates,
    shop_like_tmall_task,
    tmall_task,
)

from gnnrec_utils.synthetic import SIZES, generate_shop
from gnnrec_utils.training import TrainConfig, train
from gnnrec_utils.utils import set_seed

#: Distinct training purchase pairs per shopper in the bundled shop's ``shop_like_tmall``
#: task (3,948 pairs, 6,000 shoppers; ``multibehavior.py --shop data/shop``).
SHOP_BUYS_PER_USER = 0.658
GRAPHS = {"buy": "lightgcn_target", "buy+fav": "lightgcn_all"}


def sparse_tmall_task(folder: Path, buys_per_user: float, seed: int = 0) -> Task:
    """Tmall's purchases and favourites, sampled down to ``buys_per_user`` purchase pairs
    per shopper and 1.221 favourite pairs per purchase pair; validation and test kept."""
    task = tmall_task(folder)
    train = task.split.train
    rng = np.random.default_rng(seed)
    buys = train[train.behavior == "buy"].drop_duplicates(["user_id", "item_id"])
    favs = train[train.behavior == "fav"].drop_duplicates(["user_id", "item_id"])
    n_buys = round(buys_per_user * task.split.num_users)
    if n_buys > len(buys):
        raise ValueError(
            f"buys_per_user={buys_per_user} asks for {n_buys:,} purchase pairs; "
            f"the training period has {len(buys):,}"
        )
    buys = buys.iloc[np.sort(rng.choice(len(buys), n_buys, replace=False))]
    n_favs = min(len(favs), round(TMALL_FAV_PER_BUY * n_buys))
    favs = favs.iloc[np.sort(rng.choice(len(favs), n_favs, replace=False))]
    kept = (
        train.loc[buys.index.union(favs.index)]
        .sort_values(["user_id", "timestamp"], kind="stable")
        .reset_index(drop=True)
    )
    split = dataclasses.replace(task.split, train=kept)
    return Task("tmall_sparse", split, ("buy",))


def shop_config(size: str, fav_taste: float, fav_buy_share: float):
    return dataclasses.replace(SIZES[size], fav_taste=fav_taste, fav_buy_share=fav_buy_share)


def build_task(spec: tuple) -> Task:
    """A task from its picklable description (built again in each worker)."""
    if spec[0] == "tmall_sparse":
        _, folder, buys_per_user = spec
        return sparse_tmall_task(Path(folder), buys_per_user)
    _, size, fav_taste, fav_buy_share, seed = spec
    return shop_like_tmall_task(generate_shop(shop_config(size, fav_taste, fav_buy_share), seed))


def label(spec: tuple) -> str:
    if spec[0] == "tmall_sparse":
        return f"tmall_sparse buys/user={spec[2]:g}"
    return f"shop fav_taste={spec[2]:g} fav_buy_share={spec[3]:g} seed={spec[4]}"


_TASKS: dict = {}


def validation_best(spec: tuple, name: str, seed: int, settings: Settings) -> tuple[float, int]:
    """Best validation NDCG@10 of one seeded training run of candidate ``name``, and its epoch."""
    if spec not in _TASKS:
        task = build_task(spec)
        _TASKS[spec] = (task, candidates(task))
    task, cands = _TASKS[spec]
    set_seed(seed)
    config = TrainConfig(
        num_epochs=settings.max_epochs, batch_size=settings.batch_size, lr=settings.lr, seed=seed
    )
    history = train(cands[name].build(), task.split, task.positives, config, progress=False)
    return float(history["ndcg@10"].max()), int(history["ndcg@10"].idxmax())


def _init(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="the Tmall folder: adds tmall_sparse")
    parser.add_argument("--buys-per-user", type=float, default=SHOP_BUYS_PER_USER)
    parser.add_argument("--fav-taste", type=float, nargs="*", default=[])
    parser.add_argument("--fav-buy-share", type=float, nargs="+", default=[0.0])
    parser.add_argument("--shop-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--size", default="default", choices=list(SIZES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-epochs", type=int, default=TrainConfig.num_epochs)
    parser.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    parser.add_argument("--lr", type=float, default=TrainConfig.lr)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    specs = [("tmall_sparse", str(args.data), args.buys_per_user)] if args.data else []
    specs += [
        ("shop", args.size, s, f, g)
        for s in args.fav_taste
        for f in args.fav_buy_share
        for g in args.shop_seeds
    ]
    if not specs:
        parser.error("give --data (a Tmall folder), --fav-taste values, or both")
    start = time.perf_counter()
    settings = Settings(args.max_epochs, args.batch_size, args.lr)
    print(f"torch {torch.__version__}; seeds {args.seeds}; {settings}", flush=True)
    names = [f"{g}_L{n}" for g in GRAPHS.values() for n in (2, 3)]
    jobs = [(spec, name, seed) for spec in specs for name in names for seed in args.seeds]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(args.threads,)) as pool:
        futures = [pool.submit(validation_best, *job, settings) for job in jobs]
        found = {job: f.result() for job, f in zip(jobs, futures, strict=True)}
    rows = []
    print(
        f"\n{'task':<46}{'buy':>8}{'buy+fav':>9}{'gain':>8}{'fav lift':>10}{'last best epoch':>17}"
    )
    for spec in specs:
        task = build_task(spec)
        row = {"task": label(spec), "lift": overlap(task.split)["lift of fav on a later buy"]}
        row["last_best_epoch"] = max(found[spec, n, s][1] for n in names for s in args.seeds)
        for graph, family in GRAPHS.items():
            per_seed = [
                max(found[spec, f"{family}_L{n}", s][0] for n in (2, 3)) for s in args.seeds
            ]
            row[graph] = float(np.mean(per_seed))
        row["gain"] = row["buy+fav"] / row["buy"] - 1
        rows.append(row)
        print(
            f"{row['task']:<46}{row['buy']:>8.4f}{row['buy+fav']:>9.4f}"
            f"{row['gain']:>+8.2f}{row['lift']:>10.0f}{row['last_best_epoch']:>17}",
            flush=True,
        )
    out = {"rows": rows, "settings": vars(settings) | {"seeds": args.seeds}}
    out["seconds"] = round(time.perf_counter() - start, 1)
    print(f"total {out['seconds']:.0f} s")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
