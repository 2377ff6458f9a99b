"""Two views of the training graph, and propagation over it: pipeline stage 2.

* ``build.py``: a PyG ``HeteroData`` with one edge type per behaviour
  (:func:`build_hetero_graph`), the user-item matrix (:func:`interaction_matrix`) and
  the symmetric normalised adjacency LightGCN-style models propagate over
  (:func:`normalized_adjacency`; over every behaviour at once, :func:`union_adjacency`).
  Build them from ``split.train`` only.
* ``propagation.py``: one propagation step with a backward that reuses the symmetric
  matrix (:func:`propagate`), 32-bit CSR indices (:func:`compact_csr`), and LightGCN's
  layers in row blocks for graphs too large for one product (:func:`layerwise_embedding`).
* ``bipartite.py``: the graph in CSR form for neighbour samplers
  (:class:`BipartiteCSR`) and its normalised adjacency without a COO sort
  (:func:`normalized_csr`).
* ``sparse.py``: sparse CSR helpers (transpose, row blocks) the models share.
"""

from __future__ import annotations

from gnnrec_utils.graph.bipartite import BipartiteCSR, normalized_csr
from gnnrec_utils.graph.build import (
    NUM_AGE_GROUPS,
    NUM_CITY_TIERS,
    NUM_GENDERS,
    build_hetero_graph,
    interaction_matrix,
    item_features,
    normalized_adjacency,
    one_hot,
    symmetric_adjacency,
    union_adjacency,
    user_features,
)
from gnnrec_utils.graph.propagation import (
    SymmetricPropagation,
    compact_csr,
    layer_weights,
    layerwise_embedding,
    propagate,
)

__all__ = [
    "NUM_AGE_GROUPS",
    "NUM_CITY_TIERS",
    "NUM_GENDERS",
    "BipartiteCSR",
    "build_hetero_graph",
    "compact_csr",
    "interaction_matrix",
    "item_features",
    "layer_weights",
    "layerwise_embedding",
    "normalized_adjacency",
    "normalized_csr",
    "one_hot",
    "propagate",
    "symmetric_adjacency",
    "SymmetricPropagation",
    "union_adjacency",
    "user_features",
]
