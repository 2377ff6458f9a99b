"""A trained model on a public split within a fixed CPU budget: schedule and epoch count chosen on valid.txt, then several seeds refitted on train + valid and scored once on test.txt.

Two stages, each one invocation, so that neither outlasts a working session:

* ``--stage select`` (needs ``valid.txt``): every schedule of ``SCHEDULES[model]`` trains
  on ``train.txt`` for at most ``--minutes`` of training (evaluation not counted: the
  clock stops while valid.txt is scored), with valid Recall@20 / NDCG@20 every
  ``--eval-every`` epochs; the progress bar shows the running validation figure. The
  record holds every curve (training seconds, epoch, loss, valid figures) and the
  choice: the schedule and epoch count with the best valid Recall@20 (ties: NDCG@20).
  ``--patience N`` ends a schedule early after N scores in a row without a better
  valid Recall@20 (the record says which runs it stopped).
* ``--stage final --selection RECORD``: each seed trains on train + valid with the
  chosen schedule for the chosen number of epochs (stopping earlier only if the next
  epoch would pass ``--minutes``, which the record then says) and is scored once on
  test.txt. GF-CF (its record's chosen alpha, ``--gfcf-alpha``) is fitted on the same
  pairs and scored on the same users, and the seeds' mean per-user values are paired
  against it; ``--save-per-user`` and ``--pair-with`` pair two models' runs made in
  different invocations (the per-user files hold no path and stay outside the kit).

Models: ``ultragcn`` (``gnnrec_utils.models.UltraGCN`` with its defaults, the paper's
Gowalla settings; ``ultragcn_epoch``'s batch-shared negatives), ``lightgcn`` (3 layers,
64-d, BPR with one uniform negative, L2 1e-4, Adam: the LightGCN paper's settings) and
``xsimgcl`` (2 layers, 64-d, the authors' noise and contrastive weights, 2,048 nodes a
batch in the contrastive term, BPR as LightGCN's). The schedules are fixed here before
any run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from common import benchmark_parser, emit, run_info, set_threads
from public import K, fixed_model, load, paired, score
from tqdm.auto import tqdm

from gnnrec_utils.evaluation import warm_target_users
from gnnrec_utils.graph import interaction_matrix, normalized_adjacency
from gnnrec_utils.machine import peak_rss_bytes
from gnnrec_utils.models import LightGCN, UltraGCN, XSimGCL
from gnnrec_utils.training import PositiveSet, TrainConfig, bpr_epoch, ultragcn_epoch

#: The schedules ``--stage select`` compares, fixed before any run.
SCHEDULES = {
    "ultragcn": [
        {"batch_size": 512, "lr": 1e-3, "num_negatives": 1500},  # the paper's Gowalla
    ],
    "lightgcn": [{"batch_size": 2048, "lr": 1e-3}],  # the paper's
    "xsimgcl": [
        {"batch_size": 32768, "lr": 0.02},  # the kit's Gowalla budget runs (public.py)
        {"batch_size": 2048, "lr": 1e-3},  # the XSimGCL and LightGCN papers'
    ],
}
#: The published figure the budget is aimed at (LightGCN on this split, its paper).
TARGET = 0.1830


def build(name: str, known, n: int, m: int, seed: int):
    """A freshly initialised model on the pairs ``known``; the seed fixes its weights."""
    torch.manual_seed(seed)
    if name == "ultragcn":
        return UltraGCN(interaction_matrix(known, n, m), embedding_dim=64)
    adj = normalized_adjacency(known, n, m)
    if name == "xsimgcl":
        return XSimGCL(adj, n, m, embedding_dim=64, num_layers=2, seed=seed, cl_batch=2048)
    return LightGCN(adj, n, m, embedding_dim=64, num_layers=3)


def epoch_function(name: str, model, positives: PositiveSet, schedule: dict, seed: int):
    """A callable running one epoch and returning its mean loss."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=schedule["lr"])
    if name == "ultragcn":
        return lambda: ultragcn_epoch(
            model,
            positives,
            optimizer,
            batch_size=schedule["batch_size"],
            num_negatives=schedule["num_negatives"],
            generator=generator,
        )
    config = TrainConfig(
        batch_size=schedule["batch_size"], lr=schedule["lr"], reg_weight=1e-4, seed=seed
    )
    return lambda: bpr_epoch(model, optimizer, generator, positives, config)


def train_within(
    epoch,
    budget_s: float,
    max_epochs: int | None,
    evaluate,
    eval_every: int,
    desc,
    patience: int | None = None,
):
    """Run ``epoch()`` until ``max_epochs``, until the next epoch would pass ``budget_s``
    seconds of training (at the last epoch's pace), or, with ``patience``, until that
    many evaluations in a row found no better valid Recall@20; ``evaluate()`` every
    ``eval_every`` epochs, off the clock. Returns the curve and what stopped it:
    ``"budget"``, ``"patience"`` or ``"max_epochs"``."""
    curve, trained, last, best, waited = [], 0.0, 0.0, -1.0, 0
    bar = tqdm(total=max_epochs, desc=desc, unit="epoch")
    while max_epochs is None or len(curve) < max_epochs:
        if trained + last > budget_s:
            bar.close()
            return curve, "budget"
        if patience is not None and waited >= patience:
            bar.close()
            return curve, "patience"
        start = time.perf_counter()
        loss = epoch()
        last = time.perf_counter() - start
        trained += last
        row = {"epoch": len(curve) + 1, "train_s": round(trained, 2), "loss": loss}
        if evaluate is not None and row["epoch"] % eval_every == 0:
            recall, ndcg = evaluate()
            row.update({f"valid_recall@{K}": recall, f"valid_ndcg@{K}": ndcg})
            best, waited = (recall, 0) if recall > best else (best, waited + 1)
            bar.set_postfix({f"valid R@{K}": f"{recall:.4f}", "min": f"{trained / 60:.1f}"})
        curve.append(row)
        bar.update()
    bar.close()
    return curve, "max_epochs"


def select(name: str, split, args) -> dict:
    """Every schedule trained on train.txt, scored on valid.txt along the way."""
    known, targets = split.history("valid"), split.targets("valid")
    users = warm_target_users(targets, known)
    n, m = split.num_users, split.num_items
    positives = PositiveSet.from_events(known, num_users=n, num_items=m)
    runs = []
    for schedule in SCHEDULES[name]:
        model = build(name, known, n, m, args.seeds[0])

        def evaluate(model=model) -> tuple[float, float]:
            recall, ndcg, _ = score(model, known, targets, users, progress=False)
            return float(recall.mean()), float(ndcg.mean())

        curve, stopped_by = train_within(
            epoch_function(name, model, positives, schedule, args.seeds[0]),
            args.minutes * 60,
            args.max_epochs,
            evaluate,
            args.eval_every,
            f"{name} {schedule}",
            args.patience,
        )
        scored = [row for row in curve if f"valid_recall@{K}" in row]
        best = max(scored, key=lambda r: (r[f"valid_recall@{K}"], r[f"valid_ndcg@{K}"]))
        runs.append(
            {
                "schedule": schedule,
                "curve": curve,
                "stopped_by": stopped_by,
                "best": best,
            }
        )
        print(f"{name} {schedule}: best {best} ({runs[-1]['stopped_by']})", flush=True)
        del model
    choice = max(runs, key=lambda r: (r["best"][f"valid_recall@{K}"], r["best"][f"valid_ndcg@{K}"]))
    return {
        "valid_users": len(users),
        "seed": args.seeds[0],
        "runs": runs,
        "chosen": {"schedule": choice["schedule"], "epochs": choice["best"]["epoch"]},
    }


def final(name: str, split, args) -> dict:
    """Seeds refitted on train + valid with the chosen schedule, scored once on test."""
    selection = json.loads(args.selection.read_text())
    if selection.get("stage") != "select" or selection.get("model") != name:
        raise SystemExit(f"{args.selection}: not a --stage select record of {name}")
    chosen = selection["selection"]["chosen"]
    known, targets = split.history("test"), split.targets("test")
    users = warm_target_users(targets, known)
    n, m = split.num_users, split.num_items
    positives = PositiveSet.from_events(known, num_users=n, num_items=m)
    peak_rss_bytes(reset=True)
    seeds, recalls, ndcgs = [], [], []
    for seed in args.seeds:
        model = build(name, known, n, m, seed)
        curve, stopped_by = train_within(
            epoch_function(name, model, positives, chosen["schedule"], seed),
            args.minutes * 60,
            chosen["epochs"],
            None,
            1,
            f"{name} seed {seed}",
        )
        recall, ndcg, score_s = score(model, known, targets, users)
        recalls.append(recall)
        ndcgs.append(ndcg)
        seeds.append(
            {
                "seed": seed,
                f"recall@{K}": float(recall.mean()),
                f"ndcg@{K}": float(ndcg.mean()),
                "epochs": len(curve),
                "train_s": curve[-1]["train_s"],
                "s_per_epoch": curve[-1]["train_s"] / len(curve),
                "stopped_by": "budget" if stopped_by == "budget" else "chosen epochs",
                "score_s": score_s,
            }
        )
        print(f"{name} seed {seed}: {seeds[-1]}", flush=True)
        del model
    peak = peak_rss_bytes()
    per_user = {name: (np.mean(recalls, 0), np.mean(ndcgs, 0))}
    start = time.perf_counter()
    gfcf, _ = fixed_model("gfcf", split, known, {"alpha": args.gfcf_alpha}, 0)
    g_recall, g_ndcg, _ = score(gfcf, known, targets, users)
    per_user["gfcf"] = (g_recall, g_ndcg)
    gfcf_s = time.perf_counter() - start
    for path in args.pair_with or []:
        other = np.load(path)
        if not np.array_equal(other["users"], users):
            raise SystemExit(f"{path}: scored on other users than this run's test users")
        per_user[str(other["name"])] = (other["recall"], other["ndcg"])
    if args.save_per_user is not None:
        np.savez(
            args.save_per_user,
            name=name,
            users=users,
            recall=per_user[name][0],
            ndcg=per_user[name][1],
        )
    tests = {}
    for reference in [r for r in per_user if r != name]:
        tests.update(
            {k: v for k, v in paired(per_user, reference).items() if k.startswith(f"{name} - ")}
        )
    values = np.array([[s[f"recall@{K}"], s[f"ndcg@{K}"]] for s in seeds])
    return {
        "chosen": chosen,
        "seeds": seeds,
        f"recall@{K}": float(values[:, 0].mean()),
        f"recall@{K}_sd": float(values[:, 0].std(ddof=1)) if len(seeds) > 1 else None,
        f"ndcg@{K}": float(values[:, 1].mean()),
        f"ndcg@{K}_sd": float(values[:, 1].std(ddof=1)) if len(seeds) > 1 else None,
        "peak_rss_gib": None if peak is None else round(peak / 2**30, 2),
        "gfcf": {
            "alpha": args.gfcf_alpha,
            f"recall@{K}": float(g_recall.mean()),
            f"ndcg@{K}": float(g_ndcg.mean()),
            "seconds": gfcf_s,
        },  # fmt: skip
        "paired": tests,
        "test_users": len(users),
    }


def main(argv: list[str] | None = None) -> dict:
    began = time.perf_counter()
    parser = benchmark_parser(
        __doc__,
        data="the dataset's folder: train.txt, valid.txt, test.txt (LightGCN's format)",
        data_required=True,
        seeds=[0, 1, 2],
    )
    parser.add_argument("--model", choices=sorted(SCHEDULES), required=True)
    parser.add_argument("--stage", choices=("select", "final"), required=True)
    parser.add_argument("--minutes", type=float, default=60.0, help="training budget per run")
    parser.add_argument("--max-epochs", type=int, help="select: an epoch cap (default: none)")
    parser.add_argument("--eval-every", type=int, default=1, help="select: epochs between scores")
    parser.add_argument(
        "--patience",
        type=int,
        help="select: stop a schedule after this many scores in a row without a better "
        "valid Recall@20 (default: train to the budget)",
    )
    parser.add_argument("--selection", type=Path, help="final: the --stage select record")
    parser.add_argument("--gfcf-alpha", type=float, default=0.2, help="final: GF-CF's alpha")
    parser.add_argument("--save-per-user", type=Path, help="final: write per-user values (.npz)")
    parser.add_argument("--pair-with", type=Path, nargs="+", help="final: other runs' .npz")
    args = parser.parse_args(argv)
    if args.patience is not None and args.patience < 1:
        parser.error(f"--patience: expected 1 or more scores, got {args.patience}")
    if args.stage == "final" and args.selection is None:
        parser.error("--stage final needs --selection, the --stage select record")
    set_threads(args.threads)
    split = load(args.data)
    if args.stage == "select" and len(split.valid) == 0:
        parser.error(f"{args.data}: no valid.txt, so there is nothing to choose on")
    dataset = args.data.resolve().name
    print(
        f"{dataset}: {split.num_users:,} users, {split.num_items:,} items, "
        f"{len(split.train):,} train, {len(split.valid):,} valid pairs; {args.model}, "
        f"stage {args.stage}, {args.minutes:g} min of training per run",
        flush=True,
    )
    body = (
        select(args.model, split, args)
        if args.stage == "select"
        else final(args.model, split, args)
    )
    out = {
        "dataset": dataset,
        "model": args.model,
        "stage": args.stage,
        "protocol": (
            "schedules trained on train.txt, scored on valid.txt; the best (Recall@20, then "
            "NDCG@20) schedule and epoch count chosen"
            if args.stage == "select"
            else "the chosen schedule and epochs, trained on train + valid, scored once on "
            "test.txt (all items ranked, known items excluded)"
        ),
        "budget_minutes": args.minutes,
        "target": {"name": "LightGCN, published", f"recall@{K}": TARGET},
        "threads": torch.get_num_threads(),
        ("selection" if args.stage == "select" else "result"): body,
        "run": run_info("trained_budget.py", argv, began),
    }
    return emit(out, args.json)


if __name__ == "__main__":
    main()
