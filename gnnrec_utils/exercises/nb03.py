"""Checkers for notebook 03 · Training."""

from __future__ import annotations

from gnnrec_utils.evaluation.metrics import per_user_recall_ndcg
from gnnrec_utils.evaluation.ranking import evaluate, warm_target_users
from gnnrec_utils.evaluation.significance import paired_difference
from gnnrec_utils.exercises import say_either as _say

__all__ = [
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_paired_gain",
    "check_validation_ndcg",
    "per_user_ndcg",
]


def per_user_ndcg(model, split, period: str, k: int = 10):
    """NDCG@k of every warm target shopper of ``period``, in a fixed order."""
    users = warm_target_users(split.targets(period), split.train)
    top = model.recommend(users, k, exclude=split.history(period))
    return per_user_recall_ndcg(top, users, split.targets(period))[1]


def check_validation_ndcg(value: float, model, split, k: int = 10) -> bool:
    """``value`` is ``model``'s NDCG@k on the validation day (full ranking, warm shoppers)."""
    want = evaluate(model, split, "valid", k)[f"ndcg@{k}"]
    return _say(
        abs(value - want) < 1e-9,
        f"validation NDCG@{k} {want:.4f}",
        f"you report {value:.4f}, but evaluate(model, split, 'valid') gives {want:.4f}; "
        "did you read the test day, or another model?",
    )


def check_paired_gain(gain: float, se: float, model_a, model_b, split, k: int = 10) -> bool:
    """``gain ± se`` is model_a − model_b in NDCG@k, paired over the validation shoppers."""
    want_gain, want_se = paired_difference(
        per_user_ndcg(model_a, split, "valid", k), per_user_ndcg(model_b, split, "valid", k)
    )
    ok = abs(gain - want_gain) < 1e-9 and abs(se - want_se) < 1e-9
    return _say(
        ok,
        f"{want_gain:+.4f} ± {want_se:.4f}, {abs(want_gain) / want_se:.1f} standard errors",
        f"you report {gain:+.4f} ± {se:.4f}; paired over the validation day's shoppers it is "
        f"{want_gain:+.4f} ± {want_se:.4f} (A − B, the same shoppers in the same order)",
    )


def check_exercise_1(value: float, model, split, k: int = 10) -> bool:
    """Exercise 1: the one-layer LightGCN's validation NDCG@k."""
    return check_validation_ndcg(value, model, split, k)


def check_exercise_2(gain: float, se: float, model_a, model_b, split, k: int = 10) -> bool:
    """Exercise 2: the leading combination against uniform BPR, paired, on validation."""
    return check_paired_gain(gain, se, model_a, model_b, split, k)


def check_exercise_3(gain: float, se: float, model_a, model_b, split, k: int = 10) -> bool:
    """Exercise 3: ``use_ids=False`` against the model with IDs, paired, on validation."""
    return check_paired_gain(gain, se, model_a, model_b, split, k)
