"""The figures drawn by gnnrec_utils.notebook.plots say what their tables say."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt

from gnnrec_utils.notebook import (
    MODEL_FAMILIES,
    PIPELINE,
    method_group_chart,
    model_figure,
    pipeline_figure,
)


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_pipeline_figure_has_every_stage_in_order():
    fig = pipeline_figure()
    texts = _texts(fig)
    stages = [t for t in texts if t in {label for label, _ in PIPELINE}]
    assert stages == [label for label, _ in PIPELINE]
    assert all(where in texts for _, where in PIPELINE)
    plt.close(fig)


@pytest.mark.parametrize("family", sorted(MODEL_FAMILIES))
def test_model_figure_draws_its_steps_and_neighbours(family):
    spec = MODEL_FAMILIES[family]
    fig = model_figure(family)
    left = fig.axes[0]
    assert [t for t in _texts(fig) if t in spec.steps] == list(spec.steps)
    dotted = [line for line in left.lines if line.get_linestyle() == ":"]
    assert len(left.lines) == len(spec.weights)
    assert len(dotted) == sum(w == 0 for w in spec.weights)  # neighbours not used
    widths = [line.get_linewidth() for line in left.lines if line.get_linestyle() != ":"]
    assert np.allclose(widths, [1.2 * w for w in spec.weights if w])
    assert (len(left.patches) > 0) == spec.self_loop
    plt.close(fig)


def test_model_figure_rejects_an_unknown_family():
    with pytest.raises(ValueError, match="family: expected one of .*'gcn'.*got 'mlp'"):
        model_figure("mlp")


def test_method_group_chart_error_bars_are_1_96_standard_errors():
    results = pd.DataFrame(
        {
            "group": ["a", "a", "b"],
            "method": ["pop", "gnn", "pop"],
            "ndcg": [0.02, 0.05, 0.01],
            "se": [0.01, 0.02, 0.005],
        }
    )
    fig = method_group_chart(results, "ndcg", "se", groups=["b", "a"])
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["b", "a"]
    ax = fig.axes[1]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["pop", "gnn"]  # by metric
    segments = ax.collections[0].get_segments()
    spans = sorted(float(s[1][0] - s[0][0]) for s in segments)
    assert np.allclose(spans, [2 * 1.96 * 0.01, 2 * 1.96 * 0.02])
    plt.close(fig)


def test_method_group_chart_names_missing_columns():
    with pytest.raises(ValueError, match=r"missing column\(s\) \['se'\]"):
        method_group_chart(pd.DataFrame(columns=["group", "method", "ndcg"]), "ndcg", "se")
