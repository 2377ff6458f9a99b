"""Figures the notebooks draw: the series' pipeline, one diagram per model family, and a
chart of methods across groups with their error bars.

The diagrams are drawn with matplotlib from the small tables below, so that a figure
and the text that teaches it change together: :data:`PIPELINE` is the path notebook 00
walks, :data:`MODEL_FAMILIES` says, for each family, which neighbours a node listens
to, how they are weighted and what a layer does with the sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Arc, FancyArrowPatch, FancyBboxPatch

__all__ = [
    "BEHAVIOR_COLORS",
    "MODEL_FAMILIES",
    "PIPELINE",
    "Family",
    "method_group_chart",
    "model_figure",
    "pipeline_figure",
]

# (label, what it is in the kit), in the order notebook 00 runs them.
PIPELINE: list[tuple[str, str]] = [
    ("shop log", "data.load_shop"),
    ("temporal split", "data.temporal_split"),
    ("graph", "graph.normalized_adjacency"),
    ("encoder", "ids + attributes"),
    ("GNN layers", "models.LightGCN, ..."),
    ("BPR + negatives", "training.train"),
    ("top-k, seen excluded", "Recommender.recommend"),
    ("metrics", "Recall, NDCG @k"),
]

BEHAVIOR_COLORS = {"pv": "#9e9e9e", "fav": "#e6a700", "cart": "#2a9d8f", "buy": "#c0392b"}


@dataclass(frozen=True)
class Family:
    """How one model family builds a node's next vector from its neighbourhood.

    ``weights`` are the drawn widths of the edges to the five example neighbours (0: the
    neighbour is not used); ``behaviors`` colours them by behaviour; ``self_loop``
    says whether the node's own vector enters the sum; ``steps`` are the boxes of one
    layer, left to right.
    """

    title: str
    steps: tuple[str, ...]
    weights: tuple[float, ...] = (1, 1, 1, 1, 1)
    self_loop: bool = False
    behaviors: tuple[str, ...] = ()
    note: str = ""
    reference: str = ""


MODEL_FAMILIES: dict[str, Family] = {
    "gcn": Family(
        "GCN (GCNConv)",
        (
            "neighbours\n+ itself",
            "sum, weights\n1/sqrt((d_i+1)(d_j+1))",
            "x W, + b",
            "non-linearity\nthen next layer",
        ),
        self_loop=True,
        note="every neighbour, degree-normalised, through a learned W",
        reference="Kipf & Welling, ICLR 2017",
    ),
    "graphsage": Family(
        "GraphSAGE (SAGEConv)",
        (
            "sample a few\nneighbours",
            "mean of\ntheir vectors",
            "W1 own + W2 mean",
            "non-linearity\nthen next layer",
        ),
        weights=(1, 1, 1, 0, 0),
        note="a sample of neighbours (grey: not drawn); the node's own vector kept apart",
        reference="Hamilton et al., NeurIPS 2017",
    ),
    "gat": Family(
        "GAT (GATConv)",
        (
            "score each\nneighbour",
            "softmax:\nattention a_ij",
            "sum a_ij W e_j",
            "non-linearity\nthen next layer",
        ),
        weights=(3.0, 0.6, 1.6, 0.4, 1.0),
        self_loop=True,
        note="learned attention decides how much each neighbour counts (edge width)",
        reference="Velickovic et al., ICLR 2018",
    ),
    "lightgcn": Family(
        "LightGCN",
        (
            "neighbours\nonly",
            "sum, weights\n1/sqrt(d_i d_j)",
            "repeat for\nL layers",
            "average the\nL+1 layers",
        ),
        note="no W, no bias, no self-loop, no non-linearity; layers averaged",
        reference="He et al., SIGIR 2020",
    ),
    "multibehavior": Family(
        "MultiBehaviorGCN",
        (
            "id + attribute\nvectors",
            "propagate on\neach behaviour",
            "mix: softmax\nweights w_b",
            "repeat, average\nthe layers",
        ),
        behaviors=("pv", "fav", "cart", "buy", "pv"),
        note="each behaviour propagates on its own graph; learned weights mix them",
        reference="this kit, gnnrec_utils.models",
    ),
    "cascade": Family(
        "CascadeGCN",
        (
            "favourites\ngraph",
            "then carts\ngraph",
            "then purchases\ngraph",
            "vectors of\nthe last stage",
        ),
        behaviors=("fav", "fav", "cart", "cart", "buy"),
        note="behaviours in funnel order, each stage refining the one before",
        reference="after CRGCN, Yan et al., TOIS 2023",
    ),
}


def _box(ax: Axes, x: float, y: float, text: str, color: str, width=1.5, height=0.8) -> None:
    """A rounded box centred on (x, y) with ``text`` in it."""
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.05",
            facecolor=color,
            edgecolor="#333333",
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], **style) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, **style))


def pipeline_figure() -> Figure:
    """The series' path from the shop log to its metrics, one box per stage (:data:`PIPELINE`).

    Boxes run left to right in two rows; under each, the kit function that does the stage.
    """
    fig, ax = plt.subplots(figsize=(10, 3.2))
    per_row = (len(PIPELINE) + 1) // 2
    centres = [(1 + 2.2 * (i % per_row), 2.6 - 1.8 * (i // per_row)) for i in range(len(PIPELINE))]
    for i, ((label, where), (x, y)) in enumerate(zip(PIPELINE, centres, strict=True)):
        _box(ax, x, y, label, "#dbe9f6" if i < per_row else "#f6e3db")
        ax.text(x, y - 0.6, where, ha="center", va="top", fontsize=7.5, color="#555555")
    for (x0, y0), (x1, y1) in zip(centres, centres[1:], strict=False):
        if y0 == y1:
            _arrow(ax, (x0 + 0.78, y0), (x1 - 0.78, y1))
        else:  # down to the next row, back at its left end
            mid = (y0 + y1) / 2 - 0.1
            ax.plot(
                [x0 + 0.78, x0 + 0.95, x0 + 0.95, x1, x1], [y0, y0, mid, mid, mid], color="k", lw=1
            )
            _arrow(ax, (x1, mid), (x1, y1 + 0.42))
    ax.set_xlim(0, 2.2 * per_row)
    ax.set_ylim(-0.2, 3.2)
    ax.set_axis_off()
    ax.set_title("From a shop log to measured recommendations")
    fig.tight_layout()
    return fig


def _neighbourhood(ax: Axes, family: Family) -> None:
    """A user node and five item neighbours, edges drawn as ``family`` uses them."""
    angles = np.linspace(np.pi * 0.8, -np.pi * 0.8, len(family.weights))
    for k, (angle, w) in enumerate(zip(angles, family.weights, strict=True)):
        x, y = 1.6 * np.cos(angle), 1.6 * np.sin(angle)
        color = BEHAVIOR_COLORS[family.behaviors[k]] if family.behaviors else "#333333"
        style = {"color": color, "linewidth": 1.2 * w} if w else {"color": "#bbbbbb", "ls": ":"}
        ax.plot([0, x], [0, y], zorder=1, **style)
        ax.scatter([x], [y], s=260, color="#f6e3db", edgecolor="#333333", zorder=2)
        ax.text(x, y, f"i{k + 1}", ha="center", va="center", fontsize=8, zorder=3)
    if family.self_loop:  # the node's own vector enters its sum
        ax.add_patch(Arc((0, 0.45), 0.5, 0.6, theta1=-60, theta2=240, linewidth=1.2))
    ax.scatter([0], [0], s=420, color="#dbe9f6", edgecolor="#333333", zorder=2)
    ax.text(0, 0, "u", ha="center", va="center", fontsize=10, zorder=3)
    if family.behaviors:
        for j, b in enumerate(dict.fromkeys(family.behaviors)):
            ax.text(2.5, 1.2 - 0.5 * j, b, color=BEHAVIOR_COLORS[b], fontsize=8, weight="bold")
    ax.set_xlim(-2.3, 3.2)
    ax.set_ylim(-2.3, 2.3)
    ax.set_aspect("equal")
    ax.set_axis_off()


def model_figure(family: str) -> Figure:
    """A diagram of one model family (a key of :data:`MODEL_FAMILIES`): which neighbours a
    node listens to (left) and the steps of one layer (right)."""
    if family not in MODEL_FAMILIES:
        raise ValueError(f"family: expected one of {sorted(MODEL_FAMILIES)}, got {family!r}")
    spec = MODEL_FAMILIES[family]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 2.8), width_ratios=(1, 2.6))
    _neighbourhood(left, spec)
    for k, step in enumerate(spec.steps):
        _box(right, 1 + 2 * k, 1, step, "#eef3e2", width=1.7, height=1.0)
        if k:
            _arrow(right, (1 + 2 * k - 1.12, 1), (1 + 2 * k - 0.88, 1))
    right.text(0.15, -0.05, spec.note, fontsize=8.5, va="top")
    right.text(0.15, -0.45, spec.reference, fontsize=7.5, va="top", color="#555555")
    right.set_xlim(0, 2 * len(spec.steps))
    right.set_ylim(-0.8, 1.8)
    right.set_axis_off()
    fig.suptitle(spec.title, x=0.05, ha="left")
    fig.tight_layout()
    return fig


def method_group_chart(
    results: pd.DataFrame, metric: str, se: str, groups: list[str] | None = None
) -> Figure:
    """Each method's ``metric`` per group, with bars of ±1.96 standard errors.

    ``results`` has one row per (group, method) with columns ``group``, ``method``,
    ``metric`` and ``se``; a method absent from a group (it cannot serve it) is left
    out of that group's panel. One panel per group, stacked in the order of ``groups``,
    on one shared scale.
    """
    missing = {"group", "method", metric, se} - set(results.columns)
    if missing:
        raise ValueError(f"results: missing column(s) {sorted(missing)}")
    groups = groups or list(dict.fromkeys(results.group))
    sizes = [int((results.group == g).sum()) for g in groups]
    fig, axes = plt.subplots(
        len(groups),
        1,
        figsize=(7, 0.9 + 0.32 * sum(sizes) + 0.45 * len(groups)),
        height_ratios=sizes,
        sharex=True,
        squeeze=False,
    )
    low, high = results[metric] - 1.96 * results[se], results[metric] + 1.96 * results[se]
    for ax, group in zip(axes[:, 0], groups, strict=True):
        rows = results[results.group == group].sort_values(metric)
        y = np.arange(len(rows))
        ax.errorbar(rows[metric], y, xerr=1.96 * rows[se], fmt="o", capsize=3)
        ax.set_yticks(y, rows.method)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_title(group, fontsize=10, loc="left")
    axes[-1, 0].set_xlim(min(0.0, float(low.min())), float(high.max()) * 1.05)
    axes[-1, 0].set_xlabel(f"{metric} ± 1.96 standard errors")
    fig.tight_layout()
    return fig
