"""Full-ranking evaluation of every user: the kit's chunked path against a per-user loop.

What it measures: the seconds the kit's evaluator (``Recommender.recommend`` through
``topk_excluding``: a chunk of users scored at once, their known items set to -inf, the
top ``K`` kept with ties to the lower item id) takes to rank the whole catalogue for
every test user of a dataset in LightGCN's format, against the reference computation
written the plain way (one user at a time: scores, known items removed, a stable sort),
and that both give the same lists and the same Recall@20 / NDCG@20.

The model is a vector model with seeded random 64-d vectors (what is timed is the
ranking, not the training, so the vectors need not be trained): ``MatrixFactorization``
scoring by dot products, as every vector model of the kit does. The known items are the
dataset's training side (train + valid when a ``valid.txt`` is there), the relevant
ones ``test.txt``.

Usage::

    python benchmarks/full_ranking.py --data ../shared/datasets/gowalla [--chunk 1024]
        [--reference-users N] [--threads N] [--json FILE]

``--reference-users`` caps the users the per-user loop ranks (default: all); the ratio
is per user either way. The last line printed is one JSON object.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from common import benchmark_parser, emit, run_info, set_threads

from gnnrec_utils.data import period_split
from gnnrec_utils.datasets import load_lightgcn_format
from gnnrec_utils.evaluation import per_user_recall_ndcg, warm_target_users
from gnnrec_utils.machine import peak_rss_bytes
from gnnrec_utils.models import MatrixFactorization

K = 20


def reference_topk(model, users, known_by_user: dict, k: int) -> np.ndarray:
    """One user at a time: the user's scores from the model's own scorer (the same
    float32 dot products), the known items removed, a stable sort of the negated scores
    in numpy (ties to the lower item id), the first ``k``."""
    score = model.scorer()
    out = np.empty((len(users), k), dtype=np.int64)
    for row, user in enumerate(users):
        scores = score(np.array([user]))[0].detach().double().numpy()
        scores[known_by_user.get(user, [])] = -np.inf
        out[row] = np.argsort(-scores, kind="stable")[:k]
    return out


def main(argv: list[str] | None = None) -> dict:
    began = time.perf_counter()
    parser = benchmark_parser(
        __doc__, data="a dataset's folder in LightGCN's format", data_required=True
    )
    parser.add_argument("--chunk", type=int, default=1024, help="users ranked at once")
    parser.add_argument(
        "--reference-users", type=int, help="users the per-user loop ranks (default: all)"
    )
    args = parser.parse_args(argv)
    set_threads(args.threads)
    split = period_split(load_lightgcn_format(args.data, verbose=False))
    known, targets = split.history("test"), split.targets("test")
    users = warm_target_users(targets, known)
    torch.manual_seed(0)
    model = MatrixFactorization(split.num_users, split.num_items, embedding_dim=64).eval()

    peak_rss_bytes(reset=True)
    start = time.perf_counter()
    top = model.recommend(users, K, exclude=known, chunk=args.chunk, progress=True)
    kit_s = time.perf_counter() - start
    kit_peak = peak_rss_bytes()
    recall, ndcg = per_user_recall_ndcg(top, users, targets)

    some = users[: args.reference_users] if args.reference_users else users
    known_by_user = known.groupby("user_id").item_id.apply(np.asarray).to_dict()
    start = time.perf_counter()
    expected = reference_topk(model, some, known_by_user, K)
    reference_s = time.perf_counter() - start
    rows = np.flatnonzero((expected != top[: len(some)]).any(axis=1))
    differ, same = len(rows), len(rows) == 0
    # where lists differ, how far apart the two paths' float32 scores of the user are
    # (a chunk's matrix product and one user's need not round alike)
    score = model.scorer()
    gap = 0.0
    for row in rows:
        user = some[row]
        lo = (row // args.chunk) * args.chunk
        in_chunk = score(users[lo : lo + args.chunk])[row - lo].detach()
        alone = score(np.array([user]))[0].detach()
        gap = max(gap, float((in_chunk - alone).abs().max() / alone.abs().max()))
    ref_recall, ref_ndcg = per_user_recall_ndcg(expected, some, targets)

    per_user_kit = kit_s / len(users)
    per_user_reference = reference_s / len(some)
    print(
        f"{args.data.resolve().name}: {len(users):,} users x {split.num_items:,} items; "
        f"kit {kit_s:.1f} s ({per_user_kit * 1e3:.2f} ms a user), per-user loop "
        f"{reference_s:.1f} s over {len(some):,} users ({per_user_reference * 1e3:.2f} ms a "
        f"user), {per_user_reference / per_user_kit:.1f}x; lists that differ: {differ}",
        flush=True,
    )
    out = {
        "dataset": args.data.resolve().name,
        "users": len(users),
        "items": split.num_items,
        "k": K,
        "chunk": args.chunk,
        "kit_seconds": round(kit_s, 2),
        "kit_peak_rss_gib": None if kit_peak is None else round(kit_peak / 2**30, 2),
        "reference_users": len(some),
        "reference_seconds": round(reference_s, 2),
        "speedup_per_user": round(per_user_reference / per_user_kit, 1),
        "same_lists": same,
        "lists_that_differ": differ,
        "largest_relative_score_difference_where_they_differ": gap,
        "kit_metrics_on_reference_users": {
            f"recall@{K}": float(recall[: len(some)].mean()),
            f"ndcg@{K}": float(ndcg[: len(some)].mean()),
        },
        "reference_metrics": {
            f"recall@{K}": float(ref_recall.mean()),
            f"ndcg@{K}": float(ref_ndcg.mean()),
        },
        "run": run_info("full_ranking.py", argv, began),
    }
    return emit(out, args.json)


if __name__ == "__main__":
    main()
