"""Two views of the training graph.

* ``build_hetero_graph``: a PyG ``HeteroData`` with ``user`` and ``item`` nodes
  (attribute features), one edge type per behaviour plus its reverse, and the
  event timestamps as edge attributes. For heterogeneous GNNs.
* ``normalized_adjacency``: the bipartite user-item adjacency as one coalesced,
  symmetric, pre-normalised ``torch.sparse_csr`` matrix, for LightGCN-style models.

Both are built from the events they are given — pass ``split.train`` only.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import HeteroData

from gnnrec_utils.data.constants import BEHAVIORS

__all__ = [
    "NUM_AGE_GROUPS",
    "NUM_CITY_TIERS",
    "NUM_GENDERS",
    "build_hetero_graph",
    "interaction_matrix",
    "item_features",
    "normalized_adjacency",
    "one_hot",
    "symmetric_adjacency",
    "union_adjacency",
    "user_features",
]

NUM_AGE_GROUPS, NUM_GENDERS, NUM_CITY_TIERS = 6, 2, 5


def one_hot(codes: np.ndarray, num_classes: int) -> torch.Tensor:
    """Float one-hot rows for integer ``codes`` in ``[0, num_classes)``."""
    return torch.nn.functional.one_hot(torch.tensor(codes, dtype=torch.long), num_classes).float()


def user_features(users: pd.DataFrame) -> torch.Tensor:
    """One-hot age group (6), gender (2) and city tier (5, tiers 1-5): shape (num_users, 13)."""
    return torch.cat(
        [
            one_hot(users.age_group.to_numpy(), NUM_AGE_GROUPS),
            one_hot(users.gender.to_numpy(), NUM_GENDERS),
            one_hot(users.city_tier.to_numpy() - 1, NUM_CITY_TIERS),
        ],
        dim=1,
    )


def item_features(items: pd.DataFrame, num_categories: int | None = None) -> torch.Tensor:
    """One-hot category and standardised log price: shape (num_items, num_categories + 1)."""
    num_categories = num_categories or int(items.category_id.max()) + 1
    log_price = np.log1p(items.price.to_numpy())
    z = (log_price - log_price.mean()) / (log_price.std() + 1e-12)
    return torch.cat(
        [
            one_hot(items.category_id.to_numpy(), num_categories),
            torch.tensor(z, dtype=torch.float).unsqueeze(1),
        ],
        dim=1,
    )


def build_hetero_graph(
    users: pd.DataFrame,
    items: pd.DataFrame,
    events: pd.DataFrame,
    behaviors: tuple[str, ...] = BEHAVIORS,
) -> HeteroData:
    """A ``HeteroData`` with one ``('user', b, 'item')`` edge type per behaviour ``b``.

    Every event is one edge (repeated views stay repeated edges); ``edge_time``
    holds its timestamp. Each edge type gets a reverse ``('item', 'rev_' + b, 'user')``.
    Node stores keep the raw attribute codes (``age_group``, ``category_id`` …) for
    embedding-based encoders and a one-hot ``x`` for models that want features.
    """
    data = HeteroData()
    data["user"].x = user_features(users)
    data["item"].x = item_features(items)
    for col in ("age_group", "gender", "city_tier"):
        data["user"][col] = torch.tensor(users[col].to_numpy(), dtype=torch.long)
    for col in ("category_id", "brand_id"):
        data["item"][col] = torch.tensor(items[col].to_numpy(), dtype=torch.long)
    data["item"].price = torch.tensor(items.price.to_numpy(), dtype=torch.float)
    for b in behaviors:
        ev = events[events.behavior == b]
        edge_index = torch.tensor(np.stack([ev.user_id.to_numpy(), ev.item_id.to_numpy()]))
        time = torch.tensor(ev.timestamp.to_numpy())
        data["user", b, "item"].edge_index = edge_index
        data["user", b, "item"].edge_time = time
        data["item", f"rev_{b}", "user"].edge_index = edge_index.flip(0)
        data["item", f"rev_{b}", "user"].edge_time = time
    return data


def interaction_matrix(
    events: pd.DataFrame,
    num_users: int,
    num_items: int,
    behavior_weights: dict[str, float] | None = None,
) -> torch.Tensor:
    """Coalesced sparse COO user-item matrix R of shape (num_users, num_items).

    Without weights, ``R[u, i] = 1`` if ``u`` had any event on ``i``. With
    ``behavior_weights`` (e.g. ``{"pv": 1, "cart": 3}``), ``R[u, i]`` is the sum of the
    weights of the distinct behaviours ``u`` showed on ``i``; behaviours left out of
    the dict are ignored.
    """
    if behavior_weights is None:
        pairs = events[["user_id", "item_id"]].drop_duplicates()
        values = np.ones(len(pairs))
    else:
        ev = events[events.behavior.isin(list(behavior_weights))]
        pairs = ev[["user_id", "item_id", "behavior"]].drop_duplicates()
        values = pairs.behavior.map(behavior_weights).to_numpy(dtype=np.float64)
    index = torch.tensor(np.stack([pairs.user_id.to_numpy(), pairs.item_id.to_numpy()]))
    r = torch.sparse_coo_tensor(
        index,
        torch.tensor(values, dtype=torch.float),
        (num_users, num_items),
        check_invariants=True,
    )
    return r.coalesce()


def normalized_adjacency(
    events: pd.DataFrame,
    num_users: int,
    num_items: int,
    behavior_weights: dict[str, float] | None = None,
) -> torch.Tensor:
    r"""The symmetric normalised bipartite adjacency used by LightGCN, as sparse CSR.

    .. math::
        \hat{A} = D^{-1/2} A D^{-1/2}, \qquad
        A = \begin{pmatrix} 0 & R \\ R^\top & 0 \end{pmatrix}

    Users are nodes ``0 .. num_users-1``, items ``num_users .. num_users+num_items-1``.
    Nodes without edges (cold users and items) get an all-zero row, not a NaN.
    Duplicate events are merged before conversion (``to_sparse_csr`` would keep
    only the entries it is given, so the COO matrix is coalesced first).
    """
    r = interaction_matrix(events, num_users, num_items, behavior_weights)
    u, i = r.indices()
    return symmetric_adjacency(u, i + num_users, num_users + num_items, r.values())


def symmetric_adjacency(
    src: torch.Tensor, dst: torch.Tensor, num_nodes: int, weight: torch.Tensor | None = None
) -> torch.Tensor:
    r""":math:`D^{-1/2} A D^{-1/2}` as sparse CSR, for the undirected edges ``src[k] – dst[k]``.

    Each edge is stored in both directions with its ``weight`` (default 1); nodes
    without edges get an all-zero row. The edges must be distinct (coalesce first).
    """
    w = torch.ones(len(src)) if weight is None else weight.float()
    row, col, val = torch.cat([src, dst]), torch.cat([dst, src]), torch.cat([w, w])
    deg = torch.zeros(num_nodes).index_add_(0, row, val)
    inv_sqrt = deg.pow(-0.5).masked_fill(deg == 0, 0.0)
    val = inv_sqrt[row] * val * inv_sqrt[col]
    adj = torch.sparse_coo_tensor(
        torch.stack([row, col]), val, (num_nodes, num_nodes), check_invariants=True
    )
    with warnings.catch_warnings():  # torch marks sparse CSR as beta; it is what we want here
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support", category=UserWarning)
        return adj.coalesce().to_sparse_csr()


def union_adjacency(adjs: dict[str, torch.Tensor] | list[torch.Tensor]) -> torch.Tensor:
    r"""The normalised adjacency of one graph holding every edge of ``adjs``.

    Each of ``adjs`` is a symmetric (N, N) adjacency over the same nodes, e.g. one
    :func:`normalized_adjacency` per behaviour. An edge is a non-zero entry; the union
    graph has an edge wherever any of them has one, with weight 1, and is normalised as
    :func:`symmetric_adjacency` does (self-loops are dropped). For binary per-behaviour graphs this is exactly
    ``normalized_adjacency`` of all the behaviours' events together, built from the
    per-behaviour matrices alone (the events are not needed).
    """
    adjs = list(adjs.values()) if isinstance(adjs, dict) else list(adjs)
    if not adjs:
        raise ValueError("adjs: expected at least one adjacency, got none")
    n = adjs[0].shape[0]
    for k, adj in enumerate(adjs):
        if tuple(adj.shape) != (n, n):
            raise ValueError(
                f"adjs[{k}]: expected a square ({n}, {n}) adjacency like the first, "
                f"got {tuple(adj.shape)}"
            )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support", category=UserWarning)
        coo = [a.to_sparse_coo().coalesce() for a in adjs]
    index = torch.cat([c.indices()[:, c.values() != 0] for c in coo], 1)
    pairs = torch.unique(index[:, index[0] < index[1]], dim=1)  # each edge once
    return symmetric_adjacency(pairs[0], pairs[1], n)
