"""How much do favourites lift LightGCN on the shop, against Tmall? Sets the generator's favourites.

``multibehavior.py`` found that adding favourites to LightGCN's purchase graph nearly
doubled its validation NDCG@10 on the bundled shop cut down to Tmall's behaviours
(``shop_like_tmall``, the generator as it was before 2026-12-01: ``fav_taste=1``,
``fav_buy_share=0``), and raised it by a few per cent on Tmall. Two explanations predict
that gap:

* **density**: the shop's purchase graph is far sparser (0.67 training purchase pairs
  per shopper against Tmall's 4.35; nine days against months), and favourites add
  more to a sparse graph;
* **taste in favourites**: a favourite that follows the shopper's taste as steeply as a
  purchase does (``ShopConfig.fav_taste``) says more about the *other* items a shopper
  buys than a real one does.

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
``--batch-size``, ``--lr``, ``--max-epochs``). Only the training and validation periods
are read: this script is for choosing the generator's favourite knobs, and the test
period stays for ``multibehavior.py``. Printed per task: both validation NDCG@10 values,
the gain (with favourites / without - 1), ``behavior_overlap.py``'s lift of a favourite
on a later purchase of the same item (the later purchases from the validation period),
and the latest best epoch of the four runs (a run that peaks at ``--max-epochs`` was
cut short); then the mean and spread of each setting over generated shops
(``--shop-seeds``) or Tmall samples (``--sample-seeds``).

Usage::

    python benchmarks/favourite_signal.py --data ../shared/datasets/tmall [--sample-seeds 0 1 2]
    python benchmarks/favourite_signal.py --fav-taste 0 0.5 1 --fav-buy-share 0 0.2 \\
        --shop-seeds 0 1 2 [--jobs 2 --threads 1]
    python benchmarks/favourite_signal.py --fav-taste 0.25 --fav-buy-share 0.1 0.15 0.2 \\
        --shop-seeds 0 1 2 3 4 --lift-only        # the lift alone, no training

``--data`` is one Tmall folder. ``--jobs N`` trains N runs at a time in worker
processes; ``--jobs 1`` (the default) trains them one after another in this process. The
last line printed is one JSON object (also written to ``--json FILE`` when given), with
how the run was made under ``"run"``.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import torch
from behavior_overlap import overlap
from common import benchmark_parser, emit, run_info, set_threads
from multibehavior import (
    TMALL_FAV_PER_BUY,
    Settings,
    Task,
    candidates,
    shop_like_tmall_task,
    tmall_task,
)

from gnnrec_utils.notebook import set_seed
from gnnrec_utils.synthetic import SIZES, generate_shop
from gnnrec_utils.training import TrainConfig, train

#: Distinct training purchase pairs per shopper in the bundled shop's ``shop_like_tmall``
#: task (4,038 pairs, 6,000 shoppers; ``multibehavior.py --data data/shop``).
SHOP_BUYS_PER_USER = 0.673
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
            f"buys_per_user={buys_per_user:g} asks for {n_buys:,} purchase pairs; "
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
        _, folder, buys_per_user, seed = spec
        return sparse_tmall_task(Path(folder), buys_per_user, seed)
    _, size, fav_taste, fav_buy_share, seed = spec
    return shop_like_tmall_task(generate_shop(shop_config(size, fav_taste, fav_buy_share), seed))


def label(spec: tuple) -> str:
    if spec[0] == "tmall_sparse":
        return f"tmall_sparse buys/user={spec[2]:g} sample={spec[3]}"
    return f"shop fav_taste={spec[2]:g} fav_buy_share={spec[3]:g} seed={spec[4]}"


def validation_lift(task: Task) -> float:
    """``behavior_overlap.py``'s lift of a favourite on a later purchase, the later
    purchases taken from the validation period only."""
    return overlap(dataclasses.replace(task.split, test=task.split.test.iloc[:0]))[
        "lift of fav on a later buy"
    ]


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


def print_lifts(specs: list[tuple]) -> dict[str, list[float]]:
    """The validation lift of every task, and its mean ± std per setting (no training);
    returns the lifts of each setting."""
    found: dict[str, list[float]] = {}
    for spec in specs:
        lift = validation_lift(_TASKS[spec][0] if spec in _TASKS else build_task(spec))
        found.setdefault(label(spec).rsplit(" ", 1)[0], []).append(lift)
        print(f"{label(spec):<46}{lift:>10.0f}", flush=True)
    print(f"\n{'setting (mean ± std over shops or samples)':<46}{'fav lift':>12}")
    for name, lifts in found.items():
        spread = np.std(lifts, ddof=1) if len(lifts) > 1 else 0.0
        print(f"{name:<46}{np.mean(lifts):>6.0f} ± {spread:.0f}")
    return {name: [round(v, 2) for v in lifts] for name, lifts in found.items()}


def train_jobs(jobs: list[tuple], settings: Settings, workers: int, threads: int | None) -> dict:
    """``{job: validation_best(*job)}``: in this process for one worker, else in a pool."""
    if workers == 1:
        set_threads(threads)
        return {job: validation_best(*job, settings) for job in jobs}
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, initializer=set_threads, initargs=(threads,)) as pool:
        futures = [pool.submit(validation_best, *job, settings) for job in jobs]
        return {job: f.result() for job, f in zip(jobs, futures, strict=True)}


def main(argv: list[str] | None = None) -> dict:
    begin = time.perf_counter()
    parser = benchmark_parser(
        __doc__,
        data="a Tmall folder (count.txt ...): adds tmall_sparse",
        seeds=[0],
        threads="torch threads (and faiss's) in each training process (default: torch's choice)",
    )
    parser.add_argument("--buys-per-user", type=float, default=SHOP_BUYS_PER_USER)
    parser.add_argument("--sample-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--fav-taste", type=float, nargs="*", default=[])
    parser.add_argument("--fav-buy-share", type=float, nargs="+", default=[0.0])
    parser.add_argument("--shop-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--size", default="default", choices=list(SIZES))
    parser.add_argument("--max-epochs", type=int, default=TrainConfig.num_epochs)
    parser.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    parser.add_argument("--lr", type=float, default=TrainConfig.lr)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument(
        "--lift-only", action="store_true", help="no training: the lift of each task only"
    )
    args = parser.parse_args(argv)
    specs = [
        ("tmall_sparse", str(args.data), args.buys_per_user, s)
        for s in (args.sample_seeds if args.data else [])
    ]
    specs += [
        ("shop", args.size, s, f, g)
        for s in args.fav_taste
        for f in args.fav_buy_share
        for g in args.shop_seeds
    ]
    if not specs:
        parser.error("give --data (a Tmall folder), --fav-taste values, or both")
    if args.data:  # a bad --buys-per-user stops here, before any training
        try:
            _TASKS[specs[0]] = (task := build_task(specs[0]), candidates(task))
        except ValueError as error:
            parser.error(str(error))
    start = time.perf_counter()
    if args.lift_only:
        lifts = {"lifts": print_lifts(specs)}
        return emit(lifts | {"run": run_info("favourite_signal.py", argv, begin)}, args.json)
    settings = Settings(args.max_epochs, args.batch_size, args.lr)
    print(f"torch {torch.__version__}; seeds {args.seeds}; {settings}", flush=True)
    names = [f"{g}_L{n}" for g in GRAPHS.values() for n in (2, 3)]
    jobs = [(spec, name, seed) for spec in specs for name in names for seed in args.seeds]
    found = train_jobs(jobs, settings, args.jobs, args.threads)
    rows = []
    print(
        f"\n{'task':<46}{'buy':>8}{'buy+fav':>9}{'gain':>8}{'fav lift':>10}{'last best epoch':>17}"
    )
    for spec in specs:
        task = _TASKS[spec][0] if spec in _TASKS else build_task(spec)
        row = {"task": label(spec), "lift": validation_lift(task)}
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
    print(f"\n{'setting (mean ± std over shops or samples)':<46}{'gain':>14}{'fav lift':>12}")
    settings_seen: dict[str, list[dict]] = {}
    for row in rows:
        settings_seen.setdefault(row["task"].rsplit(" ", 1)[0], []).append(row)
    for name, group in settings_seen.items():
        gains, lifts = [r["gain"] for r in group], [r["lift"] for r in group]
        spread = lambda v: np.std(v, ddof=1) if len(v) > 1 else 0.0  # noqa: E731
        print(
            f"{name:<46}{np.mean(gains):>+8.2f} ± {spread(gains):.2f}"
            f"{np.mean(lifts):>7.0f} ± {spread(lifts):.0f}"
        )
    out = {"rows": rows, "settings": vars(settings) | {"seeds": args.seeds}}
    out["seconds"] = round(time.perf_counter() - start, 1)
    print(f"total {out['seconds']:.0f} s")
    return emit(out | {"run": run_info("favourite_signal.py", argv, begin)}, args.json)


if __name__ == "__main__":
    main()
