"""The checkers of notebook 07's exercises accept a right answer and reject a wrong one."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.data import BEHAVIORS
from gnnrec_utils.exercises import nb07
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import MultiBehaviorGCN

DAY = 86_400
MIDNIGHT = 1_511_712_000 - 8 * 3600  # a local (UTC+8) midnight

# per-shopper NDCG of two strategies on four shopper-days, the differences 0.2, 0, 0.3, 0.1
RETRAIN = [0.5, 0.2, 0.4, 0.3]
FINE_TUNE = [0.3, 0.2, 0.1, 0.2]


def paired_by_hand() -> tuple[float, float]:
    diff = [a - b for a, b in zip(RETRAIN, FINE_TUNE, strict=True)]
    return statistics.mean(diff), statistics.stdev(diff) / math.sqrt(len(diff))


# --- exercise 1 --------------------------------------------------------------------------


def test_exercise_1_accepts_the_paired_gap(capsys):
    mean, se = paired_by_hand()
    assert math.isclose(mean, 0.15)
    assert nb07.check_exercise_1((mean, se), RETRAIN, FINE_TUNE)
    assert capsys.readouterr().out.startswith("Right: ")
    assert nb07.check_exercise_1((round(mean, 4), round(se, 4)), RETRAIN, FINE_TUNE)


def test_exercise_1_rejects_an_unpaired_standard_error(capsys):
    mean, _ = paired_by_hand()
    unpaired = math.sqrt(
        statistics.variance(RETRAIN) / len(RETRAIN) + statistics.variance(FINE_TUNE) / 4
    )
    assert not nb07.check_exercise_1((mean, unpaired), RETRAIN, FINE_TUNE)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "independent means" in out


def test_exercise_1_rejects_the_gap_the_wrong_way_round(capsys):
    mean, se = paired_by_hand()
    assert not nb07.check_exercise_1((-mean, se), RETRAIN, FINE_TUNE)
    assert capsys.readouterr().out.startswith("Not yet: ")


def test_exercise_1_refuses_arrays_of_other_lengths():
    with pytest.raises(ValueError, match="same shopper-days"):
        nb07.check_exercise_1((0.1, 0.01), RETRAIN, FINE_TUNE[:3])


# --- exercise 2 --------------------------------------------------------------------------


@pytest.fixture
def log() -> pd.DataFrame:
    """One event at noon of each of the five days before MIDNIGHT and the two after it."""
    days = np.arange(-5, 2)
    return pd.DataFrame(
        {
            "user_id": np.arange(len(days)),
            "item_id": np.arange(len(days)) % 3,
            "behavior": "pv",
            "timestamp": MIDNIGHT + days * DAY + DAY // 2,
        }
    )


def test_exercise_2_accepts_the_two_days_before_each_day(log, capsys):
    windows = [log.iloc[3:5], log.iloc[4:6]]  # days -2, -1 for day 0; days -1, 0 for day 1
    assert nb07.check_exercise_2(windows, log, MIDNIGHT)
    assert capsys.readouterr().out.startswith("Right: ")


def test_exercise_2_rejects_a_window_that_holds_its_own_day(log, capsys):
    assert not nb07.check_exercise_2([log.iloc[3:5], log.iloc[4:7]], log, MIDNIGHT)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "scored on" in out


def test_exercise_2_rejects_all_known_events(log, capsys):
    assert not nb07.check_exercise_2([log.iloc[:5]], log, MIDNIGHT)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "more than two days" in out


def test_exercise_2_rejects_a_window_missing_a_day(log, capsys):
    assert not nb07.check_exercise_2([log.iloc[4:5]], log, MIDNIGHT)
    assert capsys.readouterr().out.startswith("Not yet: ")


# --- exercise 3 --------------------------------------------------------------------------

HYBRID, DAILY, FROZEN = [0.2, 0.3, 0.1, 0.2], [0.3, 0.4, 0.2, 0.3], [0.1, 0.2, 0.1, 0.2]


def test_exercise_3_accepts_the_share_of_the_gain(capsys):
    # gains over frozen: hybrid 0.1, 0.1, 0, 0 (mean 0.05); daily 0.2, 0.2, 0.1, 0.1 (0.15)
    assert nb07.check_exercise_3(1 / 3, HYBRID, DAILY, FROZEN)
    assert nb07.check_exercise_3(0.33, HYBRID, DAILY, FROZEN)
    assert capsys.readouterr().out.startswith("Right: ")


def test_exercise_3_rejects_a_ratio_of_ndcgs(capsys):
    assert not nb07.check_exercise_3(0.2 / 0.3, HYBRID, DAILY, FROZEN)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "ratio of the two NDCGs" in out


def test_exercise_3_rejects_a_percentage(capsys):
    assert not nb07.check_exercise_3(33.0, HYBRID, DAILY, FROZEN)
    assert capsys.readouterr().out.startswith("Not yet: ")


# --- exercise 4 --------------------------------------------------------------------------


@pytest.fixture
def frozen_model() -> MultiBehaviorGCN:
    """Users 0-2 on items 0-1; users 3 and 4 have no training event."""
    events = pd.DataFrame(
        {
            "user_id": [0, 0, 1, 2, 2],
            "item_id": [0, 1, 1, 0, 1],
            "behavior": ["pv", "buy", "pv", "fav", "pv"],
        }
    )
    adjs = {b: normalized_adjacency(events[events.behavior == b], 5, 2) for b in BEHAVIORS}
    torch.manual_seed(0)
    user_codes, item_codes = torch.tensor([[0], [1], [0], [1], [1]]), torch.tensor([[0], [1]])
    return MultiBehaviorGCN(adjs, user_codes, item_codes, [2], [2], embedding_dim=4)


def zeroed_copy(model: MultiBehaviorGCN, rows: list[int]) -> torch.Tensor:
    twin = MultiBehaviorGCN(
        {b: getattr(model, f"adj_{b}") for b in model.behaviors},
        model.user_codes,
        model.item_codes,
        [2],
        [2],
        embedding_dim=4,
    )
    twin.load_state_dict(model.state_dict())
    with torch.no_grad():
        twin.user_encoder.ids.weight[rows] = 0
        return twin.get_embedding()[0]


def test_exercise_4_accepts_zeroed_id_vectors(frozen_model, capsys):
    assert nb07.check_exercise_4(zeroed_copy(frozen_model, [3, 4]), frozen_model, [0, 1, 2])
    assert capsys.readouterr().out.startswith("Right: ")


def test_exercise_4_agrees_with_the_models_own_cold_start_route(frozen_model):
    known = torch.tensor([True, True, True, False, False])
    with torch.no_grad():
        want = frozen_model.embed(known_users=known)[0]
    assert torch.allclose(nb07.attribute_only_users(frozen_model, [0, 1, 2]), want, atol=1e-6)


def test_exercise_4_rejects_zeroing_trained_shoppers(frozen_model, capsys):
    assert not nb07.check_exercise_4(zeroed_copy(frozen_model, [0, 3, 4]), frozen_model, [0, 1, 2])
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "were in training" in out


def test_exercise_4_rejects_the_untouched_model(frozen_model, capsys):
    with torch.no_grad():
        untouched = frozen_model.get_embedding()[0]
    assert not nb07.check_exercise_4(untouched, frozen_model, [0, 1, 2])
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "untrained ID" in out


def test_exercise_4_rejects_whole_vectors_set_to_zero(frozen_model, capsys):
    with torch.no_grad():
        emb = frozen_model.get_embedding()[0].clone()
    emb[[3, 4]] = 0
    assert not nb07.check_exercise_4(emb, frozen_model, [0, 1, 2])
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "attributes included" in out
