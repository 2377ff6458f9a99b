"""Serving at catalogue scale: full-ranking evaluation of sampled users, compressed item
vectors and approximate retrieval scored with the same NDCG as exact ranking.

**Evaluation.** :func:`evaluate_full_ranking` ranks *every* item for each user (no
sampled negatives), a chunk of users at a time, and returns recall@k and NDCG@k with
their standard errors; on a catalogue of millions, evaluate a seeded sample of users
(:func:`sample_users`) rather than a sample of items.

**Compression.** :func:`quantize_int8` stores each vector entry in one byte instead of
four (per-dimension scale and offset); :func:`compressed_index` builds faiss indexes by
inner product: ``"sq8"`` (the same idea inside faiss), ``"ivfpq"`` (inverted file plus
product quantisation, a few bytes per item) and :func:`gnnrec_utils.retrieval.faiss_index`'s
``"flat"``, ``"ivf"`` and ``"hnsw"``. :func:`recommend_with_index` turns an index's
neighbours into recommendation lists without the user's history, and
:func:`compression_table` sets every method against exact float32 ranking: bytes,
recall against exact search, NDCG@k and the paired NDCG difference with its standard
error, milliseconds per query. faiss is imported only when an index is built.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from gnnrec_utils.metrics import paired_difference, per_user_recall_ndcg
from gnnrec_utils.models import Recommender, topk_excluding
from gnnrec_utils.retrieval import INDEX_KINDS, faiss_index, index_bytes, recall_against_exact

COMPRESSED_KINDS = ("sq8", "ivfpq", *INDEX_KINDS)
TABLE_KINDS = ("float32", "int8", "sq8", "ivf", "ivfpq")


# --- checks ---------------------------------------------------------------------------


def _check_positive(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _as_ids(users, name: str = "users", bound: int | None = None) -> np.ndarray:
    """``users`` as a 1-D int64 array, each id in ``[0, bound)``."""
    ids = np.asarray(users)
    if ids.ndim != 1 or (len(ids) and not np.issubdtype(ids.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-D array of integer ids, got shape {ids.shape}")
    ids = ids.astype(np.int64)
    bad = ids[(ids < 0) | (ids >= (bound if bound is not None else np.iinfo(np.int64).max))]
    if len(bad):
        limit = f"[0, {bound})" if bound is not None else "non-negative"
        raise ValueError(f"{name} must be ids in {limit}, got {bad[0]}")
    return ids


def _as_matrix(emb, name: str) -> np.ndarray:
    """``emb`` (tensor or array) as a C-contiguous float32 (n, d) array."""
    x = emb.detach().cpu().numpy() if isinstance(emb, Tensor) else np.asarray(emb)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (n, d) array, got shape {x.shape}")
    return np.ascontiguousarray(x, dtype=np.float32)


# --- evaluation -----------------------------------------------------------------------


def sample_users(users, n: int, seed: int = 0) -> np.ndarray:
    """A seeded sample of ``n`` distinct ids from ``users``, sorted (all when fewer).

    Duplicates in ``users`` count once; the same ``seed`` gives the same sample.
    """
    _check_positive(n, "n")
    ids = np.unique(_as_ids(users))
    if len(ids) <= n:
        return ids
    return np.sort(np.random.default_rng(seed).choice(ids, size=n, replace=False))


def _score_fn(model) -> Callable[[np.ndarray], Tensor]:
    """users -> (len, num_items) scores, from a :class:`Recommender` or a callable."""
    if isinstance(model, Recommender):
        if hasattr(model, "user_scores"):  # e.g. sparse ItemKNN: no dense embeddings
            return model.user_scores
        with torch.no_grad():
            user_emb, item_emb = model.get_embedding()
        return lambda u: user_emb[u] @ item_emb.T
    if callable(model):
        return model
    raise TypeError(f"expected a Recommender or a callable, got {type(model).__name__}")


def _standard_error(x: np.ndarray) -> float:
    """Standard error of the mean, ``std(ddof=1) / sqrt(n)``; ``nan`` under two values."""
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def evaluate_full_ranking(
    score_fn_or_model,
    users,
    relevant: pd.DataFrame,
    exclude: pd.DataFrame,
    k: int = 10,
    chunk: int = 1024,
    per_user: bool = False,
) -> dict:
    """Recall@k and NDCG@k over the full catalogue, with standard errors.

    Every item not in ``exclude`` is a candidate, for every user (no sampled negatives):
    users are scored ``chunk`` at a time and ranked by
    :func:`~gnnrec_utils.models.topk_excluding`, so memory is ``chunk * num_items``
    floats. Only users with a relevant item are ranked and counted (their recall is 0/0
    otherwise).

    Args:
        score_fn_or_model: a :class:`~gnnrec_utils.models.Recommender` or a callable
            mapping an array of user ids to a (len, num_items) score tensor.
        users: user ids to evaluate, e.g. from :func:`sample_users`.
        relevant: held-out (user_id, item_id) pairs; duplicates count once.
        exclude: (user_id, item_id) pairs never recommended, e.g. the training history.
        k: list length.
        chunk: users scored at once.
        per_user: also return ``"user_id"``, ``"per_user_recall"`` and
            ``"per_user_ndcg"`` arrays (same order), for
            :func:`~gnnrec_utils.metrics.paired_difference` between two models.

    Returns:
        ``{"recall@k", "recall@k_se", "ndcg@k", "ndcg@k_se", "users"}``: means over the
        users with a relevant item, standard errors ``std(ddof=1) / sqrt(n)`` (``nan``
        with fewer than two users, means ``nan`` with none), and their number ``n``.
    """
    _check_positive(k, "k")
    _check_positive(chunk, "chunk")
    bound = score_fn_or_model.num_users if isinstance(score_fn_or_model, Recommender) else None
    if bound is not None and k > score_fn_or_model.num_items:
        raise ValueError(f"k must be at most num_items={score_fn_or_model.num_items}, got {k}")
    ids = _as_ids(users, bound=bound)
    relevant = relevant[["user_id", "item_id"]].drop_duplicates()
    ids = ids[np.isin(ids, relevant.user_id.to_numpy())]
    if len(ids):
        top = topk_excluding(_score_fn(score_fn_or_model), ids, exclude, k, chunk)
        recall, ndcg = per_user_recall_ndcg(top, ids, relevant)
    else:
        recall = ndcg = np.empty(0)
    out = {
        f"recall@{k}": float(recall.mean()) if len(ids) else float("nan"),
        f"recall@{k}_se": _standard_error(recall),
        f"ndcg@{k}": float(ndcg.mean()) if len(ids) else float("nan"),
        f"ndcg@{k}_se": _standard_error(ndcg),
        "users": len(ids),
    }
    if per_user:
        out.update(user_id=ids, per_user_recall=recall, per_user_ndcg=ndcg)
    return out


# --- compression ----------------------------------------------------------------------


def quantize_int8(emb) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scalar-quantise (n, d) vectors to int8, with one scale and offset per dimension.

    Entry ``x`` of dimension ``j`` becomes ``round((x - offset[j]) / scale[j]) - 128``,
    with ``offset`` the dimension's minimum and ``scale`` its range / 255, so the 256
    codes span each dimension's range; :func:`dequantize_int8` maps back with an error
    of at most ``scale[j] / 2`` per entry. Per dimension rather than per row: embedding
    dimensions differ in range, the two float32 vectors cost ``8 d`` bytes once rather
    than 8 bytes per item, and faiss's ``"sq8"`` index (:func:`compressed_index`) trains
    the same per-dimension ranges. A constant dimension gets scale 1 (every code -128).

    Returns:
        ``(codes, scale, offset)``: (n, d) int8, (d,) float32, (d,) float32. The codes
        take ``n * d`` bytes against ``4 * n * d`` for float32.
    """
    x = _as_matrix(emb, "emb")
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


def compressed_index(
    item_emb,
    kind: str = "sq8",
    *,
    nlist: int = 64,
    nprobe: int = 8,
    m: int = 8,
    nbits: int = 8,
    train_size: int | None = 50_000,
    seed: int = 0,
    **kwargs,
):
    """A faiss index over ``item_emb`` by inner product, compressed or not.

    Args:
        item_emb: (num_items, d) vectors; tensor or array.
        kind: ``"sq8"`` (``IndexScalarQuantizer``, 8 bits per dimension, exact search
            over the decoded vectors: ``d`` bytes per item), ``"ivfpq"`` (``IndexIVFPQ``:
            k-means into ``nlist`` cells, each residual coded by ``m`` sub-quantisers of
            ``nbits`` bits, searched in the ``nprobe`` nearest cells: ``m`` bytes per item
            at 8 bits), or ``"flat"``, ``"ivf"``, ``"hnsw"``
            (:func:`~gnnrec_utils.retrieval.faiss_index`, which takes ``kwargs``).
        nlist, nprobe: cells of the IVF k-means, and cells searched.
        m: sub-quantisers; must divide ``d``.
        nbits: bits per sub-quantiser code; training needs ``2 ** nbits`` vectors.
        train_size: vectors the index trains on, a seeded sample (all when ``None`` or
            when there are fewer).
        seed: seeds the training sample and the k-means runs.
    """
    import faiss

    if kind not in COMPRESSED_KINDS:
        raise ValueError(f"kind must be one of {COMPRESSED_KINDS}, got {kind!r}")
    x = _as_matrix(item_emb, "item_emb")
    if kind in INDEX_KINDS:
        return faiss_index(
            x, kind, nlist=nlist, nprobe=nprobe, train_size=train_size, seed=seed, **kwargs
        )
    d = x.shape[1]
    if kind == "sq8":
        index = faiss.IndexScalarQuantizer(
            d, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
    else:
        _check_ivfpq(x, nlist, nprobe, m, nbits)
        index = faiss.IndexIVFPQ(
            faiss.IndexFlatIP(d), d, nlist, m, nbits, faiss.METRIC_INNER_PRODUCT
        )
        index.cp.seed, index.pq.cp.seed, index.nprobe = seed, seed, nprobe
    index.train(_training_sample(x, train_size, seed))
    index.add(x)
    return index


def _check_ivfpq(x: np.ndarray, nlist: int, nprobe: int, m: int, nbits: int) -> None:
    for value, name in ((nlist, "nlist"), (nprobe, "nprobe"), (m, "m"), (nbits, "nbits")):
        _check_positive(value, name)
    if nlist > len(x):
        raise ValueError(f"nlist={nlist} cells need at least as many vectors, got {len(x)}")
    if x.shape[1] % m:
        raise ValueError(f"m={m} sub-quantisers must divide the dimension d={x.shape[1]}")
    if 2**nbits > len(x):
        raise ValueError(f"nbits={nbits} needs at least {2**nbits} vectors, got {len(x)}")


def _training_sample(x: np.ndarray, train_size: int | None, seed: int) -> np.ndarray:
    if train_size is None or train_size >= len(x):
        return x
    return x[np.sort(np.random.default_rng(seed).choice(len(x), train_size, replace=False))]


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
    the lists can be scored like exact ones (:func:`evaluate_full_ranking`).

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
    _check_positive(k, "k")
    _check_positive(chunk, "chunk")
    if extra is not None and (isinstance(extra, bool) or extra < 0):
        raise ValueError(f"extra must be a non-negative integer or None, got {extra!r}")
    queries = _as_matrix(user_emb, "user_emb")
    ids = _as_ids(users, bound=len(queries))
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
    :func:`compressed_index` (``"sq8"``, ``"ivf"``, ``"ivfpq"``, ``"flat"``,
    ``"hnsw"``). Every list excludes the history. Users without a relevant item are
    left out, so all rows average over the same users.

    Columns: ``method``; ``bytes`` (the item vectors, codes plus scales, or the
    serialised index); ``recall_vs_exact`` (share of the exact top-k found,
    :func:`~gnnrec_utils.retrieval.recall_against_exact`); ``ndcg@k`` and
    ``ndcg@k_se``; ``ndcg_diff`` and ``ndcg_diff_se`` (paired against float32,
    :func:`~gnnrec_utils.metrics.paired_difference`); ``ms_per_query`` (one timed pass
    over the users, search and history filtering included; the only column that
    varies between runs).

    ``nlist``, ``nprobe``, ``m`` and ``nbits`` go to :func:`compressed_index`. faiss trains
    each sub-quantiser's ``2 ** nbits`` codes by k-means and warns below about 39 vectors
    per code: for a catalogue under ~10,000 items lower ``nbits``.
    """
    _check_positive(k, "k")
    unknown = [kind for kind in kinds if kind not in ("float32", "int8", *COMPRESSED_KINDS)]
    if unknown:
        raise ValueError(
            f"kinds: each must be one of {('float32', 'int8', *COMPRESSED_KINDS)}, "
            f"got {unknown[0]!r}"
        )
    u, items = _as_matrix(user_emb, "user_emb"), _as_matrix(item_emb, "item_emb")
    ids = _as_ids(users, bound=len(u))
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
                    f"ndcg@{k}_se": _standard_error(ndcg),
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
    index = compressed_index(
        item_emb, kind, nlist=nlist, nprobe=nprobe, m=m, nbits=nbits, seed=seed
    )
    return lambda: recommend_with_index(index, user_emb, k, exclude, ids), index_bytes(index)
