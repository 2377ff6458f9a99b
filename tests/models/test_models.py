"""Models: the shared interface and full-ranking top-K against direct computations."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import (
    EASE,
    ItemKNN,
    LightGCN,
    MatrixFactorization,
    MultiBehaviorGCN,
    Popularity,
    item_attribute_codes,
    lightgcn_embedding,
    stable_topk,
    topk_excluding,
    user_attribute_codes,
)
from gnnrec_utils.training import load_checkpoint, save_checkpoint


@pytest.fixture(scope="module")
def shop(tiny_shop):
    return tiny_shop


def test_lightgcn_embedding_is_the_layer_average(shop):
    adj = normalized_adjacency(shop.events, shop.num_users, shop.num_items)
    model = LightGCN(adj, shop.num_users, shop.num_items, embedding_dim=8, num_layers=2)
    dense, e0 = adj.to_dense(), model.embedding.weight.detach()
    expected = (e0 + dense @ e0 + dense @ (dense @ e0)) / 3
    user_emb, item_emb = model.get_embedding()
    torch.testing.assert_close(
        torch.cat([user_emb, item_emb]).detach(), expected, atol=1e-5, rtol=1e-5
    )


def test_score_is_a_dot_product_for_pairs_and_candidate_lists():
    model = MatrixFactorization(4, 5, embedding_dim=3)
    users, items = torch.tensor([0, 3]), torch.tensor([4, 1])
    expected = (model.user.weight[users] * model.item.weight[items]).sum(1)
    torch.testing.assert_close(model.score(users, items), expected)
    many = model.score(users, torch.tensor([[4, 1], [1, 0]]))
    torch.testing.assert_close(many[0, 0], expected[0])
    torch.testing.assert_close(many[1, 0], (model.user.weight[3] * model.item.weight[1]).sum())
    torch.testing.assert_close(many[1, 1], (model.user.weight[3] * model.item.weight[0]).sum())


def test_topk_excludes_history_and_breaks_ties_by_item_id():
    scores = torch.tensor([[0.9, 0.5, 0.5, 0.1], [0.0, 0.0, 0.0, 1.0]])
    history = pd.DataFrame({"user_id": [0, 1], "item_id": [0, 3]})
    top = topk_excluding(lambda u: scores[u], np.array([0, 1]), history, k=2, chunk=1)
    assert top.tolist() == [[1, 2], [0, 1]]


@pytest.mark.parametrize("seed", range(5))
def test_stable_topk_equals_a_full_stable_sort(seed):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randint(0, 6, (40, 50), generator=g).double()  # many ties, some past the window
    scores[:5] = 1.0  # rows of all-equal scores
    scores[5:10] = torch.rand(5, 50, generator=g, dtype=torch.float64)
    expected = torch.sort(-scores, dim=1, stable=True).indices[:, :10]
    assert torch.equal(stable_topk(scores, 10, margin=3), expected)


def test_recommend_matches_brute_force_and_excludes_history():
    torch.manual_seed(0)
    model = MatrixFactorization(5, 12, embedding_dim=4)
    exclude = pd.DataFrame({"user_id": [0, 0, 3], "item_id": [1, 7, 2]})
    top = model.recommend([0, 3], k=4, exclude=exclude)
    scores = (model.user.weight @ model.item.weight.T).detach().numpy()
    scores[0, [1, 7]] = scores[3, 2] = -np.inf
    assert top.tolist() == [
        np.argsort(-scores[0], kind="stable")[:4].tolist(),
        np.argsort(-scores[3], kind="stable")[:4].tolist(),
    ]


def test_multibehavior_gcn_with_one_behavior_is_lightgcn_over_encoded_inputs(shop):
    adj = normalized_adjacency(shop.events, shop.num_users, shop.num_items)
    uc, ucard = user_attribute_codes(shop.users)
    ic, icard = item_attribute_codes(shop.items)
    model = MultiBehaviorGCN({"all": adj}, uc, ic, ucard, icard, embedding_dim=8, num_layers=2)
    x = torch.cat([model.user_encoder(uc), model.item_encoder(ic)])
    expected = lightgcn_embedding(adj, x, num_layers=2)
    user_emb, item_emb = model.get_embedding()
    torch.testing.assert_close(torch.cat([user_emb, item_emb]), expected, atol=1e-6, rtol=1e-5)
    assert model.behavior_weights() == {"all": 1.0}


def test_checkpoints_hold_weights_only_and_round_trip(shop, tmp_path):
    adj = normalized_adjacency(shop.events, shop.num_users, shop.num_items)
    model = LightGCN(adj, shop.num_users, shop.num_items, embedding_dim=4)
    assert list(model.state_dict()) == ["embedding.weight"]  # the graph is data, not a weight
    save_checkpoint(model, tmp_path / "ckpt" / "lightgcn.pt")
    other = LightGCN(adj, shop.num_users, shop.num_items, embedding_dim=4)
    assert not torch.equal(other.embedding.weight, model.embedding.weight)
    load_checkpoint(other, tmp_path / "ckpt" / "lightgcn.pt")
    torch.testing.assert_close(other.embedding.weight, model.embedding.weight)


def test_graph_and_codes_are_buffers_that_move_with_the_model_but_stay_out_of_checkpoints(shop):
    adj = normalized_adjacency(shop.events, shop.num_users, shop.num_items)
    uc, ucard = user_attribute_codes(shop.users)
    ic, icard = item_attribute_codes(shop.items)
    model = MultiBehaviorGCN({"pv": adj}, uc, ic, ucard, icard, embedding_dim=4).to(torch.float64)
    assert model.adj_pv.dtype == torch.float64 and model.adj_pv.layout == torch.sparse_csr
    assert not any(k.startswith(("adj", "user_codes", "item_codes")) for k in model.state_dict())
    assert model.get_embedding()[0].dtype == torch.float64


def test_popularity_ranks_by_training_counts():
    model = Popularity([3, 9, 1, 9], num_users=2)
    assert model.recommend([0, 1], k=3).tolist() == [[1, 3, 0], [1, 3, 0]]  # tie: lower id first


def test_itemknn_scores_are_summed_cosines_to_the_history():
    r = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    model = ItemKNN(r)

    def cos(a, b):
        return float(r[:, a] @ r[:, b] / (r[:, a].norm() * r[:, b].norm()))

    # user 2 has item 1: item 0 scores cos(0, 1), item 2 scores cos(2, 1) = 0
    scores = model.score(torch.tensor([2, 2]), torch.tensor([0, 2]))
    torch.testing.assert_close(scores, torch.tensor([cos(0, 1), 0.0]))
    # user 0 has items 0 and 1: item 2 scores cos(2, 0) + cos(2, 1)
    torch.testing.assert_close(
        model.score(torch.tensor([0]), torch.tensor([2])), torch.tensor([cos(2, 0) + cos(2, 1)])
    )
    pruned = ItemKNN(r, top_neighbours=1)
    assert (pruned.similarity != 0).sum(0).max() <= 1  # one neighbour per item


def test_ease_matches_its_closed_form_and_has_a_zero_diagonal():
    torch.manual_seed(0)
    x = (torch.rand(30, 8) < 0.3).double()
    model = EASE(x, l2=2.0)
    p = torch.linalg.inv(x.T @ x + 2.0 * torch.eye(8, dtype=torch.float64))
    b = -p / torch.diagonal(p)
    b.fill_diagonal_(0.0)
    assert torch.all(torch.diagonal(model.weights_t) == 0)
    torch.testing.assert_close(
        model.score(torch.arange(30).repeat_interleave(8), torch.arange(8).repeat(30)),
        (x @ b).reshape(-1),
    )
    # B minimises the ridge objective: a small step off it (off the diagonal) costs more

    def objective(w):
        return ((x - x @ w) ** 2).sum() + 2.0 * (w**2).sum()

    nudge = torch.zeros(8, 8, dtype=torch.float64)
    nudge[0, 1] = 1e-3
    assert objective(b) < objective(b + nudge) and objective(b) < objective(b - nudge)
