"""What a training run holds in memory, estimated before it starts (notebook 09).

:func:`memory_budget` lists each piece that sampled and full-graph LightGCN training
hold, :func:`full_graph_step_bytes` the total of one full-graph step; the benchmarks
read the measured peak beside them (:mod:`gnnrec_utils.machine`).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["full_graph_step_bytes", "memory_budget"]


def full_graph_step_bytes(num_nodes: int, num_edges: int, dim: int = 64, layers: int = 3) -> int:
    """Estimated memory of one full-graph LightGCN training step, in bytes.

    The normalised adjacency (``num_edges`` stored directions: 32-bit column index and
    float32 value, 8 bytes each; 4 per row pointer), the embedding table with its
    gradient and two Adam moments (4 tables), and the ``layers`` propagated tables plus
    their sum, kept for the backward pass and matched by as many gradients (``2 * (layers
    + 1)`` tables), all float32. An estimate for planning: the kit's benchmarks read the
    measured peak beside it.
    """
    return 8 * num_edges + 4 * num_nodes + 4 * num_nodes * dim * (4 + 2 * (layers + 1))


def memory_budget(
    num_users: int,
    num_items: int,
    num_pairs: int,
    num_positives: int,
    dim: int = 64,
    layers: int = 3,
) -> pd.DataFrame:
    """What each piece of sampled and full-graph training holds, in GiB (estimates).

    Args:
        num_users, num_items: nodes of the graph.
        num_pairs: distinct training (user, item) pairs: the graph's undirected edges.
        num_positives: distinct positive pairs the loss samples from.
        dim, layers: embedding size and propagation layers.

    Returns:
        One row per piece: ``bytes`` and ``GiB``, and whether sampled training, full-graph
        training or both hold it.
    """
    n, e = num_users + num_items, 2 * num_pairs
    rows = [
        ("graph CSR for the sampler (int64)", 8 * e + 8 * (n + 1), "sampled"),
        ("normalised adjacency (int32 + float32)", 8 * e + 4 * (n + 1), "both"),
        ("positive pairs (keys and two CSRs)", 8 * 5 * num_positives, "both"),
        ("embedding table (float32)", 4 * n * dim, "both"),
        ("Adam moments (2 tables)", 8 * n * dim, "both"),
        ("layer-wise inference (3 tables)", 12 * n * dim, "sampled"),
        (
            "full-graph step: the table's gradient, propagated tables and theirs",
            full_graph_step_bytes(n, e, dim, layers) - (8 * e + 4 * n) - 12 * n * dim,
            "full-graph",
        ),
    ]
    table = pd.DataFrame(rows, columns=["piece", "bytes", "held by"]).set_index("piece")
    table["GiB"] = table["bytes"] / 1024**3
    return table
