"""Fast nearest-neighbour retrieval over item vectors with faiss, and how to judge it.

:func:`faiss_index` builds every kind of index the kit uses, by inner product (normalise
the vectors first for cosine): ``"flat"`` (exact), ``"ivf"`` (inverted file),
``"hnsw"`` (graph), ``"sq8"`` (8-bit scalar quantisation, exact search over decoded
vectors) and ``"ivfpq"`` (inverted file plus product quantisation, a few bytes per
item). :func:`search_excluding_self`, :func:`exact_top_k`, :func:`recall_against_exact`,
:func:`ms_per_query` and :func:`index_bytes` measure an index against exact search.
faiss is imported only when an index is built (it is in the ``notebooks`` extra, not a
core dependency).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

from gnnrec_utils.checks import as_matrix, check_positive

__all__ = [
    "INDEX_KINDS",
    "exact_top_k",
    "faiss_index",
    "index_bytes",
    "ms_per_query",
    "recall_against_exact",
    "search_excluding_self",
]

INDEX_KINDS = ("flat", "ivf", "hnsw", "sq8", "ivfpq")


def faiss_index(
    item_emb,
    kind: str = "flat",
    *,
    nlist: int = 64,
    nprobe: int = 8,
    hnsw_m: int = 16,
    ef_construction: int = 40,
    ef_search: int = 64,
    m: int = 8,
    nbits: int = 8,
    train_size: int | None = 50_000,
    seed: int = 0,
):
    """A faiss index over ``item_emb`` by inner product (normalise first for cosine).

    Args:
        item_emb: (num_items, d) vectors; tensor or array.
        kind: ``"flat"`` (exact, brute force), ``"ivf"`` (k-means into ``nlist`` cells,
            search the ``nprobe`` nearest cells), ``"hnsw"`` (navigable small-world
            graph with ``hnsw_m`` links per node, ``ef_construction`` / ``ef_search``
            candidate lists when building / searching), ``"sq8"``
            (``IndexScalarQuantizer``, 8 bits per dimension, exact search over the
            decoded vectors: ``d`` bytes per item) or ``"ivfpq"`` (``IndexIVFPQ``: the
            ``nlist`` cells, each residual coded by ``m`` sub-quantisers of ``nbits``
            bits, ``m`` bytes per item at 8 bits).
        m: sub-quantisers of ``"ivfpq"``; must divide ``d``.
        nbits: bits per sub-quantiser code; training needs ``2 ** nbits`` vectors.
        train_size: vectors the trained kinds (IVF k-means, quantisers) learn from, a
            seeded sample (all when ``None`` or when there are fewer).
        seed: seeds the training sample and the k-means runs.
    """
    import faiss

    if kind not in INDEX_KINDS:
        raise ValueError(f"kind must be one of {INDEX_KINDS}, got {kind!r}")
    x = as_matrix(item_emb)
    d = x.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction, index.hnsw.efSearch = ef_construction, ef_search
    elif kind == "sq8":
        index = faiss.IndexScalarQuantizer(
            d, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
    elif kind == "ivf":
        _check_cells(x, nlist, nprobe)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed, index.nprobe = seed, nprobe
    else:
        _check_ivfpq(x, nlist, nprobe, m, nbits)
        index = faiss.IndexIVFPQ(
            faiss.IndexFlatIP(d), d, nlist, m, nbits, faiss.METRIC_INNER_PRODUCT
        )
        index.cp.seed, index.pq.cp.seed, index.nprobe = seed, seed, nprobe
    if not index.is_trained:
        index.train(_training_sample(x, train_size, seed))
    index.add(x)
    return index


def _check_cells(x: np.ndarray, nlist: int, nprobe: int) -> None:
    for value, name in ((nlist, "nlist"), (nprobe, "nprobe")):
        check_positive(value, name)
    if nlist > len(x):
        raise ValueError(f"nlist={nlist} cells need at least as many vectors, got {len(x)}")


def _check_ivfpq(x: np.ndarray, nlist: int, nprobe: int, m: int, nbits: int) -> None:
    _check_cells(x, nlist, nprobe)
    for value, name in ((m, "m"), (nbits, "nbits")):
        check_positive(value, name)
    if x.shape[1] % m:
        raise ValueError(f"m={m} sub-quantisers must divide the dimension d={x.shape[1]}")
    if 2**nbits > len(x):
        raise ValueError(f"nbits={nbits} needs at least {2**nbits} vectors, got {len(x)}")


def _training_sample(x: np.ndarray, train_size: int | None, seed: int) -> np.ndarray:
    """A seeded sample of ``train_size`` rows of ``x``, in their order (all when fewer)."""
    if train_size is None or train_size >= len(x):
        return x
    return x[np.sort(np.random.default_rng(seed).choice(len(x), train_size, replace=False))]


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
    ids = np.asarray(search(as_matrix(item_emb)[queries], k + 1))
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
    items = torch.as_tensor(as_matrix(item_emb))
    queries = torch.as_tensor(as_matrix(query_emb))
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
    x = as_matrix(query_emb)
    step = len(x) if batch_size is None else batch_size
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for lo in range(0, len(x), step):
            search(x[lo : lo + step])
        best = min(best, time.perf_counter() - start)
    return 1e3 * best / len(x)
