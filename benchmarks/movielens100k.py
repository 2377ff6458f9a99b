"""Top-10 recommendation on MovieLens-100K under Microsoft Recommenders' protocol.

Protocol (the one of Microsoft Recommenders' benchmark table and LightGCN deep dive):
every rating is a positive; per user, a random 75 % of the ratings train and the rest
test (``gnnrec_utils.data.split.stratified_split``, seed 42); a user's training items
are never recommended to them; K = 10. Metrics, averaged over the users with a test
item (all 943 here):

* Precision@10 = hits / 10; Recall@10 = hits / |relevant|;
* NDCG@10 with binary gains, ideal DCG over min(|relevant|, 10) positions;
* MAP@10: the sum, over the hits in the top 10, of the precision at the hit's rank,
  divided by |relevant| (not by min(|relevant|, 10)): the definition under which the
  published figures were computed (Recommenders' ``map``, formerly ``map_at_k``).

Models, all trained on CPU with hyper-parameters fixed before looking at the test
set: popularity, ItemKNN (cosine), MF-BPR, LightGCN, and EASE^R (Steck 2019). The BPR
models' settings (below) were chosen by hand on a validation split carved from train
only; EASE^R chooses its one knob (the L2 weight) the same way, inside this script.

Usage::

    python benchmarks/movielens100k.py --data ../shared/datasets/ml-100k [--dump OUT] [--seeds 42]
        [--threads N] [--json FILE]

With ``--dump OUT`` it writes ``train.csv``, ``test.csv`` (``user_id,item_id``,
original MovieLens ids) and ``recs.csv`` (``model,user_id,item_id,rank``), then
recomputes every metric from those files alone and checks that it matches the table.
``--seeds`` takes one seed (default 42), for the split and the training. The last line
printed is one JSON object.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from common import benchmark_parser, emit, run_info, set_threads

from gnnrec_utils.data import stratified_split
from gnnrec_utils.datasets import load_movielens
from gnnrec_utils.evaluation import hit_matrix
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import (
    EASE,
    ItemKNN,
    LightGCN,
    MatrixFactorization,
    Popularity,
    Recommender,
    topk_excluding,
)
from gnnrec_utils.training import PositiveSet, bpr_loss, l2_reg, sample_bpr_batch, uniform_negatives

TOP_K = 10
METRICS = ("precision", "recall", "ndcg", "map")
# BPR settings, chosen on a validation split carved from TRAIN only (75/25 of train,
# seed + 1), never on test: batch 1024, Adam, 64 dims; LightGCN 3 layers. Grid tried
# (validation NDCG@10 at epochs 20, 30, 40, 50, 60, 80): LightGCN (lr, decay) in
# (0.005, 1e-4), (0.01, 1e-4), (0.005, 1e-3), (0.005, 1e-2); MF lr 0.01 with decay
# 1e-3, 1e-2, 3e-2, 1e-1 (epochs 20, 40, 60, 80). See benchmarks/README.md.
MF_EPOCHS, MF_LR, MF_DECAY = 60, 0.01, 3e-2
LIGHTGCN_EPOCHS, LIGHTGCN_LR, LIGHTGCN_DECAY = 60, 0.005, 1e-3
EASE_LAMBDAS = (50.0, 100.0, 200.0, 300.0, 500.0, 800.0, 1200.0)


# ---------------------------------------------------------------- data


def load_ratings(folder: Path) -> pd.DataFrame:
    """Every rating of MovieLens-100K in file order, as int64 columns ``user_id, item_id,
    rating, timestamp, orig_user_id, orig_item_id`` (ids ``0..n-1`` in ascending order of
    the original ones)."""
    data = load_movielens(folder, duplicates="keep", verbose=False)
    events = data.to_shop().events
    return pd.DataFrame(
        {
            "user_id": events.user_id,
            "item_id": events.item_id,
            "rating": events.rating.astype(np.int64),
            "timestamp": events.timestamp,
            "orig_user_id": np.asarray(data.user_ids, dtype=np.int64)[events.user_id],
            "orig_item_id": np.asarray(data.item_ids, dtype=np.int64)[events.item_id],
        }
    )


# ---------------------------------------------------------------- metrics


def ranking_metrics(top: np.ndarray, users: np.ndarray, test: pd.DataFrame) -> dict[str, float]:
    """Precision, recall, NDCG and MAP at k = ``top.shape[1]``, averaged over ``users``."""
    k = top.shape[1]
    hits = hit_matrix(top, users, test)
    n_rel = test.groupby("user_id").size().reindex(users).to_numpy()
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    idcg = np.cumsum(discount)[np.minimum(n_rel, k) - 1]
    precision_at_rank = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    per_user = {
        "precision": hits.sum(1) / k,
        "recall": hits.sum(1) / n_rel,
        "ndcg": (hits * discount).sum(1) / idcg,
        "map": (precision_at_rank * hits).sum(1) / n_rel,
    }
    return {f"{m}@{k}": float(per_user[m].mean()) for m in METRICS}


def metrics_from_dump(folder: Path) -> dict[str, dict[str, float]]:
    """Every model's metrics recomputed from train/test/recs.csv alone (plain pandas)."""
    test = pd.read_csv(folder / "test.csv")
    train = pd.read_csv(folder / "train.csv")
    recs = pd.read_csv(folder / "recs.csv")
    n_rel = test.groupby("user_id").size().rename("n_rel")
    out = {}
    for model, r in recs.groupby("model", sort=False):
        assert r.merge(train, on=["user_id", "item_id"]).empty, f"{model} recommends training items"
        r = r.merge(test.assign(hit=1), on=["user_id", "item_id"], how="left").fillna({"hit": 0})
        r = r.sort_values(["user_id", "rank"]).merge(n_rel, left_on="user_id", right_index=True)
        r["hits_so_far"] = r.groupby("user_id").hit.cumsum()
        r["dcg"] = r.hit / np.log2(r["rank"] + 1)
        r["ap"] = r.hit * r.hits_so_far / r["rank"]
        u = r.groupby("user_id").agg(
            hits=("hit", "sum"), dcg=("dcg", "sum"), ap=("ap", "sum"), n_rel=("n_rel", "first")
        )
        idcg = u.n_rel.clip(upper=TOP_K).map(lambda n: sum(1 / np.log2(i + 2) for i in range(n)))
        out[model] = {
            f"precision@{TOP_K}": (u.hits / TOP_K).mean(),
            f"recall@{TOP_K}": (u.hits / u.n_rel).mean(),
            f"ndcg@{TOP_K}": (u.dcg / idcg).mean(),
            f"map@{TOP_K}": (u.ap / u.n_rel).mean(),
        }
    return out


# ---------------------------------------------------------------- models


def interaction_array(train: pd.DataFrame, num_users: int, num_items: int) -> np.ndarray:
    """Dense 0/1 user-item matrix (943 x 1682 fits easily)."""
    x = np.zeros((num_users, num_items), dtype=np.float64)
    x[train.user_id.to_numpy(), train.item_id.to_numpy()] = 1.0
    return x


def choose_ease_lambda(
    train: pd.DataFrame, num_users: int, num_items: int, seed: int
) -> tuple[float, dict[float, float]]:
    """The L2 weight with the best validation NDCG@10 on a 75/25 split of ``train``."""
    inner, valid = stratified_split(train, 0.75, seed=seed + 1)
    x = torch.from_numpy(interaction_array(inner, num_users, num_items))
    users = np.unique(valid.user_id.to_numpy())
    ndcg = {}
    for lam in EASE_LAMBDAS:
        top = EASE(x, l2=lam).recommend(users, TOP_K, exclude=inner)
        ndcg[lam] = ranking_metrics(top, users, valid)[f"ndcg@{TOP_K}"]
    return max(ndcg, key=ndcg.get), ndcg


def train_bpr(
    model: Recommender,
    train: pd.DataFrame,
    num_users: int,
    num_items: int,
    num_epochs: int,
    lr: float,
    decay: float,
    batch_size: int,
    seed: int,
) -> None:
    """BPR with uniform negatives and LightGCN's L2 on the batch's ego embeddings.

    One epoch is ``len(train) // batch_size`` batches of pairs drawn with replacement.
    ``decay`` is the weight of LightGCN's reference ``decay * sum(e^2) / 2 / B``.
    """
    positives = PositiveSet.from_events(train, num_users=num_users, num_items=num_items)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(num_epochs):
        for _ in range(max(1, len(positives) // batch_size)):
            users, pos = sample_bpr_batch(positives, batch_size, generator)
            neg = uniform_negatives(positives, users, generator=generator)
            user_emb, item_emb = model.get_embedding()
            u = user_emb[users]
            loss = bpr_loss((u * item_emb[pos]).sum(-1), (u * item_emb[neg]).sum(-1))
            ego = model.ego_embedding(users, torch.cat([pos, neg]))
            loss = loss + decay / 2 * l2_reg(*ego, batch_size=batch_size)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def embedding_scores(model: Recommender) -> np.ndarray:
    """All user-item dot products of a trained embedding model."""
    with torch.no_grad():
        user_emb, item_emb = model.get_embedding()
        return (user_emb @ item_emb.T).numpy()


# ---------------------------------------------------------------- run


def fit_all(
    train: pd.DataFrame, num_users: int, num_items: int, seed: int
) -> dict[str, tuple[torch.Tensor, float, str]]:
    """``{name: (scores (num_users, num_items), train_seconds, note)}`` for every model."""
    x = interaction_array(train, num_users, num_items)
    out = {}

    def timed(name, fit, note=""):
        start = time.perf_counter()
        scores = fit()
        out[name] = (
            torch.as_tensor(np.array(scores, dtype=np.float64)),
            time.perf_counter() - start,
            note,
        )

    timed("popularity", lambda: embedding_scores(Popularity(x.sum(0), num_users)))
    timed(
        "itemknn",
        lambda: embedding_scores(ItemKNN(torch.from_numpy(x), dtype=torch.float64)),
        "cosine, all neighbours",
    )

    def mf():
        torch.manual_seed(seed)
        model = MatrixFactorization(num_users, num_items, embedding_dim=64)
        train_bpr(
            model,
            train,
            num_users,
            num_items,
            num_epochs=MF_EPOCHS,
            lr=MF_LR,
            decay=MF_DECAY,
            batch_size=1024,
            seed=seed,
        )
        return embedding_scores(model)

    timed("mf_bpr", mf, f"64 dims, {MF_EPOCHS} epochs, lr {MF_LR}, decay {MF_DECAY}")

    def lightgcn():
        torch.manual_seed(seed)
        adj = normalized_adjacency(train, num_users, num_items)
        model = LightGCN(adj, num_users, num_items, embedding_dim=64, num_layers=3)
        train_bpr(
            model,
            train,
            num_users,
            num_items,
            num_epochs=LIGHTGCN_EPOCHS,
            lr=LIGHTGCN_LR,
            decay=LIGHTGCN_DECAY,
            batch_size=1024,
            seed=seed,
        )
        return embedding_scores(model)

    timed(
        "lightgcn",
        lightgcn,
        f"64 dims, 3 layers, {LIGHTGCN_EPOCHS} epochs, lr {LIGHTGCN_LR}, decay {LIGHTGCN_DECAY}",
    )

    chosen = {}

    def ease():
        lam, _ = choose_ease_lambda(train, num_users, num_items, seed)
        chosen["lam"] = lam
        return embedding_scores(EASE(torch.from_numpy(x), l2=lam))

    timed("ease", ease)
    out["ease"] = out["ease"][:2] + (f"lambda={chosen['lam']:g} (validation from train)",)
    return out


def dump(
    folder: Path,
    train,
    test,
    recs: dict[str, np.ndarray],
    users: np.ndarray,
    orig_user: np.ndarray,
    orig_item: np.ndarray,
) -> None:
    """train.csv, test.csv and recs.csv in original MovieLens ids."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in (("train", train), ("test", test)):
        df[["orig_user_id", "orig_item_id"]].set_axis(["user_id", "item_id"], axis=1).to_csv(
            folder / f"{name}.csv", index=False
        )
    k = TOP_K
    frames = [
        pd.DataFrame(
            {
                "model": name,
                "user_id": np.repeat(orig_user[users], k),
                "item_id": orig_item[top.reshape(-1)],
                "rank": np.tile(np.arange(1, k + 1), len(users)),
            }
        )
        for name, top in recs.items()
    ]
    pd.concat(frames).to_csv(folder / "recs.csv", index=False)


def main(argv: list[str] | None = None) -> dict:
    start = time.perf_counter()
    parser = benchmark_parser(
        __doc__, data="folder holding u.data", data_required=True, seeds=[42], one_seed=True
    )
    parser.add_argument("--dump", type=Path, help="write train/test/recs CSVs here")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    seed = args.seeds[0]

    ratings = load_ratings(args.data)
    num_users, num_items = int(ratings.user_id.max()) + 1, int(ratings.item_id.max()) + 1
    train, test = stratified_split(ratings, 0.75, seed=seed)
    users = np.unique(test.user_id.to_numpy())
    print(
        f"data: {len(ratings):,} ratings, {num_users} users, {num_items} items; "
        f"train {len(train):,}, test {len(test):,} ({len(users)} test users); "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, seed {seed}"
    )

    results, recs = {}, {}
    for name, (scores, seconds, note) in fit_all(train, num_users, num_items, seed).items():
        recs[name] = topk_excluding(lambda u, s=scores: s[u], users, train, TOP_K)
        results[name] = {
            **ranking_metrics(recs[name], users, test),
            "train_seconds": round(seconds, 2),
        }
        results[name]["note"] = note

    header = (
        f"{'model':<12}" + "".join(f"{m + '@10':>13}" for m in METRICS) + f"{'train s':>9}  note"
    )
    print(header)
    for name, r in results.items():
        print(
            f"{name:<12}"
            + "".join(f"{r[m + '@10']:>13.4f}" for m in METRICS)
            + f"{r['train_seconds']:>9.1f}  {r['note']}"
        )

    checked = False
    if args.dump:
        orig_user = ratings.groupby("user_id").orig_user_id.first().to_numpy()
        orig_item = ratings.groupby("item_id").orig_item_id.first().to_numpy()
        dump(args.dump, train, test, recs, users, orig_user, orig_item)
        again = metrics_from_dump(args.dump)
        for name, r in results.items():
            for m in again[name]:
                assert abs(again[name][m] - r[m]) < 1e-9, (name, m, again[name][m], r[m])
        checked = True
        print(f"check: metrics recomputed from {args.dump}/recs.csv match the table")

    best = max(results, key=lambda name: results[name][f"ndcg@{TOP_K}"])
    rounded = {
        n: {
            m: round(v, 4) if isinstance(v, float) and m != "train_seconds" else v
            for m, v in r.items()
        }
        for n, r in results.items()
    }
    data = {
        "ratings": len(ratings),
        "users": num_users,
        "items": num_items,
        "train": len(train),
        "test": len(test),
        "test_users": len(users),
        "seed": seed,
    }
    out = {"data": data, "models": rounded, "best_model": best, "dump_checked": checked}
    return emit(out | {"run": run_info("movielens100k.py", argv, start)}, args.json)


if __name__ == "__main__":
    main()
