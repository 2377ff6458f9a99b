"""Checkers for the exercises of notebook 06, *Similar items*.

Each ``check_exercise_N`` judges the answer to exercise N, not the learner's consistency:
it rebuilds what the exercise asks for from the split and the item vectors with its own
code (the held-out co-engagement pairs of the asked day and behaviours, the
co-occurrence counts, the inner-product lists, faiss indexes with the asked settings),
accepts a figure at the precision the notebook prints it, prints one line,
``Right: ...`` or ``Not yet: ...``, and returns whether the answer holds.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.exercises import close_to_printed, say, say_either

__all__ = [
    "ASKED_EF_SEARCH",
    "ASKED_NPROBE",
    "ASKED_PERIOD",
    "DECIMALS",
    "NEW_ITEM",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "check_exercise_5",
    "co_engagement",
    "dot_lists",
    "per_query_ndcg",
]

ASKED_PERIOD = "valid"  # exercises 1 and 5: the validation day
ASKED_NPROBE, ASKED_EF_SEARCH = 16, 64  # exercise 3
DEFAULT_NPROBE, DEFAULT_EF_SEARCH = 4, 16  # the notebook's NPROBE and EF_SEARCH
NEW_ITEM = 1234  # exercise 4: an item with no training event
DECIMALS = 4  # NDCG, standard errors and recalls are printed to four decimals
CHUNK = 1024  # queries scored at once, as the kit's top-k does


# --- shared: relevant pairs, lists, NDCG ---------------------------------------------------


def _new_pairs(split: ShopSplit, period: str, behaviors) -> pd.DataFrame:
    """(user_id, item_id) pairs the user did one of ``behaviors`` on in ``period`` with no
    event of any behaviour on the item before the period."""
    events = split.valid if period == "valid" else split.test
    before = split.train if period == "valid" else pd.concat([split.train, split.valid])
    pairs = events.loc[events.behavior.isin(behaviors), ["user_id", "item_id"]].drop_duplicates()
    seen = set(zip(before.user_id.tolist(), before.item_id.tolist(), strict=True))
    fresh = [pair not in seen for pair in zip(pairs.user_id, pairs.item_id, strict=True)]
    return pairs[np.array(fresh, dtype=bool)]


def co_engagement(
    split: ShopSplit, period: str, behaviors: tuple[str, ...] = TARGET_BEHAVIORS
) -> pd.DataFrame:
    """Held-out (query_id, item_id) pairs, written out here: one shopper did one of
    ``behaviors`` on both items in ``period``, each new to them; the query item has a
    training event and differs from the item. Sorted, each pair once."""
    pairs = _new_pairs(split, period, behaviors)
    both = pairs.rename(columns={"item_id": "query_id"}).merge(pairs, on="user_id")
    keep = (both.query_id != both.item_id) & both.query_id.isin(split.train.item_id)
    both = both.loc[keep, ["query_id", "item_id"]].drop_duplicates()
    return both.sort_values(["query_id", "item_id"]).reset_index(drop=True)


def _queries(relevant: pd.DataFrame) -> np.ndarray:
    return np.sort(relevant.query_id.unique())


def _relevant_sets(relevant: pd.DataFrame) -> dict[int, set[int]]:
    """Query item -> the set of its relevant items (columns ``query_id``, ``item_id``)."""
    return relevant.groupby("query_id").item_id.apply(lambda s: set(s.tolist())).to_dict()


def _ndcg(row: Sequence[int], relevant: set[int]) -> float:
    """NDCG of one list: gain 1 per relevant item, ideal DCG over min(|relevant|, k)."""
    dcg = sum(1.0 / np.log2(rank + 2) for rank, item in enumerate(row) if item in relevant)
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(len(relevant), len(row))))
    return dcg / ideal


def per_query_ndcg(top: np.ndarray, queries, relevant: pd.DataFrame) -> np.ndarray:
    """NDCG@k of each query item that has a relevant item, in the order of ``queries``."""
    sets = _relevant_sets(relevant)
    rows = zip(np.asarray(queries).tolist(), np.asarray(top).tolist(), strict=True)
    return np.array([_ndcg(row, sets[q]) for q, row in rows if q in sets])


def _top(rows: torch.Tensor, queries: np.ndarray, k: int) -> np.ndarray:
    """Top-``k`` columns of each row (row ``r`` belongs to item ``queries[r]``), the query
    itself left out; equal scores go to the lower item id (a stable sort)."""
    rows = rows.double().numpy().copy()
    rows[np.arange(len(queries)), queries] = -np.inf
    return np.argsort(-rows, axis=1, kind="stable")[:, :k]


def dot_lists(item_emb, queries, k: int) -> np.ndarray:
    """The ``k`` items of largest inner product with each query item, itself left out:
    float32 products, ``CHUNK`` queries at a time, ranked in float64 with ties to the
    lower id."""
    emb = torch.as_tensor(np.asarray(item_emb, dtype=np.float32))
    queries = np.asarray(queries, dtype=np.int64)
    parts = [
        _top(emb[torch.as_tensor(queries[lo : lo + CHUNK])] @ emb.T, queries[lo : lo + CHUNK], k)
        for lo in range(0, len(queries), CHUNK)
    ]
    return np.concatenate(parts) if parts else np.empty((0, k), dtype=np.int64)


def _count_rows(events: pd.DataFrame, queries: np.ndarray, num_items: int) -> torch.Tensor:
    """Co-occurrence counts of each query item with every item: the number of distinct
    users with an event on both (float32, exact); the diagonal is the item's own users."""
    pairs = events[["user_id", "item_id"]].drop_duplicates()
    users = np.unique(pairs.user_id.to_numpy())
    user_row = pd.Series(np.arange(len(users)), index=users)
    query_row = pd.Series(np.arange(len(queries)), index=queries)
    mine = pairs[pairs.item_id.isin(queries)]
    q_by_u = torch.sparse_coo_tensor(
        torch.as_tensor(
            np.stack([np.array(query_row[mine.item_id]), np.array(user_row[mine.user_id])])
        ),
        torch.ones(len(mine)),
        (len(queries), len(users)),
        check_invariants=True,
    )
    u_by_i = torch.sparse_coo_tensor(
        torch.as_tensor(np.stack([np.array(user_row[pairs.user_id]), pairs.item_id.to_numpy()])),
        torch.ones(len(pairs)),
        (len(users), num_items),
        check_invariants=True,
    )
    with warnings.catch_warnings():  # torch marks sparse products as beta
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support", category=UserWarning)
        return torch.sparse.mm(q_by_u, u_by_i).to_dense()


# --- exercise 1: the methods' order on the validation day ---------------------------------


def check_exercise_1(
    order: Sequence[str], lists: Mapping[str, np.ndarray], split: ShopSplit, k: int = 10
) -> bool:
    """Exercise 1: ``order``, the methods' names from the highest to the lowest NDCG@k on
    the validation day's held-out co-engagement.

    Pass ``lists``: each method's (num_queries, k) similar-item lists for the validation
    day's query items, in ascending item id (``lists_for(queries_valid)``); ``split``: the
    temporal split. The checker builds the validation day's co-engagement pairs itself
    (fav, cart or buy, both items new to the shopper) and computes each method's NDCG.
    """
    relevant = co_engagement(split, ASKED_PERIOD)
    queries = _queries(relevant)
    for name, top in lists.items():
        if np.shape(top) != (len(queries), k):
            return say(
                False,
                f"lists[{name!r}] has shape {np.shape(top)}; the validation day has "
                f"{len(queries)} query items: build every list for them, {k} items each",
            )
    if sorted(order) != sorted(lists):
        return say(False, f"name each method of lists once, best first; you have {list(order)}")
    means = {name: per_query_ndcg(top, queries, relevant).mean() for name, top in lists.items()}
    expected = sorted(means, key=means.get, reverse=True)
    shown = ", ".join(f"{name} {means[name]:.4f}" for name in expected)
    wrong = next((i for i, (a, b) in enumerate(zip(order, expected, strict=True)) if a != b), 0)
    return say_either(
        list(order) == expected,
        f"on the validation day ({len(queries)} query items) the order is {shown}",
        f"place {wrong + 1} should be {expected[wrong]}; validation NDCG@{k} gives {shown}. "
        "Did you sort from high to low, on the validation day?",
    )


# --- exercise 2: judged on buys only -------------------------------------------------------


def _se(ndcg: np.ndarray, ddof: int = 1) -> float:
    return float(ndcg.std(ddof=ddof) / np.sqrt(len(ndcg)))


def check_exercise_2(se: float, item_emb, split: ShopSplit, k: int = 10) -> bool:
    """Exercise 2: ``se``, the standard error of the mean NDCG@k of ``MultiBehaviorGCN``'s
    inner-product lists on the test day's buy-only co-engagement (e.g. ``0.0256``).

    Pass ``item_emb``: the ``MultiBehaviorGCN`` item vectors (``item_emb["MultiBehaviorGCN"]``);
    ``split``: the temporal split. The checker builds the buy-only pairs, their query items
    and the inner-product lists itself; the standard error is the standard deviation over
    query items (``ddof=1``) divided by the square root of their number.
    """
    relevant = co_engagement(split, "test", ("buy",))
    queries = _queries(relevant)
    ndcg = per_query_ndcg(dot_lists(item_emb, queries, k), queries, relevant)
    expected = _se(ndcg)
    if close_to_printed(se, expected, DECIMALS):
        return say(True, f"{expected:.4f}, over {len(ndcg)} query items with a co-bought item")
    if close_to_printed(se, _se(ndcg, ddof=0), DECIMALS):
        return say(False, f"{se:.4f} uses ddof=0; the sample standard error is {expected:.4f}")
    for name, behaviors in (
        ("fav, cart or buy", TARGET_BEHAVIORS),
        ("cart or buy", ("cart", "buy")),
    ):
        others = co_engagement(split, "test", behaviors)
        other = _se(
            per_query_ndcg(dot_lists(item_emb, _queries(others), k), _queries(others), others)
        )
        if close_to_printed(se, other, DECIMALS):
            return say(
                False,
                f"{se:.4f} is the standard error on {name} pairs; on buys only it is "
                f"{expected:.4f}",
            )
    return say(
        False,
        f"you have {se:.4f}, but the {len(ndcg)} query items with a co-bought item on the "
        f"test day give {expected:.4f}. Did you judge the inner-product lists of "
        "MultiBehaviorGCN against the buy-only pairs, with their own query items?",
    )


# --- exercise 3: wider searches of the approximate indexes --------------------------------


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    k = exact.shape[1]
    return float(
        np.mean(
            [len(set(f) & set(e)) / k for f, e in zip(found.tolist(), exact.tolist(), strict=True)]
        )
    )


def _found(index, x: np.ndarray, k: int) -> np.ndarray:
    """Each item's ``k`` neighbours from ``index``: ``k + 1`` asked for, the item dropped."""
    ids = index.search(x, k + 1)[1]
    out = np.full((len(x), k), -1, dtype=np.int64)
    for q, row in enumerate(ids):
        kept = row[row != q][:k]
        out[q, : len(kept)] = kept
    return out


def _index_recalls(
    x: np.ndarray, nprobe: int, ef_search: int, nlist: int, hnsw_m: int, seed: int, k: int
):
    """Recall@k against exact of faiss IVF (``nlist`` cells, ``nprobe`` searched) and HNSW
    (``hnsw_m`` links, efConstruction 40, ``ef_search``), built here by inner product."""
    import faiss

    d = x.shape[1]
    exact = dot_lists(x, np.arange(len(x)), k)
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.seed, ivf.nprobe = seed, nprobe
    ivf.train(x)
    ivf.add(x)
    hnsw = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction, hnsw.hnsw.efSearch = 40, ef_search
    hnsw.add(x)
    return _recall(_found(ivf, x, k), exact), _recall(_found(hnsw, x, k), exact)


def _all_close(got, ref) -> bool:
    """Whether each recall of ``got`` is that of ``ref`` as printed (0.9968 or 99.68%)."""
    return all(
        close_to_printed(a, b, DECIMALS - 2, percent=True) for a, b in zip(got, ref, strict=True)
    )


def check_exercise_3(
    recalls: tuple[float, float],
    item_emb,
    nlist: int = 64,
    hnsw_m: int = 16,
    seed: int = 0,
    k: int = 10,
) -> bool:
    """Exercise 3: ``recalls`` = (recall@k against exact of IVF with ``nprobe`` 16, recall@k
    of HNSW with ``ef_search`` 64), e.g. ``(1.0, 0.9968)``; fractions as the table prints
    them, or percentages (``"99.68%"``).

    Pass ``item_emb``: the ``MultiBehaviorGCN`` item vectors the indexes search (``x``);
    ``nlist``, ``hnsw_m`` and ``seed``: the notebook's ``NLIST``, ``HNSW_M`` and ``SEED``.
    The checker builds both indexes with faiss itself, with the asked search settings, and
    compares their lists with the exact inner-product lists, each item left out of its own.
    """
    x = np.ascontiguousarray(np.asarray(item_emb, dtype=np.float32))
    if np.ndim(recalls) != 1 or len(recalls) != 2:
        return say(False, "give two recalls: (IVF with nprobe 16, HNSW with ef_search 64)")
    want = _index_recalls(x, ASKED_NPROBE, ASKED_EF_SEARCH, nlist, hnsw_m, seed, k)
    shown = f"IVF {want[0]:.4f}, HNSW {want[1]:.4f}"
    if _all_close(recalls, want):
        return say(True, f"with nprobe {ASKED_NPROBE} and ef_search {ASKED_EF_SEARCH}: {shown}")
    if _all_close(recalls[::-1], want):
        return say(False, f"give IVF's recall first, then HNSW's: {shown}")
    before = _index_recalls(x, DEFAULT_NPROBE, DEFAULT_EF_SEARCH, nlist, hnsw_m, seed, k)
    if _all_close(recalls, before):
        return say(
            False,
            f"those are the recalls at nprobe {DEFAULT_NPROBE} and ef_search "
            f"{DEFAULT_EF_SEARCH}; at {ASKED_NPROBE} and {ASKED_EF_SEARCH}: {shown}",
        )
    return say(
        False, f"you have {tuple(recalls)}; the wider searches find {shown} of the exact lists"
    )


# --- exercise 4: the page of an item without training events -------------------------------


def check_exercise_4(
    neighbours: Sequence[int], split: ShopSplit, query: int = NEW_ITEM, k: int = 10
) -> bool:
    """Exercise 4: ``neighbours``, the ``k`` items co-occurrence counting lists on the page
    of ``query``, an item with no training event (the notebook's 1234).

    Pass ``split``: the temporal split. The checker confirms that ``query`` has no training
    event, counts from ``split.train`` itself how many shoppers engaged with both it and
    each other item, and ranks them as the notebook does: the query left out, equal counts
    to the lower item id.
    """
    train = split.train
    shoppers = train.loc[train.item_id == query, "user_id"].nunique()
    if shoppers:
        return say(
            False,
            f"item {query} has {shoppers} training shoppers; the exercise asks for the page "
            f"of an item with none, {NEW_ITEM}",
        )
    row = _count_rows(train, np.array([query]), split.num_items)
    expected = _top(row, np.array([query]), k)[0].tolist()
    return say_either(
        [int(i) for i in neighbours] == expected,
        f"item {query} has no training shopper, so every count is 0 and the ties go to "
        f"the lowest ids: {expected}",
        f"counting the shoppers of item {query} (none) with each item, itself left out and "
        f"ties to the lower id, gives {expected}; you have {list(neighbours)}",
    )


# --- exercise 5: counts over the item's shoppers, plus a multiple of the GNN ---------------


def _blend_ndcg(multiples, item_emb, split: ShopSplit, period: str, k: int) -> dict:
    """Mean NDCG@k on ``period``'s co-engagement of ``share + m * dot`` for each multiple:
    share = co-occurrence count / the query item's own shoppers, dot = inner product."""
    relevant = co_engagement(split, period)
    queries = _queries(relevant)
    counts = _count_rows(split.train, queries, split.num_items)
    own = counts[torch.arange(len(queries)), torch.as_tensor(queries)]
    share = counts / own.clamp_min(1)[:, None]
    emb = torch.as_tensor(np.asarray(item_emb, dtype=np.float32))
    dot = (emb @ emb.T)[torch.as_tensor(queries)]
    return {
        m: per_query_ndcg(_top(share + m * dot, queries, k), queries, relevant).mean()
        for m in multiples
    }


def check_exercise_5(
    multiple: float, multiples: Sequence[float], item_emb, split: ShopSplit, k: int = 10
) -> bool:
    """Exercise 5: ``multiple``, the weight of the ``MultiBehaviorGCN`` inner product in
    ``counts / diagonal + multiple * dot`` with the best NDCG@k on the validation day's
    co-engagement, among the ``multiples`` you compared (e.g. ``0.01``).

    Pass ``item_emb``: the ``MultiBehaviorGCN`` item vectors (``emb``); ``split``: the
    temporal split. The checker counts the co-occurrences from ``split.train`` (each row
    divided by the query item's own shoppers, at least 1) and builds the validation day's
    pairs itself. A multiple whose NDCG equals the best one's to four decimals counts.
    """
    if len(multiples) < 2 or not any(math.isclose(multiple, m) for m in multiples):
        return say(
            False,
            f"compare several multiples and pick one of them; you have {multiple} among "
            f"{list(multiples)}",
        )
    score = _blend_ndcg(multiples, item_emb, split, ASKED_PERIOD, k)
    best = max(score, key=score.get)
    mine = next(m for m in multiples if math.isclose(multiple, m))
    shown = ", ".join(f"{m}: {v:.4f}" for m, v in score.items())
    if close_to_printed(score[mine], score[best], DECIMALS):
        return say(
            True, f"{mine} reaches validation NDCG@{k} {score[mine]:.4f} (by multiple: {shown})"
        )
    on_test = _blend_ndcg(multiples, item_emb, split, "test", k)
    if max(on_test, key=on_test.get) == mine:
        return say(
            False,
            f"{mine} is best on the test day; choose on the validation day, where {best} is "
            f"best ({shown})",
        )
    return say(False, f"on the validation day the best multiple is {best} ({shown}), not {mine}")
