"""Beyond LightGCN, judged fairly: the LightGCN protocol on a public dataset in its format.

Data: ``train.txt``, ``test.txt`` and, when present, ``valid.txt`` in LightGCN's format
(``gnnrec_utils.datasets.load_lightgcn_format``), e.g. Gowalla. Every item is a candidate
except the user's known items; Recall@20 and NDCG@20 over the users with a held-out pair
and a known one, each user's values from
``gnnrec_utils.evaluation.metrics.per_user_recall_ndcg``.

**Protocol.** With a ``valid.txt`` (Gowalla's ``train.txt`` + ``valid.txt`` are the
LightGCN paper's training pairs): each filter's settings are chosen on ``valid.txt``
(fitted on ``train.txt``, best Recall@20 over a grid fixed beforehand; the grid and every
point's figures go into the record), then every model is fitted on train + valid and
scored once on ``test.txt``. Without one: every model is fitted on ``train.txt`` with
the settings named below and scored on ``test.txt``, and the record says so.

Models (``gnnrec_utils.models``):

* ``popularity``: training pairs per item;
* ``itemknn``: cosine item-kNN, the sparse path (``--knn-neighbours`` kept per item);
* ``ease``: EASE^R (l2 = 500, fixed: one fit on Gowalla's 40,981 items takes about 18
  minutes here, too long for a grid), float32, when ``ease_memory_bytes`` fits in the
  memory available, else skipped with the reason;
* ``gfcf``: GF-CF, rank 256 (the paper's); alpha from {0.1, 0.2, 0.3, 0.5} on
  validation (without one: the model's default, 0.2);
* ``bspm``: BSPM, rank 256, one RK4 sharpening step; beta from {0.1, 0.2, 0.3} and the
  sharpening time from {1, 1.5, 2, 2.5, 3} on validation (without one: the model's
  defaults, 0.3 and 2.0);
* trained, with BPR, uniform negatives, Adam, L2 1e-4 on the batch's layer-0 vectors,
  for a fixed budget of ``--epochs`` passes over the training pairs in batches of
  ``--batch-size`` (``gnnrec_utils.training.train_epochs``; no early stopping, nothing
  chosen on validation; fitted on train + valid when there is a ``valid.txt``):
  ``mf`` (64-d), ``lightgcn`` (64-d, 3 layers), ``xsimgcl`` (64-d, 2 layers, the
  authors' eps 0.2, lambda 0.2, tau 0.15, l* 1; InfoNCE over at most 2,048 of a batch's
  distinct users and as many items, the authors' batch size), ``ngcf`` (64-d, 3 layers,
  message dropout 0.1); one run per seed of ``--seeds`` (default 0 1 2), mean and sd
  (ddof=1).

Paired tests (``gnnrec_utils.evaluation.significance.paired_test``) over the test users:
every model against LightGCN when it ran, else against GF-CF, on per-user NDCG@20 and
Recall@20 (a trained model's per-user values averaged over its seeds). ``fit_s`` is the
wall-clock fitting (or training) time on this machine, ``score_s`` the scoring of every
test user, ``peak_rss_gib`` the process's peak resident memory while the model was
fitted and scored (the data included).

Usage::

    python benchmarks/public.py --data ../shared/datasets/gowalla [--seeds 0 1 2] [--epochs N]
        [--batch-size 8192] [--lr 0.01] [--models gfcf bspm popularity ...] [--json FILE]
        [--threads N]

``--data`` is the dataset's folder; the dataset's name (``dataset`` in the JSON) is the
folder's name. ``--epochs`` is a fixed budget, not a cap: every epoch runs. The last
line printed is one JSON object.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from common import benchmark_parser, emit, run_info, set_threads
from tqdm.auto import tqdm

from gnnrec_utils.data import ShopSplit, period_split
from gnnrec_utils.datasets import load_lightgcn_format
from gnnrec_utils.evaluation import paired_test, per_user_recall_ndcg, warm_target_users
from gnnrec_utils.graph import interaction_matrix, normalized_adjacency
from gnnrec_utils.machine import available_memory_bytes, peak_rss_bytes
from gnnrec_utils.models import (
    BSPM,
    EASE,
    GFCF,
    NGCF,
    ItemKNN,
    LightGCN,
    MatrixFactorization,
    Popularity,
    XSimGCL,
    ease_memory_bytes,
    sharpening_polynomial,
    stable_topk,
)
from gnnrec_utils.training import PositiveSet, TrainConfig, train_epochs

K = 20
FIXED = ("popularity", "itemknn", "ease", "gfcf", "bspm")
TRAINED = ("mf", "lightgcn", "xsimgcl", "ngcf")
#: Published Gowalla figures (Recall@20, NDCG@20) on the LightGCN paper's split.
ANCHORS = {
    "lightgcn": (0.1830, 0.1554),
    "gfcf": (0.1849, 0.1518),
    "bspm": (0.1920, 0.1597),
    "ease": (0.1765, 0.1467),
    "ngcf": (0.1570, 0.1327),
}
RANK = 256
#: The grids searched on valid.txt, fixed before any run (without a valid.txt,
#: ``DEFAULTS`` runs instead).
GRIDS = {
    "gfcf": [{"alpha": a} for a in (0.1, 0.2, 0.3, 0.5)],
    "bspm": [
        {"beta": b, "sharpen_time": t}
        for b, t in itertools.product((0.1, 0.2, 0.3), (1.0, 1.5, 2.0, 2.5, 3.0))
    ],
}
#: Without a valid.txt: the models' own defaults (chosen on Gowalla's valid.txt).
DEFAULTS = {"gfcf": {"alpha": 0.2}, "bspm": {"beta": 0.3, "sharpen_time": 2.0}}


def load(folder: Path) -> ShopSplit:
    """The split of the dataset in ``folder``: train, valid (maybe empty) and test."""
    return period_split(load_lightgcn_format(folder, verbose=False))


def fixed_model(name: str, split: ShopSplit, known: pd.DataFrame, settings: dict, knn: int):
    """A model fitted (not trained) on the pairs ``known``; ``(model, None)`` or
    ``(None, reason)``."""
    n, m = split.num_users, split.num_items
    r = interaction_matrix(known, n, m)
    if name == "popularity":
        counts = np.bincount(known.item_id.to_numpy(), minlength=m)
        return Popularity(counts, n), None
    if name == "itemknn":
        return ItemKNN(r, top_neighbours=knn, block_size=2048), None
    rank = min(RANK, n, m)  # 256 unless the data is smaller
    if name == "gfcf":
        return GFCF(r, n, m, rank=rank, **settings), None
    if name == "bspm":
        return BSPM(r, n, m, rank=rank, **settings), None
    need = ease_memory_bytes(num_users=n, num_items=m, dtype=torch.float32)
    have = available_memory_bytes()
    if have is not None and need > have:
        return None, (
            f"EASE^R over {m:,} items needs about {need / 2**30:.1f} GiB in "
            f"float32 (2.25 {m:,}^2 matrices and a scoring chunk); "
            f"{have / 2**30:.1f} GiB available"
        )
    return EASE(r, l2=500.0, dtype=torch.float32), None


def grid_topk(model: BSPM, users, exclude: pd.DataFrame, grid: list[dict], chunk=1024):
    """Top-K of ``users`` for every point of a GF-CF or BSPM ``grid``, from one pass.

    Both scores are sums of the same blocks: GF-CF's ``P r + alpha * ideal(r)``, and
    BSPM's ``sum_j c_j (P^j (P r) + beta * P^j ideal(r))`` with one RK4 step
    (``sharpening_polynomial``), so the powers are computed once per chunk and every
    grid point costs only its sum and its top-K. ``model``'s own settings are unused.
    """
    users = np.asarray(users)
    out = [np.empty((len(users), K), dtype=np.int64) for _ in grid]
    powers = 5 if "sharpen_time" in grid[0] else 1
    known = exclude.groupby("user_id").item_id.apply(np.asarray)
    for lo in tqdm(range(0, len(users), chunk), desc="grid", unit="chunk"):
        block = users[lo : lo + chunk]
        x = model.history_columns(block)
        # P^j (P x) in blocks[j], P^j ideal(x) in blocks[powers + j]
        blocks = torch.empty((2 * powers, *x.shape), dtype=x.dtype)
        blocks[0], blocks[powers] = model.linear(x), model.ideal(x)
        for j in range(1, powers):
            blocks[j] = model.linear(blocks[j - 1])
            blocks[powers + j] = model.linear(blocks[powers + j - 1])
        rows = np.concatenate([np.full(len(known.get(u, ())), i) for i, u in enumerate(block)])
        cols = np.concatenate([known.get(u, np.empty(0, np.int64)) for u in block])
        for point, top in zip(grid, out, strict=True):
            if powers == 1:
                weights = [1.0, point["alpha"]]
            else:
                c = sharpening_polynomial(point["sharpen_time"])
                weights = c + [point["beta"] * cj for cj in c]
            # one weighted sum over the stacked blocks, no temporary per term
            scores = torch.tensordot(torch.tensor(weights, dtype=blocks.dtype), blocks, dims=1)
            scores = scores.T.to(torch.float64)
            scores[torch.as_tensor(rows, dtype=torch.long), torch.as_tensor(cols)] = -torch.inf
            top[lo : lo + chunk] = stable_topk(scores, K).numpy()
    return out


def choose(name: str, split: ShopSplit) -> dict:
    """The grid point of ``name`` with the best validation Recall@20 (ties: NDCG@20, then
    the earlier point), every point's figures beside it."""
    known = split.history("valid")  # = train
    targets = split.targets("valid")
    users = warm_target_users(targets, known)
    start = time.perf_counter()
    model, _ = fixed_model(name, split, known, {}, 0)
    tops = grid_topk(model, users, known, GRIDS[name])
    points = []
    for point, top in zip(GRIDS[name], tops, strict=True):
        recall, ndcg = per_user_recall_ndcg(top, users, targets)
        points.append(
            {**point, f"recall@{K}": float(recall.mean()), f"ndcg@{K}": float(ndcg.mean())}
        )
    best = max(points, key=lambda p: (p[f"recall@{K}"], p[f"ndcg@{K}"]))
    chosen = {key: best[key] for key in GRIDS[name][0]}
    print(f"{name}: chose {chosen} on valid.txt ({len(users):,} users): {best}", flush=True)
    return {
        "chosen": chosen,
        "valid_users": len(users),
        "grid": points,
        "seconds": time.perf_counter() - start,
    }


def score(
    model, known: pd.DataFrame, targets: pd.DataFrame, users: np.ndarray, progress: bool = True
):
    """Per-user Recall@K and NDCG@K of ``model`` with ``known`` excluded, and the seconds."""
    start = time.perf_counter()
    model.eval()
    top = model.recommend(users, K, exclude=known, progress=progress)
    recall, ndcg = per_user_recall_ndcg(top, users, targets)
    return recall, ndcg, time.perf_counter() - start


def run_fixed(names, split, users, args, has_valid) -> tuple[dict, dict]:
    """Choose (with a valid.txt), fit on the training side and score each fitted model once."""
    results, per_user = {}, {}
    known, targets = split.history("test"), split.targets("test")
    for name in names:
        peak_rss_bytes(reset=True)
        selection = choose(name, split) if has_valid and name in GRIDS else None
        settings = selection["chosen"] if selection else DEFAULTS.get(name, {})
        start = time.perf_counter()
        model, reason = fixed_model(name, split, known, settings, args.knn_neighbours)
        seconds = time.perf_counter() - start
        if model is None:
            print(f"{name}: skipped: {reason}", flush=True)
            results[name] = {"skipped": reason}
            continue
        recall, ndcg, eval_seconds = score(model, known, targets, users)
        per_user[name] = (recall, ndcg)
        peak = peak_rss_bytes()
        results[name] = {
            f"recall@{K}": float(recall.mean()),
            f"ndcg@{K}": float(ndcg.mean()),
            "fit_s": seconds,
            "score_s": eval_seconds,
            "peak_rss_gib": None if peak is None else round(peak / 2**30, 2),
            "settings": settings,
            "protocol": "chosen on valid.txt, refitted on train + valid"
            if selection
            else ("fixed settings, fitted on train + valid" if has_valid else "fixed settings"),
        }
        if selection:
            results[name]["selection"] = selection
        print(f"{name}: {results[name]}", flush=True)
        del model
    return results, per_user


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


def run_trained(names, split, users, args, has_valid) -> tuple[dict, dict]:
    """Train (on train + valid) and score each trained model once per seed."""
    known, targets = split.history("test"), split.targets("test")
    positives = PositiveSet.from_events(known, num_items=split.num_items, num_users=split.num_users)
    adj = normalized_adjacency(known, split.num_users, split.num_items)
    results, per_user = {}, {}
    for name in names:
        peak_rss_bytes(reset=True)
        runs = []
        for seed in args.seeds:
            config = TrainConfig(batch_size=args.batch_size, lr=args.lr, reg_weight=1e-4, seed=seed)
            model = trained_model(name, split, adj, seed)
            start = time.perf_counter()
            losses = train_epochs(model, positives, config, args.epochs)
            seconds = time.perf_counter() - start
            recall, ndcg, eval_seconds = score(model, known, targets, users)
            runs.append((recall, ndcg, seconds, eval_seconds, losses))
            print(
                f"{name} seed {seed}: recall@{K} {recall.mean():.4f} ndcg@{K} {ndcg.mean():.4f} "
                f"train {seconds:.0f} s, last loss {losses[-1]:.4f}",
                flush=True,
            )
        per_user[name] = (np.mean([r[0] for r in runs], 0), np.mean([r[1] for r in runs], 0))
        results[name] = summarise(runs)
        peak = peak_rss_bytes()
        results[name]["peak_rss_gib"] = None if peak is None else round(peak / 2**30, 2)
        results[name]["protocol"] = f"fixed budget of {args.epochs} epochs, nothing chosen; " + (
            "trained on train + valid" if has_valid else "trained on train"
        )
    return results, per_user


def summarise(runs) -> dict:
    """Mean, sd (ddof=1) and per-seed values of each metric over a model's runs."""
    out = {}
    for j, metric in enumerate((f"recall@{K}", f"ndcg@{K}")):
        values = np.array([r[j].mean() for r in runs])
        out[metric] = float(values.mean())
        out[f"{metric}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else None
        out[f"{metric}_per_seed"] = values.tolist()
    out["fit_s"] = float(np.mean([r[2] for r in runs]))
    out["score_s"] = float(np.mean([r[3] for r in runs]))
    out["loss_per_epoch_seed0"] = runs[0][4]
    return out


def paired(per_user: dict, reference: str) -> dict:
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
    lines = [f"{'model':<11} {'Recall@20':>17} {'NDCG@20':>17} {'fit s':>7} {'score s':>8}"]
    for name, r in results.items():
        if "skipped" in r:
            lines.append(f"{name:<11} skipped: {r['skipped']}")
            continue
        cells = []
        for metric in (f"recall@{K}", f"ndcg@{K}"):
            sd = r.get(f"{metric}_sd")
            cells.append(f"{r[metric]:.4f}" + (f" ± {sd:.4f}" if sd is not None else "         "))
        lines.append(
            f"{name:<11} {cells[0]:>17} {cells[1]:>17} {r['fit_s']:>7.0f} {r['score_s']:>8.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    began = time.perf_counter()
    parser = benchmark_parser(
        __doc__,
        data="the dataset's folder, holding train.txt, test.txt and maybe valid.txt",
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
    has_valid = len(split.valid) > 0
    users = warm_target_users(split.targets("test"), split.history("test"))
    protocol = (
        "valid.txt: filters' settings chosen on it (fitted on train.txt), then every model "
        "fitted on train + valid and scored once on test.txt"
        if has_valid
        else "no valid.txt: every model fitted on train.txt with fixed settings, scored on test.txt"
    )
    print(
        f"{dataset}: {split.num_users:,} users, {split.num_items:,} items, "
        f"{len(split.train):,} train pairs, {len(split.valid):,} valid pairs, "
        f"{len(split.targets('test')):,} test pairs, {len(users):,} test users\n"
        f"protocol: {protocol}",
        flush=True,
    )
    fixed, fixed_users = run_fixed(
        [m for m in FIXED if m in args.models], split, users, args, has_valid
    )
    trained, trained_users = run_trained(
        [m for m in TRAINED if m in args.models], split, users, args, has_valid
    )
    results = {**fixed, **trained}
    print(table(results))
    per_user = {**fixed_users, **trained_users}
    reference = "lightgcn" if "lightgcn" in per_user else "gfcf"
    tests = paired(per_user, reference)
    for name, test in tests.items():
        low, high = test["ci95"]
        print(f"{name}: {test['mean_diff']:+.4f} [{low:+.4f}, {high:+.4f}] p={test['p_value']:.3g}")
    out = {
        "dataset": dataset,
        "num_users": split.num_users,
        "num_items": split.num_items,
        "train_pairs": len(split.train),
        "valid_pairs": len(split.valid),
        "test_pairs": len(split.targets("test")),
        "test_users": len(users),
        "protocol": protocol,
        "ranking": f"all-item ranking, known items excluded, Recall@{K} / NDCG@{K}",
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
        "paired_reference": reference,
        "paired": tests,
        "run": run_info("public.py", argv, began),
    }
    return emit(out, args.json)


if __name__ == "__main__":
    main()
