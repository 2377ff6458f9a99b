"""Both graph views against direct computations."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.data import BEHAVIORS
from gnnrec_utils.graph import build_hetero_graph, normalized_adjacency
from gnnrec_utils.synthetic import generate_shop

EVENTS = pd.DataFrame(
    {
        "user_id": [0, 0, 0, 1, 1, 2],
        "item_id": [0, 0, 1, 1, 1, 0],
        "category_id": [0, 0, 0, 0, 0, 0],
        "behavior": ["pv", "pv", "pv", "pv", "cart", "buy"],
        "timestamp": [1, 2, 3, 4, 5, 6],
    }
)  # user 3 and item 2 have no events


def dense_reference(events, num_users, num_items, weights=None):
    """D^-1/2 A D^-1/2 computed with dense numpy, straight from the definition."""
    r = np.zeros((num_users, num_items))
    for (u, i, b), _ in events.groupby(["user_id", "item_id", "behavior"]):
        if weights is None:
            r[u, i] = 1.0
        elif b in weights:
            r[u, i] += weights[b]
    a = np.block([[np.zeros((num_users, num_users)), r], [r.T, np.zeros((num_items, num_items))]])
    d = a.sum(1)
    inv = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0.0)
    return inv[:, None] * a * inv[None, :]


@pytest.mark.parametrize("weights", [None, {"pv": 1.0, "cart": 3.0, "buy": 5.0}, {"pv": 1.0}])
def test_normalized_adjacency_matches_dense_reference(weights):
    adj = normalized_adjacency(EVENTS, 4, 3, weights)
    assert adj.layout == torch.sparse_csr
    np.testing.assert_allclose(
        adj.to_dense().numpy(), dense_reference(EVENTS, 4, 3, weights), atol=1e-6
    )


def test_adjacency_is_coalesced_symmetric_and_zero_for_isolated_nodes():
    adj = normalized_adjacency(EVENTS, 4, 3)
    dense = adj.to_dense()
    torch.testing.assert_close(dense, dense.T)
    assert adj.values().numel() == int((dense != 0).sum())  # repeated views merged into one entry
    assert dense[3].abs().sum() == 0 and dense[4 + 2].abs().sum() == 0
    assert torch.isfinite(adj.values()).all()


def test_adjacency_on_generated_data_matches_dense_reference():
    shop = generate_shop("tiny", seed=3)
    ev = shop.events[shop.events.user_id < 60]
    adj = normalized_adjacency(ev, 60, shop.num_items)
    np.testing.assert_allclose(
        adj.to_dense().numpy(), dense_reference(ev, 60, shop.num_items), atol=1e-6
    )


def test_hetero_graph_has_one_edge_type_per_behavior_and_its_reverse(tiny_shop):
    shop = tiny_shop
    data = build_hetero_graph(shop.users, shop.items, shop.events)
    assert len(data.edge_types) == 2 * len(BEHAVIORS)
    for b in BEHAVIORS:
        ev = shop.events[shop.events.behavior == b]
        fwd, rev = data["user", b, "item"], data["item", f"rev_{b}", "user"]
        assert fwd.edge_index.tolist() == [ev.user_id.tolist(), ev.item_id.tolist()]
        assert torch.equal(rev.edge_index, fwd.edge_index.flip(0))
        assert fwd.edge_time.tolist() == ev.timestamp.tolist()
    assert data["user"].x.shape == (shop.num_users, 13)
    assert (data["user"].x.sum(1) == 3).all()  # one hot per attribute
    assert data["item"].x.shape[0] == shop.num_items
    assert data["item"].category_id.tolist() == shop.items.category_id.tolist()
