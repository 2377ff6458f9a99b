"""Loaders of mini-batches of triplets with their sampled subgraphs.

:func:`link_loader` is PyG's ``LinkNeighborLoader`` where ``pyg-lib`` or ``torch-sparse``
is installed, and otherwise PyG's ``LinkLoader`` driven by the kit's
:class:`~gnnrec_utils.training.neighbor_sampler.CSRNeighborSampler`.
"""

from __future__ import annotations

import torch
import torch_geometric.typing
from torch_geometric.loader import LinkLoader, LinkNeighborLoader
from torch_geometric.sampler import NegativeSampling, SamplerOutput

from gnnrec_utils.checks import check_range
from gnnrec_utils.graph.bipartite import BipartiteCSR
from gnnrec_utils.training.neighbor_sampler import CSRNeighborSampler, check_num_neighbors
from gnnrec_utils.training.positives import PositiveSet

__all__ = ["drop_seed_edges", "link_loader"]


def _pyg_sampler_available() -> bool:
    """Whether PyG's own neighbour sampler can run (``pyg-lib`` or ``torch-sparse``)."""
    return bool(torch_geometric.typing.WITH_PYG_LIB or torch_geometric.typing.WITH_TORCH_SPARSE)


def drop_seed_edges(out: SamplerOutput) -> SamplerOutput:
    """Remove a triplet link batch's positive seed edges, both directions, from ``out``.

    For PyG's ``LinkNeighborLoader`` (its ``transform_sampler_output``), whose sampler
    cannot leave them out: this drops them *after* choosing, so a seed that drew its
    positive partner keeps one neighbour fewer. ``num_sampled_edges`` is recounted.
    """
    src, dst = out.metadata[1], out.metadata[2]
    n = len(out.node)
    pos = torch.cat([src * n + dst, dst * n + src])
    keep = ~torch.isin(out.row * n + out.col, pos)
    if out.num_sampled_edges is not None:
        hop = torch.repeat_interleave(torch.as_tensor(out.num_sampled_edges))
        counts = torch.bincount(hop[keep], minlength=len(out.num_sampled_edges))
        out.num_sampled_edges = counts.tolist()
    out.row, out.col = out.row[keep], out.col[keep]
    out.edge = out.edge[keep] if out.edge is not None else None
    return out


def link_loader(
    graph: BipartiteCSR,
    users: torch.Tensor,
    items: torch.Tensor,
    num_neighbors: list[int],
    *,
    batch_size: int,
    positives: PositiveSet,
    neg_amount: int = 1,
    seed: int = 0,
    shuffle: bool = True,
    exclude_batch_edges: bool = True,
    **kwargs,
) -> LinkLoader:
    """Mini-batches of ``(user, positive item, negative items)`` triplets with their subgraphs.

    Each batch is a ``Data`` with ``n_id`` (global node ids), ``edge_index`` (local,
    messages from neighbour to node), ``e_id``, ``num_sampled_nodes``,
    ``num_sampled_edges``, ``input_id`` and the triplets ``src_index``,
    ``dst_pos_index``, ``dst_neg_index`` (local into ``n_id``; ``(B,)`` or
    ``(B, neg_amount)``).

    Without ``pyg-lib`` and ``torch-sparse`` this is PyG's ``LinkLoader`` driven by
    :class:`CSRNeighborSampler`: negatives from :func:`uniform_negatives`, seed edges
    left out before choosing, all of it reproducible from ``seed``. With either
    installed it is PyG's ``LinkNeighborLoader``: its negatives are PyG's uniform draws
    over the items (they may be positives), seed edges are dropped after choosing
    (:func:`drop_seed_edges`), and its draws follow torch's global seed, not ``seed``.

    Args:
        users, items: int64 ``(n,)`` user and item ids (not node ids) of the seed pairs.
        num_neighbors: fan-out per hop.
        batch_size: seed pairs per batch.
        positives: the pairs negatives must avoid (usually the training pairs).
        neg_amount: negatives per seed pair.
        seed: seeds the sampler and, unless ``generator`` is passed, the shuffling.
        **kwargs: passed to the loader (``num_workers``, ``drop_last``, ``generator`` ...).

    Raises:
        ValueError: a user or item id out of range, or a bad fan-out.
    """
    users = torch.as_tensor(users, dtype=torch.long)
    items = torch.as_tensor(items, dtype=torch.long)
    check_range("users", users, graph.num_users)
    check_range("items", items, graph.num_items)
    edge_label_index = torch.stack([users, items + graph.num_users])
    kwargs.setdefault("generator", torch.Generator().manual_seed(seed))
    if _pyg_sampler_available():
        is_item = torch.cat([torch.zeros(graph.num_users), torch.ones(graph.num_items)])
        return LinkNeighborLoader(
            graph.to_data(),
            num_neighbors=check_num_neighbors(num_neighbors),
            edge_label_index=edge_label_index,
            neg_sampling=NegativeSampling("triplet", neg_amount, dst_weight=is_item),
            batch_size=batch_size,
            shuffle=shuffle,
            transform_sampler_output=drop_seed_edges if exclude_batch_edges else None,
            **kwargs,
        )
    sampler = CSRNeighborSampler(
        graph,
        num_neighbors,
        seed=seed,
        positives=positives,
        exclude_batch_edges=exclude_batch_edges,
    )
    return LinkLoader(
        graph.to_data(with_edges=False),
        link_sampler=sampler,
        edge_label_index=edge_label_index,
        neg_sampling=NegativeSampling("triplet", neg_amount),
        batch_size=batch_size,
        shuffle=shuffle,
        **kwargs,
    )
