"""Judging a recommender: pipeline stage 5.

* ``ranking.py``: the one full-ranking evaluator that training, cold start, the
  benchmarks and the notebooks call (:func:`evaluate_full_ranking`; :func:`evaluate`
  for a split's period): every item ranked but the user's known ones.
* ``metrics.py``: Precision, Recall, NDCG, MAP, hit rate and MRR from one hit matrix,
  and coverage, novelty and exposure beyond accuracy.
* ``significance.py``: standard errors, paired tests over users, spread over seeds and
  Welch intervals: the one place an interval is computed.
"""

from __future__ import annotations

from gnnrec_utils.evaluation.metrics import (
    average_popularity,
    catalog_coverage,
    exposure_gini,
    hit_matrix,
    novelty,
    per_user_recall_ndcg,
    ranking_metrics,
    recall_ndcg,
)
from gnnrec_utils.evaluation.ranking import (
    evaluate,
    evaluate_full_ranking,
    per_user_metrics,
    sample_users,
    warm_target_users,
)
from gnnrec_utils.evaluation.significance import (
    Z_975,
    over_seeds,
    paired_difference,
    paired_ratio,
    paired_test,
    standard_error,
    t_quantile,
    welch_interval,
)

__all__ = [
    "Z_975",
    "average_popularity",
    "catalog_coverage",
    "evaluate",
    "evaluate_full_ranking",
    "exposure_gini",
    "hit_matrix",
    "novelty",
    "over_seeds",
    "paired_difference",
    "paired_ratio",
    "paired_test",
    "per_user_metrics",
    "per_user_recall_ndcg",
    "ranking_metrics",
    "recall_ndcg",
    "sample_users",
    "standard_error",
    "t_quantile",
    "warm_target_users",
    "welch_interval",
]
