"""Mini-batch neighbourhoods: a neighbour sampler in plain torch for PyG's loaders.

PyG's ``NeighborLoader`` and ``LinkNeighborLoader`` need a compiled extension
(``pyg-lib`` or ``torch-sparse``) to sample. :class:`CSRNeighborSampler` samples with
vectorised torch alone, over a :class:`~gnnrec_utils.graph.bipartite.BipartiteCSR`, and
plugs into PyG's own :class:`~torch_geometric.loader.LinkLoader` and
:class:`~torch_geometric.loader.NodeLoader` through PyG's sampler interface
(:class:`~torch_geometric.sampler.BaseSampler`): up to ``num_neighbors[h]`` neighbours
per node at hop ``h``, uniform and without replacement; a link batch's own seed edges
are left out (no label leakage) and its negatives come from
:func:`~gnnrec_utils.training.negatives.uniform_negatives`.

The cost of a batch follows the batch (its seeds, fan-outs and the degrees of the
nodes it reaches, through a binary search), not the size of the graph. All randomness
comes from the sampler's own ``torch.Generator``.
"""

from __future__ import annotations

import math

import torch
from torch_geometric.sampler import (
    BaseSampler,
    EdgeSamplerInput,
    NegativeSampling,
    NodeSamplerInput,
    SamplerOutput,
)

from gnnrec_utils.checks import check_between, check_range
from gnnrec_utils.graph.bipartite import BipartiteCSR
from gnnrec_utils.training.negatives import uniform_negatives
from gnnrec_utils.training.positives import PositiveSet

__all__ = ["CSRNeighborSampler", "check_num_neighbors", "check_seeds"]


def _relabel(known: torch.Tensor, cand: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The nodes of ``cand`` not in ``known`` (first-occurrence order), and ``cand``'s local ids.

    ``known`` holds distinct global ids whose local ids are ``0 .. len(known)-1``; the
    new nodes get ``len(known), len(known)+1, ...``. Costs a sort of both, no ``(N,)`` map.
    """
    n, values = len(known), torch.cat([known, cand])
    uniq, inverse = torch.unique(values, return_inverse=True)
    first = torch.full((len(uniq),), len(values), dtype=torch.long)
    first.scatter_reduce_(0, inverse, torch.arange(len(values)), reduce="amin")
    is_new = first >= n
    new_first, order = first[is_new].sort()
    local = torch.empty(len(uniq), dtype=torch.long)
    local[inverse[:n]] = torch.arange(n)
    local[torch.nonzero(is_new).squeeze(1)[order]] = n + torch.arange(len(new_first))
    return values[new_first], local[inverse[n:]]


def _floyd(avail: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """``(m, k)`` distinct ranks in ``[0, avail)`` per row, a uniform ``k``-subset (``avail > k``).

    Floyd's algorithm, vectorised over rows: step ``s`` draws ``t`` uniform in
    ``[0, j]`` with ``j = avail - k + s`` and keeps ``t``, or ``j`` when ``t`` is taken.
    """
    chosen = torch.empty(len(avail), k, dtype=torch.long)
    for s in range(k):
        j = avail - k + s
        u = torch.rand(len(avail), generator=generator, dtype=torch.float64)
        t = torch.minimum((u * (j + 1)).long(), j)  # minimum: guard against rounding up
        taken = (chosen[:, :s] == t.unsqueeze(1)).any(1)
        chosen[:, s] = torch.where(taken, j, t)
    return chosen


def _choose(
    avail: torch.Tensor, k: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(row, rank)``: ``min(avail[r], k)`` distinct uniform ranks in ``[0, avail[r])`` per row.

    Rows with ``avail <= k`` take every rank; the others a Floyd subset. Grouped by row.
    """
    take = avail.clamp(max=k)
    row = torch.repeat_interleave(torch.arange(len(avail)), take)
    rank = torch.arange(len(row)) - (take.cumsum(0) - take)[row]  # slot within the row
    partial = avail > k
    if partial.any():
        ranks = _floyd(avail[partial], k, generator)
        in_partial = partial[row]
        which = (partial.cumsum(0) - 1)[row[in_partial]]
        rank[in_partial] = ranks[which, rank[in_partial]]
    return row, rank


def _skip_excluded(
    row: torch.Tensor, rank: torch.Tensor, excl_row: torch.Tensor, excl_offset: torch.Tensor
) -> torch.Tensor:
    """The offset of the ``rank``-th neighbour of ``row`` that is not excluded.

    ``(excl_row, excl_offset)`` are distinct and sorted by row, then offset. With the
    ``j``-th excluded offset ``e_j`` of a row, ``e_j - j`` neighbours come before it,
    so rank ``q`` lands at ``q + #{j: e_j - j <= q}``: one ``searchsorted``.
    """
    if len(excl_row) == 0 or len(rank) == 0:
        return rank
    width = max(int(rank.max()), int(excl_offset.max())) + 2
    counts = torch.bincount(excl_row)
    start = counts.cumsum(0) - counts
    j = torch.arange(len(excl_row)) - start[excl_row]
    keys = excl_row * width + excl_offset - j  # non-decreasing
    before = torch.zeros_like(rank)
    has = row < len(counts)
    hits = torch.searchsorted(keys, row[has] * width + rank[has], right=True)
    before[has] = hits - start[row[has]]
    return rank + before


class CSRNeighborSampler(BaseSampler):
    """Uniform neighbour sampling without replacement over a :class:`BipartiteCSR`.

    Hop ``h`` expands the nodes first reached at hop ``h - 1`` (hop 0: the seeds):
    each gets ``min(degree, num_neighbors[h])`` distinct neighbours, uniformly. As in
    PyG's ``NeighborSampler``, ``SamplerOutput.node`` lists the distinct seeds (first
    occurrence first), then the new nodes of hop 1, hop 2, ...; a sampled edge is
    ``row = `` the neighbour, ``col = `` the node it was sampled for (local ids into
    ``node``), so a loader's ``batch.edge_index`` sends messages from neighbour to
    node; ``edge`` holds ids into :meth:`BipartiteCSR.edge_index`.

    Link batches (:meth:`sample_from_edges`) take ``(user node, item node)`` seed
    edges. With ``exclude_batch_edges`` their own seed edges, both directions, are
    removed from the seeds' neighbourhoods *before* choosing, so an endpoint still
    gets up to ``num_neighbors[0]`` other neighbours. (A seed edge can only be drawn
    at hop 0: both its ends are seeds.) Negatives are
    :func:`~gnnrec_utils.training.negatives.uniform_negatives` of ``positives``.

    Args:
        graph: the graph to sample from.
        num_neighbors: fan-out per hop, each ``>= 0`` (``0``: no neighbours at that hop).
        seed: seeds the sampler's own generator; the same seed and the same calls give
            the same outputs. (A ``DataLoader`` with ``num_workers > 0`` copies the
            sampler, so its workers start from the same state.)
        positives: the pairs negatives must avoid; needed for negative sampling.
        exclude_batch_edges: leave a link batch's seed edges out of its subgraph.

    Raises:
        ValueError: for an empty or negative fan-out, or ``positives`` of other sizes.
    """

    def __init__(
        self,
        graph: BipartiteCSR,
        num_neighbors: list[int],
        *,
        seed: int = 0,
        positives: PositiveSet | None = None,
        exclude_batch_edges: bool = True,
    ):
        self.graph = graph
        self.num_neighbors = check_num_neighbors(num_neighbors)
        if positives is not None and (
            positives.num_users != graph.num_users or positives.num_items != graph.num_items
        ):
            raise ValueError(
                f"positives has {positives.num_users} users and {positives.num_items} items, "
                f"the graph {graph.num_users} and {graph.num_items}"
            )
        self.positives = positives
        self.exclude_batch_edges = exclude_batch_edges
        self.generator = torch.Generator().manual_seed(seed)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.graph!r}, num_neighbors={self.num_neighbors}, "
            f"exclude_batch_edges={self.exclude_batch_edges})"
        )

    def _exclusions(
        self, seeds: torch.Tensor, src: torch.Tensor, dst: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(seed row, offset)`` of every seed edge ``src - dst`` among the seeds' neighbours.

        ``src``, ``dst`` are local ids into ``seeds``; both directions; sorted, distinct.
        """
        owner, other = torch.cat([src, dst]), torch.cat([dst, src])
        edge = self.graph.edge_ids(seeds[other], seeds[owner])
        found = edge >= 0
        owner, offset = owner[found], edge[found] - self.graph.indptr[seeds[owner[found]]]
        width = int(offset.max()) + 1 if len(offset) else 1
        key = torch.unique(owner * width + offset)
        return key // width, key % width

    def _hop(
        self, frontier: torch.Tensor, k: int, excl: tuple[torch.Tensor, torch.Tensor] | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(frontier row, edge id, neighbour)`` of one hop's sampled edges, by row."""
        start = self.graph.indptr[frontier]
        avail = self.graph.indptr[frontier + 1] - start
        if excl is not None:
            avail = avail - torch.bincount(excl[0], minlength=len(frontier))
        row, rank = _choose(avail, k, self.generator)
        if excl is not None:
            rank = _skip_excluded(row, rank, *excl)
        edge = start[row] + rank
        return row, edge, self.graph.indices[edge]

    def _sample(
        self, seeds: torch.Tensor, excl: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> SamplerOutput:
        """Expand the distinct ``seeds`` hop by hop; ``excl`` applies to hop 0."""
        nodes, rows, cols, edges = [seeds], [], [], []
        num_nodes, num_edges = [len(seeds)], []
        begin, known = 0, seeds
        for k in self.num_neighbors:
            frontier = known[begin:]
            row, edge, neighbour = self._hop(frontier, k, excl)
            new, local = _relabel(known, neighbour)
            rows.append(local)
            cols.append(begin + row)
            edges.append(edge)
            nodes.append(new)
            num_nodes.append(len(new))
            num_edges.append(len(edge))
            begin, known, excl = len(known), torch.cat([known, new]), None
        return SamplerOutput(
            node=known,
            row=torch.cat(rows),
            col=torch.cat(cols),
            edge=torch.cat(edges),
            num_sampled_nodes=num_nodes,
            num_sampled_edges=num_edges,
        )

    def sample_from_nodes(self, index: NodeSamplerInput, **kwargs) -> SamplerOutput:
        """The sampled neighbourhood of ``index.node`` (global node ids).

        Repeated seeds count once, so ``node[:batch_size]`` are the seeds only when
        they are distinct. ``metadata`` is ``(input_id, time)``, as ``NodeLoader`` reads it.

        Raises:
            ValueError: no seeds, a seed out of ``[0, num_nodes)``, or seed times.
        """
        node = torch.as_tensor(index.node, dtype=torch.long)
        check_seeds("index.node", node)
        check_range("index.node", node, self.graph.num_nodes)
        if index.time is not None:
            raise ValueError("index.time is set: temporal sampling is not supported")
        seeds, _ = _relabel(node[:0], node)
        out = self._sample(seeds)
        out.metadata = (index.input_id, index.time)
        return out

    def _negatives(self, users: torch.Tensor, num_neg: int) -> torch.Tensor:
        """``(len(users) * num_neg,)`` item *nodes* the users have not interacted with."""
        if self.positives is None:
            raise ValueError("positives is None: negative sampling needs the PositiveSet")
        items = uniform_negatives(self.positives, users, num_neg, generator=self.generator)
        return items.reshape(-1) + self.graph.num_users

    def _check_edges(self, index: EdgeSamplerInput) -> tuple[torch.Tensor, torch.Tensor]:
        """``(user nodes, item nodes)`` of the seed edges, checked."""
        src = torch.as_tensor(index.row, dtype=torch.long)
        dst = torch.as_tensor(index.col, dtype=torch.long)
        check_seeds("index.row", src)
        check_range("index.row", src, self.graph.num_users)
        check_between("index.col", dst, self.graph.num_users, self.graph.num_nodes)
        if index.time is not None:
            raise ValueError("index.time is set: temporal sampling is not supported")
        return src, dst

    def sample_from_edges(
        self, index: EdgeSamplerInput, neg_sampling: NegativeSampling | None = None
    ) -> SamplerOutput:
        """The sampled neighbourhood of a batch of ``(user node, item node)`` seed edges.

        ``metadata`` follows PyG's ``edge_sample`` (indices local into ``node``):

        * ``neg_sampling=None``: ``(input_id, edge_label_index, edge_label, None)``.
        * ``"binary"``: ``ceil(amount * B)`` negative pairs are appended to
          ``edge_label_index``, with label 0 (positives: ``edge_label``, default 1);
          their users cycle through the batch's users, their items are non-positives.
        * ``"triplet"``: ``(input_id, src_index, dst_pos_index, dst_neg_index, None)``,
          ``dst_neg_index`` of shape ``(B,)`` or ``(B, amount)``, ``amount``
          non-positive items of each seed's user.

        Raises:
            ValueError: no seeds, a seed user or item node out of range, negatives
                asked for without ``positives``, seed times, or weighted negatives.
        """
        src, dst = self._check_edges(index)
        num_pos, label = len(src), index.label
        if neg_sampling is not None and (
            neg_sampling.src_weight is not None or neg_sampling.dst_weight is not None
        ):
            raise ValueError("neg_sampling has weights: negatives here are uniform_negatives")
        if neg_sampling is not None and neg_sampling.is_binary():
            users = src[torch.arange(math.ceil(num_pos * neg_sampling.amount)) % num_pos]
            src, dst = torch.cat([src, users]), torch.cat([dst, self._negatives(users, 1)])
            label = torch.ones(num_pos) if label is None else label
            label = torch.cat([label, label.new_zeros((len(users),) + label.shape[1:])])
        elif neg_sampling is not None:  # triplet
            dst = torch.cat([dst, self._negatives(src, int(neg_sampling.amount))])
        seeds, local = _relabel(src[:0], torch.cat([src, dst]))
        excl = None
        if self.exclude_batch_edges:
            excl = self._exclusions(seeds, local[:num_pos], local[len(src) : len(src) + num_pos])
        out = self._sample(seeds, excl)
        if neg_sampling is None or neg_sampling.is_binary():
            out.metadata = (index.input_id, local.view(2, -1), label, None)
        else:
            src_index, dst_pos_index = local[:num_pos], local[num_pos : 2 * num_pos]
            dst_neg_index = local[2 * num_pos :].view(num_pos, -1).squeeze(-1)
            out.metadata = (index.input_id, src_index, dst_pos_index, dst_neg_index, None)
        return out


def check_num_neighbors(num_neighbors) -> list[int]:
    """``num_neighbors`` as a list of ints ``>= 0``; ``ValueError`` when empty or negative."""
    fanouts = [int(k) for k in num_neighbors]
    if not fanouts or min(fanouts) < 0:
        raise ValueError(
            f"num_neighbors must be a non-empty list of fan-outs >= 0, got {list(num_neighbors)}"
        )
    return fanouts


def check_seeds(name: str, ids: torch.Tensor) -> None:
    """Raise ``ValueError`` for an empty batch of seeds."""
    if ids.numel() == 0:
        raise ValueError(f"{name} holds no seeds: nothing to sample from")
