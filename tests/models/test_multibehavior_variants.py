"""The multi-behaviour variants: a mixture per layer, the unified graph refined per
behaviour, the cascade, the auxiliary loss."""

import pandas as pd
import pytest
import torch

from gnnrec_utils.data import temporal_split
from gnnrec_utils.graph import normalized_adjacency, union_adjacency
from gnnrec_utils.models import CascadeGCN, MultiBehaviorGCN, lightgcn_embedding
from gnnrec_utils.training import PositiveSet, TrainConfig, bpr_loss, l2_reg, train, train_step


@pytest.fixture(scope="module")
def shop(tiny_shop):
    return tiny_shop


def graphs(shop, behaviors=("fav", "cart", "buy")):
    ev = shop.events
    return {
        b: normalized_adjacency(ev[ev.behavior == b], shop.num_users, shop.num_items)
        for b in behaviors
    }


def no_attributes(num_users, num_items):
    return (
        torch.zeros((num_users, 0), dtype=torch.long),
        torch.zeros((num_items, 0), dtype=torch.long),
        [],
        [],
    )


def test_a_mixture_per_layer_starts_equal_to_the_shared_one_and_can_differ(shop):
    adjs, codes = graphs(shop), no_attributes(shop.num_users, shop.num_items)
    torch.manual_seed(0)
    shared = MultiBehaviorGCN(adjs, *codes, embedding_dim=8, num_layers=2)
    torch.manual_seed(0)
    per_layer = MultiBehaviorGCN(adjs, *codes, embedding_dim=8, num_layers=2, layer_weights=True)
    assert per_layer.behavior_logits.shape == (2, 3)
    torch.testing.assert_close(per_layer.get_embedding()[1], shared.get_embedding()[1])
    assert per_layer.behavior_weights()["fav"] == pytest.approx([1 / 3, 1 / 3])
    with torch.no_grad():  # layer 1 reads buys only, layer 2 favs only
        per_layer.behavior_logits.copy_(torch.tensor([[-50.0, -50.0, 50.0], [50.0, -50.0, -50.0]]))
    x = torch.cat([per_layer.user_encoder(per_layer.user_codes),
                   per_layer.item_encoder(per_layer.item_codes)])  # fmt: skip
    first = torch.sparse.mm(adjs["buy"], x)
    expected = (x + first + torch.sparse.mm(adjs["fav"], first)) / 3
    torch.testing.assert_close(torch.cat(per_layer.get_embedding()), expected, atol=1e-5, rtol=1e-4)
    assert "layer_weights=True" in repr(per_layer) and "layer_weights" not in repr(shared)


def test_the_union_graph_is_the_graph_of_every_behaviours_events(shop):
    ev = shop.events[shop.events.behavior.isin(["fav", "cart", "buy"])]
    expected = normalized_adjacency(ev, shop.num_users, shop.num_items)
    got = union_adjacency(graphs(shop))
    torch.testing.assert_close(got.to_dense(), expected.to_dense())
    assert torch.equal(got.to_dense(), got.to_dense().T)
    with pytest.raises(ValueError, match="at least one"):
        union_adjacency({})
    with pytest.raises(ValueError, match=r"adjs\[1\].*\(3, 3\)"):
        union_adjacency([torch.eye(3).to_sparse(), torch.eye(4).to_sparse()])


def test_the_unified_form_starts_as_lightgcn_on_the_union_and_refines_by_hand(shop):
    adjs, codes = graphs(shop), no_attributes(shop.num_users, shop.num_items)
    model = MultiBehaviorGCN(adjs, *codes, embedding_dim=8, num_layers=2, graph="unified")
    x = torch.cat([model.user_encoder(model.user_codes), model.item_encoder(model.item_codes)])
    union = union_adjacency(adjs)
    a1 = torch.sparse.mm(union, x)
    g = (x + a1 + torch.sparse.mm(union, a1)) / 3  # LightGCN, 2 layers, on the union
    torch.testing.assert_close(torch.cat(model.get_embedding()), g, atol=1e-6, rtol=1e-5)
    assert model.behavior_weights() == {"fav": 0.0, "cart": 0.0, "buy": 0.0}
    with torch.no_grad():
        model.refine_weights.copy_(torch.tensor([0.5, 0.0, -2.0]))
    expected = g + 0.5 * torch.sparse.mm(adjs["fav"], g) - 2.0 * torch.sparse.mm(adjs["buy"], g)
    torch.testing.assert_close(torch.cat(model.get_embedding()), expected, atol=1e-5, rtol=1e-4)
    # embed() over other graphs rebuilds the union from them: here without the buys
    n = shop.num_users + shop.num_items
    other = {
        **adjs,
        "buy": torch.sparse_coo_tensor(
            torch.zeros((2, 0), dtype=torch.long), [], (n, n), check_invariants=True
        ),
    }
    union = union_adjacency(other)
    a1 = torch.sparse.mm(union, x)
    g = (x + a1 + torch.sparse.mm(union, a1)) / 3
    expected = g + 0.5 * torch.sparse.mm(adjs["fav"], g)
    torch.testing.assert_close(torch.cat(model.embed(other)), expected, atol=1e-5, rtol=1e-4)
    assert "graph='unified'" in repr(model)


def test_the_unified_form_learns_its_refining_weights(shop):
    split = temporal_split(shop)
    train_ev = split.train
    adjs = {
        b: normalized_adjacency(train_ev[train_ev.behavior == b], shop.num_users, shop.num_items)
        for b in ("fav", "cart", "buy")
    }
    positives = PositiveSet.from_events(
        train_ev[train_ev.behavior == "buy"], num_users=shop.num_users, num_items=shop.num_items
    )
    model = MultiBehaviorGCN(
        adjs, *no_attributes(shop.num_users, shop.num_items), embedding_dim=8, graph="unified"
    )
    train(model, split, positives, TrainConfig(num_epochs=2, batch_size=64, seed=0), progress=False)
    assert any(w != 0.0 for w in model.behavior_weights().values())


def test_the_unified_form_checks_its_arguments(shop):
    adjs, codes = graphs(shop), no_attributes(shop.num_users, shop.num_items)
    with pytest.raises(ValueError, match="graph: expected 'mixture' or 'unified', got 'union'"):
        MultiBehaviorGCN(adjs, *codes, graph="union")
    with pytest.raises(ValueError, match="layer_weights=True needs graph='mixture'"):
        MultiBehaviorGCN(adjs, *codes, graph="unified", layer_weights=True)
    with pytest.raises(ValueError, match="at least one"):
        MultiBehaviorGCN({}, *codes)


def test_cascade_feeds_each_stage_the_last_ones_vectors(shop):
    adjs = graphs(shop)
    model = CascadeGCN(adjs, shop.num_users, shop.num_items, embedding_dim=8, num_layers=2)
    x = model.embedding.weight
    for b in ("fav", "cart", "buy"):
        x = lightgcn_embedding(adjs[b], x, 2)
    torch.testing.assert_close(torch.cat(model.get_embedding()), x)
    assert model.behaviors == ["fav", "cart", "buy"]
    assert list(model.state_dict()) == ["embedding.weight"]


def test_cascade_stage_without_edges_leaves_a_node_scaled_not_mixed():
    # user 0 - item 0 bought; user 1 has no edge at all
    buy = normalized_adjacency(pd.DataFrame({"user_id": [0], "item_id": [0]}), 2, 1)
    model = CascadeGCN({"buy": buy}, 2, 1, embedding_dim=4, num_layers=1)
    users, _ = model.get_embedding()
    torch.testing.assert_close(users[1], model.embedding.weight[1] / 2)


def test_cascade_checks_its_graphs():
    with pytest.raises(ValueError, match="at least one"):
        CascadeGCN({}, 2, 2)
    wrong = torch.eye(3).to_sparse()
    with pytest.raises(ValueError, match=r"adjs\['buy'\].*2 users \+ 2 items"):
        CascadeGCN({"buy": wrong}, 2, 2)


def test_the_auxiliary_batch_adds_its_weighted_loss_to_the_step(shop):
    adj = graphs(shop, ("buy",))
    codes = no_attributes(shop.num_users, shop.num_items)
    config = TrainConfig(aux_weight=0.25, reg_weight=1e-3)
    batch = (torch.tensor([0, 1]), torch.tensor([3, 4]), torch.tensor([5, 6]))
    aux = (torch.tensor([2]), torch.tensor([7]), torch.tensor([8]))
    losses = []
    for with_aux in (False, True):
        torch.manual_seed(0)
        model = MultiBehaviorGCN(adj, *codes, embedding_dim=4)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
        losses.append(train_step(model, optimizer, *batch, config, aux=aux if with_aux else None))
    user_emb, item_emb = model.get_embedding()
    u, p, n = aux
    expected_aux = bpr_loss(
        (user_emb[u] * item_emb[p]).sum(-1), (user_emb[u] * item_emb[n]).sum(-1)
    ) + config.reg_weight * l2_reg(*model.ego_embedding(u, torch.cat([p, n])), batch_size=1)
    assert losses[1] == pytest.approx(losses[0] + 0.25 * expected_aux.item(), rel=1e-5)


def test_train_with_an_auxiliary_behaviour_runs_and_checks_its_weight(shop):
    split = temporal_split(shop)
    train_events = split.train
    target = train_events[train_events.behavior == "buy"]
    other = train_events[train_events.behavior == "fav"]
    positives = PositiveSet.from_events(target, num_users=shop.num_users, num_items=shop.num_items)
    auxiliary = PositiveSet.from_events(other, num_users=shop.num_users, num_items=shop.num_items)
    model = MultiBehaviorGCN(
        graphs(shop, ("fav", "buy")),
        *no_attributes(shop.num_users, shop.num_items),
        embedding_dim=8,
    )
    before = model.user_encoder.ids.weight.detach().clone()
    history = train(
        model, split, positives, TrainConfig(num_epochs=2, batch_size=64), progress=False,
        auxiliary=auxiliary,
    )  # fmt: skip
    assert len(history) == 2 and history.loss.notna().all()
    assert not torch.equal(model.user_encoder.ids.weight, before)
    with pytest.raises(ValueError, match="aux_weight"):
        TrainConfig(aux_weight=-1.0)
