"""The checkers of notebook 10's exercises accept a right answer and reject a wrong one.

The cases are small enough to work out on paper: a 3-user, 3-item interaction matrix for
exercises 1 and 2, four users' values for exercise 3, a three-setting grid for exercise 4.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
import torch

from gnnrec_utils.exercises import nb10
from gnnrec_utils.models import GFCF

# users 0, 1, 2; items 0, 1, 2: user 0 has items 0 and 1, user 1 items 1 and 2, user 2 item 1
X = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
L2 = 1.0


def ridge_by_hand() -> np.ndarray:
    gram = X.T @ X
    return np.linalg.solve(gram + L2 * np.eye(3), gram)


# --- exercise 1 --------------------------------------------------------------------------


def test_exercise_1_accepts_the_ridge_solution(capsys):
    # XᵀX = [[1,1,0],[1,3,1],[0,1,1]]: item 1 co-occurs with both others
    assert np.array_equal(X.T @ X, [[1, 1, 0], [1, 3, 1], [0, 1, 1]])
    assert nb10.check_exercise_1(torch.tensor(ridge_by_hand()), torch.tensor(X), L2)
    assert capsys.readouterr().out.startswith("Right: ")


def test_exercise_1_accepts_a_sparse_interaction_matrix(capsys):
    assert nb10.check_exercise_1(ridge_by_hand(), torch.tensor(X).to_sparse(), L2)
    assert capsys.readouterr().out.startswith("Right: ")


def test_exercise_1_rejects_ease_weights_with_their_zero_diagonal(capsys):
    p = np.linalg.inv(X.T @ X + L2 * np.eye(3))
    ease = np.eye(3) - p / np.diag(p)
    assert np.allclose(np.diag(ease), 0)
    assert not nb10.check_exercise_1(ease, X, L2)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "zero diagonal" in out


def test_exercise_1_rejects_a_solution_without_the_penalty(capsys):
    assert not nb10.check_exercise_1(np.eye(3), X, L2)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "identity" in out


def test_exercise_1_rejects_a_matrix_of_the_wrong_shape(capsys):
    assert not nb10.check_exercise_1(np.eye(2), X, L2)
    assert "shape" in capsys.readouterr().out


# --- exercise 2 --------------------------------------------------------------------------


def test_the_linear_filter_by_hand():
    # degrees: users 2, 2, 1; items 1, 3, 1. User 2 has only item 1:
    # R̃[:, 1] = [1/√6, 1/√6, 1/√3], R̃[0, 0] = 1/√2, R̃[1, 2] = 1/√2, so
    # s_2 = R̃[:, 1]ᵀ R̃ = [1/√12, 1/6 + 1/6 + 1/3, 1/√12]
    got = nb10.linear_filter(X, [2])[0]
    assert got == pytest.approx([1 / math.sqrt(12), 2 / 3, 1 / math.sqrt(12)])


def test_exercise_2_accepts_the_filter_and_gfcf_agrees(capsys):
    users = [0, 2]
    scores = nb10.linear_filter(X, users)
    gfcf = GFCF(torch.tensor(X, dtype=torch.float32), 3, 3, alpha=0.0, rank=2)
    assert np.allclose(gfcf.user_scores(users).numpy(), scores, atol=1e-6)
    assert nb10.check_exercise_2(torch.tensor(scores), torch.tensor(X), users)
    assert capsys.readouterr().out.startswith("Right: ")


def test_exercise_2_rejects_raw_co_occurrence_counts(capsys):
    raw = X[[0, 2]] @ X.T @ X
    assert not nb10.check_exercise_2(raw, X, [0, 2])
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "co-occurrence" in out


def test_exercise_2_rejects_the_wrong_users(capsys):
    assert not nb10.check_exercise_2(nb10.linear_filter(X, [0, 1]), X, [0, 2])
    assert capsys.readouterr().out.startswith("Not yet: ")


# --- exercise 3 --------------------------------------------------------------------------

A = [0.5, 0.2, 0.4, 0.3]
B = [0.3, 0.2, 0.1, 0.2]  # differences 0.2, 0, 0.3, 0.1: mean 0.15


def by_hand() -> tuple[float, float, float]:
    diff = [a - b for a, b in zip(A, B, strict=True)]
    paired = statistics.stdev(diff) / 2
    unpaired = math.sqrt(statistics.variance(A) / 4 + statistics.variance(B) / 4)
    return statistics.mean(diff), paired, unpaired


def test_exercise_3_accepts_both_standard_errors(capsys):
    mean, paired, unpaired = by_hand()
    assert math.isclose(mean, 0.15)
    assert nb10.check_exercise_3((mean, paired, unpaired), A, B)
    assert capsys.readouterr().out.startswith("Right: ")
    assert nb10.check_exercise_3(tuple(round(v, 4) for v in by_hand()), A, B)


def test_exercise_3_rejects_swapped_standard_errors(capsys):
    mean, paired, unpaired = by_hand()
    assert not nb10.check_exercise_3((mean, unpaired, paired), A, B)
    assert "swapped" in capsys.readouterr().out


def test_exercise_3_rejects_a_wrong_mean(capsys):
    _, paired, unpaired = by_hand()
    assert not nb10.check_exercise_3((-0.15, paired, unpaired), A, B)
    assert capsys.readouterr().out.startswith("Not yet: ")


def test_exercise_3_refuses_values_of_other_users():
    with pytest.raises(ValueError, match="same users"):
        nb10.check_exercise_3((0.1, 0.01, 0.02), A, B[:3])


# --- exercise 4 --------------------------------------------------------------------------

VALID = {10.0: 0.20, 50.0: 0.22, 200.0: 0.21}
TEST = {10.0: 0.28, 50.0: 0.30, 200.0: 0.31}  # test would pick 200: 0.01 more


def test_exercise_4_accepts_the_optimism(capsys):
    assert nb10.check_exercise_4(0.01, VALID, TEST)
    out = capsys.readouterr().out
    assert out.startswith("Right: ") and "200.0" in out


def test_exercise_4_accepts_zero_when_both_pick_the_same(capsys):
    assert nb10.check_exercise_4(0.0, VALID, {10.0: 0.28, 50.0: 0.31, 200.0: 0.30})
    assert "same setting" in capsys.readouterr().out


def test_exercise_4_rejects_the_difference_the_wrong_way_round(capsys):
    assert not nb10.check_exercise_4(-0.01, VALID, TEST)
    assert "wrong way round" in capsys.readouterr().out


def test_exercise_4_rejects_the_gap_to_the_validation_best_setting_on_validation(capsys):
    assert not nb10.check_exercise_4(0.31 - 0.22, VALID, TEST)
    assert capsys.readouterr().out.startswith("Not yet: ")


def test_exercise_4_refuses_grids_that_differ():
    with pytest.raises(ValueError, match="other settings"):
        nb10.check_exercise_4(0.0, VALID, {10.0: 0.1})
