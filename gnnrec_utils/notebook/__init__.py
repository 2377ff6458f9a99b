"""What the notebooks use to show things: setup, figures, tables and an explorer.

* ``setup.py``: :func:`check_versions` and :func:`set_seed`, every notebook's first cell.
* ``plots.py``: the series' pipeline, one diagram per model family, a method x group chart.
* ``tables.py``: a shopper's history, a model's top k and similar items as DataFrames.
* ``explorer.py``: :class:`Explorer`, widgets over those tables (notebook 00).
"""

from __future__ import annotations

from gnnrec_utils.notebook.explorer import Explorer
from gnnrec_utils.notebook.plots import (
    BEHAVIOR_COLORS,
    MODEL_FAMILIES,
    PIPELINE,
    Family,
    method_group_chart,
    model_figure,
    pipeline_figure,
)
from gnnrec_utils.notebook.setup import TESTED_VERSIONS, check_versions, set_seed
from gnnrec_utils.notebook.tables import (
    SideBySide,
    as_int,
    check_items,
    check_k,
    check_user,
    count_noun,
    history_table,
    new_shopper_recommendations,
    parse_item_ids,
    ranked_items,
    recommendation_table,
    side_by_side,
    similar_items_table,
)

__all__ = [
    "BEHAVIOR_COLORS",
    "MODEL_FAMILIES",
    "PIPELINE",
    "TESTED_VERSIONS",
    "as_int",
    "check_items",
    "check_k",
    "check_user",
    "check_versions",
    "count_noun",
    "Explorer",
    "Family",
    "history_table",
    "method_group_chart",
    "model_figure",
    "new_shopper_recommendations",
    "parse_item_ids",
    "pipeline_figure",
    "ranked_items",
    "recommendation_table",
    "set_seed",
    "side_by_side",
    "SideBySide",
    "similar_items_table",
]
