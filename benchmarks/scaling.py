"""What each stage costs as the log grows: 1 M and 10 M events, 100 M with ``--full``.

    python benchmarks/scaling.py                        # taobao_1m and taobao_10m
    python benchmarks/scaling.py --full                 # and the 100 M-event taobao preset
    python benchmarks/scaling.py --sizes taobao_1m --json FILE --plot FILE.png
    python benchmarks/scaling.py --seeds 0 --threads 1  # one seed; torch threads per child

For each size, in fresh child processes (so each reports its own peak memory):

1. **generation**: ``write_taobao`` writes the preset (a UserBehavior CSV, users.csv,
   items.csv) into ``--work`` (a temporary folder unless given), block by block;
2. **loading**: ``load_taobao_userbehavior`` reads it back (checks and renumbering);
3. **graph build**: the temporal split, the intent positives (fav, cart, buy pairs of
   the training days), the CSR of every distinct training pair and its normalised
   adjacency;
4. **sampled step**: ``--steps`` training steps of ``SampledLightGCN`` (64 dimensions,
   fan-outs ``--fanout``, batch ``--batch-size``) through PyG's ``LinkLoader`` with the
   kit's sampler; the median milliseconds of a step after 3 warm-up steps, loader
   included;
5. **full-graph step**: one step of full-graph LightGCN (the kit's ``train_step``, 3
   layers) while its estimated memory fits in ``--full-graph-limit`` GiB; median of 3;
6. **epoch**: one pass over the positive pairs with ``train_sampled`` (``--no-epoch``
   skips it);
7. **inference**: every user and item vector with ``layerwise_embedding``;
8. **evaluation**: Recall@10 and NDCG@10 with full ranking over every item for a seeded
   sample of ``--eval-users`` test-day shoppers, with standard errors (``serving``).

Peak resident memory (Linux ``VmHWM``) is read by each child: generation reports its
own; the training child reports the peak over stages 2-8. A log-log plot of each cost
against the number of events is written to ``--plot``. The result is JSON on the last
line. The machine is shared and noisy: the ratio between sizes, measured in one run,
is the figure to quote.

A sampled step's cost follows the subgraph it draws, and the subgraph follows the batch
and the fan-outs only while it is a small part of the graph: on a graph not much larger
than a batch's reach, the subgraph is the graph (or most of it), and a step is cheaper
than it will be on a larger graph. The table gives the subgraph's nodes beside the
graph's, and the cost per subgraph node, so that saturation is visible.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import benchmark_parser, emit, set_threads

GIB = 1024**3


def _status(field: str) -> int:
    """A field of /proc/self/status in bytes (``VmRSS``, ``VmHWM``); 0 when unreadable."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def generate(size: str, folder: Path, seed: int) -> dict:
    """Stage 1, in this (child) process."""
    from gnnrec_utils.synthetic import write_taobao

    done = write_taobao(folder, size, seed)
    return {
        "events": int(done["events"]),
        "users": int(done["users"]),
        "items": int(done["items"]),
        "generate_s": done["seconds"],
        "generate_peak_gib": (done["peak_rss_bytes"] or 0) / GIB,
    }


def pipeline(folder: Path, args) -> dict:
    """Stages 2-8, in this (child) process."""
    import numpy as np
    import torch

    from gnnrec_utils.data import temporal_split
    from gnnrec_utils.datasets import load_taobao_userbehavior
    from gnnrec_utils.evaluation import evaluate_full_ranking, sample_users, warm_target_users
    from gnnrec_utils.graph import BipartiteCSR, normalized_csr
    from gnnrec_utils.models import LightGCN, SampledLightGCN
    from gnnrec_utils.training import (
        PositiveSet,
        SampledConfig,
        TrainConfig,
        epoch_pairs,
        full_graph_step_bytes,
        intent_positives,
        make_optimizers,
        pair_loader,
        train_batch,
        train_sampled,
        train_step,
    )

    seed = args.seeds[0]
    out: dict = {}
    _reset_peak()
    start = time.perf_counter()
    data = load_taobao_userbehavior(folder, verbose=False)
    out["load_s"] = time.perf_counter() - start

    start = time.perf_counter()
    split = temporal_split(data)
    del data
    n_u, n_i = split.num_users, split.num_items
    positives = intent_positives(split.train, n_u, n_i)
    seen = PositiveSet.from_events(split.train, num_users=n_u, num_items=n_i)
    graph = BipartiteCSR.from_positives(seen)
    del seen
    adj = normalized_csr(graph)
    out["graph_s"] = time.perf_counter() - start
    out.update(nodes=graph.num_nodes, pairs=graph.num_pairs, positives=len(positives))

    torch.manual_seed(seed)
    model = SampledLightGCN(graph.degree, n_u, n_i, 64, num_layers=len(args.fanout))
    model.attach(adj)
    config = SampledConfig(
        num_epochs=1, batch_size=args.batch_size, num_neighbors=args.fanout, seed=seed
    )
    pairs = epoch_pairs(positives, 0, seed, 0, 1, True)
    pairs = tuple(x[: (args.steps + 3) * args.batch_size] for x in pairs)
    optimizers = make_optimizers(model, config.lr)
    times = []
    began = time.perf_counter()
    for batch in pair_loader(graph, positives, pairs, config, args.batch_size, 0):
        train_batch(model, batch, optimizers, config)
        now = time.perf_counter()
        times.append(now - began)
        began = now
    out["step_ms"] = 1000 * statistics.median(times[3:])
    out["subgraph_nodes"] = int(batch.n_id.numel())

    need = full_graph_step_bytes(graph.num_nodes, 2 * graph.num_pairs)
    out["full_step_estimated_gib"] = need / GIB
    if need <= args.full_graph_limit * GIB:
        full = LightGCN(adj, n_u, n_i, 64, 3)
        optimizer = torch.optim.Adam(full.parameters(), lr=0.01)
        cfg = TrainConfig(batch_size=args.batch_size)
        gen = torch.Generator().manual_seed(seed)
        full_times = []
        for _ in range(3):
            idx = torch.randint(len(positives), (args.batch_size,), generator=gen)
            users, pos = positives.users[idx], positives.items[idx]
            neg = torch.randint(n_i, (args.batch_size,), generator=gen)
            began = time.perf_counter()
            train_step(full, optimizer, users, pos, neg, cfg)
            full_times.append(time.perf_counter() - began)
        out["full_step_ms"] = 1000 * statistics.median(full_times)
        del full, optimizer
    else:
        out["full_step_ms"] = None

    if args.epoch:
        history = train_sampled(model, graph, positives, config, progress=False)
        out["epoch_s"] = float(history.seconds.iloc[-1])
        out["epoch_steps"] = int(history.steps.iloc[-1])

    start = time.perf_counter()
    model.eval()
    model._cache = None
    model.get_embedding()
    out["inference_s"] = time.perf_counter() - start

    users = warm_target_users(split.targets("test"), split.train)
    users = sample_users(users, args.eval_users, seed=seed)
    start = time.perf_counter()
    metrics = evaluate_full_ranking(
        model,
        users,
        split.targets("test"),
        split.history("test"),
        k=10,
        chunk=max(8, min(256, 2**25 // n_i)),  # about 2**25 scores held at once
    )
    out["eval_s"] = time.perf_counter() - start
    out["eval_users"] = int(len(users))
    out["ndcg@10"], out["ndcg@10_se"] = metrics["ndcg@10"], metrics["ndcg@10_se"]
    out["peak_gib"] = _status("VmHWM") / GIB
    out["threads"] = torch.get_num_threads()
    out["numpy"] = np.__version__
    return out


def child(kind: str, size: str, folder: Path, argv: list[str]) -> dict:
    """Run one stage group in a fresh process and return its JSON."""
    command = [sys.executable, __file__, "--child", kind, "--sizes", size, "--work", str(folder)]
    done = subprocess.run(command + argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} for {size} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    events = [r["events"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    series = {
        "generation (s)": "generate_s",
        "loading (s)": "load_s",
        "graph build (s)": "graph_s",
        "sampled step (ms)": "step_ms",
        "full-graph step (ms)": "full_step_ms",
        "one epoch (s)": "epoch_s",
        "inference (s)": "inference_s",
        "evaluation (s)": "eval_s",
    }
    for label, key in series.items():
        pts = [(e, r[key]) for e, r in zip(events, rows, strict=True) if r.get(key) is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("events in the log")
    ax.set_ylabel("cost")
    ax.set_title("Cost of each stage against the size of the log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> dict:
    p = benchmark_parser(
        __doc__,
        seeds=[0],
        one_seed=True,
        threads="torch threads in each child process (default: torch's choice)",
    )
    p.add_argument("--sizes", nargs="+", default=["taobao_1m", "taobao_10m"])
    p.add_argument("--full", action="store_true", help="add the 100 M-event taobao preset")
    p.add_argument("--work", type=Path, default=None, help="where the logs are written")
    p.add_argument("--keep", action="store_true", help="keep generated logs in --work")
    p.add_argument("--batch-size", type=int, default=4096)
    p.add_argument("--fanout", type=int, nargs="+", default=[10, 5])
    p.add_argument("--steps", type=int, default=20, help="timed sampled steps")
    p.add_argument("--no-epoch", dest="epoch", action="store_false")
    p.add_argument("--eval-users", type=int, default=10_000)
    p.add_argument("--full-graph-limit", type=float, default=12.0, help="GiB")
    p.add_argument("--plot", type=Path, default=None)
    p.add_argument(
        "--child", choices=("generate", "pipeline"), default=None, help=argparse.SUPPRESS
    )
    args = p.parse_args(argv)
    if args.child is not None:
        set_threads(args.threads)
        folder = args.work / args.sizes[0]
        if args.child == "generate":
            result = generate(args.sizes[0], folder, args.seeds[0])
        else:
            result = pipeline(folder, args)
        return emit(result)

    sizes = args.sizes + (["taobao"] if args.full and "taobao" not in args.sizes else [])
    passed = [
        "--batch-size", str(args.batch_size), "--fanout", *map(str, args.fanout),
        "--steps", str(args.steps), "--eval-users", str(args.eval_users),
        "--full-graph-limit", str(args.full_graph_limit), "--seeds", str(args.seeds[0]),
    ]  # fmt: skip
    if not args.epoch:
        passed.append("--no-epoch")
    if args.threads:
        passed += ["--threads", str(args.threads)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work if args.work is not None else Path(tmp)
        for size in sizes:
            folder = work / size
            row = {"size": size}
            if (folder / "UserBehavior.csv").exists():
                print(f"{size}: using the log already in {folder}", flush=True)
                row["generate_s"] = None
                row["generate_peak_gib"] = None
            else:
                row.update(child("generate", size, work, passed))
            row.update(child("pipeline", size, work, passed))
            row.setdefault("events", None)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if not args.keep and args.work is None:
                for f in folder.iterdir():
                    f.unlink()
    for row in rows:
        if row["events"] is None:
            row["events"] = row["pairs"]  # a reused log: at least its distinct pairs
    for row in rows:  # what a sampled step costs per node of the subgraph it drew
        row["step_us_per_node"] = 1000 * row["step_ms"] / row["subgraph_nodes"]
    header = ["size", "events", "generate_s", "load_s", "graph_s", "nodes", "subgraph_nodes"]
    header += ["step_ms", "step_us_per_node", "full_step_ms", "epoch_s", "inference_s"]
    header += ["eval_s", "peak_gib", "generate_peak_gib"]
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(_fmt(row.get(h)) for h in header))
    for small, large in zip(rows, rows[1:], strict=False):
        print(
            f"sampled step, {large['size']} / {small['size']}: "
            f"{large['step_ms'] / small['step_ms']:.2f} per step, "
            f"{large['step_us_per_node'] / small['step_us_per_node']:.2f} per subgraph node; "
            f"subgraph {small['subgraph_nodes'] / small['nodes']:.0%} of the graph's nodes "
            f"at {small['size']}, {large['subgraph_nodes'] / large['nodes']:.0%} at {large['size']}"
        )
    if args.plot is not None:
        plot(rows, args.plot)
    result = {"rows": rows, "batch_size": args.batch_size, "fanout": args.fanout}
    return emit(result, args.json)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3g}" if value < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


if __name__ == "__main__":
    main()
