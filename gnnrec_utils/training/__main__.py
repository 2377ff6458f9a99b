"""``python -m gnnrec_utils.training``: train SampledLightGCN on a shop folder.

On one process, or on several under ``torchrun --nproc-per-node N -m
gnnrec_utils.training ...``; prints one JSON line per rank, rank 0's with the test-day
metrics (notebook 09, ``benchmarks/distributed.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict
from pathlib import Path

import torch
import torch.distributed as dist

from gnnrec_utils.data.split import temporal_split
from gnnrec_utils.data.tables import load_shop
from gnnrec_utils.evaluation.ranking import evaluate
from gnnrec_utils.graph.bipartite import BipartiteCSR, normalized_csr
from gnnrec_utils.models.sampled_lightgcn import SampledLightGCN
from gnnrec_utils.training.distributed import init_distributed
from gnnrec_utils.training.positives import PositiveSet, intent_positives
from gnnrec_utils.training.sampled import SampledConfig, train_sampled


# ----------------------------------------------------------------- command line
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gnnrec_utils.training",
        description=(
            "Train SampledLightGCN on a shop folder (users.csv, items.csv, events.csv[.gz]) "
            "with the temporal split; on one process, or under torchrun --nproc_per_node=N. "
            "Prints one JSON line per rank; rank 0's holds the test-day metrics."
        ),
    )
    p.add_argument("--data", required=True, help="shop folder, as written by write_shop")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=4096, help="global batch over all ranks")
    p.add_argument("--fanout", type=int, nargs="+", default=[10, 5], help="neighbours per hop")
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--negatives", choices=("uniform", "in_batch"), default="uniform")
    p.add_argument("--max-steps", type=int, default=None, help="steps per epoch at most")
    p.add_argument("--no-validate", action="store_true", help="train every epoch, no stop")
    p.add_argument(
        "--keep-batch-edges",
        action="store_true",
        help="let a batch's subgraph hold its own positive edges (leaks labels; for tests)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", type=Path, default=None, help="rank 0 writes the weights here")
    return p


def main(argv: list[str] | None = None) -> dict:
    """The command line: load, split, train (distributed when launched so), evaluate."""
    args = _parser().parse_args(argv)
    rank, size = init_distributed()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    split = temporal_split(load_shop(args.data))
    n_u, n_i = split.num_users, split.num_items
    positives = intent_positives(split.train, n_u, n_i)
    seen = PositiveSet.from_events(split.train, num_users=n_u, num_items=n_i)
    graph = BipartiteCSR.from_positives(seen)
    torch.manual_seed(args.seed)  # the same initial weights on every rank and every run
    model = SampledLightGCN(graph.degree, n_u, n_i, args.dim, num_layers=len(args.fanout))
    model.attach(normalized_csr(graph))
    config = SampledConfig(
        num_epochs=args.epochs,
        batch_size=args.batch_size,
        num_neighbors=args.fanout,
        lr=args.lr,
        negatives=args.negatives,
        max_steps=args.max_steps,
        exclude_batch_edges=not args.keep_batch_edges,
        seed=args.seed,
    )

    def validate(m):
        return evaluate(m, split, "valid", 10)["ndcg@10"]

    history = train_sampled(
        model, graph, positives, config, validate=None if args.no_validate else validate
    )
    result = {
        "rank": rank,
        "world_size": size,
        "config": asdict(config),
        "history": history.reset_index().to_dict("records"),
        "weights_sha256": hashlib.sha256(
            model.embedding.weight.detach().numpy().tobytes()
        ).hexdigest(),
    }
    if rank == 0:
        result["test"] = evaluate(model, split, "test", 10)
        if args.save is not None:
            torch.save(model.state_dict(), args.save)
    # one line per rank, the ranks in turn: written at once, two ranks' lines could
    # interleave in a shared pipe when output is unbuffered (PYTHONUNBUFFERED=1)
    line = json.dumps(result) + "\n"
    for turn in range(size):
        if turn == rank:
            sys.stdout.write(line)
            sys.stdout.flush()
        if size > 1:
            dist.barrier()
    if size > 1:
        dist.destroy_process_group()
    return result


if __name__ == "__main__":
    main()
