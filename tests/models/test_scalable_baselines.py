"""ItemKNN's sparse, blocked path against the dense one, and EASE^R's memory check."""

import time

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.models import EASE, ItemKNN, ease_memory_bytes, topk_excluding


def random_interactions(num_users, num_items, density, seed, weighted=False):
    """Sparse COO (num_users, num_items); weighted values make cosine ties unlikely."""
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(num_users, num_items, generator=g) < density
    values = torch.rand(num_users, num_items, generator=g) + 0.5 if weighted else 1.0
    return (mask * values).float().to_sparse()


def dense_reference(r: torch.Tensor, top_neighbours: int | None) -> torch.Tensor:
    """The dense path as it was written before the sparse one: the similarity buffer."""
    r = r.to_dense()
    norm = r.norm(dim=0).clamp_min(1e-12)
    sim = (r.T @ r) / norm[:, None] / norm[None, :]
    sim.fill_diagonal_(0.0)
    if top_neighbours is not None and top_neighbours < sim.shape[1]:
        keep = sim.topk(top_neighbours, dim=1).indices
        sim = torch.zeros_like(sim).scatter_(1, keep, sim.gather(1, keep))
    return sim.T.contiguous()


@pytest.fixture(scope="module")
def history():
    r = random_interactions(40, 30, 0.2, seed=3)
    users, items = r.coalesce().indices().numpy()
    return r, pd.DataFrame({"user_id": users, "item_id": items})


@pytest.mark.parametrize("top_neighbours", [None, 4])
@pytest.mark.parametrize("as_dense", [False, True])
def test_dense_path_is_unchanged(history, top_neighbours, as_dense):
    r, exclude = history
    model = ItemKNN(r.to_dense() if as_dense else r, top_neighbours=top_neighbours)
    sim = dense_reference(r, top_neighbours)
    assert torch.equal(model.similarity, sim)
    expected = topk_excluding(lambda u: r.to_dense()[u] @ sim.T, np.arange(40), exclude, 5)
    assert np.array_equal(model.recommend(np.arange(40), 5, exclude=exclude), expected)
    assert repr(model) == "ItemKNN(num_users=40, num_items=30)"


@pytest.mark.parametrize("block_size", [1, 7, 64])
def test_sparse_similarity_equals_the_dense_top_k_without_ties(block_size):
    r = random_interactions(50, 40, 0.25, seed=0, weighted=True)
    dense = ItemKNN(r, top_neighbours=5)
    sparse = ItemKNN(r, top_neighbours=5, block_size=block_size)
    assert sparse.similarity.layout == torch.sparse_csr
    torch.testing.assert_close(sparse.similarity.to_dense(), dense.similarity)
    assert torch.equal(sparse.similarity.to_dense() != 0, dense.similarity != 0)
    users = np.arange(50)
    exclude = pd.DataFrame({"user_id": [0, 0, 7], "item_id": [1, 2, 3]})
    assert np.array_equal(
        sparse.recommend(users, 6, exclude=exclude, chunk=9),
        dense.recommend(users, 6, exclude=exclude),
    )


def test_sparse_keeps_the_dense_values_when_binary_cosines_tie(history):
    r, _ = history
    dense, sparse = ItemKNN(r, top_neighbours=3), ItemKNN(r, top_neighbours=3, block_size=8)
    # column j holds item j's neighbours: same kept values, ties may pick other items
    by_column = torch.sort(sparse.similarity.to_dense(), dim=0).values
    assert torch.equal(by_column, torch.sort(dense.similarity, dim=0).values)
    every = ItemKNN(r, top_neighbours=30, block_size=8)  # nothing cut: nothing to tie on
    assert torch.equal(every.similarity.to_dense(), ItemKNN(r).similarity)


def test_equal_similarities_at_the_cut_go_to_the_lower_item_id():
    # item 0 co-occurs once with each of items 1, 2, 3, all with the same cosine
    r = torch.tensor([[1.0, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1]])
    model = ItemKNN(r.to_sparse(), top_neighbours=2, block_size=2)
    assert model.similarity.to_dense()[:, 0].nonzero().ravel().tolist() == [1, 2]


def test_sparse_path_takes_coo_csr_or_dense_input_alike(history):
    r, _ = history
    expected = ItemKNN(r, top_neighbours=4, block_size=5).similarity.to_dense()
    for x in (r.to_dense(), r.to_sparse_csr(), r.to_dense().double()):
        model = ItemKNN(x, top_neighbours=4, block_size=5)
        assert torch.equal(model.similarity.to_dense(), expected)


def test_sparse_scores_and_interface(history):
    r, exclude = history
    dense, sparse = ItemKNN(r, top_neighbours=30), ItemKNN(r, top_neighbours=30, block_size=4)
    users, items = torch.tensor([0, 5, 5]), torch.tensor([[1, 2], [3, 4], [0, 29]])
    torch.testing.assert_close(sparse.score(users, items), dense.score(users, items))
    torch.testing.assert_close(sparse.score(users, items[:, 0]), dense.score(users, items[:, 0]))
    top = sparse.recommend(np.arange(40), 4, exclude=exclude, chunk=16)
    seen = set(zip(exclude.user_id, exclude.item_id, strict=True))
    assert not any((u, i) in seen for u, row in enumerate(top.tolist()) for i in row)
    with pytest.raises(NotImplementedError, match="block_size=4"):
        sparse.get_embedding()
    assert "top_neighbours=30, block_size=4" in repr(sparse)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"block_size": 8}, "top_neighbours"),
        ({"block_size": 0, "top_neighbours": 3}, "block_size must be a positive integer, got 0"),
        ({"block_size": 8, "top_neighbours": -1}, "top_neighbours must be .* got -1"),
    ],
)
def test_sparse_path_rejects_bad_arguments(history, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ItemKNN(history[0], **kwargs)


def test_fifty_thousand_items_fit_where_the_dense_similarity_would_take_ten_gb():
    num_users, num_items, per_user = 20_000, 50_000, 5
    rng = np.random.default_rng(0)
    index = torch.tensor(
        np.stack(
            [np.repeat(np.arange(num_users), per_user), rng.integers(0, num_items, num_users * 5)]
        )
    )
    r = torch.sparse_coo_tensor(
        index, torch.ones(index.shape[1]), (num_users, num_items), check_invariants=False
    )
    assert num_items**2 * 4 > 9.9e9  # what the dense similarity would need
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a loaded 2-core machine, thread hand-offs cost more than ops
    try:
        start = time.perf_counter()
        model = ItemKNN(r, top_neighbours=20, block_size=8192)
        top = model.recommend(np.arange(64), 10)
        assert time.perf_counter() - start < 3.0
    finally:
        torch.set_num_threads(threads)
    assert top.shape == (64, 10)
    assert model.similarity.values().numel() <= num_items * 20


# --- EASE ---------------------------------------------------------------------------


def test_ease_memory_counts_two_and_a_quarter_item_matrices_and_a_user_block():
    assert ease_memory_bytes(num_items=1000) == 2.25 * 1000**2 * 8
    assert (
        ease_memory_bytes(num_users=50, num_items=1000, dtype=torch.float32)
        == (2.25 * 1000**2 + 50 * 1000) * 4
    )
    # a scoring chunk of at most 1,024 users, not the whole dense interaction matrix
    assert ease_memory_bytes(num_users=10**6, num_items=1000) == (2.25 * 1000**2 + 1024 * 1000) * 8


def test_ease_in_its_one_buffer_equals_the_closed_form_and_stays_within_its_estimate():
    """Gram in blocks, inverse in place: the same B as ``torch.linalg.inv``, and the peak
    memory of the fit under the estimate."""
    from gnnrec_utils.machine import peak_rss_bytes, rss_bytes

    rng = np.random.default_rng(3)
    x = torch.tensor((rng.random((900, 2500)) < 0.01).astype(np.float64))
    p = torch.linalg.inv(x.T @ x + 30.0 * torch.eye(2500, dtype=torch.float64))
    expected = -p / torch.diagonal(p)
    expected.fill_diagonal_(0.0)
    sparse = x.to_sparse()
    before = rss_bytes()
    peak_rss_bytes(reset=True)
    model = EASE(sparse, l2=30.0)
    peak = peak_rss_bytes()
    torch.testing.assert_close(model.weights, expected, rtol=1e-9, atol=1e-12)
    users = np.array([0, 5, 899])
    torch.testing.assert_close(model.scorer()(users), x[users] @ expected)
    if peak is not None and before is not None:  # Linux: VmHWM can be reset and read
        assert peak - before <= ease_memory_bytes(num_items=2500) + 2**24
    with pytest.raises(ValueError, match="num_items must be a non-negative integer, got -1"):
        ease_memory_bytes(num_items=-1)


def test_ease_refuses_before_allocating_when_over_max_bytes():
    x = torch.zeros(5, 1_000_000).to_sparse()  # dense, this alone would be 40 MB
    need = ease_memory_bytes(num_users=5, num_items=1_000_000)
    with pytest.raises(MemoryError, match=f"1,000,000 items needs .*{need:,} bytes.*1,000"):
        EASE(x, max_bytes=1000)
    small = (torch.rand(20, 6, generator=torch.Generator().manual_seed(0)) < 0.4).double()
    with pytest.raises(MemoryError, match="6 items"):
        EASE(small, max_bytes=ease_memory_bytes(num_users=20, num_items=6) - 1)
    fitted = EASE(small, l2=2.0, max_bytes=ease_memory_bytes(num_users=20, num_items=6))
    assert torch.equal(fitted.weights_t, EASE(small, l2=2.0, max_bytes=float("inf")).weights_t)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 33, 100])
def test_ease_inverse_recursion_equals_linalg_inv_at_every_split(monkeypatch, n):
    """The in-place inverse recurses on halves above ``_LEAF``; with a leaf of 2 every
    split (odd and even halves, several levels) is exercised on a small matrix."""
    from gnnrec_utils.models import ease as ease_module

    monkeypatch.setattr(ease_module, "_LEAF", 2)
    rng = np.random.default_rng(n)
    x = torch.tensor(rng.random((2 * n, n)))
    g = x.T @ x + torch.eye(n, dtype=torch.float64)
    a = g.clone()
    ease_module._invert_spd_in_place(a)
    torch.testing.assert_close(a, torch.linalg.inv(g), rtol=1e-10, atol=1e-12)
    assert torch.equal(a, a.T)
