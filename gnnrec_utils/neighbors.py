"""Mini-batch neighbourhoods: a neighbour sampler in plain torch for PyG's loaders.

PyG's ``NeighborLoader`` and ``LinkNeighborLoader`` need a compiled extension
(``pyg-lib`` or ``torch-sparse``) to sample. This module samples with vectorised torch
alone, over a CSR of the user-item graph, and plugs into PyG's own
:class:`~torch_geometric.loader.LinkLoader` and :class:`~torch_geometric.loader.NodeLoader`
through PyG's sampler interface (:class:`~torch_geometric.sampler.BaseSampler`).

* :class:`BipartiteCSR`: the undirected user-item graph as one node set (users
  ``0 .. U-1``, items ``U .. U+I-1``), both directions stored, neighbours ascending.
* :class:`CSRNeighborSampler`: up to ``num_neighbors[h]`` neighbours per node at hop
  ``h``, uniform and without replacement; a link batch's own seed edges are left out
  (no label leakage) and its negatives come from
  :func:`~gnnrec_utils.sampling.uniform_negatives`.
* :func:`link_loader`, :func:`node_loader`: a loader of either kind, PyG's own when
  ``pyg-lib`` or ``torch-sparse`` is installed, else one driven by the sampler above.

The cost of a batch follows the batch (its seeds, fan-outs and the degrees of the
nodes it reaches, through a binary search), not the size of the graph. All randomness
comes from the sampler's own ``torch.Generator``.
"""

from __future__ import annotations

import math

import torch
import torch_geometric.typing
from torch_geometric.data import Data
from torch_geometric.loader import LinkLoader, LinkNeighborLoader, NeighborLoader, NodeLoader
from torch_geometric.sampler import (
    BaseSampler,
    EdgeSamplerInput,
    NegativeSampling,
    NodeSamplerInput,
    SamplerOutput,
)

from gnnrec_utils.sampling import PositiveSet, _check_range, uniform_negatives


def _check_between(name: str, ids: torch.Tensor, low: int, high: int) -> None:
    """Raise ``ValueError`` unless every id is in ``[low, high)`` (message as ``_check_range``)."""
    if ids.numel() and (int(ids.min()) < low or int(ids.max()) >= high):
        raise ValueError(
            f"{name} must lie in [{low}, {high}), found [{int(ids.min())}, {int(ids.max())}]"
        )


def _check_num_neighbors(num_neighbors) -> list[int]:
    """``num_neighbors`` as a list of ints ``>= 0``; ``ValueError`` when empty or negative."""
    fanouts = [int(k) for k in num_neighbors]
    if not fanouts or min(fanouts) < 0:
        raise ValueError(
            f"num_neighbors must be a non-empty list of fan-outs >= 0, got {list(num_neighbors)}"
        )
    return fanouts


def _check_seeds(name: str, ids: torch.Tensor) -> None:
    """Raise ``ValueError`` for an empty batch of seeds."""
    if ids.numel() == 0:
        raise ValueError(f"{name} holds no seeds: nothing to sample from")


# ---------------------------------------------------------------- graph


class BipartiteCSR:
    """The undirected user-item graph as one homogeneous node set, in CSR form.

    Users are nodes ``0 .. U-1`` and items are nodes ``U .. U+I-1``. Each distinct
    ``(user, item)`` pair is stored in both directions, so a node's neighbours are
    the items of a user or the users of an item. Stored edge ``e`` (the ``e``-th entry
    of ``indices``) runs from ``indices[e]`` to the node whose row holds it, which is
    how :meth:`edge_index` lists it.

    Args:
        users: int64 ``(n,)`` user ids in ``[0, num_users)``.
        items: int64 ``(n,)`` item ids in ``[0, num_items)``; repeated pairs count once.
        num_users, num_items: catalogue sizes (nodes without a pair are kept, degree 0).

    Attributes:
        num_users, num_items, num_nodes: ``U``, ``I`` and ``U + I``.
        num_pairs: number of distinct pairs ``E`` (the graph stores ``2E`` edges).
        indptr: int64 ``(num_nodes + 1,)``; node ``n``'s neighbours, ascending, are
            ``indices[indptr[n]:indptr[n + 1]]``.
        indices: int64 ``(2E,)`` neighbour node ids.
        degree: int64 ``(num_nodes,)`` number of neighbours per node.

    Raises:
        ValueError: ``users`` and ``items`` differ in shape or hold an id out of range.
    """

    def __init__(self, users: torch.Tensor, items: torch.Tensor, num_users: int, num_items: int):
        users = torch.as_tensor(users, dtype=torch.long)
        items = torch.as_tensor(items, dtype=torch.long)
        if users.dim() != 1 or users.shape != items.shape:
            raise ValueError(
                f"users and items must be 1-D of one length, got "
                f"{tuple(users.shape)} and {tuple(items.shape)}"
            )
        self.num_users, self.num_items = int(num_users), int(num_items)
        self.num_nodes = self.num_users + self.num_items
        _check_range("users", users, self.num_users)
        _check_range("items", items, self.num_items)
        keys = torch.unique(users * self.num_items + items)  # sorted by user, then item
        users, items = keys // max(self.num_items, 1), keys % max(self.num_items, 1)
        by_item = torch.sort(items, stable=True).indices  # stable: users stay ascending
        self.num_pairs = len(keys)
        self.degree = torch.cat(
            [
                torch.bincount(users, minlength=self.num_users),
                torch.bincount(items, minlength=self.num_items),
            ]
        )
        self.indptr = torch.cat([self.degree.new_zeros(1), self.degree.cumsum(0)])
        self.indices = torch.cat([items + self.num_users, users[by_item]])

    @classmethod
    def from_positives(cls, positives: PositiveSet) -> BipartiteCSR:
        """The graph of a :class:`~gnnrec_utils.sampling.PositiveSet`'s pairs."""
        return cls(positives.users, positives.items, positives.num_users, positives.num_items)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(num_users={self.num_users}, num_items={self.num_items}, "
            f"{self.num_pairs} pairs)"
        )

    def edge_index(self) -> torch.Tensor:
        """int64 ``(2, 2E)`` ``[source; target]`` of every stored edge, in storage order.

        Column ``e`` is ``[indices[e], n]`` where row ``n`` holds entry ``e``: the
        order of the sampler's edge ids, so ``edge_index()[:, out.edge]`` are the
        sampled edges. Sorted by target, like PyG's CSC.
        """
        target = torch.repeat_interleave(torch.arange(self.num_nodes), self.degree)
        return torch.stack([self.indices, target])

    def to_data(self, with_edges: bool = True) -> Data:
        """A ``Data(edge_index=..., num_nodes=...)`` for PyG's loaders.

        ``with_edges=False`` stores an empty ``(2, 0)`` ``edge_index`` instead of
        :meth:`edge_index` (``4E`` int64, 3.2 GB at 100 M pairs): enough for a
        ``LinkLoader`` or ``NodeLoader`` driven by :class:`CSRNeighborSampler`, whose
        batches still get their ``edge_index`` from the sampler; PyG's own samplers
        need the full one.
        """
        if with_edges:
            return Data(edge_index=self.edge_index(), num_nodes=self.num_nodes)
        return Data(edge_index=torch.empty(2, 0, dtype=torch.long), num_nodes=self.num_nodes)

    def edge_ids(self, src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
        """Id of the stored edge ``src -> dst`` for each pair, ``-1`` where there is none.

        A binary search within ``dst``'s neighbours, vectorised over the pairs:
        ``log2(max degree)`` steps of work per pair.
        """
        src, dst = torch.as_tensor(src, dtype=torch.long), torch.as_tensor(dst, dtype=torch.long)
        if len(self.indices) == 0:
            return torch.full_like(dst, -1)
        lo, end = self.indptr[dst], self.indptr[dst + 1]
        hi = end.clone()
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) // 2
            right = active & (self.indices[mid.clamp(max=len(self.indices) - 1)] < src)
            lo = torch.where(right, mid + 1, lo)
            hi = torch.where(active & ~right, mid, hi)
        found = (lo < end) & (self.indices[lo.clamp(max=len(self.indices) - 1)] == src)
        return torch.where(found, lo, -1)


# ---------------------------------------------------------------- one hop


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


# ---------------------------------------------------------------- the sampler


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
    :func:`~gnnrec_utils.sampling.uniform_negatives` of ``positives``.

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
        self.num_neighbors = _check_num_neighbors(num_neighbors)
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
        _check_seeds("index.node", node)
        _check_range("index.node", node, self.graph.num_nodes)
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
        _check_seeds("index.row", src)
        _check_range("index.row", src, self.graph.num_users)
        _check_between("index.col", dst, self.graph.num_users, self.graph.num_nodes)
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


# ---------------------------------------------------------------- loaders


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
    _check_range("users", users, graph.num_users)
    _check_range("items", items, graph.num_items)
    edge_label_index = torch.stack([users, items + graph.num_users])
    kwargs.setdefault("generator", torch.Generator().manual_seed(seed))
    if _pyg_sampler_available():
        is_item = torch.cat([torch.zeros(graph.num_users), torch.ones(graph.num_items)])
        return LinkNeighborLoader(
            graph.to_data(),
            num_neighbors=_check_num_neighbors(num_neighbors),
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


def node_loader(
    graph: BipartiteCSR,
    nodes: torch.Tensor,
    num_neighbors: list[int],
    *,
    batch_size: int,
    seed: int = 0,
    **kwargs,
) -> NodeLoader:
    """Mini-batches of seed nodes with their sampled neighbourhoods (e.g. for inference).

    Each batch is a ``Data`` with ``n_id``, ``edge_index``, ``e_id``, ``batch_size``
    (the first ``batch_size`` entries of ``n_id`` are the batch's seeds) and
    ``num_sampled_nodes`` / ``num_sampled_edges``. PyG's ``NeighborLoader`` when
    ``pyg-lib`` or ``torch-sparse`` is installed, else a ``NodeLoader`` driven by
    :class:`CSRNeighborSampler`.

    Args:
        nodes: int64 distinct global node ids (users ``0 .. U-1``, items ``U ..``).
        num_neighbors: fan-out per hop.
        seed: seeds the sampler and, unless ``generator`` is passed, any shuffling.
        **kwargs: passed to the loader (``shuffle``, ``num_workers`` ...).

    Raises:
        ValueError: a node out of range or repeated, or a bad fan-out.
    """
    nodes = torch.as_tensor(nodes, dtype=torch.long)
    _check_range("nodes", nodes, graph.num_nodes)
    if len(torch.unique(nodes)) != len(nodes):
        raise ValueError("nodes holds repeated ids: a batch's seeds must be distinct")
    fanouts = _check_num_neighbors(num_neighbors)
    kwargs.setdefault("generator", torch.Generator().manual_seed(seed))
    if _pyg_sampler_available():
        return NeighborLoader(
            graph.to_data(), fanouts, input_nodes=nodes, batch_size=batch_size, **kwargs
        )
    sampler = CSRNeighborSampler(graph, fanouts, seed=seed)
    return NodeLoader(
        graph.to_data(with_edges=False),
        node_sampler=sampler,
        input_nodes=nodes,
        batch_size=batch_size,
        **kwargs,
    )
