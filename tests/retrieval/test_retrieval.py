"""Similar items, the held-out co-engagement protocol, and faiss retrieval against brute force."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils import retrieval
from gnnrec_utils.data import ShopSplit
from gnnrec_utils.graph import interaction_matrix
from gnnrec_utils.models import ItemKNN

faiss = pytest.importorskip("faiss")


def events(rows):
    """Events from (user_id, item_id, behavior) triples."""
    return pd.DataFrame(rows, columns=["user_id", "item_id", "behavior"])


def tiny_split(train, test):
    """A ShopSplit of 3 users and 5 items with an empty validation day."""
    users = pd.DataFrame({"user_id": range(3)})
    items = pd.DataFrame({"item_id": range(5)})
    return ShopSplit(
        users=users,
        items=items,
        train=events(train),
        valid=events([]),
        test=events(test),
        valid_start=1,
        test_start=2,
    )


def pairs(df, a="query_id", b="item_id"):
    return set(zip(df[a].tolist(), df[b].tolist(), strict=True))


def brute_force_neighbours(emb, k):
    """Argsort of every item's scores with itself removed; ties to the lower id."""
    scores = emb @ emb.T
    out = []
    for q, row in enumerate(scores):
        order = [i for i in np.lexsort((np.arange(len(row)), -row)) if i != q]
        out.append(order[:k])
    return np.array(out)


# --- similar items -------------------------------------------------------------------


def test_similar_items_by_hand_cosine_and_dot_differ():
    emb = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 3.0], [2.0, 2.0]])
    # cosine to item 0: item 1 (0.994), item 3 (0.707), item 2 (0)
    assert retrieval.similar_items(emb, [0], 3, "cosine").tolist() == [[1, 3, 2]]
    # dot with item 0: item 3 (2.0), item 1 (0.9), item 2 (0)
    assert retrieval.similar_items(emb, [0], 3, "dot").tolist() == [[3, 1, 2]]
    # item 2's dot with itself (9) is its largest score, yet it is never its own neighbour
    assert retrieval.similar_items(emb, [2], 1, "dot").tolist() == [[3]]


def test_similar_items_equals_brute_force_with_ties_to_the_lower_id():
    gen = torch.Generator().manual_seed(0)
    emb = torch.randint(-2, 3, (40, 3), generator=gen).float()  # small integers: many ties
    got = retrieval.similar_items(emb, np.arange(40), 7, "dot")
    np.testing.assert_array_equal(got, brute_force_neighbours(emb.double().numpy(), 7))
    unit = torch.nn.functional.normalize(emb, dim=1)
    got = retrieval.similar_items(emb, np.arange(40), 7, "cosine")
    assert (got == np.arange(40)[:, None]).sum() == 0
    scores = (unit @ unit.T).numpy()
    # same scores as brute force, rank by rank (ids may differ only between equal scores)
    ref = brute_force_neighbours(unit.double().numpy(), 7)
    np.testing.assert_allclose(
        np.take_along_axis(scores, got, 1), np.take_along_axis(scores, ref, 1), atol=1e-6
    )


def test_similar_items_rejects_an_unknown_metric():
    with pytest.raises(ValueError, match="metric must be one of"):
        retrieval.similar_items(torch.eye(3), [0], 1, "euclid")


def test_cooccurrence_counts_by_hand():
    ev = events(
        [
            (0, 0, "pv"),
            (0, 1, "pv"),
            (0, 1, "buy"),
            (1, 0, "pv"),
            (1, 1, "cart"),
            (1, 2, "pv"),
            (2, 2, "fav"),
        ]
    )
    counts = retrieval.cooccurrence_counts(ev, num_users=3, num_items=4)
    expected = torch.tensor(
        [
            [2, 2, 1, 0],  # items 0 and 1: users 0 and 1
            [2, 2, 1, 0],
            [1, 1, 2, 0],  # item 2: users 1 and 2
            [0, 0, 0, 0],
        ],
        dtype=torch.float,
    )
    torch.testing.assert_close(counts, expected)
    top = retrieval.similar_by_scores(counts, [0, 2, 3], 2)
    assert top.tolist() == [[1, 2], [0, 1], [0, 1]]  # item 3 has no co-occurrence: ties by id


def test_cooccurrence_cosine_is_itemknn_similarity(tiny_shop):
    shop = tiny_shop
    n_u, n_i = len(shop.users), len(shop.items)
    cos = retrieval.cosine_from_counts(
        retrieval.cooccurrence_counts(shop.events, num_users=n_u, num_items=n_i)
    )
    knn = ItemKNN(interaction_matrix(shop.events, n_u, n_i)).similarity.T
    off = ~torch.eye(n_i, dtype=torch.bool)
    torch.testing.assert_close(cos[off], knn[off], atol=1e-6, rtol=0)


def test_cooccurrence_and_scores_reject_bad_shapes():
    with pytest.raises(ValueError, match="out of range for num_items=2"):
        retrieval.cooccurrence_counts(events([(0, 5, "pv")]), num_items=2)
    with pytest.raises(ValueError, match="square"):
        retrieval.similar_by_scores(torch.zeros(3, 4), [0], 1)


# --- the held-out protocol -----------------------------------------------------------


def test_co_engagement_targets_by_hand():
    split = tiny_split(
        train=[(0, 0, "pv"), (1, 0, "pv"), (1, 1, "pv"), (2, 3, "pv")],
        test=[
            (0, 1, "cart"),
            (0, 2, "buy"),
            (0, 0, "buy"),  # user 0 already knew item 0
            (1, 2, "fav"),
            (1, 3, "pv"),  # pv is not intent
            (2, 1, "buy"),
            (2, 4, "cart"),
        ],
    )
    # new intent pairs: user 0 {1, 2}, user 1 {2}, user 2 {1, 4}. Queries need a training
    # event: item 1 has one, items 2 and 4 have none, so (2, 1) and (4, 1) are not asked
    got = retrieval.co_engagement_targets(split, "test")
    assert pairs(got) == {(1, 2), (1, 4)}
    assert list(got.columns) == ["query_id", "item_id"]
    buys = retrieval.co_engagement_targets(split, "test", behaviors=("buy",))
    assert buys.empty  # no shopper newly buys two items


def test_follow_up_targets_by_hand():
    split = tiny_split(
        train=[(0, 0, "cart"), (0, 1, "pv"), (0, 4, "pv"), (1, 1, "fav"), (2, 3, "buy")],
        test=[(0, 2, "buy"), (0, 0, "buy"), (1, 2, "cart"), (1, 4, "pv"), (2, 1, "fav")],
    )
    got = retrieval.follow_up_targets(split, "test")
    # item 0's shopper (user 0) newly buys item 2; item 1's (user 1) carts 2; item 3's favs 1
    assert pairs(got) == {(0, 2), (1, 2), (3, 1)}
    # with page views as engagement, user 0's view of item 4 adds (4, 2); (1, 2) still counts once
    got = retrieval.follow_up_targets(split, "test", engaged=("pv", "fav", "cart", "buy"))
    assert pairs(got) == {(0, 2), (1, 2), (3, 1), (4, 2)}


def test_protocol_rejects_bad_period_and_behaviours():
    split = tiny_split(train=[(0, 0, "pv")], test=[(0, 1, "buy")])
    with pytest.raises(ValueError, match="period must be 'valid' or 'test'"):
        retrieval.co_engagement_targets(split, "train")
    with pytest.raises(ValueError, match="subset of pv, fav, cart, buy"):
        retrieval.co_engagement_targets(split, "test", behaviors=("purchase",))


def test_evaluate_similar_by_hand_leaves_out_queries_without_relevant_items():
    top = np.array([[5, 6, 7], [1, 2, 3], [8, 9, 4]])
    queries = np.array([0, 4, 2])
    relevant = pd.DataFrame({"query_id": [0, 0, 4], "item_id": [6, 9, 3]})
    out = retrieval.evaluate_similar(top, queries, relevant)
    d = 1 / np.log2(np.arange(2, 5))
    # query 0: hit at rank 2 of 2 relevant; query 4: hit at rank 3 of 1; query 2: left out
    assert out["queries"] == 2
    assert out["recall@3"] == pytest.approx((1 / 2 + 1) / 2)
    ndcg = [d[1] / (d[0] + d[1]), d[2] / d[0]]
    assert out["ndcg@3"] == pytest.approx(np.mean(ndcg))
    assert out["ndcg@3 se"] == pytest.approx(np.std(ndcg, ddof=1) / np.sqrt(2))


def test_evaluate_similar_rejects_bad_input():
    with pytest.raises(ValueError, match="columns query_id and item_id"):
        retrieval.evaluate_similar(
            np.zeros((1, 2), int), [0], pd.DataFrame({"user_id": [0], "item_id": [1]})
        )
    with pytest.raises(ValueError, match="one row per query"):
        retrieval.evaluate_similar(
            np.zeros((2, 2), int), [0], pd.DataFrame({"query_id": [0], "item_id": [1]})
        )


# --- faiss retrieval -----------------------------------------------------------------


@pytest.fixture(scope="module")
def clustered():
    """300 unit vectors in 16 dims around 10 centres."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, 16))
    x = centres[rng.integers(0, 10, 300)] + 0.3 * rng.normal(size=(300, 16))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_flat_index_equals_exact_search(clustered):
    items = np.arange(len(clustered))
    exact = retrieval.similar_items(torch.from_numpy(clustered), items, 10, "dot")
    index = retrieval.faiss_index(clustered, "flat")
    found = retrieval.search_excluding_self(
        lambda x, n: index.search(x, n)[1], clustered, items, 10
    )
    np.testing.assert_array_equal(found, exact)
    assert retrieval.recall_against_exact(found, exact) == 1.0
    np.testing.assert_array_equal(
        retrieval.exact_top_k(clustered, clustered[:20], 11, chunk=7)[:, 1:], exact[:20]
    )


def test_ivf_visiting_every_cell_is_exact_and_approximate_indexes_find_most(clustered):
    items = np.arange(len(clustered))
    exact = retrieval.similar_items(torch.from_numpy(clustered), items, 10, "dot")

    def found(index):
        return retrieval.search_excluding_self(
            lambda x, n: index.search(x, n)[1], clustered, items, 10
        )

    every_cell = retrieval.faiss_index(clustered, "ivf", nlist=8, nprobe=8)
    assert retrieval.recall_against_exact(found(every_cell), exact) == 1.0
    one_cell = retrieval.recall_against_exact(
        found(retrieval.faiss_index(clustered, "ivf", nlist=8, nprobe=1)), exact
    )
    hnsw = retrieval.recall_against_exact(
        found(retrieval.faiss_index(clustered, "hnsw", hnsw_m=8)), exact
    )
    assert 0.5 < one_cell < 1.0 and hnsw > 0.9


def test_search_excluding_self_drops_the_query_or_the_last_and_pads_missing():
    table = {0: [0, 3, 4], 1: [2, 3, 4], 2: [5, -1, -1]}
    search = lambda x, n: np.array([table[int(v[0])][:n] for v in x])  # noqa: E731
    emb = np.array([[0.0], [1.0], [2.0]])
    got = retrieval.search_excluding_self(search, emb, [0, 1, 2], 2)
    assert got.tolist() == [[3, 4], [2, 3], [5, -1]]


def test_recall_against_exact_by_hand():
    assert (
        retrieval.recall_against_exact(np.array([[1, 2], [3, 4]]), np.array([[2, 1], [3, 5]]))
        == 0.75
    )
    with pytest.raises(ValueError, match="same shape"):
        retrieval.recall_against_exact(np.zeros((2, 2)), np.zeros((2, 3)))


def test_index_bytes_hold_the_vectors(clustered):
    n, d = clustered.shape
    flat = retrieval.index_bytes(retrieval.faiss_index(clustered, "flat"))
    hnsw = retrieval.index_bytes(retrieval.faiss_index(clustered, "hnsw", hnsw_m=8))
    assert n * d * 4 <= flat < n * d * 4 + 1_000
    assert hnsw > flat  # the same vectors plus the graph's links


def test_ms_per_query_sends_batches_of_the_requested_size(clustered):
    sizes = []
    retrieval.ms_per_query(lambda x: sizes.append(len(x)), clustered[:10], batch_size=4, repeats=2)
    assert sizes == [4, 4, 2] * 2
    sizes.clear()
    retrieval.ms_per_query(lambda x: sizes.append(len(x)), clustered[:10], repeats=1)
    assert sizes == [10]


def test_faiss_index_rejects_bad_input(clustered):
    with pytest.raises(ValueError, match="kind must be one of"):
        retrieval.faiss_index(clustered, "lsh")
    with pytest.raises(ValueError, match="nlist=500 cells need at least as many vectors"):
        retrieval.faiss_index(clustered, "ivf", nlist=500)
    with pytest.raises(ValueError, match="2-D"):
        retrieval.faiss_index(clustered[0], "flat")
    with pytest.raises(ValueError, match="dims"):
        retrieval.exact_top_k(clustered, clustered[:, :4], 3)
