"""GF-CF, XSimGCL and NGCF against dense computations written out from their formulas."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import GFCF, NGCF, LightGCN, XSimGCL, info_nce
from gnnrec_utils.training import TrainConfig, train_step

# A tiny bipartite graph: 3 users, 4 items.
R = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 1, 1]], dtype=np.float64)


def events_of(r: np.ndarray) -> pd.DataFrame:
    u, i = np.nonzero(r)
    return pd.DataFrame({"user_id": u, "item_id": i})


def dense_adj(r: np.ndarray) -> np.ndarray:
    """D^-1/2 A D^-1/2 of the bipartite graph, written out."""
    nu, ni = r.shape
    a = np.zeros((nu + ni, nu + ni))
    a[:nu, nu:], a[nu:, :nu] = r, r.T
    d = a.sum(1)
    inv = np.where(d > 0, d**-0.5, 0.0)
    return inv[:, None] * a * inv[None, :]


@pytest.fixture
def adj():
    return normalized_adjacency(events_of(R), *R.shape)


def gfcf_by_hand(r: np.ndarray, alpha: float, rank: int) -> np.ndarray:
    du, di = r.sum(1), r.sum(0)
    rt = r / np.sqrt(du)[:, None] / np.sqrt(di)[None, :]
    v = np.linalg.svd(rt)[2][:rank].T
    return r @ rt.T @ rt + alpha * r @ np.diag(di**-0.5) @ v @ v.T @ np.diag(di**0.5)


# ---------------------------------------------------------------- GF-CF


def test_gfcf_on_a_3x3_matrix_equals_the_dense_formula():
    r = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=np.float64)
    # by hand: every degree is 2, so R~ = R / 2 and R~^T R~ = R^T R / 4
    rt = r / 2
    assert np.allclose(rt.T @ rt, r.T @ r / 4)
    model = GFCF(torch.tensor(r), 3, 3, alpha=0.5, rank=3, dtype=torch.float64)
    expected = gfcf_by_hand(r, 0.5, 3)
    # full rank: V V^T = I and equal degrees, so the ideal term is r_u itself
    assert np.allclose(expected, r @ r.T @ r / 4 + 0.5 * r)
    np.testing.assert_allclose(model.user_scores([0, 1, 2]).numpy(), expected, atol=1e-12)


def test_gfcf_low_rank_matches_numpy_and_sparse_input_equals_dense():
    rng = np.random.default_rng(0)
    r = (rng.random((20, 15)) < 0.3).astype(np.float64)
    r[:, 0] = r[0, :] = 1.0  # no empty row or column
    dense = GFCF(torch.tensor(r), 20, 15, alpha=0.3, rank=5, dtype=torch.float64)
    sparse = GFCF(torch.tensor(r).to_sparse(), 20, 15, alpha=0.3, rank=5, dtype=torch.float64)
    expected = gfcf_by_hand(r, 0.3, 5)
    np.testing.assert_allclose(dense.user_scores(np.arange(20)).numpy(), expected, atol=1e-10)
    np.testing.assert_allclose(sparse.user_scores(np.arange(20)).numpy(), expected, atol=1e-10)


def test_gfcf_cold_user_and_cold_item_score_zero():
    r = np.zeros((4, 5))
    r[:3, :4] = R
    model = GFCF(torch.tensor(r), 4, 5, rank=3, dtype=torch.float64)
    scores = model.user_scores(np.arange(4)).numpy()
    assert np.all(scores[3] == 0) and np.all(scores[:, 4] == 0)
    assert np.isfinite(scores).all()


def test_gfcf_recommend_ranks_user_scores_without_history():
    rng = np.random.default_rng(1)
    r = (rng.random((12, 9)) < 0.4).astype(np.float64)
    r[:, 0] = r[0, :] = 1.0
    model = GFCF(torch.tensor(r), 12, 9, rank=4, dtype=torch.float64)
    history = events_of(r)
    top = model.recommend(np.arange(12), k=3, exclude=history, chunk=5)
    scores = model.user_scores(np.arange(12)).numpy()
    scores[r > 0] = -np.inf
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :3]
    assert top.tolist() == expected.tolist()
    got = model.score(torch.tensor([0, 5]), torch.tensor([2, 3]))
    full = model.user_scores([0, 5])
    torch.testing.assert_close(got, torch.stack([full[0, 2], full[1, 3]]))
    assert "alpha=0.2, rank=4" in repr(model)


@pytest.mark.parametrize(
    ("matrix", "shape", "rank", "message"),
    [
        (torch.ones(3, 4), (3, 5), 2, r"expected a \(num_users, num_items\) = \(3, 5\)"),
        (torch.zeros(3, 4), (3, 4), 2, "no interaction"),
        (torch.ones(3, 4), (3, 4), 4, "rank=4 is larger than min"),
        (torch.ones(3, 4), (3, 4), 0, "rank must be a positive integer"),
    ],
)
def test_gfcf_bad_input(matrix, shape, rank, message):
    with pytest.raises(ValueError, match=message):
        GFCF(matrix, *shape, rank=rank)


def test_gfcf_has_no_embeddings():
    with pytest.raises(NotImplementedError, match="user_scores"):
        GFCF(torch.tensor(R), 3, 4, rank=2).get_embedding()


# ---------------------------------------------------------------- XSimGCL


def test_info_nce_of_identical_orthogonal_views_by_hand():
    z = torch.tensor([[2.0, 0.0], [0.0, 3.0]])  # unit length after normalising
    tau = 0.5
    # each row: -log(e^{1/tau} / (e^{1/tau} + e^0)) = log(1 + e^{-1/tau})
    assert info_nce(z, z, tau).item() == pytest.approx(math.log1p(math.exp(-1 / tau)))


def test_info_nce_equals_a_brute_force_sum():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    za, zb = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    tau, total = 0.2, 0.0
    for i in range(6):
        logits = [float(za[i] @ zb[j]) / tau for j in range(6)]
        total -= logits[i] - math.log(sum(math.exp(x) for x in logits))
    assert info_nce(a, b, tau).item() == pytest.approx(total / 6, rel=1e-5)


def test_xsimgcl_without_noise_is_lightgcn(adj):
    torch.manual_seed(0)
    light = LightGCN(adj, 3, 4, embedding_dim=5, num_layers=2)
    model = XSimGCL(adj, 3, 4, embedding_dim=5, num_layers=2, eps=0.0)
    model.embedding.weight.data.copy_(light.embedding.weight.data)
    for mode in (model.train, model.eval):
        mode()
        for mine, theirs in zip(model.get_embedding(), light.get_embedding(), strict=True):
            torch.testing.assert_close(mine, theirs)
    noisy = XSimGCL(adj, 3, 4, embedding_dim=5, num_layers=2, eps=0.1).eval()
    noisy.embedding.weight.data.copy_(light.embedding.weight.data)
    torch.testing.assert_close(noisy.get_embedding()[0], light.get_embedding()[0])


def test_xsimgcl_noise_has_length_eps_and_the_signs_of_the_embedding(adj):
    model = XSimGCL(adj, 3, 4, embedding_dim=6, eps=0.3, seed=1)
    x = torch.randn(7, 6, generator=torch.Generator().manual_seed(0))
    noise = model._noise(x)
    torch.testing.assert_close(noise.norm(dim=1), torch.full((7,), 0.3))
    assert torch.all(torch.sign(noise) == torch.sign(x))
    model.reset_parameters()  # the same seed draws the same noise again
    first = model._noise(x)
    model.reset_parameters()
    torch.testing.assert_close(model._noise(x), first)


def test_xsimgcl_contrastive_loss_by_hand_and_through_train_step(adj):
    torch.manual_seed(0)
    model = XSimGCL(adj, 3, 4, embedding_dim=4, num_layers=2, eps=0.0, cl_weight=0.5)
    a, e0 = torch.tensor(dense_adj(R), dtype=torch.float), model.embedding.weight.detach()
    e1 = a @ e0
    final = (e0 + e1 + a @ e1) / 3
    users, pos, neg = torch.tensor([0, 2, 2]), torch.tensor([1, 0, 3]), torch.tensor([2, 1, 1])
    u, i = torch.tensor([0, 2]), torch.tensor([0, 1, 3]) + 3
    expected = 0.5 * (
        info_nce(final[u], e1[u], model.temperature) + info_nce(final[i], e1[i], model.temperature)
    )
    model.train()
    model.get_embedding()
    torch.testing.assert_close(model.extra_loss(users, pos).detach(), expected)
    with pytest.raises(RuntimeError, match="get_embedding"):
        model.extra_loss(users, pos)  # the views of a pass are used once
    # train_step adds the term: its loss minus LightGCN's on the same weights
    light = LightGCN(adj, 3, 4, embedding_dim=4, num_layers=2)
    light.embedding.weight.data.copy_(e0)
    config = TrainConfig(reg_weight=1e-3)
    lr0 = torch.optim.SGD(light.parameters(), lr=0.0)
    base = train_step(light, lr0, users, pos, neg, config)
    before = e0.clone()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    total = train_step(model, opt, users, pos, neg, config)
    assert total == pytest.approx(base + expected.item(), rel=1e-5)
    assert not torch.equal(model.embedding.weight.detach(), before)  # gradients reached E0


def test_xsimgcl_gradient_flows_with_noise(adj):
    model = XSimGCL(adj, 3, 4, embedding_dim=4, eps=0.2).train()
    user_emb, item_emb = model.get_embedding()
    loss = (user_emb @ item_emb.T).sum() + model.extra_loss(torch.tensor([0, 1]), torch.tensor([1]))
    loss.backward()
    assert model.embedding.weight.grad.abs().sum() > 0
    assert user_emb.shape == (3, 4) and item_emb.shape == (4, 4)


# ---------------------------------------------------------------- NGCF


def test_ngcf_one_layer_by_hand(adj):
    model = NGCF(adj, 3, 4, embedding_dim=2, num_layers=1, message_dropout=0.0)
    e0 = torch.arange(14, dtype=torch.float).reshape(7, 2) / 10 - 0.4
    w1, w2 = torch.tensor([[1.0, -1.0], [0.5, 2.0]]), torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    b1, b2 = torch.tensor([0.1, -0.2]), torch.tensor([0.0, 0.3])
    with torch.no_grad():
        model.embedding.weight.copy_(e0)
        model.w1[0].weight.copy_(w1), model.w1[0].bias.copy_(b1)
        model.w2[0].weight.copy_(w2), model.w2[0].bias.copy_(b2)
    a, e = dense_adj(R), e0.double().numpy()
    side = a @ e
    pre = (side + e) @ w1.double().numpy().T + b1.numpy() + (side * e) @ w2.double().numpy().T
    pre = pre + b2.numpy()
    e1 = np.where(pre > 0, pre, 0.2 * pre)
    e1 = e1 / np.linalg.norm(e1, axis=1, keepdims=True)
    expected = np.concatenate([e, e1], axis=1)
    user_emb, item_emb = model.eval().get_embedding()
    got = torch.cat([user_emb, item_emb]).detach().double().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_ngcf_shapes_gradients_and_dropout(adj):
    torch.manual_seed(0)
    model = NGCF(adj, 3, 4, embedding_dim=4, num_layers=3, message_dropout=0.5)
    user_emb, item_emb = model.train().get_embedding()
    assert user_emb.shape == (3, 16) and item_emb.shape == (4, 16)
    (user_emb @ item_emb.T).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    model.eval()
    torch.testing.assert_close(model.get_embedding()[0], model.get_embedding()[0])
    assert "num_layers=3, message_dropout=0.5" in repr(model)
    before = model.w1[0].weight.detach().clone()
    model.reset_parameters()
    assert not torch.equal(model.w1[0].weight, before)
    assert torch.all(model.w1[0].bias == 0)


# ---------------------------------------------------------------- bad graphs


@pytest.mark.parametrize("cls", [XSimGCL, NGCF])
def test_graph_models_refuse_a_wrong_or_empty_adjacency(cls, adj):
    with pytest.raises(ValueError, match=r"3 users \+ 5 items \(8 x 8\), got \(7, 7\)"):
        cls(adj, 3, 5)
    empty = torch.zeros(7, 7).to_sparse_csr()
    with pytest.raises(ValueError, match="no edge"):
        cls(empty, 3, 4)


def test_xsimgcl_refuses_a_layer_it_does_not_have(adj):
    with pytest.raises(ValueError, match="cl_layer must lie in 1..num_layers=2, got 3"):
        XSimGCL(adj, 3, 4, num_layers=2, cl_layer=3)
    with pytest.raises(ValueError, match="temperature > 0"):
        XSimGCL(adj, 3, 4, temperature=0.0)


def test_xsimgcl_cl_batch_contrasts_a_seeded_subset(adj):
    model = XSimGCL(adj, 3, 4, embedding_dim=4, eps=0.0, cl_batch=2, seed=5)
    ids = torch.arange(4)
    picked = model._some(ids)
    assert len(picked) == 2 and len(set(picked.tolist())) == 2
    model.reset_parameters()
    assert model._some(ids).tolist() == picked.tolist()
    assert model._some(ids[:2]).tolist() == [0, 1]  # no more than cl_batch: all kept
    assert "cl_batch=2" in repr(model)
    with pytest.raises(ValueError, match="cl_batch must be a positive integer"):
        XSimGCL(adj, 3, 4, cl_batch=0)
