"""Seeds and paired tests, on cases small enough to work out on paper."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gnnrec_utils.evaluation import Z_975, over_seeds, paired_test, significance


def test_over_seeds_mean_and_sample_sd_by_hand():
    result = over_seeds(lambda seed: {0: 0.1, 1: 0.2, 2: 0.6}[seed], [0, 1, 2])
    assert result["per_seed"] == {0: 0.1, 1: 0.2, 2: 0.6}
    assert result["mean"] == pytest.approx(0.3)
    # deviations -0.2, -0.1, 0.3: squares 0.04 + 0.01 + 0.09 = 0.14, / (3 - 1) = 0.07
    assert result["sd"] == pytest.approx(math.sqrt(0.07))
    assert result["n"] == 3


def test_over_seeds_passes_each_seed_once_and_one_seed_has_no_sd():
    seen = []
    result = over_seeds(lambda seed: seen.append(seed) or 1.0, range(1))
    assert seen == [0] and result["mean"] == 1.0 and math.isnan(result["sd"])
    with pytest.raises(ValueError, match="at least one seed"):
        over_seeds(lambda seed: 0.0, [])


def test_paired_test_by_hand():
    a, b = [3.0, 5.0, 4.0, 6.0], [1.0, 2.0, 2.0, 3.0]
    # differences 2, 3, 2, 3: mean 2.5, sd sqrt(1/3), se = sqrt(1/3) / 2
    result = paired_test(a, b)
    se = math.sqrt(1 / 3) / 2
    assert result["mean_diff"] == pytest.approx(2.5) and result["se"] == pytest.approx(se)
    assert result["t"] == pytest.approx(2.5 / se) and result["n"] == 4
    if result["method"] == "normal":
        low, high = result["ci95"]
        assert (low, high) == pytest.approx((2.5 - Z_975 * se, 2.5 + Z_975 * se))
        assert result["p_value"] == pytest.approx(math.erfc(2.5 / se / math.sqrt(2)))
    # swapping the models flips the sign, not the p-value
    flipped = paired_test(b, a)
    assert flipped["mean_diff"] == pytest.approx(-2.5)
    assert flipped["p_value"] == pytest.approx(result["p_value"])


def test_paired_test_of_identical_and_constant_differences():
    same = paired_test([0.1, 0.4, 0.2], [0.1, 0.4, 0.2])
    assert same["mean_diff"] == 0 and same["se"] == 0 and same["p_value"] == 1.0
    shifted = paired_test([1.0, 2.0], [0.0, 1.0])
    assert shifted["se"] == 0 and shifted["p_value"] == 0.0


def test_normal_approximation_p_values_at_known_points(monkeypatch):
    monkeypatch.setattr(significance, "_stats", None)
    # |z| = 1.96 gives p = 0.05; z = 0 gives 1
    assert significance._two_sided_p(Z_975, 10) == pytest.approx(0.05)
    assert significance._two_sided_p(0.0, 10) == 1.0
    rng = np.random.default_rng(0)
    result = paired_test(rng.normal(0.1, 1, 500), rng.normal(0, 1, 500))
    assert result["method"] == "normal"
    low, high = result["ci95"]
    assert high - low == pytest.approx(2 * Z_975 * result["se"])


@pytest.mark.parametrize(("a", "b"), [([1.0], [2.0]), ([1.0, 2.0], [1.0]), ([[1.0]], [[1.0]])])
def test_paired_test_refuses_unpaired_input(a, b):
    with pytest.raises(ValueError):
        paired_test(a, b)


def test_paired_test_matches_scipy_ttest_rel():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    a = rng.random(40)
    b = a - 0.05 + rng.normal(0, 0.1, 40)
    result, reference = paired_test(a, b), stats.ttest_rel(a, b)
    assert result["method"] == "t"
    assert result["t"] == pytest.approx(reference.statistic)
    assert result["p_value"] == pytest.approx(reference.pvalue)
    low, high = reference.confidence_interval(0.95)
    assert result["ci95"] == pytest.approx((low, high))


def test_paired_ratio_by_hand_and_against_a_bootstrap():
    from gnnrec_utils.evaluation import paired_ratio

    ratio, se = paired_ratio([1.0, 3.0], [2.0, 6.0])
    assert ratio == 0.5 and se == 0.0  # a = b / 2 exactly: no spread in the ratio
    rng = np.random.default_rng(0)
    b = rng.normal(1.0, 0.5, 4000)
    a = 0.4 * b + rng.normal(0.0, 0.3, 4000)
    ratio, se = paired_ratio(a, b)
    boot = []
    for _ in range(400):
        pick = rng.integers(0, len(a), len(a))
        boot.append(a[pick].mean() / b[pick].mean())
    assert ratio == pytest.approx(0.4, abs=3 * se)
    assert se == pytest.approx(np.std(boot), rel=0.15)


def test_paired_ratio_refuses_what_it_cannot_compute():
    from gnnrec_utils.evaluation import paired_ratio

    with pytest.raises(ValueError, match="one length"):
        paired_ratio([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="mean is zero"):
        paired_ratio([1.0, 2.0], [1.0, -1.0])
