"""Sampled training on 1 process against 2 under torchrun, on this machine: seconds per epoch.

    python benchmarks/distributed.py [--data data/shop] [--epochs 3] [--reps 3] [--seeds 0]
        [--json FILE]

Each run is the kit's training entry point, ``python -m gnnrec_utils.training``, in a fresh
process, with the same data, global batch, fan-outs, seed and epochs (no validation, so
every run trains all ``--epochs`` epochs; ``--seeds`` takes one seed):

* ``1 process, T threads``: alone, torch's default thread count (T = the cores);
* ``1 process, 1 thread``: alone, ``OMP_NUM_THREADS=1``;
* ``2 processes, 1 thread each``: ``torchrun --standalone --nproc_per_node=2`` (gloo), each
  rank on half of every global batch, gradients averaged by ``DistributedDataParallel``.

The variants run interleaved (their order rotates each repetition) and the table gives
medians of the training seconds per epoch (from the trainer's own clock, so process start,
loading and the split are left out) and of the whole command's wall time, each as a
ratio to the first variant. Rank 0's test NDCG@10 is printed beside them, to show the
runs train the same model. Prints a table and the result as JSON on the last line.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import benchmark_parser, emit

ROOT = Path(__file__).resolve().parents[1]


def variants(cores: int) -> dict[str, tuple[list[str], dict]]:
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    return {
        f"1 process, {cores} threads": ([sys.executable], {"OMP_NUM_THREADS": str(cores)}),
        "1 process, 1 thread": ([sys.executable], {"OMP_NUM_THREADS": "1"}),
        "2 processes, 1 thread each": (launch, {"OMP_NUM_THREADS": "1"}),
    }


def run_once(prefix: list[str], env: dict, args) -> dict:
    command = [
        *prefix, "-m", "gnnrec_utils.training", "--data", str(args.data),
        "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
        "--seed", str(args.seeds[0]), "--no-validate",
    ]  # fmt: skip
    began = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    ranks = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    first = min(ranks, key=lambda r: r["rank"])
    return {
        "epoch_s": first["history"][-1]["seconds"] / args.epochs,
        "wall_s": wall,
        "ndcg@10": first["test"]["ndcg@10"],
        "steps": sum(h["steps"] for h in first["history"]),
        "ranks": len(ranks),
    }


def main(argv: list[str] | None = None) -> dict:
    p = benchmark_parser(
        __doc__,
        data="a shop folder (users.csv ...)",
        data_default=ROOT / "data" / "shop",
        seeds=[0],
        one_seed=True,
        threads=False,  # the variants set each process's threads themselves
    )
    p.add_argument("--epochs", type=int, default=3, help="epochs of every run (no early stop)")
    p.add_argument("--batch-size", type=int, default=4096, help="global batch")
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args(argv)

    cores = os.cpu_count() or 1
    runs = variants(cores)
    names = list(runs)
    results: dict[str, list[dict]] = {name: [] for name in names}
    for rep in range(args.reps):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            results[name].append(run_once(*runs[name], args))
            print(f"rep {rep + 1} {name}: {results[name][-1]}", file=sys.stderr, flush=True)

    base = {
        key: statistics.median(r[key] for r in results[names[0]]) for key in ("epoch_s", "wall_s")
    }
    rows = []
    for name in names:
        epoch = statistics.median(r["epoch_s"] for r in results[name])
        wall = statistics.median(r["wall_s"] for r in results[name])
        rows.append(
            {
                "variant": name,
                "epoch_s": epoch,
                "epoch_ratio": epoch / base["epoch_s"],
                "wall_s": wall,
                "wall_ratio": wall / base["wall_s"],
                "ndcg@10": results[name][0]["ndcg@10"],
                "steps": results[name][0]["steps"],
            }
        )
    print(f"data {args.data.name}, {args.epochs} epochs, global batch {args.batch_size}, "
          f"{args.reps} interleaved reps, medians; {cores} cores")  # fmt: skip
    print(f"{'variant':28s} {'s/epoch':>8s} {'ratio':>6s} {'wall s':>7s} {'ratio':>6s} "
          f"{'NDCG@10':>8s} {'steps':>6s}")  # fmt: skip
    for r in rows:
        print(f"{r['variant']:28s} {r['epoch_s']:8.2f} {r['epoch_ratio']:6.2f} "
              f"{r['wall_s']:7.1f} {r['wall_ratio']:6.2f} {r['ndcg@10']:8.4f} {r['steps']:6d}")  # fmt: skip
    out = {"rows": rows, "epochs": args.epochs, "batch_size": args.batch_size, "cores": cores}
    return emit(out, args.json)


if __name__ == "__main__":
    main()
