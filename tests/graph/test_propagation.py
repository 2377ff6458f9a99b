"""LightGCN propagation against PyG's LightGCN, a dense computation and finite differences."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch.autograd import gradcheck
from torch_geometric.nn.models import LightGCN

from gnnrec_utils.graph import (
    SymmetricPropagation,
    compact_csr,
    layer_weights,
    normalized_adjacency,
    propagate,
)
from gnnrec_utils.models import lightgcn_embedding
from gnnrec_utils.synthetic import generate_shop

EVENTS = pd.DataFrame(
    {
        "user_id": [0, 0, 0, 1, 1, 2, 2],
        "item_id": [0, 0, 1, 1, 1, 0, 1],
        "behavior": ["pv", "pv", "pv", "pv", "cart", "buy", "pv"],
    }
)  # repeated (user, item) events; user 3 and item 2 have no events


def tiny_graph():
    return EVENTS, 4, 3


def generated_graph():
    shop = generate_shop("tiny", seed=0)
    return shop.events, shop.num_users, shop.num_items


def pyg_edge_index(events, num_users):
    """Both directions of every distinct (user, item) pair, items offset by num_users."""
    pairs = np.unique(events[["user_id", "item_id"]].to_numpy(), axis=0)
    u, i = torch.tensor(pairs[:, 0]), torch.tensor(pairs[:, 1]) + num_users
    return torch.stack([torch.cat([u, i]), torch.cat([i, u])])


def dense_lightgcn(a, e, alpha):
    """sum_l alpha_l A^l E with dense numpy matrices, straight from the definition."""
    out, x = np.zeros_like(e), e
    for w in alpha:
        out, x = out + w * x, a @ x
    return out


def scalar_loss(out, num_users, num_items, seed=0):
    """A BPR loss on random (user, pos, neg) triples plus a random linear probe of all rows.

    The probe gives every node an O(1) gradient, so an absolute tolerance means something.
    """
    g = torch.Generator().manual_seed(seed)
    u = torch.randint(0, num_users, (64,), generator=g)
    pos, neg = torch.randint(num_users, num_users + num_items, (2, 64), generator=g)
    bpr = -torch.nn.functional.logsigmoid((out[u] * (out[pos] - out[neg])).sum(-1)).mean()
    probe = torch.randn(out.shape, generator=g)
    return bpr + (out * probe).sum()


@pytest.mark.parametrize("graph", [tiny_graph, generated_graph])
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("product", [torch.sparse.mm, propagate], ids=["sparse.mm", "propagate"])
def test_embedding_and_gradient_match_pyg_lightgcn(graph, num_layers, product):
    events, num_users, num_items = graph()
    torch.manual_seed(0)
    model = LightGCN(num_users + num_items, 16, num_layers)
    emb = model.embedding.weight.detach().clone().requires_grad_()
    adj = compact_csr(normalized_adjacency(events, num_users, num_items))

    ours = lightgcn_embedding(adj, emb, num_layers, product)
    ref = model.get_embedding(pyg_edge_index(events, num_users))
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=0)

    scalar_loss(ours, num_users, num_items).backward()
    scalar_loss(ref, num_users, num_items).backward()
    assert model.embedding.weight.grad.abs().max() > 0.1  # the comparison below is not vacuous
    torch.testing.assert_close(emb.grad, model.embedding.weight.grad, atol=1e-5, rtol=0)


def test_isolated_node_keeps_only_its_own_share():
    emb = torch.randn(7, 4)
    out = lightgcn_embedding(normalized_adjacency(*tiny_graph()), emb, num_layers=3)
    for node in (3, 4 + 2):  # user 3, item 2
        torch.testing.assert_close(out[node], emb[node] / 4)


def test_single_edge_by_hand():
    # one user, one item: adj = [[0, 1], [1, 0]] swaps the two rows, so with 2 layers and
    # alpha = 1/3 each row gets (own + other + own) / 3.
    events = pd.DataFrame({"user_id": [0], "item_id": [0], "behavior": ["pv"]})
    emb = torch.tensor([[3.0, 0.0], [0.0, 6.0]])
    out = lightgcn_embedding(normalized_adjacency(events, 1, 1), emb, num_layers=2)
    torch.testing.assert_close(out, torch.tensor([[2.0, 2.0], [1.0, 4.0]]))


def test_matches_dense_reference_on_generated_graph():
    events, num_users, num_items = generated_graph()
    adj = normalized_adjacency(events, num_users, num_items)
    emb = torch.randn(num_users + num_items, 8, dtype=torch.float64)
    out = lightgcn_embedding(adj.to(torch.float64), emb, 3)
    expected = dense_lightgcn(adj.to_dense().double().numpy(), emb.numpy(), [0.25] * 4)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)


def random_csr(n, seed, symmetric=True):
    """A float64 sparse CSR matrix with about half its entries zero and an empty last row."""
    g = torch.Generator().manual_seed(seed)
    dense = torch.rand(n, n, generator=g, dtype=torch.float64)
    dense = dense * (torch.rand(n, n, generator=g, dtype=torch.float64) < 0.5)
    dense = dense + dense.T if symmetric else dense
    dense[-1], dense[:, -1] = 0.0, 0.0
    return dense.to_sparse_csr()


def test_gradcheck_propagate_and_lightgcn_embedding():
    adj = random_csr(6, seed=1)
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda t: propagate(adj, t), (x,))
    assert gradcheck(lambda t: lightgcn_embedding(adj, t, 3, propagate), (x,))
    assert gradcheck(lambda t: lightgcn_embedding(adj, t, 3), (x,))


def test_gradcheck_catches_a_non_symmetric_matrix():
    # The backward relies on adj == adj.T; on a non-symmetric matrix finite differences
    # disagree with it, which shows the gradcheck above can fail.
    adj = random_csr(6, seed=1, symmetric=False)
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    assert not gradcheck(lambda t: propagate(adj, t), (x,), raise_exception=False)


def backward_ops(matmul, adj):
    """Names of the aten ops run by one forward and backward pass of ``matmul(adj, x)``."""
    x = torch.randn(adj.size(0), 8, requires_grad=True)
    with torch.profiler.profile() as prof:
        matmul(adj, x).sum().backward()
    return {event.key for event in prof.key_averages()}


def test_backward_does_not_transpose_the_matrix():
    adj = normalized_adjacency(*generated_graph())
    transpose_ops = {"aten::sort", "aten::_to_sparse_csr", "aten::transpose"}
    assert transpose_ops & backward_ops(torch.sparse.mm, adj)  # what torch's own backward does
    ours = backward_ops(propagate, adj)
    assert "SymmetricPropagationBackward" in ours
    assert not transpose_ops & ours, ours


def test_compact_csr_keeps_the_matrix_and_shrinks_the_indices():
    adj = normalized_adjacency(*tiny_graph())
    small = compact_csr(adj)
    assert small.layout == torch.sparse_csr and small.col_indices().dtype == torch.int32
    torch.testing.assert_close(small.to_dense(), adj.to_dense(), atol=0, rtol=0)
    assert compact_csr(small) is small
    # an uncoalesced COO matrix with a repeated entry is summed, not truncated
    coo = torch.sparse_coo_tensor(
        torch.tensor([[0, 0, 1], [1, 1, 0]]),
        torch.tensor([1.0, 2.0, 3.0]),
        (2, 2),
        check_invariants=True,
    )
    torch.testing.assert_close(compact_csr(coo).to_dense(), torch.tensor([[0.0, 3.0], [3.0, 0.0]]))


def test_no_gradient_for_adj_and_shape_checks():
    adj = random_csr(4, seed=0).requires_grad_()
    x = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    propagate(adj, x).sum().backward()
    assert adj.grad is None and x.grad is not None
    assert SymmetricPropagation.apply(adj.detach(), x).shape == (4, 2)
    with pytest.raises(ValueError, match="square adj"):
        propagate(adj, torch.randn(5, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="alpha needs 3"):
        layer_weights(2, [0.5, 0.5])
    torch.testing.assert_close(layer_weights(3), torch.full((4,), 0.25, dtype=torch.float64))
