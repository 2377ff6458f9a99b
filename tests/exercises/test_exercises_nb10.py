"""The checkers of notebook 10's exercises accept a right answer, typed as the notebook
prints it, and reject the unchanged default and the neighbouring variant.

Exercises 1, 2 and 4 run on the tiny generated shop's split, where the grid
``(10, 30, 300)`` has validation choose λ = 30 for EASE^R and the test users (EASE^R
refitted on train + valid) λ = 300;
exercise 3 on four users' values worked out on paper.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
import torch

from gnnrec_utils.evaluation import per_user_recall_ndcg, warm_target_users
from gnnrec_utils.exercises import nb10
from gnnrec_utils.graph import interaction_matrix
from gnnrec_utils.models import EASE, GFCF, topk_excluding

GRID = (10.0, 30.0, 300.0)
K = 10


def says(capsys, start: str, words: str = "") -> None:
    out = capsys.readouterr().out
    assert out.startswith(start) and words in out, out


def kit_ndcg(split, model, period: str) -> float:
    """Mean NDCG@K of a kit model on ``period``, with the kit's ranking and metrics."""
    users = warm_target_users(split.targets(period), split.train)
    top = model.recommend(users, K, exclude=split.history(period))
    return float(per_user_recall_ndcg(top, users, split.targets(period))[1].mean())


@pytest.fixture(scope="module")
def kit(tiny_split):
    """EASE^R's NDCG@K for each λ of the grid, fitted by the kit: on validation fitted on
    the training pairs, on test refitted on train + valid (``"test"``) or not
    (``"unrefitted"``)."""
    n, m = tiny_split.num_users, tiny_split.num_items
    r = interaction_matrix(tiny_split.history("valid"), n, m)
    r_all = interaction_matrix(tiny_split.history("test"), n, m)
    models = {l2: EASE(r, l2=l2, dtype=torch.float64) for l2 in GRID}
    refits = {l2: EASE(r_all, l2=l2, dtype=torch.float64) for l2 in GRID}
    return {
        "valid": {l2: kit_ndcg(tiny_split, m, "valid") for l2, m in models.items()},
        "unrefitted": {l2: kit_ndcg(tiny_split, m, "test") for l2, m in models.items()},
        "test": {l2: kit_ndcg(tiny_split, m, "test") for l2, m in refits.items()},
    }


def test_the_checkers_ease_and_ndcg_are_the_kits(tiny_split, kit):
    x = nb10._binary(tiny_split)
    for l2 in GRID:
        weights = nb10.ease_weights(x, l2)
        assert np.abs(np.diag(weights)).max() < 1e-12
        for period, name in (("valid", "valid"), ("test", "unrefitted")):
            ours = nb10.period_ndcg(x, weights, tiny_split, period, K)
            assert ours == pytest.approx(kit[name][l2], abs=1e-9)
    x_all = nb10._binary(tiny_split, refit=True)
    for l2 in GRID:
        ours = nb10.period_ndcg(x_all, nb10.ease_weights(x_all, l2), tiny_split, "test", K)
        assert ours == pytest.approx(kit["test"][l2], abs=1e-9)


# --- exercise 1 --------------------------------------------------------------------------


def ridge_ndcg(split, l2: float) -> float:
    """Validation NDCG@K of plain ridge, as the solution computes it (torch, kit ranking)."""
    x = interaction_matrix(split.train, split.num_users, split.num_items).to_dense().double()
    gram = x.T @ x
    ridge = torch.linalg.solve(gram + l2 * torch.eye(split.num_items, dtype=x.dtype), gram)
    users = warm_target_users(split.targets("valid"), split.train)
    top = topk_excluding(lambda u: x[u] @ ridge, users, split.train, K)
    return float(per_user_recall_ndcg(top, users, split.targets("valid"))[1].mean())


def test_exercise_1_accepts_ridge_with_the_chosen_l2(tiny_split, kit, capsys):
    assert max(GRID, key=kit["valid"].get) == 30.0
    assert nb10.check_exercise_1(round(ridge_ndcg(tiny_split, 30.0), 4), tiny_split, GRID, K)
    says(capsys, "Right: ", "ridge with λ = 30 puts")


def test_exercise_1_rejects_ease_with_its_constraint(tiny_split, kit, capsys):
    assert round(kit["valid"][30.0], 4) != round(ridge_ndcg(tiny_split, 30.0), 4)
    assert not nb10.check_exercise_1(round(kit["valid"][30.0], 4), tiny_split, GRID, K)
    says(capsys, "Not yet: ", "EASE^R's own, with the zero diagonal")


def test_exercise_1_rejects_ridge_with_another_l2(tiny_split, capsys):
    assert not nb10.check_exercise_1(round(ridge_ndcg(tiny_split, 300.0), 4), tiny_split, GRID, K)
    says(capsys, "Not yet: ", "is ridge with λ = 300; section 3 chose λ = 30")


# --- exercise 2 --------------------------------------------------------------------------


def test_the_linear_filter_by_hand():
    # users 0, 1, 2; items 0, 1, 2: user 0 has items 0 and 1, user 1 items 1 and 2, user 2
    # item 1. Degrees: users 2, 2, 1; items 1, 3, 1. R̃[:, 1] = [1/√6, 1/√6, 1/√3],
    # R̃[0, 0] = 1/√2, R̃[1, 2] = 1/√2, so s_2 = R̃[:, 1]ᵀ R̃ = [1/√12, 2/3, 1/√12]
    x = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    got = nb10.linear_filter(x, [2])[0]
    assert got == pytest.approx([1 / math.sqrt(12), 2 / 3, 1 / math.sqrt(12)])


@pytest.fixture(scope="module")
def first_five(tiny_split):
    r = interaction_matrix(tiny_split.train, tiny_split.num_users, tiny_split.num_items)
    valid = warm_target_users(tiny_split.targets("valid"), tiny_split.train)[:5]
    test = warm_target_users(tiny_split.targets("test"), tiny_split.train)[:5]
    assert list(valid) != list(test)
    return r, valid, test


def by_hand(r, users) -> torch.Tensor:
    """The solution's dense computation."""
    dense = r.to_dense().double()
    deg_u, deg_i = dense.sum(1), dense.sum(0)
    inv_u = torch.where(deg_u > 0, deg_u.rsqrt(), 0.0)
    inv_i = torch.where(deg_i > 0, deg_i.rsqrt(), 0.0)
    norm = dense * inv_u[:, None] * inv_i[None, :]
    return dense[users] @ norm.T @ norm


def test_exercise_2_accepts_the_filter_and_gfcf_agrees(tiny_split, first_five, capsys):
    r, valid, _ = first_five
    n_u, n_i = tiny_split.num_users, tiny_split.num_items
    kit = GFCF(r, n_u, n_i, alpha=0.0, rank=32).user_scores(valid)
    assert torch.allclose(by_hand(r, valid).float(), kit, atol=1e-5)
    assert nb10.check_exercise_2(by_hand(r, valid), tiny_split)
    says(capsys, "Right: ", f"validation users {valid.tolist()}")


def test_exercise_2_rejects_gfcf_with_its_default_alpha(tiny_split, first_five, capsys):
    r, valid, _ = first_five
    default = GFCF(r, tiny_split.num_users, tiny_split.num_items, rank=32).user_scores(valid)
    assert not nb10.check_exercise_2(default, tiny_split)
    says(capsys, "Not yet: ", "alpha=0")


def test_exercise_2_rejects_raw_co_occurrence_counts(tiny_split, first_five, capsys):
    r, valid, _ = first_five
    dense = r.to_dense().double()
    assert not nb10.check_exercise_2(dense[valid] @ dense.T @ dense, tiny_split)
    says(capsys, "Not yet: ", "co-occurrence")


def test_exercise_2_rejects_the_test_users(tiny_split, first_five, capsys):
    r, _, test = first_five
    assert not nb10.check_exercise_2(by_hand(r, test), tiny_split)
    says(capsys, "Not yet: ", "first 5 test users")


# --- exercise 3 --------------------------------------------------------------------------

EASE_R = [0.5, 0.2, 0.4, 0.3]
LIGHTGCN = [0.3, 0.2, 0.1, 0.2]  # differences 0.2, 0, 0.3, 0.1: mean 0.15
GF_CF = [0.4, 0.3, 0.1, 0.1]  # differences 0.1, -0.1, 0.3, 0.2: mean 0.125
USERS_NDCG = {"EASE^R": np.array(EASE_R), "LightGCN": np.array(LIGHTGCN), "GF-CF": np.array(GF_CF)}


def errors(a, b) -> tuple[float, float, float]:
    """Mean difference, paired and unpaired standard errors, with the standard library."""
    diff = [x - y for x, y in zip(a, b, strict=True)]
    paired = statistics.stdev(diff) / math.sqrt(len(a))
    unpaired = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    return statistics.mean(diff), paired, unpaired


def test_exercise_3_accepts_the_printed_figures(capsys):
    mean, paired, unpaired = errors(EASE_R, LIGHTGCN)
    assert math.isclose(mean, 0.15)
    assert nb10.check_exercise_3((0.15, round(paired, 4), round(unpaired, 4)), USERS_NDCG)
    says(capsys, "Right: ", "times wider without the pairing")
    assert nb10.check_exercise_3((mean, paired, unpaired), USERS_NDCG)


def test_exercise_3_rejects_swapped_standard_errors(capsys):
    mean, paired, unpaired = errors(EASE_R, LIGHTGCN)
    assert not nb10.check_exercise_3((mean, unpaired, paired), USERS_NDCG)
    says(capsys, "Not yet: ", "swapped")


def test_exercise_3_rejects_the_best_graph_model_of_section_6(capsys):
    assert not nb10.check_exercise_3(errors(EASE_R, GF_CF), USERS_NDCG)
    says(capsys, "Not yet: ", "EASE^R − GF-CF")


def test_exercise_3_rejects_lightgcn_minus_ease(capsys):
    assert not nb10.check_exercise_3(errors(LIGHTGCN, EASE_R), USERS_NDCG)
    says(capsys, "Not yet: ", "you have LightGCN − EASE^R")


# --- exercise 4 --------------------------------------------------------------------------


def test_exercise_4_accepts_the_optimism(tiny_split, kit, capsys):
    test = kit["test"]
    optimism = max(test.values()) - test[max(GRID, key=kit["valid"].get)]
    assert max(GRID, key=test.get) == 300.0 and optimism > 0.01
    assert nb10.check_exercise_4(round(optimism, 4), tiny_split, GRID, K)
    says(capsys, "Right: ", "test picks λ = 300, validation λ = 30")


def test_exercise_4_rejects_the_optimism_on_validation(tiny_split, kit, capsys):
    valid = kit["valid"]
    on_valid = max(valid.values()) - valid[max(GRID, key=valid.get)]  # always 0
    assert not nb10.check_exercise_4(on_valid, tiny_split, GRID, K)
    says(capsys, "Not yet: ", "validation picks λ = 30")


def test_exercise_4_rejects_the_optimism_without_the_refit(tiny_split, kit, capsys):
    stale = kit["unrefitted"]
    optimism = max(stale.values()) - stale[max(GRID, key=kit["valid"].get)]
    right = max(kit["test"].values()) - kit["test"][30.0]
    assert abs(optimism - right) > 0.001  # the two differ on this split
    assert not nb10.check_exercise_4(round(optimism, 4), tiny_split, GRID, K)
    says(capsys, "Not yet: ", "refit each λ on train + valid")


def test_exercise_4_rejects_the_difference_the_wrong_way_round(tiny_split, kit, capsys):
    test = kit["test"]
    optimism = max(test.values()) - test[30.0]
    assert not nb10.check_exercise_4(-optimism, tiny_split, GRID, K)
    says(capsys, "Not yet: ", "wrong way round")
