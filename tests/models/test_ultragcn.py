"""UltraGCN: its constraint weights, item-item neighbours and loss against a direct
computation from the paper's equations, its input checks, and an epoch of training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gnnrec_utils.models import UltraGCN, constraint_neighbours
from gnnrec_utils.training import PositiveSet, ultragcn_epoch


@pytest.fixture
def interactions() -> torch.Tensor:
    rng = np.random.default_rng(7)
    x = (rng.random((12, 9)) < 0.35).astype(np.float64)
    x[0, :] = 0.0  # a user with no training pair
    x[:, 8] = 0.0  # an item nobody has
    x[1, 7], x[2, 7] = 1.0, 0.0
    x[:, 7] = 0.0
    x[1, 7] = 1.0  # an item whose only user ...
    x[1, :7] = 0.0  # ... has no other item: it co-occurs with nothing
    return torch.tensor(x)


def dense_omega(x: torch.Tensor) -> torch.Tensor:
    """omega_ik = G_ik / (g_i - G_ii) * sqrt(g_i / g_k), the item itself excluded."""
    g_mat = x.T @ x
    g = g_mat.sum(1)
    m = x.shape[1]
    omega = torch.zeros(m, m, dtype=torch.float64)
    for i in range(m):
        for k in range(m):
            if i != k and g_mat[i, k] > 0:
                omega[i, k] = g_mat[i, k] / (g[i] - g_mat[i, i]) * math.sqrt(g[i] / g[k])
    return omega


@pytest.mark.parametrize("block_size", [1, 4, 2048])
def test_neighbours_are_the_heaviest_omega_with_ties_to_the_lower_id(interactions, block_size):
    omega = dense_omega(interactions)
    ids, weights = constraint_neighbours(interactions, 3, block_size)
    for i in range(interactions.shape[1]):
        row = omega[i]
        order = sorted((k for k in range(len(row)) if row[k] > 0), key=lambda k: (-row[k], k))[:3]
        expected_ids = order + [i] * (3 - len(order))  # padded with itself, weight 0
        expected_weights = [float(row[k]) for k in order] + [0.0] * (3 - len(order))
        assert ids[i].tolist() == expected_ids
        np.testing.assert_allclose(weights[i].numpy(), expected_weights, rtol=1e-6)
    assert ids[7].tolist() == [7, 7, 7] and ids[8].tolist() == [8, 8, 8]


def test_loss_equals_the_papers_equation_term_by_term(interactions):
    torch.manual_seed(0)
    model = UltraGCN(
        interactions.to_sparse(), 4, neighbours=2, w1=0.1, w2=2.0, w3=0.3, w4=0.5,
        negative_weight=7.0, item_weight=0.25, norm_weight=0.01, init_std=0.5,
    )  # fmt: skip
    users = torch.tensor([1, 3, 5])
    items = torch.tensor([7, 2, 4])
    negatives = torch.tensor([0, 6, 6, 8])
    exclude = torch.tensor([[False, False, False, True]] * 3)
    loss = model.loss(users, items, negatives, exclude)

    x = interactions
    d_u, d_i = x.sum(1), x.sum(0)
    omega = dense_omega(x)
    e_u, e_i = model.user.weight.detach().double(), model.item.weight.detach().double()

    def beta(u, i):
        return float((1 / d_u[u]) * math.sqrt((d_u[u] + 1) / (d_i[i] + 1)))

    def log_sigmoid(z):
        return -math.log1p(math.exp(-z))

    expected = 0.0
    for b, (u, i) in enumerate(zip(users.tolist(), items.tolist(), strict=True)):
        expected -= (0.1 + 2.0 * beta(u, i)) * log_sigmoid(float(e_u[u] @ e_i[i]))
        negative_terms = [
            0.0
            if exclude[b, n]
            else (0.3 + 0.5 * beta(u, j)) * log_sigmoid(-float(e_u[u] @ e_i[j]))
            for n, j in enumerate(negatives.tolist())
        ]
        expected -= 7.0 * sum(negative_terms) / len(negatives)
        heaviest = sorted((k for k in range(9) if omega[i, k] > 0), key=lambda k: (-omega[i, k], k))
        for k in heaviest[:2]:
            expected -= 0.25 * float(omega[i, k]) * log_sigmoid(float(e_u[u] @ e_i[k]))
    expected += 0.01 / 2 * float(e_u.pow(2).sum() + e_i.pow(2).sum())
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert model.beta_user[0] == 0.0  # no pairs: no constraint weight, not a division by zero


def test_bad_inputs_are_refused_with_the_name_of_what_is_wrong(interactions):
    with pytest.raises(ValueError, match="binary"):
        UltraGCN(interactions * 2)
    with pytest.raises(ValueError, match="negative_weight must be a finite number >= 0"):
        UltraGCN(interactions, negative_weight=-1.0)
    with pytest.raises(ValueError, match="item_weight"):
        UltraGCN(interactions, item_weight=float("nan"))
    with pytest.raises(ValueError, match="neighbours"):
        UltraGCN(interactions, neighbours=0)
    model = UltraGCN(interactions, 4)
    with pytest.raises(ValueError, match="negatives"):
        model.loss(torch.tensor([1]), torch.tensor([2]), torch.tensor([9]))
    with pytest.raises(ValueError, match="users"):
        model.loss(torch.tensor([12]), torch.tensor([2]), torch.tensor([0]))


@pytest.mark.parametrize("exclude_known", [True, False])
def test_an_epoch_lowers_the_loss_and_drops_own_items_when_asked(interactions, exclude_known):
    users, items = interactions.nonzero().T
    positives = PositiveSet(users, items, num_users=12, num_items=9)
    torch.manual_seed(1)
    model = UltraGCN(interactions, 8, neighbours=2, init_std=0.1)
    seen = []
    original = model.loss

    def spy(users, items, negatives, exclude):
        if exclude_known:
            seen.append(exclude.equal(positives.contains(users[:, None], negatives[None, :])))
        else:
            seen.append(exclude is None)
        return original(users, items, negatives, exclude)

    model.loss = spy
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    generator = torch.Generator().manual_seed(0)
    losses = [
        ultragcn_epoch(
            model,
            positives,
            optimizer,
            batch_size=8,
            num_negatives=5,
            generator=generator,
            exclude_known=exclude_known,
        )  # fmt: skip
        for _ in range(20)
    ]
    assert all(seen) and len(seen) == 20 * math.ceil(len(positives) / 8)
    assert losses[-1] < 0.5 * losses[0]
    with pytest.raises(ValueError, match="num_negatives"):
        ultragcn_epoch(model, positives, optimizer, num_negatives=0)
