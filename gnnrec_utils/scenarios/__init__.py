"""What a shop does with a recommender beyond the test day.

* ``coldstart.py``: the leak-free protocol for new shoppers and products, and the
  fallbacks; ``inductive.py``: recommending to them with a trained GNN, without
  retraining (notebook 05).
* ``dynamic.py``: keeping a model current as days go by (notebook 07).
* ``simulator.py``, ``choice_model.py``: a shop simulator on the generator's own choice
  model; ``experiments.py``: business metrics and A/B tests; ``bandits.py``: learning
  from clicks and feedback loops (notebook 11).
"""

from __future__ import annotations

from gnnrec_utils.scenarios.bandits import (
    BetaArms,
    epsilon_greedy,
    feedback_loop,
    run_bandit,
    thompson,
)
from gnnrec_utils.scenarios.choice_model import (
    STEPS,
    Funnel,
    examination,
    generator_funnel,
    shop_reference,
    sigmoid,
    uniforms,
    world_fingerprint,
)
from gnnrec_utils.scenarios.coldstart import (
    FewShotTask,
    arrival_split,
    category_scores,
    evaluate_scores,
    few_shot_task,
    hold_out,
    per_user_scores,
    segment_popularity,
)
from gnnrec_utils.scenarios.dynamic import cut_days, fit_steps, refresh_graph
from gnnrec_utils.scenarios.experiments import (
    ab_test,
    business_metrics,
    per_shopper_table,
    shoppers_per_arm,
)
from gnnrec_utils.scenarios.inductive import (
    ColdStartRecommender,
    attribute_adjacency,
    attribute_nodes,
    inductive_embedding,
    known_nodes,
)
from gnnrec_utils.scenarios.simulator import ShopSimulator

__all__ = [
    "STEPS",
    "ab_test",
    "arrival_split",
    "attribute_adjacency",
    "attribute_nodes",
    "BetaArms",
    "business_metrics",
    "category_scores",
    "ColdStartRecommender",
    "cut_days",
    "epsilon_greedy",
    "evaluate_scores",
    "examination",
    "feedback_loop",
    "few_shot_task",
    "FewShotTask",
    "fit_steps",
    "Funnel",
    "generator_funnel",
    "hold_out",
    "inductive_embedding",
    "known_nodes",
    "per_shopper_table",
    "per_user_scores",
    "refresh_graph",
    "run_bandit",
    "segment_popularity",
    "shop_reference",
    "shoppers_per_arm",
    "ShopSimulator",
    "sigmoid",
    "thompson",
    "uniforms",
    "world_fingerprint",
]
