"""SampledLightGCN, exact layer-wise inference and the sampled training loop."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.graph import (
    BipartiteCSR,
    layerwise_embedding,
    normalized_adjacency,
    normalized_csr,
)
from gnnrec_utils.models import SampledLightGCN, lightgcn_embedding
from gnnrec_utils.training import PositiveSet, SampledConfig, epoch_pairs, train_sampled

# 3 users, 4 items: u0-i0, u0-i1, u1-i1, u1-i2, u2-i2, u2-i3, u2-i0
USERS = torch.tensor([0, 0, 1, 1, 2, 2, 2])
ITEMS = torch.tensor([0, 1, 1, 2, 2, 3, 0])


def tiny_graph() -> BipartiteCSR:
    return BipartiteCSR(USERS, ITEMS, num_users=3, num_items=4)


def test_normalized_csr_equals_the_kits_adjacency():
    events = pd.DataFrame({"user_id": USERS.numpy(), "item_id": ITEMS.numpy()})
    expected = normalized_adjacency(events, 3, 4).to_dense()
    assert torch.allclose(normalized_csr(tiny_graph()).to_dense(), expected)


@pytest.mark.parametrize("chunk_rows", [1, 3, 100])
def test_layerwise_embedding_equals_full_propagation(chunk_rows):
    adj = normalized_csr(tiny_graph())
    emb = torch.randn(7, 5, generator=torch.Generator().manual_seed(0))
    expected = lightgcn_embedding(adj, emb, 3)
    assert torch.allclose(layerwise_embedding(adj, emb, 3, chunk_rows=chunk_rows), expected)


def test_layerwise_embedding_rejects_bad_input():
    adj = normalized_csr(tiny_graph())
    with pytest.raises(ValueError, match=r"adj must be \(6, 6\)"):
        layerwise_embedding(adj, torch.zeros(6, 2), 2)
    with pytest.raises(ValueError, match="chunk_rows must be positive, got 0"):
        layerwise_embedding(adj, torch.zeros(7, 2), 2, chunk_rows=0)


def test_forward_with_every_neighbour_is_lightgcn():
    """Given the whole graph as its 'sample', a forward pass is exact LightGCN."""
    graph = tiny_graph()
    model = SampledLightGCN(graph.degree, 3, 4, embedding_dim=4, num_layers=2)
    # every stored direction as a message: source = neighbour, target = node
    target = torch.repeat_interleave(torch.arange(graph.num_nodes), graph.degree)
    edge_index = torch.stack([graph.indices, target])
    out, ego = model(torch.arange(7), edge_index)
    expected = lightgcn_embedding(normalized_csr(graph), model.embedding.weight, 2)
    assert torch.allclose(out, expected, atol=1e-6)
    assert torch.equal(ego, model.embedding.weight)
    model.attach(normalized_csr(graph))
    users, items = model.get_embedding()
    assert torch.allclose(torch.cat([users, items]), expected, atol=1e-6)


def test_forward_rescales_a_partial_draw():
    """One of two neighbours drawn: the draw counts twice (d_i / s_i = 2)."""
    graph = tiny_graph()  # user 0 has items 0 and 1 (nodes 3 and 4)
    model = SampledLightGCN(graph.degree, 3, 4, embedding_dim=2, num_layers=1)
    with torch.no_grad():
        model.embedding.weight.copy_(torch.arange(14.0).view(7, 2))
    n_id = torch.tensor([0, 3])  # user 0 and item 0
    out, _ = model(n_id, torch.tensor([[1], [0]]))  # item 0 -> user 0
    deg_u, deg_i = 2.0, 2.0  # user 0 has 2 items; item 0 has users 0 and 2
    layer1 = 2 / (deg_u * deg_i) ** 0.5 * model.embedding.weight[3]
    expected = 0.5 * model.embedding.weight[0] + 0.5 * layer1
    assert torch.allclose(out[0], expected)


def test_model_rejects_wrong_degree_and_graph():
    with pytest.raises(ValueError, match=r"degree must have shape \(7,\)"):
        SampledLightGCN(torch.ones(6), 3, 4)
    model = SampledLightGCN(torch.ones(7), 3, 4)
    with pytest.raises(RuntimeError, match="attach"):
        model.get_embedding()
    with pytest.raises(ValueError, match=r"adj must be \(7, 7\)"):
        model.attach(torch.eye(6).to_sparse_csr())


def test_epoch_pairs_do_not_depend_on_the_number_of_ranks():
    users, items = clustered_pairs()
    positives = PositiveSet(users, items, num_users=40, num_items=30)
    one = epoch_pairs(positives, epoch=3, seed=1, rank=0, size=1, negatives=True)
    two = [epoch_pairs(positives, epoch=3, seed=1, rank=r, size=2, negatives=True) for r in (0, 1)]
    assert sum(len(t[0]) for t in two) == len(positives)

    # global step t with 2 x 6 pairs is the single process's positions 12t .. 12t + 11
    def rows(triple, lo, hi):
        return sorted(map(tuple, torch.stack([x[lo:hi] for x in triple], 1).tolist()))

    for t in range(len(positives) // 12):
        union = sorted(rows(two[0], 6 * t, 6 * t + 6) + rows(two[1], 6 * t, 6 * t + 6))
        assert union == rows(one, 12 * t, 12 * t + 12)
    assert not positives.contains(one[0], one[2]).any()  # negatives are not positives
    other_epoch = epoch_pairs(positives, epoch=4, seed=1, rank=0, size=1, negatives=True)
    assert not torch.equal(one[1], other_epoch[1])
    assert epoch_pairs(positives, 3, 1, 0, 1, negatives=False)[2] is None


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="negatives must be"):
        SampledConfig(negatives="hard")
    with pytest.raises(ValueError, match="batch_size must be positive, got 0"):
        SampledConfig(batch_size=0)


def clustered_pairs(seed=0):
    """Two taste groups: users 0-19 like items 0-14, users 20-39 like items 15-29."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(40):
        lo = 0 if u < 20 else 15
        chosen = rng.choice(np.arange(lo, lo + 15), 6, replace=False)
        users += [u] * 6
        items += chosen.tolist()
    return torch.tensor(users), torch.tensor(items)


@pytest.mark.parametrize("negatives", ["uniform", "in_batch"])
def test_sampled_training_learns_the_groups(negatives):
    users, items = clustered_pairs()
    positives = PositiveSet(users, items, num_users=40, num_items=30)
    graph = BipartiteCSR.from_positives(positives)
    model = SampledLightGCN(graph.degree, 40, 30, embedding_dim=8, num_layers=2)
    model.attach(normalized_csr(graph))
    config = SampledConfig(
        num_epochs=30, batch_size=32, num_neighbors=[4, 4], lr=0.05, negatives=negatives
    )
    history = train_sampled(model, graph, positives, config, progress=False)
    assert history.loss.iloc[-3:].mean() < 0.8 * history.loss.iloc[:3].mean()
    user_emb, item_emb = model.get_embedding()
    scores = user_emb @ item_emb.T
    own = torch.cat([scores[:20, :15].flatten(), scores[20:, 15:].flatten()]).mean()
    other = torch.cat([scores[:20, 15:].flatten(), scores[20:, :15].flatten()]).mean()
    assert own > other + 0.1


def test_validation_restores_the_best_epoch():
    users, items = clustered_pairs()
    positives = PositiveSet(users, items, num_users=40, num_items=30)
    graph = BipartiteCSR.from_positives(positives)
    model = SampledLightGCN(graph.degree, 40, 30, embedding_dim=8, num_layers=1)
    model.attach(normalized_csr(graph))
    scores = iter([0.1, 0.5, 0.2, 0.3, 0.4, 0.9])
    kept = {}

    def validate(m):
        score = next(scores)
        kept[score] = m.embedding.weight.detach().clone()
        return score

    config = SampledConfig(num_epochs=6, batch_size=32, num_neighbors=[3], patience=3)
    history = train_sampled(model, graph, positives, config, validate=validate, progress=False)
    assert len(history) == 5  # 0.5 at epoch 2, then three epochs without a gain
    assert torch.equal(model.embedding.weight, kept[0.5])


def test_training_refuses_uneven_batches_and_more_ranks_than_pairs(monkeypatch):
    from gnnrec_utils.training import distributed, sampled

    positives = PositiveSet(torch.tensor([0]), torch.tensor([0]), num_users=1, num_items=2)
    graph = BipartiteCSR.from_positives(positives)
    model = SampledLightGCN(graph.degree, 1, 2)
    monkeypatch.setattr(sampled, "rank_and_size", lambda: (0, 2))
    monkeypatch.setattr(distributed, "rank_and_size", lambda: (0, 2))
    with pytest.raises(ValueError, match="batch_size 3 must be a multiple of the 2 ranks"):
        train_sampled(model, graph, positives, SampledConfig(batch_size=4 - 1), progress=False)
    with pytest.raises(ValueError, match="2 ranks need at least 2 positive pairs to shard, got 1"):
        train_sampled(model, graph, positives, SampledConfig(batch_size=2), progress=False)
