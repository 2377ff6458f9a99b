"""BSPM against its dense formula: blurring (GF-CF's score), then RK4 sharpening steps."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gnnrec_utils.models import BSPM, GFCF, sharpening_polynomial


def random_interactions(num_users=18, num_items=13, density=0.3, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    r = (rng.random((num_users, num_items)) < density).astype(np.float64)
    r[np.arange(num_users), rng.integers(0, num_items, num_users)] = 1.0  # no empty user
    r[rng.integers(0, num_users, num_items), np.arange(num_items)] = 1.0  # no empty item
    return r


def bspm_by_hand(r, beta, sharpen_time, steps, rank):
    """The dense formula: P = R~^T R~; s0 = r P + beta r D^-1/2 V V^T D^1/2; then the
    sharpening ODE ds/dt = -s P by RK4 written out as the four slopes, not the polynomial."""
    du, di = r.sum(1), r.sum(0)
    rt = r / np.sqrt(du)[:, None] / np.sqrt(di)[None, :]
    p = rt.T @ rt
    v = np.linalg.svd(rt)[2][:rank].T
    s = r @ p + beta * r @ np.diag(di**-0.5) @ v @ v.T @ np.diag(di**0.5)
    h = sharpen_time / steps
    for _ in range(steps):
        k1 = -s @ p
        k2 = -(s + h / 2 * k1) @ p
        k3 = -(s + h / 2 * k2) @ p
        k4 = -(s + h * k3) @ p
        s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return s


@pytest.mark.parametrize(("sharpen_time", "steps"), [(2.5, 1), (1.2, 1), (3.0, 3), (0.0, 1)])
def test_bspm_equals_the_dense_rk4_formula(sharpen_time, steps):
    r = random_interactions()
    model = BSPM(
        torch.tensor(r),
        *r.shape,
        beta=0.3,
        sharpen_time=sharpen_time,
        sharpen_steps=steps,
        rank=min(r.shape),  # full range: the randomised SVD is exact
        dtype=torch.float64,
    )
    expected = bspm_by_hand(r, 0.3, sharpen_time, steps, min(r.shape))
    got = model.user_scores(np.arange(r.shape[0])).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_no_sharpening_is_gfcf_with_alpha_beta():
    r = random_interactions(seed=1)
    bspm = BSPM(torch.tensor(r), *r.shape, beta=0.4, sharpen_time=0.0, rank=5, dtype=torch.float64)
    gfcf = GFCF(torch.tensor(r), *r.shape, alpha=0.4, rank=5, dtype=torch.float64)
    users = np.array([3, 0, 7])
    torch.testing.assert_close(bspm.user_scores(users), gfcf.user_scores(users))


def test_one_rk4_step_of_a_linear_equation_is_the_degree_four_taylor_polynomial():
    h = 0.7
    assert sharpening_polynomial(h) == pytest.approx(
        [1.0, -h, h**2 / 2, -(h**3) / 6, h**4 / 24], rel=1e-15
    )
    # on a scalar equation ds/dt = -p s, the polynomial is close to exp(-p h) for small h
    p = 0.3
    value = sum(c * p**j for j, c in enumerate(sharpening_polynomial(h)))
    assert value == pytest.approx(math.exp(-p * h), rel=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sharpen_steps": 0}, "sharpen_steps"),
        ({"sharpen_time": -1.0}, "sharpen_time"),
        ({"sharpen_time": float("nan")}, "sharpen_time"),
        ({"rank": 99}, "rank=99"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    r = random_interactions()
    with pytest.raises(ValueError, match=message):
        BSPM(torch.tensor(r), *r.shape, **kwargs)
