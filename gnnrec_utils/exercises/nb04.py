"""Checkers for notebook 04 · Evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gnnrec_utils.evaluation import metrics
from gnnrec_utils.evaluation.ranking import warm_target_users
from gnnrec_utils.exercises import say_either as _say

__all__ = ["check_exercise_1", "check_exercise_2", "check_exercise_3"]


def check_exercise_1(sampled_ndcg: dict, full_ndcg: dict) -> bool:
    """Sampled NDCG with more negatives moves toward full ranking but stays above it."""
    names = sorted(set(sampled_ndcg) & set(full_ndcg))
    above = [n for n in names if sampled_ndcg[n] > full_ndcg[n]]
    return _say(
        bool(names) and above == names,
        "with 1,000 negatives every sampled NDCG is still above its full-ranking value",
        f"sampled NDCG should stay above full-ranking NDCG; it does not for "
        f"{sorted(set(names) - set(above))}",
    )


def check_exercise_2(coverage: float, model, split, k: int = 10) -> bool:
    """``coverage``: the catalogue share ``model`` recommends to the test shoppers."""
    users = warm_target_users(split.targets("test"), split.train)
    top = model.recommend(users, k, exclude=split.history("test"))
    want = metrics.catalog_coverage(top, split.num_items)
    return _say(
        abs(coverage - want) < 1e-12,
        f"coverage {want:.1%}",
        f"you report {coverage:.1%}; the top-{k} lists of the test shoppers cover {want:.1%}",
    )


def check_exercise_3(order: list[str], models: dict, split, k: int = 10) -> bool:
    """``order``: the models from highest to lowest validation NDCG@k."""
    users = warm_target_users(split.targets("valid"), split.train)
    ndcg = pd.Series(
        {
            name: float(
                np.mean(
                    metrics.per_user_recall_ndcg(
                        m.recommend(users, k, exclude=split.history("valid")),
                        users,
                        split.targets("valid"),
                    )[1]
                )
            )
            for name, m in models.items()
        }
    )
    want = list(ndcg.sort_values(ascending=False).index)
    return _say(
        list(order) == want,
        f"validation order {want}",
        f"you give {list(order)}; by validation NDCG@{k} it is {want}",
    )
