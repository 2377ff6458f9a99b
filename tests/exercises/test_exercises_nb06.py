"""The checkers of notebook 06's exercises accept a right answer as a learner types it (at
the four decimals the notebook prints) and reject the unchanged default and the
neighbouring variant. The references here come from the kit's retrieval functions, the
checkers' from their own code."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils import retrieval
from gnnrec_utils.exercises import nb06

K = 10


@pytest.fixture(scope="module")
def split(tiny_split):
    return tiny_split


@pytest.fixture(scope="module")
def counts(split):
    return retrieval.cooccurrence_counts(
        split.train, num_users=split.num_users, num_items=split.num_items
    )


@pytest.fixture(scope="module")
def item_emb(counts):
    """Item vectors whose inner products rank co-engaged items well: the count rows."""
    return counts.clone()


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Torch on one thread here: on a busy two-core machine the second thread of each small
    sparse or dense product mostly waits."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def said(capsys) -> str:
    return capsys.readouterr().out


def queries_of(relevant: pd.DataFrame) -> np.ndarray:
    return np.sort(relevant.query_id.unique())


# --- the checkers' own code against the kit's -----------------------------------------------


@pytest.mark.parametrize(
    "period, behaviors",
    [("valid", ("fav", "cart", "buy")), ("test", ("fav", "cart", "buy"))]
    + [("test", ("buy",)), ("valid", ("cart", "buy"))],
)
def test_co_engagement_matches_the_kit(split, period, behaviors):
    theirs = retrieval.co_engagement_targets(split, period, behaviors)
    pd.testing.assert_frame_equal(nb06.co_engagement(split, period, behaviors), theirs)


def test_dot_lists_match_similar_items(item_emb, split):
    queries = np.arange(split.num_items)
    theirs = retrieval.similar_items(item_emb, queries, K, "dot")
    np.testing.assert_array_equal(nb06.dot_lists(item_emb, queries, K), theirs)


def test_per_query_ndcg_matches_evaluate_similar():
    rng = np.random.default_rng(0)
    queries = np.arange(20)
    relevant = pd.DataFrame(
        {"query_id": rng.integers(0, 20, 60), "item_id": rng.integers(0, 50, 60)}
    )
    relevant = relevant[relevant.query_id != relevant.item_id].drop_duplicates()
    top = retrieval.similar_by_scores(torch.rand(50, 50), queries, 5)
    ours = nb06.per_query_ndcg(top, queries, relevant)
    theirs = retrieval.evaluate_similar(top, queries, relevant)
    assert math.isclose(ours.mean(), theirs["ndcg@5"])
    assert math.isclose(ours.std(ddof=1) / math.sqrt(len(ours)), theirs["ndcg@5 se"])


# --- exercise 1: the order on the validation day ---------------------------------------------


def lists_for(queries, split, counts):
    popular = torch.tensor(split.item_popularity(), dtype=torch.float).expand_as(counts)
    emb = torch.randn(split.num_items, 16, generator=torch.Generator().manual_seed(0))
    return {
        "random GNN dot": retrieval.similar_items(emb, queries, K, "dot"),
        "co-occurrence counts": retrieval.similar_by_scores(counts, queries, K),
        "popular": retrieval.similar_by_scores(popular, queries, K),
    }


def order_on(period, split, counts):
    relevant = retrieval.co_engagement_targets(split, period)
    queries = queries_of(relevant)
    lists = lists_for(queries, split, counts)
    ndcg = {
        n: retrieval.evaluate_similar(t, queries, relevant)[f"ndcg@{K}"] for n, t in lists.items()
    }
    return sorted(ndcg, key=ndcg.get, reverse=True), lists


def test_exercise_1_accepts_the_validation_days_order(split, counts, capsys):
    order, lists = order_on("valid", split, counts)
    assert nb06.check_exercise_1(order, lists, split)
    assert said(capsys).startswith("Right: on the validation day")


def test_exercise_1_rejects_the_unchanged_test_day(split, counts, capsys):
    order, lists = order_on("test", split, counts)  # HELD_OUT left at "test"
    assert not nb06.check_exercise_1(order, lists, split)
    assert "the validation day has" in said(capsys)


def test_exercise_1_rejects_the_test_days_order_on_the_validation_lists(split, counts, capsys):
    valid_order, lists = order_on("valid", split, counts)
    test_order, _ = order_on("test", split, counts)
    assert test_order != valid_order
    assert not nb06.check_exercise_1(test_order, lists, split)
    assert said(capsys).startswith("Not yet: place ")


# --- exercise 2: buys only -----------------------------------------------------------------


def se_of(item_emb, split, period, behaviors):
    relevant = retrieval.co_engagement_targets(split, period, behaviors)
    queries = queries_of(relevant)
    top = retrieval.similar_items(item_emb, queries, K, "dot")
    return retrieval.evaluate_similar(top, queries, relevant)[f"ndcg@{K} se"]


def test_exercise_2_accepts_the_buy_only_standard_error(item_emb, split, capsys):
    se = se_of(item_emb, split, "test", ("buy",))
    assert se > 0
    assert nb06.check_exercise_2(round(se, 4), item_emb, split)
    assert said(capsys).startswith("Right: ")


def test_exercise_2_rejects_the_unchanged_fav_cart_or_buy_pairs(item_emb, split, capsys):
    se = se_of(item_emb, split, "test", ("fav", "cart", "buy"))
    assert not nb06.check_exercise_2(round(se, 4), item_emb, split)
    assert "standard error on fav, cart or buy pairs" in said(capsys)


def test_exercise_2_rejects_the_validation_days_buys_and_ddof_0(item_emb, split, capsys):
    se = se_of(item_emb, split, "valid", ("buy",))
    assert not nb06.check_exercise_2(round(se, 4), item_emb, split)
    assert said(capsys).startswith("Not yet: ")
    buy = se_of(item_emb, split, "test", ("buy",))
    n = len(queries_of(retrieval.co_engagement_targets(split, "test", ("buy",))))
    assert not nb06.check_exercise_2(buy * math.sqrt((n - 1) / n), item_emb, split)
    assert "uses ddof=0" in said(capsys)


# --- exercise 3: wider searches --------------------------------------------------------------

NLIST, HNSW_M = 16, 4


@pytest.fixture(scope="module")
def vectors():
    """Random item vectors; faiss searches them on one thread (on a busy two-core machine
    its second thread only waits)."""
    faiss = pytest.importorskip("faiss")
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield np.random.default_rng(0).standard_normal((700, 8)).astype(np.float32)
    faiss.omp_set_num_threads(threads)


def recalls(x, nprobe, ef_search):
    exact = retrieval.similar_items(torch.from_numpy(x), np.arange(len(x)), K, "dot")
    out = []
    for index in (
        retrieval.faiss_index(x, "ivf", nlist=NLIST, nprobe=nprobe, seed=0),
        retrieval.faiss_index(x, "hnsw", hnsw_m=HNSW_M, ef_search=ef_search),
    ):
        search = lambda v, n, index=index: index.search(v, n)[1]  # noqa: E731
        found = retrieval.search_excluding_self(search, x, np.arange(len(x)), K)
        out.append(retrieval.recall_against_exact(found, exact))
    return tuple(out)


def test_exercise_3_accepts_the_printed_recalls(vectors, capsys):
    ivf, hnsw = recalls(vectors, 16, 64)
    assert nb06.check_exercise_3((round(ivf, 4), round(hnsw, 4)), vectors, NLIST, HNSW_M)
    assert said(capsys).startswith("Right: ")
    assert nb06.check_exercise_3((f"{ivf:.2%}", f"{hnsw:.2%}"), vectors, NLIST, HNSW_M)


def test_exercise_3_rejects_the_unchanged_settings(vectors, capsys):
    default = recalls(vectors, 4, 16)
    assert default != recalls(vectors, 16, 64)
    assert not nb06.check_exercise_3(default, vectors, NLIST, HNSW_M)
    assert "those are the recalls at nprobe 4 and ef_search 16" in said(capsys)


def test_exercise_3_rejects_a_neighbouring_setting(vectors, capsys):
    ivf, _ = recalls(vectors, 16, 64)
    _, hnsw_32 = recalls(vectors, 16, 32)
    assert round(hnsw_32, 4) != round(recalls(vectors, 16, 64)[1], 4)
    assert not nb06.check_exercise_3((ivf, hnsw_32), vectors, NLIST, HNSW_M)
    assert said(capsys).startswith("Not yet: ")


# --- exercise 4: the page of an item without training events --------------------------------


@pytest.fixture(scope="module")
def new_item(split):
    return int(np.setdiff1d(np.arange(split.num_items), split.train.item_id.unique())[0])


def test_exercise_4_accepts_the_lowest_ids(split, counts, new_item, capsys):
    page = retrieval.similar_by_scores(counts, [new_item], K)[0].tolist()
    assert page == [i for i in range(K + 1) if i != new_item][:K]
    assert nb06.check_exercise_4(page, split, new_item)
    assert said(capsys).startswith("Right: ")


def test_exercise_4_rejects_the_page_of_the_unchanged_query_item(split, counts, new_item, capsys):
    page = retrieval.similar_by_scores(counts, [17], K)[0].tolist()  # QUERY_ITEM's page
    assert not nb06.check_exercise_4(page, split, new_item)
    assert said(capsys).startswith("Not yet: counting the shoppers")
    assert not nb06.check_exercise_4(page, split, 17)
    assert "has 4 training shoppers" in said(capsys)


def test_exercise_4_rejects_the_gnns_list(split, new_item, capsys):
    emb = torch.randn(split.num_items, 8, generator=torch.Generator().manual_seed(0))
    gnn = retrieval.similar_items(emb, [new_item], K, "dot")[0].tolist()
    assert not nb06.check_exercise_4(gnn, split, new_item)
    assert said(capsys).startswith("Not yet: ")


# --- exercise 5: the blend's multiple --------------------------------------------------------

MULTIPLES = (0, 0.001, 0.01, 0.1, 1)


def blend_ndcg(period, split, counts, item_emb):
    relevant = retrieval.co_engagement_targets(split, period)
    queries = queries_of(relevant)
    share = counts / torch.diagonal(counts).clamp_min(1)[:, None]
    dot = item_emb @ item_emb.T
    return {
        m: retrieval.evaluate_similar(
            retrieval.similar_by_scores(share + m * dot, queries, K), queries, relevant
        )[f"ndcg@{K}"]
        for m in MULTIPLES
    }


@pytest.fixture(scope="module")
def random_emb(split):
    return torch.randn(split.num_items, 16, generator=torch.Generator().manual_seed(0))


def test_exercise_5_accepts_the_validation_days_choice(split, counts, random_emb, capsys):
    on_valid = blend_ndcg("valid", split, counts, random_emb)
    best = max(on_valid, key=on_valid.get)
    assert nb06.check_exercise_5(best, MULTIPLES, random_emb, split)
    assert said(capsys).startswith("Right: ")


def test_exercise_5_rejects_the_counts_alone_and_the_test_days_choice(
    split, counts, random_emb, capsys
):
    on_valid = blend_ndcg("valid", split, counts, random_emb)
    on_test = blend_ndcg("test", split, counts, random_emb)
    assert round(on_valid[0], 4) < round(max(on_valid.values()), 4)
    assert max(on_test, key=on_test.get) == 0  # here the test day's choice is the counts alone
    assert not nb06.check_exercise_5(0, MULTIPLES, random_emb, split)
    assert "is best on the test day; choose on the validation day" in said(capsys)
    assert not nb06.check_exercise_5(0.1, MULTIPLES, random_emb, split)
    assert said(capsys).startswith("Not yet: on the validation day the best multiple is")
