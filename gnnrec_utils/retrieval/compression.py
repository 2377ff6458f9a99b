"""Compressed item vectors and approximate indexes, scored with the same NDCG as exact
ranking (notebook 09).

:func:`quantize_int8` stores each vector entry in one byte instead of four (per-dimension
scale and offset); :func:`~gnnrec_utils.retrieval.index.faiss_index` builds the faiss
indexes (``"sq8"``, ``"ivf"``, ``"ivfpq"``, ``"flat"``, ``"hnsw"``).
:func:`recommend_with_index` turns an index's neighbours into recommendation lists
without the user's history, and :func:`compression_table` sets every method against exact
float32 ranking: bytes, recall against exact search, NDCG@k and the paired NDCG difference
with its standard error, milliseconds per query.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.checks import as_ids, as_matrix, check_positive
from gnnrec_utils.evaluation.metrics import per_user_recall_ndcg
from gnnrec_utils.evaluation.significance import paired_difference, standard_error
from gnnrec_utils.models.topk import topk_excluding
from gnnrec_utils.retrieval.index import (
    INDEX_KINDS,
    faiss_index,
    index_bytes,
    recall_against_exact,
)

__all__ = [
    "TABLE_KINDS",
    "compression_table",
    "dequantize_int8",
    "quantize_int8",
    "recommend_with_index",
]


TABLE_KINDS = ("float32", "int8", "sq8", "ivf", "ivfpq")


def quantize_int8(emb) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scalar-quantise (n, d) vectors to int8, with one scale and offset per dimension.

    Entry ``x`` of dimension ``j`` becomes ``round((x - offset[j]) / scale[j]) - 128``,
    with ``offset`` the dimension's minimum and ``scale`` its range / 255, so the 256
    codes span each dimension's range; :func:`dequantize_int8` maps back with an error
    of at most ``scale[j] / 2`` per entry. Per dimension rather than per row: embedding
    dimensions differ in range, the two float32 vectors cost ``8 d`` bytes once rather
    than 8 bytes per item, and faiss's ``"sq8"`` index (:func:`~gnnrec_utils.retrieval.index.faiss_index`) trains
    the same per-dimension ranges. A constant dimension gets scale 1 (every code -128).

    Returns:
        ``(codes, scale, offset)``: (n, d) int8, (d,) float32, (d,) float32. The codes
        take ``n * d`` bytes against ``4 * n * d`` for float32.
    """
    x = as_matrix(emb, "emb")
    if len(x) == 0:
        raise ValueError(f"emb must have at least one row, got shape {x.shape}")
    offset = x.min(0)
    span = x.max(0) - offset
    scale = np.where(span > 0, span / 255, 1.0).astype(np.float32)
    codes = np.clip(np.rint((x - offset) / scale), 0, 255) - 128
    return codes.astype(np.int8), scale, offset.astype(np.float32)


def dequantize_int8(codes, scale, offset) -> np.ndarray:
    """Float32 (n, d) vectors back from :func:`quantize_int8`'s ``(codes, scale, offset)``."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.dtype != np.int8:
        raise ValueError(f"codes must be a 2-D int8 array, got {codes.dtype} {codes.shape}")
    return ((codes.astype(np.float32) + 128) * scale + offset).astype(np.float32)


def recommend_with_index(
    index,
    user_emb,
    k: int,
    exclude: pd.DataFrame,
    users,
    extra: int | None = None,
    max_extra: int = 512,
    chunk: int = 1024,
) -> np.ndarray:
    """Top-``k`` item ids per user from a faiss index, the user's history dropped.

    The index is asked for ``k + extra`` neighbours of each user vector; history items
    (``exclude``) and missing results (id -1) are dropped and the first ``k`` kept, so
    the lists can be scored like exact ones (:func:`~gnnrec_utils.evaluation.ranking.evaluate_full_ranking`).

    Args:
        index: a faiss index over the item vectors by inner product.
        user_emb: (num_users, d) user vectors; rows ``users`` are queried.
        k: list length.
        exclude: (user_id, item_id) pairs never recommended.
        users: user ids.
        extra: fixed margin beyond ``k``; ``None`` takes, for each chunk of users, the
            longest history among them, capped at ``max_extra``, so a user whose history
            is no longer than that margin always gets ``k`` items when the index
            returns them.
        chunk: users searched at once.

    Returns:
        An (len(users), k) int64 array, best first, padded with -1 where fewer than
        ``k`` items remain (an approximate index found fewer, or the history used the
        margin up). A -1 is never relevant.
    """
    check_positive(k, "k")
    check_positive(chunk, "chunk")
    if extra is not None and (isinstance(extra, bool) or extra < 0):
        raise ValueError(f"extra must be a non-negative integer or None, got {extra!r}")
    queries = as_matrix(user_emb, "user_emb")
    ids = as_ids(users, bound=len(queries))
    history = exclude.user_id.to_numpy().astype(np.int64), exclude.item_id.to_numpy()
    length = np.bincount(history[0], minlength=len(queries))
    seen = np.unique(history[0] * index.ntotal + history[1].astype(np.int64))
    out = np.full((len(ids), k), -1, dtype=np.int64)
    for lo in range(0, len(ids), chunk):
        part = ids[lo : lo + chunk]
        margin = min(int(length[part].max()), max_extra) if extra is None else extra
        n = min(k + margin, index.ntotal)
        found = index.search(queries[part], n)[1].astype(np.int64)
        keep = (found >= 0) & ~np.isin(part[:, None] * index.ntotal + found, seen)
        order = np.argsort(~keep, axis=1, kind="stable")[:, :k]  # kept first, rank kept
        top = np.where(np.take_along_axis(keep, order, 1), np.take_along_axis(found, order, 1), -1)
        out[lo : lo + chunk, : top.shape[1]] = top
    return out


def compression_table(
    user_emb,
    item_emb,
    users,
    relevant: pd.DataFrame,
    exclude: pd.DataFrame,
    kinds=TABLE_KINDS,
    k: int = 10,
    *,
    nlist: int = 64,
    nprobe: int = 8,
    m: int = 8,
    nbits: int = 8,
    seed: int = 0,
) -> pd.DataFrame:
    """Compressed and approximate retrieval against exact float32 ranking, one row each.

    Methods (``kinds``): ``"float32"`` (exact, every item scored), ``"int8"``
    (:func:`quantize_int8`, dequantised, then exact), and the faiss indexes of
    :func:`~gnnrec_utils.retrieval.index.faiss_index` (``"sq8"``, ``"ivf"``, ``"ivfpq"``, ``"flat"``,
    ``"hnsw"``). Every list excludes the history. Users without a relevant item are
    left out, so all rows average over the same users.

    Columns: ``method``; ``bytes`` (the item vectors, codes plus scales, or the
    serialised index); ``recall_vs_exact`` (share of the exact top-k found,
    :func:`~gnnrec_utils.retrieval.index.recall_against_exact`); ``ndcg@k`` and
    ``ndcg@k_se``; ``ndcg_diff`` and ``ndcg_diff_se`` (paired against float32,
    :func:`~gnnrec_utils.evaluation.significance.paired_difference`); ``ms_per_query`` (one timed pass
    over the users, search and history filtering included; the only column that
    varies between runs).

    ``nlist``, ``nprobe``, ``m`` and ``nbits`` go to :func:`~gnnrec_utils.retrieval.index.faiss_index`. faiss trains
    each sub-quantiser's ``2 ** nbits`` codes by k-means and warns below about 39 vectors
    per code: for a catalogue under ~10,000 items lower ``nbits``.
    """
    check_positive(k, "k")
    unknown = [kind for kind in kinds if kind not in ("float32", "int8", *INDEX_KINDS)]
    if unknown:
        raise ValueError(
            f"kinds: each must be one of {('float32', 'int8', *INDEX_KINDS)}, got {unknown[0]!r}"
        )
    u, items = as_matrix(user_emb, "user_emb"), as_matrix(item_emb, "item_emb")
    ids = as_ids(users, bound=len(u))
    ids = ids[np.isin(ids, relevant.user_id.to_numpy())]
    if len(ids) < 2:
        raise ValueError(f"users: need at least two with a relevant item, got {len(ids)}")
    relevant = relevant[["user_id", "item_id"]].drop_duplicates()
    rows, exact_top, exact_ndcg = [], None, None
    for kind in ["float32", *(kd for kd in kinds if kd != "float32")]:
        rank, nbytes = _ranker(kind, u, items, ids, exclude, k, nlist, nprobe, m, nbits, seed)
        start = time.perf_counter()
        top = rank()
        ms = 1e3 * (time.perf_counter() - start) / len(ids)
        ndcg = per_user_recall_ndcg(top, ids, relevant)[1]
        if exact_top is None:
            exact_top, exact_ndcg = top, ndcg
        diff, diff_se = paired_difference(ndcg, exact_ndcg)
        if kind in kinds:
            rows.append(
                {
                    "method": kind,
                    "bytes": nbytes,
                    "recall_vs_exact": recall_against_exact(top, exact_top),
                    f"ndcg@{k}": float(ndcg.mean()),
                    f"ndcg@{k}_se": standard_error(ndcg),
                    "ndcg_diff": diff,
                    "ndcg_diff_se": diff_se,
                    "ms_per_query": ms,
                }
            )
    return pd.DataFrame(rows)


def _ranker(kind, user_emb, item_emb, ids, exclude, k, nlist, nprobe, m, nbits, seed):
    """``(rank, nbytes)`` for one :func:`compression_table` method: ``rank()`` returns the
    top-k lists; quantising and index building happen here, outside the timing."""
    if kind in ("float32", "int8"):
        nbytes = item_emb.nbytes
        if kind == "int8":
            codes, scale, offset = quantize_int8(item_emb)
            item_emb, nbytes = dequantize_int8(codes, scale, offset), codes.nbytes + 8 * len(scale)
        users_t, items_t = torch.from_numpy(user_emb), torch.from_numpy(item_emb)
        return lambda: topk_excluding(lambda q: users_t[q] @ items_t.T, ids, exclude, k), nbytes
    index = faiss_index(item_emb, kind, nlist=nlist, nprobe=nprobe, m=m, nbits=nbits, seed=seed)
    return lambda: recommend_with_index(index, user_emb, k, exclude, ids), index_bytes(index)
