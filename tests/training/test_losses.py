"""BPR, BCE and the L2 penalty on cases computed by hand, against torch references,
and at logits large enough to overflow a naive ``log(sigmoid(x))``."""

import math

import pytest
import torch
import torch.nn.functional as F

from gnnrec_utils.training import bce_loss, bpr_loss, l2_reg


def test_bpr_by_hand():
    # -log sigmoid(2 - 0) = log(1 + e^-2) = 0.126928...; a tie gives log 2
    loss = bpr_loss(torch.tensor([2.0]), torch.tensor([0.0]))
    assert loss.item() == pytest.approx(0.1269280110429725)
    assert bpr_loss(torch.tensor([1.0]), torch.tensor([1.0])).item() == pytest.approx(math.log(2))
    # mean of log(1 + e^-2) and log(1 + e^1)
    expected = (math.log1p(math.exp(-2)) + math.log1p(math.exp(1))) / 2
    loss = bpr_loss(torch.tensor([2.0, 0.0]), torch.tensor([0.0, 1.0]))
    assert loss.item() == pytest.approx(expected)


def test_bpr_with_several_negatives_broadcasts_the_positive():
    # positive 1 against negatives 1 and 3: mean(log 2, log(1 + e^2))
    loss = bpr_loss(torch.tensor([1.0]), torch.tensor([[1.0, 3.0]]))
    assert loss.item() == pytest.approx((math.log(2) + math.log1p(math.exp(2))) / 2)


def test_bpr_matches_logsigmoid_reference():
    g = torch.Generator().manual_seed(0)
    pos, neg = torch.randn(64, generator=g), torch.randn(64, 5, generator=g)
    reference = -F.logsigmoid(pos.unsqueeze(1) - neg).mean()
    assert torch.allclose(bpr_loss(pos, neg), reference)
    reference_1 = -F.logsigmoid(pos - neg[:, 0]).mean()
    assert torch.allclose(bpr_loss(pos, neg[:, 0]), reference_1)


def test_bpr_gradient_raises_positive_and_lowers_negative():
    pos = torch.tensor([0.5, -1.0], requires_grad=True)
    neg = torch.tensor([0.0, 2.0], requires_grad=True)
    bpr_loss(pos, neg).backward()
    assert (pos.grad < 0).all() and (neg.grad > 0).all()  # descent raises pos, lowers neg
    # d/dpos of softplus(neg - pos) / B = -sigmoid(neg - pos) / B
    assert torch.allclose(pos.grad, -torch.sigmoid(neg - pos).detach() / 2)
    assert torch.allclose(neg.grad, -pos.grad)


def test_bce_by_hand():
    # pos term: log(1 + e^-2); neg term: log(1 + e^0) = log 2; each a mean, then summed
    loss = bce_loss(torch.tensor([2.0]), torch.tensor([0.0]))
    assert loss.item() == pytest.approx(0.1269280110429725 + math.log(2))
    assert bce_loss(torch.zeros(3), torch.zeros(3, 4)).item() == pytest.approx(2 * math.log(2))


def test_bce_is_positive_term_plus_negative_term_of_torch_reference():
    g = torch.Generator().manual_seed(1)
    pos, neg = torch.randn(32, generator=g), torch.randn(32, 7, generator=g)
    reference = F.binary_cross_entropy_with_logits(
        pos, torch.ones_like(pos)
    ) + F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg))
    assert torch.allclose(bce_loss(pos, neg), reference)
    # with one negative per positive it is twice the mean over all pairs
    logits, labels = torch.cat([pos, neg[:, 0]]), torch.cat([torch.ones(32), torch.zeros(32)])
    mean_all = F.binary_cross_entropy_with_logits(logits, labels)
    assert torch.allclose(bce_loss(pos, neg[:, 0]), 2 * mean_all)


def test_bce_gradient_direction():
    pos = torch.tensor([0.3, -2.0], requires_grad=True)
    neg = torch.tensor([[0.1, 4.0], [-1.0, 0.0]], requires_grad=True)
    bce_loss(pos, neg).backward()
    assert (pos.grad < 0).all() and (neg.grad > 0).all()


@pytest.mark.parametrize("loss_fn", [bpr_loss, bce_loss])
def test_finite_at_large_logits(loss_fn):
    pos = torch.tensor([100.0, -100.0, 100.0, -100.0], requires_grad=True)
    neg = torch.tensor([-100.0, 100.0, 100.0, -100.0], requires_grad=True)
    loss = loss_fn(pos, neg)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(pos.grad).all() and torch.isfinite(neg.grad).all()
    # pos=-100 against neg=100 costs about 200 in BPR, not inf
    if loss_fn is bpr_loss:
        assert loss.item() == pytest.approx((0 + 200 + math.log(2) + math.log(2)) / 4, abs=1e-4)


@pytest.mark.parametrize("loss_fn", [bpr_loss, bce_loss])
def test_mismatched_shapes_raise_instead_of_broadcasting(loss_fn):
    with pytest.raises(ValueError, match="neg_scores"):
        loss_fn(torch.zeros(4), torch.zeros(4, 1).T)  # (1, 4) would broadcast to (4, 4)
    with pytest.raises(ValueError):
        loss_fn(torch.zeros(4), torch.zeros(3))


def test_l2_reg_by_hand():
    users = torch.tensor([[1.0, 2.0], [0.0, 1.0]])  # squared norms 5 + 1
    items = torch.tensor([[3.0, 0.0], [0.0, 0.0]])  # 9
    assert l2_reg(users, items).item() == pytest.approx((5 + 1 + 9) / 2)
    assert l2_reg(users, batch_size=3).item() == pytest.approx(6 / 3)


def test_l2_reg_matches_norms_and_has_gradient_2x_over_b():
    g = torch.Generator().manual_seed(2)
    a = torch.randn(8, 4, generator=g, requires_grad=True)
    b = torch.randn(8, 3, 4, generator=g)
    reg = l2_reg(a, b)
    assert torch.allclose(reg, (a.norm() ** 2 + b.norm() ** 2) / 8)
    reg.backward()
    assert torch.allclose(a.grad, 2 * a.detach() / 8)


def test_l2_reg_errors():
    with pytest.raises(ValueError):
        l2_reg()
    with pytest.raises(ValueError):
        l2_reg(torch.zeros(0, 3))
