"""Similar items ("you may also like") and fast nearest-neighbour retrieval.

**Similar items.** :func:`similar_items` ranks the whole catalogue for each query item by
the similarity of item embeddings (cosine or dot product), the item itself excluded;
:func:`cooccurrence_counts` is the classic baseline, "shoppers who engaged with this
item also engaged with ...".

**Held-out co-engagement** (:func:`co_engagement_targets`, :func:`evaluate_similar`),
leak-free: neighbour lists come from training data only, relevance from a later period.
Item ``i`` is relevant to query item ``q`` when one shopper favs, carts or buys both in
the held-out period, each item new to that shopper (the series' target pairs,
:meth:`~gnnrec_utils.split.ShopSplit.targets`), ``i != q``; query items need a training
event. Every item but ``q`` is a candidate (full ranking); query items without a
relevant item are left out of the mean. :func:`follow_up_targets` is the looser reading
"items that this item's training shoppers go on to fav, cart or buy".

**Retrieval.** :func:`faiss_index` builds a faiss index over item vectors by inner product
(normalise the vectors first for cosine): ``"flat"`` (exact), ``"ivf"`` (inverted file,
approximate) or ``"hnsw"`` (graph, approximate). :func:`search_excluding_self`,
:func:`recall_against_exact`, :func:`ms_per_query` and :func:`index_bytes` measure an
index against exact search. faiss is imported only when an index is built (it is in the
``notebooks`` extra, not a core dependency).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from gnnrec_utils.graph import interaction_matrix
from gnnrec_utils.metrics import per_user_recall_ndcg
from gnnrec_utils.models import topk_excluding
from gnnrec_utils.split import TARGET_BEHAVIORS, ShopSplit

METRICS = ("cosine", "dot")
INDEX_KINDS = ("flat", "ivf", "hnsw")


def similar_items(item_emb: Tensor, queries, k: int, metric: str = "cosine") -> np.ndarray:
    """Top-``k`` items most similar to each query item by embedding, the item itself excluded.

    Args:
        item_emb: (num_items, d) item vectors.
        queries: item ids to find neighbours for.
        k: list length.
        metric: ``"cosine"`` or ``"dot"`` (inner product, which favours long vectors).

    Returns an (len(queries), k) array of item ids, most similar first; equal scores
    are ranked by ascending item id.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    emb = F.normalize(item_emb, dim=1) if metric == "cosine" else item_emb
    queries = np.asarray(queries, dtype=np.int64)
    itself = pd.DataFrame({"user_id": queries, "item_id": queries})
    return topk_excluding(lambda q: emb[q] @ emb.T, queries, itself, k)


def similar_by_scores(scores: Tensor, queries, k: int) -> np.ndarray:
    """Top-``k`` items for each query item from an item-item score matrix, itself excluded.

    ``scores[q, i]`` is how strongly item ``i`` is recommended next to item ``q``
    (e.g. :func:`cooccurrence_counts`); ties go to the lower item id.
    """
    if scores.dim() != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(
            f"scores must be a square (num_items, num_items) matrix, got shape "
            f"{tuple(scores.shape)}"
        )
    queries = np.asarray(queries, dtype=np.int64)
    itself = pd.DataFrame({"user_id": queries, "item_id": queries})
    return topk_excluding(lambda q: scores[q], queries, itself, k)


def cooccurrence_counts(
    events: pd.DataFrame, num_items: int, num_users: int | None = None
) -> Tensor:
    """Dense (num_items, num_items) float matrix: entry (i, j) is the number of distinct
    users with an event on both i and j; the diagonal holds each item's number of users."""
    if len(events) and events.item_id.max() >= num_items:
        raise ValueError(
            f"item_id {events.item_id.max()} is out of range for num_items={num_items}"
        )
    num_users = int(events.user_id.max()) + 1 if num_users is None else num_users
    r = interaction_matrix(events, num_users, num_items).to_dense()
    return r.T @ r


def cosine_from_counts(counts: Tensor) -> Tensor:
    """Cosine similarity of the items' binary user columns from :func:`cooccurrence_counts`:
    ``counts[i, j] / sqrt(counts[i, i] * counts[j, j])`` (0 for items without users)."""
    norm = torch.diagonal(counts).sqrt().clamp_min(1e-12)
    return counts / norm[:, None] / norm[None, :]


def co_engagement_targets(
    split: ShopSplit, period: str = "test", behaviors=TARGET_BEHAVIORS
) -> pd.DataFrame:
    """Held-out (query_id, item_id) pairs: one shopper did one of ``behaviors`` on both
    items in ``period``, each new to them (``split.targets(period, behaviors)``); query_id
    has a training event (so every method knows it) and item_id != query_id. Symmetric in
    the two items."""
    pairs = split.targets(period, behaviors)
    both = pairs.rename(columns={"item_id": "query_id"}).merge(pairs, on="user_id")
    both = both[(both.query_id != both.item_id) & both.query_id.isin(split.train.item_id.unique())]
    return (
        both[["query_id", "item_id"]]
        .drop_duplicates()
        .sort_values(["query_id", "item_id"])
        .reset_index(drop=True)
    )


def follow_up_targets(
    split: ShopSplit, period: str = "test", engaged=TARGET_BEHAVIORS, behaviors=TARGET_BEHAVIORS
) -> pd.DataFrame:
    """Held-out (query_id, item_id) pairs: a shopper who did one of ``engaged`` on query_id
    in training later does one of ``behaviors`` on item_id in ``period`` (a pair of
    ``split.targets(period, behaviors)``), item_id != query_id.

    A looser question than :func:`co_engagement_targets`: what will this item's shoppers
    go on to want, whatever it is. Their general taste, and popularity, weigh heavily.
    """
    train = split.train[split.train.behavior.isin(engaged)]
    before = train[["user_id", "item_id"]].drop_duplicates().rename(columns={"item_id": "query_id"})
    pairs = before.merge(split.targets(period, behaviors), on="user_id")
    pairs = pairs.loc[pairs.query_id != pairs.item_id, ["query_id", "item_id"]]
    return pairs.drop_duplicates().sort_values(["query_id", "item_id"]).reset_index(drop=True)


def evaluate_similar(top: np.ndarray, queries, relevant: pd.DataFrame) -> dict[str, float]:
    """Recall@k and NDCG@k of similar-item lists, mean and standard error over query items.

    Args:
        top: (len(queries), k) item ids from :func:`similar_items` or a baseline.
        queries: the query item of each row.
        relevant: (query_id, item_id) pairs from :func:`co_engagement_targets`.

    Query items without a relevant item are left out; ``"queries"`` says how many count.
    The standard error treats query items as independent, which they are not quite
    (one shopper's purchases are relevant to every item they engaged with).
    """
    if {"query_id", "item_id"} - set(relevant.columns):
        raise ValueError(
            f"relevant needs columns query_id and item_id, got {list(relevant.columns)}"
        )
    queries = np.asarray(queries, dtype=np.int64)
    top = np.asarray(top)
    if top.ndim != 2 or len(top) != len(queries):
        raise ValueError(f"top must have one row per query ({len(queries)}), got shape {top.shape}")
    keep = np.isin(queries, relevant.query_id.unique())
    rel = (
        relevant[["query_id", "item_id"]].drop_duplicates().rename(columns={"query_id": "user_id"})
    )
    recall, ndcg = per_user_recall_ndcg(top[keep], queries[keep], rel)
    k, n = top.shape[1], int(keep.sum())
    return {
        f"recall@{k}": float(recall.mean()),
        f"recall@{k} se": _standard_error(recall),
        f"ndcg@{k}": float(ndcg.mean()),
        f"ndcg@{k} se": _standard_error(ndcg),
        "queries": n,
    }


def _standard_error(x: np.ndarray) -> float:
    """Standard error of the mean of ``x`` (``nan`` with fewer than two values)."""
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


# --- fast retrieval -------------------------------------------------------------------


def _as_float32(emb) -> np.ndarray:
    x = emb.detach().cpu().numpy() if isinstance(emb, Tensor) else np.asarray(emb)
    if x.ndim != 2:
        raise ValueError(f"embeddings must be a 2-D (n, d) array, got shape {x.shape}")
    return np.ascontiguousarray(x, dtype=np.float32)


def faiss_index(
    item_emb,
    kind: str = "flat",
    *,
    nlist: int = 64,
    nprobe: int = 8,
    hnsw_m: int = 16,
    ef_construction: int = 40,
    ef_search: int = 64,
    train_size: int | None = 50_000,
    seed: int = 0,
):
    """A faiss index over ``item_emb`` by inner product (normalise first for cosine).

    Args:
        item_emb: (num_items, d) vectors; tensor or array.
        kind: ``"flat"`` (exact, brute force), ``"ivf"`` (k-means into ``nlist`` cells,
            search the ``nprobe`` nearest cells) or ``"hnsw"`` (navigable small-world
            graph with ``hnsw_m`` links per node, ``ef_construction`` / ``ef_search``
            candidate lists when building / searching).
        train_size: vectors the IVF k-means trains on (a seeded sample; all when
            ``None`` or when there are fewer).
        seed: seeds the IVF sample and k-means.
    """
    import faiss

    if kind not in INDEX_KINDS:
        raise ValueError(f"kind must be one of {INDEX_KINDS}, got {kind!r}")
    x = _as_float32(item_emb)
    d = x.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction, index.hnsw.efSearch = ef_construction, ef_search
    else:
        if nlist > len(x):
            raise ValueError(f"nlist={nlist} cells need at least as many vectors, got {len(x)}")
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed, index.nprobe = seed, nprobe
        rng = np.random.default_rng(seed)
        sample = (
            x
            if train_size is None or train_size >= len(x)
            else x[rng.choice(len(x), train_size, replace=False)]
        )
        index.train(sample)
    index.add(x)
    return index


def search_excluding_self(
    search: Callable[[np.ndarray, int], np.ndarray], item_emb, queries, k: int
) -> np.ndarray:
    """Top-``k`` neighbours of catalogue items, each query's own id dropped.

    ``search(vectors, n)`` returns (len(vectors), n) ids, e.g.
    ``lambda x, n: index.search(x, n)[1]``. It is asked for ``k + 1``; the query's id is
    removed where found, otherwise the last of the ``k + 1``. Missing results (id -1,
    when an approximate index finds fewer) stay -1 at the end.
    """
    queries = np.asarray(queries, dtype=np.int64)
    ids = np.asarray(search(_as_float32(item_emb)[queries], k + 1))
    out = np.empty((len(queries), k), dtype=np.int64)
    for row, (q, found) in enumerate(zip(queries, ids, strict=False)):
        kept = found[found != q]
        out[row] = (
            kept[:k] if len(kept) >= k else np.concatenate([kept, np.full(k - len(kept), -1)])
        )
    return out


def exact_top_k(item_emb, query_emb, k: int, chunk: int = 256) -> np.ndarray:
    """Exact top-``k`` item ids by inner product for each query vector, in float32 chunks
    (memory ``chunk * num_items`` floats), with ``torch.topk``."""
    items = torch.as_tensor(_as_float32(item_emb))
    queries = torch.as_tensor(_as_float32(query_emb))
    if items.shape[1] != queries.shape[1]:
        raise ValueError(f"item vectors have {items.shape[1]} dims, queries {queries.shape[1]}")
    return torch.cat(
        [
            torch.topk(queries[lo : lo + chunk] @ items.T, k, dim=1).indices
            for lo in range(0, len(queries), chunk)
        ]
    ).numpy()


def recall_against_exact(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of the exact top-k that an approximate top-k found, in [0, 1]."""
    found, exact = np.asarray(found), np.asarray(exact)
    if found.shape != exact.shape:
        raise ValueError(
            f"found and exact must have the same shape, got {found.shape} and {exact.shape}"
        )
    k = exact.shape[1]
    return float(
        np.mean(
            [len(set(f.tolist()) & set(e.tolist())) / k for f, e in zip(found, exact, strict=True)]
        )
    )


def index_bytes(index) -> int:
    """Size of a faiss index serialised (``faiss.serialize_index``), in bytes: vectors,
    links or lists, and the index's own tables."""
    import faiss

    return int(faiss.serialize_index(index).nbytes)


def ms_per_query(
    search: Callable[[np.ndarray], object],
    query_emb,
    batch_size: int | None = None,
    repeats: int = 3,
) -> float:
    """Milliseconds per query: the best of ``repeats`` timed passes over all queries,
    divided by their number. ``batch_size=None`` sends all queries in one call (batch
    throughput); ``batch_size=1`` one call per query (single-query latency)."""
    x = _as_float32(query_emb)
    step = len(x) if batch_size is None else batch_size
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for lo in range(0, len(x), step):
            search(x[lo : lo + step])
        best = min(best, time.perf_counter() - start)
    return 1e3 * best / len(x)
