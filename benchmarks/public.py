"""Beyond LightGCN, judged fairly: the LightGCN protocol on a public dataset in its format.

Data: ``train.txt`` / ``test.txt`` in LightGCN's format (``gnnrec_utils.datasets.
load_lightgcn_format``), e.g. Gowalla. Protocol (He et al., SIGIR 2020): every item is a
candidate except the user's training items; Recall@20 and NDCG@20 over the test users
(users with a test pair and a training pair), each user's values from
``gnnrec_utils.evaluation.metrics.per_user_recall_ndcg``.

Models (``gnnrec_utils.models``), with the settings fixed before the run (nothing is
chosen on the test file, and nothing is chosen at all, so no validation slice is needed):

* ``popularity``: training pairs per item;
* ``itemknn``: cosine item-kNN, the sparse path (``--knn-neighbours`` kept per item);
* ``ease``: EASE^R (l2 = 500), when ``ease_memory_bytes`` in float32 fits in the memory
  available, else skipped with the reason;
* ``gfcf``: GF-CF, alpha 0.3 and rank 256 (the paper's rank; alpha set beforehand);
* trained, with BPR, uniform negatives, Adam, L2 1e-4 on the batch's layer-0 vectors,
  for a fixed budget of ``--epochs`` passes over the training pairs in batches of
  ``--batch-size`` (``gnnrec_utils.training.train_step``; no early stopping):
  ``mf`` (64-d), ``lightgcn`` (64-d, 3 layers), ``xsimgcl`` (64-d, 2 layers, the
  authors' eps 0.2, lambda 0.2, tau 0.15, l* 1; InfoNCE over at most 2,048 of a batch's
  distinct users and as many items, the authors' batch size), ``ngcf`` (64-d, 3 layers, message
  dropout 0.1); one run per seed of ``--seeds`` (default 0 1 2), mean and sd (ddof=1).

Paired tests (``gnnrec_utils.evaluation.significance.paired_test``) over the test users: every
trained model and GF-CF against LightGCN, on per-user NDCG@20 and Recall@20 (a trained
model's per-user values averaged over its seeds). Train seconds are wall-clock on this
machine, fitting only (scoring apart).

Usage::

    python benchmarks/public.py --data ../shared/datasets/gowalla [--seeds 0 1 2] [--epochs N]
        [--batch-size 8192] [--lr 0.01] [--models gfcf popularity ...] [--json FILE]
        [--threads N]

``--data`` is the dataset's folder, holding ``train.txt`` and ``test.txt``; the dataset's
name (``dataset`` in the JSON) is the folder's name. ``--epochs`` is a fixed budget, not a
cap: every epoch runs. The last line printed is one JSON object.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
from common import benchmark_parser, emit, set_threads

from gnnrec_utils.data import ShopSplit, period_split
from gnnrec_utils.datasets import load_lightgcn_format
from gnnrec_utils.evaluation import paired_test, per_user_recall_ndcg, warm_target_users
from gnnrec_utils.graph import interaction_matrix, normalized_adjacency
from gnnrec_utils.machine import available_memory_bytes
from gnnrec_utils.models import (
    EASE,
    GFCF,
    NGCF,
    ItemKNN,
    LightGCN,
    MatrixFactorization,
    Popularity,
    XSimGCL,
    ease_memory_bytes,
)
from gnnrec_utils.training import PositiveSet, TrainConfig, batch_triples, train_step

K = 20
FIXED = ("popularity", "itemknn", "ease", "gfcf")
TRAINED = ("mf", "lightgcn", "xsimgcl", "ngcf")
#: Published Gowalla figures (Recall@20, NDCG@20) on the LightGCN authors' files.
ANCHORS = {"lightgcn": (0.1830, 0.1554), "gfcf": (0.1849, 0.1518)}


def load(folder: Path) -> ShopSplit:
    """The split of the dataset in ``folder``: train and test periods, no validation."""
    return period_split(load_lightgcn_format(folder, verbose=False))


def fixed_model(name: str, split: ShopSplit, knn_neighbours: int):
    """A model that is fitted, not trained; ``(model, None)`` or ``(None, reason)``."""
    r = interaction_matrix(split.train, split.num_users, split.num_items)
    if name == "popularity":
        return Popularity(split.item_popularity(), split.num_users), None
    if name == "itemknn":
        return ItemKNN(r, top_neighbours=knn_neighbours, block_size=2048), None
    if name == "gfcf":
        rank = min(256, split.num_users, split.num_items)  # 256 unless the data is smaller
        return GFCF(r, split.num_users, split.num_items, alpha=0.3, rank=rank), None
    need = ease_memory_bytes(
        num_users=split.num_users, num_items=split.num_items, dtype=torch.float32
    )
    have = available_memory_bytes()
    if have is not None and need > have:
        return None, (
            f"EASE^R over {split.num_items:,} items needs about {need / 2**30:.1f} GiB in "
            f"float32 (three {split.num_items:,}^2 matrices and the dense interactions); "
            f"{have / 2**30:.1f} GiB available"
        )
    return EASE(r, l2=500.0, dtype=torch.float32), None


def trained_model(name: str, split: ShopSplit, adj, seed: int):
    """A freshly initialised trainable model; the seed fixes its initial weights."""
    torch.manual_seed(seed)
    n, m = split.num_users, split.num_items
    if name == "mf":
        return MatrixFactorization(n, m, embedding_dim=64)
    if name == "lightgcn":
        return LightGCN(adj, n, m, embedding_dim=64, num_layers=3)
    if name == "xsimgcl":
        return XSimGCL(adj, n, m, embedding_dim=64, num_layers=2, seed=seed, cl_batch=2048)
    return NGCF(adj, n, m, embedding_dim=64, num_layers=3, message_dropout=0.1)


def fit(model, positives: PositiveSet, config: TrainConfig, epochs: int) -> list[float]:
    """``epochs`` passes of BPR steps; the mean loss of each epoch."""
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    steps = math.ceil(len(positives) / config.batch_size)
    losses = []
    for _ in range(epochs):
        batch = [
            train_step(
                model, optimizer, *batch_triples(model, positives, config, None, generator), config
            )
            for _ in range(steps)
        ]
        losses.append(float(np.mean(batch)))
    return losses


def score(model, split: ShopSplit, users: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-user Recall@K and NDCG@K of ``model`` on the test period, and the seconds taken."""
    start = time.perf_counter()
    model.eval()
    top = model.recommend(users, K, exclude=split.history("test"))
    recall, ndcg = per_user_recall_ndcg(top, users, split.targets("test"))
    return recall, ndcg, time.perf_counter() - start


def run_fixed(names, split, users, knn_neighbours) -> tuple[dict, dict]:
    """Fit and score each fitted model once; results and per-user values."""
    results, per_user = {}, {}
    for name in names:
        start = time.perf_counter()
        model, reason = fixed_model(name, split, knn_neighbours)
        seconds = time.perf_counter() - start
        if model is None:
            print(f"{name}: skipped: {reason}", flush=True)
            results[name] = {"skipped": reason}
            continue
        recall, ndcg, eval_seconds = score(model, split, users)
        per_user[name] = (recall, ndcg)
        results[name] = {
            f"recall@{K}": float(recall.mean()),
            f"ndcg@{K}": float(ndcg.mean()),
            "train_seconds": seconds,
            "eval_seconds": eval_seconds,
        }
        print(f"{name}: {results[name]}", flush=True)
        del model
    return results, per_user


def run_trained(names, split, users, args) -> tuple[dict, dict]:
    """Train and score each trained model once per seed; mean, sd, per-seed values."""
    positives = PositiveSet.from_events(
        split.train, num_items=split.num_items, num_users=split.num_users
    )
    adj = normalized_adjacency(split.train, split.num_users, split.num_items)
    results, per_user = {}, {}
    for name in names:
        runs = []
        for seed in args.seeds:
            config = TrainConfig(batch_size=args.batch_size, lr=args.lr, reg_weight=1e-4, seed=seed)
            model = trained_model(name, split, adj, seed)
            start = time.perf_counter()
            losses = fit(model, positives, config, args.epochs)
            seconds = time.perf_counter() - start
            recall, ndcg, eval_seconds = score(model, split, users)
            runs.append((recall, ndcg, seconds, eval_seconds, losses))
            print(
                f"{name} seed {seed}: recall@{K} {recall.mean():.4f} ndcg@{K} {ndcg.mean():.4f} "
                f"train {seconds:.0f} s, last loss {losses[-1]:.4f}",
                flush=True,
            )
        per_user[name] = (np.mean([r[0] for r in runs], 0), np.mean([r[1] for r in runs], 0))
        results[name] = summarise(runs)
    return results, per_user


def summarise(runs) -> dict:
    """Mean, sd (ddof=1) and per-seed values of each metric over a model's runs."""
    out = {}
    for j, metric in enumerate((f"recall@{K}", f"ndcg@{K}")):
        values = np.array([r[j].mean() for r in runs])
        out[metric] = float(values.mean())
        out[f"{metric}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else None
        out[f"{metric}_per_seed"] = values.tolist()
    out["train_seconds"] = float(np.mean([r[2] for r in runs]))
    out["eval_seconds"] = float(np.mean([r[3] for r in runs]))
    out["loss_per_epoch_seed0"] = runs[0][4]
    return out


def paired(per_user: dict, reference: str = "lightgcn") -> dict:
    """Every other model with per-user values against ``reference``, NDCG and recall."""
    if reference not in per_user:
        return {}
    out = {}
    for name, values in per_user.items():
        if name == reference:
            continue
        for j, metric in enumerate((f"recall@{K}", f"ndcg@{K}")):
            test = paired_test(values[j], per_user[reference][j])
            test["ci95"] = list(test["ci95"])
            out[f"{name} - {reference} {metric}"] = test
    return out


def table(results: dict) -> str:
    """The results for people: one line per model."""
    lines = [f"{'model':<11} {'Recall@20':>17} {'NDCG@20':>17} {'train s':>9}"]
    for name, r in results.items():
        if "skipped" in r:
            lines.append(f"{name:<11} skipped: {r['skipped']}")
            continue
        cells = []
        for metric in (f"recall@{K}", f"ndcg@{K}"):
            sd = r.get(f"{metric}_sd")
            cells.append(f"{r[metric]:.4f}" + (f" ± {sd:.4f}" if sd is not None else "         "))
        lines.append(f"{name:<11} {cells[0]:>17} {cells[1]:>17} {r['train_seconds']:>9.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = benchmark_parser(
        __doc__,
        data="the dataset's folder, holding train.txt and test.txt; its name names the dataset",
        data_required=True,
        seeds=[0, 1, 2],
    )
    parser.add_argument(
        "--epochs", type=int, default=10, help="epochs per trained model (a fixed budget)"
    )
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--knn-neighbours", type=int, default=200)
    parser.add_argument("--models", nargs="+", default=[*FIXED, *TRAINED])
    args = parser.parse_args(argv)
    unknown = set(args.models) - set(FIXED) - set(TRAINED)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; choose from {[*FIXED, *TRAINED]}")
    set_threads(args.threads)
    dataset = args.data.resolve().name
    split = load(args.data)
    users = warm_target_users(split.targets("test"), split.train)
    print(
        f"{dataset}: {split.num_users:,} users, {split.num_items:,} items, "
        f"{len(split.train):,} train pairs, {len(split.targets('test')):,} test pairs, "
        f"{len(users):,} test users",
        flush=True,
    )
    fixed, fixed_users = run_fixed(
        [m for m in FIXED if m in args.models], split, users, args.knn_neighbours
    )
    trained, trained_users = run_trained(
        [m for m in TRAINED if m in args.models], split, users, args
    )
    results = {**fixed, **trained}
    print(table(results))
    tests = paired({**fixed_users, **trained_users})
    for name, test in tests.items():
        low, high = test["ci95"]
        print(f"{name}: {test['mean_diff']:+.4f} [{low:+.4f}, {high:+.4f}] p={test['p_value']:.3g}")
    out = {
        "dataset": dataset,
        "num_users": split.num_users,
        "num_items": split.num_items,
        "train_pairs": len(split.train),
        "test_pairs": len(split.targets("test")),
        "test_users": len(users),
        "protocol": f"all-item ranking, train items excluded, Recall@{K} / NDCG@{K}",
        "config": {
            "seeds": len(args.seeds),  # how many; the per-seed values follow --seeds' order
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "knn_neighbours": args.knn_neighbours,
            "threads": torch.get_num_threads(),
        },
        "anchors": {m: {f"recall@{K}": r, f"ndcg@{K}": n} for m, (r, n) in ANCHORS.items()},
        "models": results,
        "paired_vs_lightgcn": tests,
    }
    return emit(out, args.json)


if __name__ == "__main__":
    main()
