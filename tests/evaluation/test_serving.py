"""Serving: full-ranking evaluation, int8 vectors, compressed indexes, history filtering."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.evaluation import (
    evaluate_full_ranking,
    paired_difference,
    per_user_recall_ndcg,
    recall_ndcg,
    sample_users,
)
from gnnrec_utils.models import ItemKNN, MatrixFactorization
from gnnrec_utils.retrieval import (
    compression_table,
    dequantize_int8,
    exact_top_k,
    faiss_index,
    quantize_int8,
    recall_against_exact,
    recommend_with_index,
)

faiss = pytest.importorskip("faiss")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One thread each for torch and faiss: on a busy 2-core machine their thread
    hand-offs cost more than these tiny problems (faiss's PQ training ran 6x slower)."""
    threads, faiss_threads = torch.get_num_threads(), faiss.omp_get_max_threads()
    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    faiss.omp_set_num_threads(faiss_threads)


@pytest.fixture(scope="module")
def tiny():
    """MF over 6 users and 9 items; users 0-3 have relevant items, 4 and 5 none."""
    torch.manual_seed(0)
    model = MatrixFactorization(6, 9, embedding_dim=3)
    exclude = pd.DataFrame({"user_id": [0, 0, 2, 5], "item_id": [1, 4, 0, 3]})
    relevant = pd.DataFrame({"user_id": [0, 1, 1, 2, 3, 3], "item_id": [2, 5, 7, 3, 0, 0]})
    return model, exclude, relevant


@pytest.fixture(scope="module")
def vectors():
    """2,000 items and 60 users with a 4-item history each, in 16 dimensions."""
    rng = np.random.default_rng(0)
    item_emb = rng.normal(size=(2000, 16)).astype(np.float32)
    user_emb = rng.normal(size=(60, 16)).astype(np.float32)
    exact = exact_top_k(item_emb, user_emb, 4)  # the users' favourite items are their history
    users = np.repeat(np.arange(60), 4)
    exclude = pd.DataFrame({"user_id": users, "item_id": exact.ravel()})
    relevant = pd.DataFrame(
        {"user_id": np.arange(60), "item_id": exact_top_k(item_emb, user_emb, 5)[:, 4]}
    )
    return user_emb, item_emb, exclude, relevant


def test_sample_users_is_seeded_sorted_and_distinct():
    users = np.array([5, 3, 3, 9, 1, 7, 7, 2])
    a, b = sample_users(users, 4, seed=1), sample_users(users, 4, seed=1)
    assert np.array_equal(a, b) and len(set(a.tolist())) == 4
    assert np.all(np.diff(a) > 0) and set(a.tolist()) <= set(users.tolist())
    assert sample_users(users, 100).tolist() == [1, 2, 3, 5, 7, 9]  # all, when fewer


def test_full_ranking_equals_recall_ndcg_of_recommend(tiny):
    model, exclude, relevant = tiny
    result = evaluate_full_ranking(model, np.arange(6), relevant, exclude, k=3, chunk=2)
    users = np.arange(4)  # users 4 and 5 have nothing relevant: left out
    top = model.recommend(users, 3, exclude=exclude)
    expected = recall_ndcg(top, users, relevant.drop_duplicates())
    assert result["users"] == 4
    assert result["recall@3"] == pytest.approx(expected["recall@3"])
    assert result["ndcg@3"] == pytest.approx(expected["ndcg@3"])
    recall, ndcg = per_user_recall_ndcg(top, users, relevant.drop_duplicates())
    assert result["ndcg@3_se"] == pytest.approx(np.std(ndcg, ddof=1) / np.sqrt(4))
    assert result["recall@3_se"] == pytest.approx(np.std(recall, ddof=1) / np.sqrt(4))


def test_full_ranking_takes_a_score_function_and_returns_per_user_arrays(tiny):
    model, exclude, relevant = tiny
    user_emb, item_emb = (e.detach() for e in model.get_embedding())
    by_model = evaluate_full_ranking(model, [3, 0, 1], relevant, exclude, k=2, per_user=True)
    by_fn = evaluate_full_ranking(
        lambda u: user_emb[u] @ item_emb.T, [3, 0, 1], relevant, exclude, k=2, per_user=True
    )
    assert by_fn["user_id"].tolist() == [3, 0, 1]
    assert np.array_equal(by_fn["per_user_ndcg"], by_model["per_user_ndcg"])
    assert paired_difference(by_fn["per_user_ndcg"], by_model["per_user_ndcg"]) == (0.0, 0.0)


def test_full_ranking_works_for_the_sparse_itemknn():
    r = (torch.rand(30, 12, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    users, items = r.nonzero().T.numpy()
    exclude = pd.DataFrame({"user_id": users, "item_id": items})[::2]
    relevant = pd.DataFrame({"user_id": users, "item_id": items})[1::2]
    dense = evaluate_full_ranking(ItemKNN(r, top_neighbours=11), np.arange(30), relevant, exclude)
    sparse = ItemKNN(r.to_sparse(), top_neighbours=11, block_size=5)
    assert evaluate_full_ranking(sparse, np.arange(30), relevant, exclude) == pytest.approx(dense)


def test_int8_round_trip_is_within_half_a_step():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(500, 8)).astype(np.float32) * np.arange(1, 9, dtype=np.float32)
    emb[:, 3] = 0.25  # a constant dimension
    codes, scale, offset = quantize_int8(torch.from_numpy(emb))
    assert codes.dtype == np.int8 and codes.nbytes * 4 == emb.nbytes
    assert scale.shape == offset.shape == (8,)
    error = np.abs(dequantize_int8(codes, scale, offset) - emb)
    assert np.all(error <= scale / 2 + 1e-6 * np.abs(emb).max())
    assert codes.min() == -128 and codes.max() == 127


@pytest.mark.parametrize("kind", ["sq8", "ivfpq"])
def test_compressed_indexes_find_the_exact_neighbours_and_skip_history(vectors, kind):
    user_emb, item_emb, exclude, _ = vectors
    index = faiss_index(item_emb, kind, nlist=16, nprobe=16, m=8)
    top = recommend_with_index(index, user_emb, 10, exclude, np.arange(60))
    assert top.shape == (60, 10) and top.dtype == np.int64
    seen = set(zip(exclude.user_id.tolist(), exclude.item_id.tolist(), strict=True))
    assert not any((u, i) in seen for u, row in enumerate(top.tolist()) for i in row)
    exact = exact_top_k(item_emb, user_emb, 14)[:, 4:]  # the 10 best after the history
    assert recall_against_exact(top, exact) > (0.9 if kind == "sq8" else 0.3)
    again = recommend_with_index(
        faiss_index(item_emb, kind, nlist=16, nprobe=16, m=8), user_emb, 10, exclude, range(60)
    )
    assert np.array_equal(top, again)  # seeded


def test_recommend_with_index_pads_with_minus_one_when_the_margin_runs_out(vectors):
    user_emb, item_emb, exclude, _ = vectors
    index = faiss_index(item_emb, "flat")
    top = recommend_with_index(index, user_emb, 10, exclude, [0, 1], extra=2)
    assert np.all(top[:, 8:] == -1) and np.all(top[:, :8] >= 0)  # 12 found, 4 were history
    full = recommend_with_index(index, user_emb, 10, exclude, [0, 1])  # extra = history length
    assert np.all(full >= 0) and np.array_equal(full[:, :8], top[:, :8])


def test_compression_table_sets_every_method_against_exact(vectors):
    user_emb, item_emb, exclude, relevant = vectors
    table = compression_table(
        user_emb, item_emb, np.arange(60), relevant, exclude, k=10, nlist=16, nprobe=4
    )
    assert table.method.tolist() == ["float32", "int8", "sq8", "ivf", "ivfpq"]
    exact = table.set_index("method").loc["float32"]
    assert exact.recall_vs_exact == 1.0 and exact.ndcg_diff == 0.0 and exact.ndcg_diff_se == 0.0
    assert exact.bytes == item_emb.nbytes
    assert table.set_index("method").loc["int8", "bytes"] == item_emb.size + 8 * 16
    assert table.set_index("method").loc["sq8", "recall_vs_exact"] > 0.9
    assert table["ndcg@10"].between(0, 1).all() and (table.ms_per_query > 0).all()
    again = compression_table(
        user_emb, item_emb, np.arange(60), relevant, exclude, k=10, nlist=16, nprobe=4
    )
    pd.testing.assert_frame_equal(
        table.drop(columns="ms_per_query"), again.drop(columns="ms_per_query")
    )


def test_compression_table_passes_nbits_to_product_quantisation(vectors):
    user_emb, item_emb, exclude, relevant = vectors
    common = dict(kinds=["ivfpq"], k=10, nlist=16, nprobe=4, m=8)
    six = compression_table(user_emb, item_emb, np.arange(60), relevant, exclude, nbits=6, **common)
    four = compression_table(
        user_emb, item_emb, np.arange(60), relevant, exclude, nbits=4, **common
    )
    # 8 codes of 6 bits take 6 bytes per item, of 4 bits 4: the serialised index shrinks
    assert four.bytes.item() < six.bytes.item()
    index = faiss_index(item_emb, "ivfpq", nlist=16, m=8, nbits=6)
    assert index.pq.nbits == 6 and index.code_size == 6


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda v, m: evaluate_full_ranking(m, [0], v[3], v[2], k=0), "k must be .* got 0"),
        (
            lambda v, m: evaluate_full_ranking(m, [0, 6], v[3], v[2], k=3),
            r"users must be ids in \[0, 6\), got 6",
        ),
        (lambda v, m: sample_users([1, 2], 0), "n must be a positive integer, got 0"),
        (lambda v, m: quantize_int8(np.zeros(5)), r"emb must be a 2-D .* got shape \(5,\)"),
        (lambda v, m: faiss_index(v[1][:10], "ivfpq", nlist=64), "nlist=64 .* got 10"),
        (lambda v, m: faiss_index(v[1], "ivfpq", m=5), "m=5"),
        (lambda v, m: faiss_index(v[1], "pq"), "kind must be one of .* got 'pq'"),
        (lambda v, m: recommend_with_index(None, v[0], 0, v[2], [0]), "k must be .* got 0"),
        (
            lambda v, m: recommend_with_index(None, v[0], 5, v[2], [60]),
            r"users .*\[0, 60\), got 60",
        ),
        (lambda v, m: compression_table(v[0], v[1], [0, 1], v[3], v[2], k=0), "k must be .* got 0"),
        (lambda v, m: compression_table(v[0], v[1], [0, 1], v[3], v[2], kinds=["pq"]), "'pq'"),
    ],
)
def test_bad_inputs_name_the_argument_and_value(vectors, tiny, call, match):
    with pytest.raises(ValueError, match=match):
        call(vectors, tiny[0])
