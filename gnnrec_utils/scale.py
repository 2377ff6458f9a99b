r"""LightGCN trained on sampled subgraphs, on one process or many, with exact inference.

Full-graph LightGCN (:class:`gnnrec_utils.models.LightGCN`) multiplies the whole
adjacency at every training step, so a step costs as much as the graph. Here a step
costs as much as its batch:

1. PyG's ``LinkLoader`` draws a batch of positive (user, item) pairs, one negative
   item per pair (the kit's ``uniform_negatives``: an item the user has not touched),
   and the sampled ``num_neighbors``-hop neighbourhood of those users and items
   (:class:`gnnrec_utils.neighbors.CSRNeighborSampler`; the batch's own pairs are kept
   out of it, so a positive cannot be read off its own edge).
2. :class:`SampledLightGCN` propagates over that subgraph only. Each sampled edge
   :math:`j \to i` carries LightGCN's weight rescaled by how many of :math:`i`'s
   neighbours were drawn,

   .. math::
       e_i^{(l+1)} = \frac{d_i}{s_i} \sum_{j \in S(i)} \frac{1}{\sqrt{d_i d_j}} e_j^{(l)},

   where :math:`d` is the degree in the full graph and :math:`S(i)` the :math:`s_i`
   neighbours drawn for :math:`i`. The sum over a uniform draw, scaled by
   :math:`d_i / s_i`, has LightGCN's full sum as its expected value; when every
   neighbour is drawn it *is* that sum.
3. After training, :func:`layerwise_embedding` computes every user and item vector
   over the whole graph, exactly as LightGCN does, one layer at a time and one block
   of rows at a time, so memory holds three embedding tables and the adjacency, not
   a dense product.

:func:`train_sampled` runs unchanged on one process or under ``torchrun`` (one
process per CPU socket or GPU, on one machine or several): each rank reads its own
shard of the positive pairs, and ``DistributedDataParallel`` averages the gradients.
The embedding table is the only large parameter; its gradients are sparse (only the
rows a batch touched), so a step's cost and the traffic between ranks follow the
batch, not the catalogue. ``python -m gnnrec_utils.scale --help`` is the command line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import torch
import torch.distributed as dist
from torch import Tensor, nn

from gnnrec_utils.losses import bpr_loss, l2_reg
from gnnrec_utils.models import Recommender
from gnnrec_utils.neighbors import BipartiteCSR, CSRNeighborSampler
from gnnrec_utils.propagation import compact_csr, layer_weights
from gnnrec_utils.sampling import PositiveSet, uniform_negatives


# --------------------------------------------------------------------------- graph
def normalized_csr(graph: BipartiteCSR) -> Tensor:
    r""":math:`D^{-1/2} A D^{-1/2}` of ``graph`` as sparse CSR, built from its CSR arrays.

    The same matrix as ``gnnrec_utils.graph.normalized_adjacency`` over the same distinct
    pairs, without the COO sort that needs several copies of the edge list: at the real
    Taobao log's size (about 140 million stored directions) that sort alone is gigabytes.
    """
    deg = graph.degree.to(torch.float32)
    inv_sqrt = deg.pow(-0.5).masked_fill(deg == 0, 0.0)
    row = torch.repeat_interleave(torch.arange(graph.num_nodes), graph.degree)
    values = inv_sqrt[row] * inv_sqrt[graph.indices]
    del row
    with warnings.catch_warnings():  # torch marks sparse CSR as beta; it is what we want here
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support", category=UserWarning)
        adj = torch.sparse_csr_tensor(
            graph.indptr,
            graph.indices,
            values,
            (graph.num_nodes, graph.num_nodes),
            check_invariants=False,
        )
    return compact_csr(adj)


def _row_block(adj: Tensor, lo: int, hi: int) -> Tensor:
    """Rows ``lo:hi`` of a sparse CSR matrix, as a CSR matrix sharing its column indices."""
    crow = adj.crow_indices()
    start, stop = int(crow[lo]), int(crow[hi])
    return torch.sparse_csr_tensor(
        crow[lo : hi + 1] - crow[lo],
        adj.col_indices()[start:stop],
        adj.values()[start:stop],
        (hi - lo, adj.shape[1]),
        check_invariants=False,
    )


@torch.no_grad()
def layerwise_embedding(
    adj: Tensor,
    emb: Tensor,
    num_layers: int,
    chunk_rows: int = 262_144,
    alpha=None,
) -> Tensor:
    r"""LightGCN's :math:`\sum_l \alpha_l \hat A^l E` over the full graph, in row blocks.

    Each layer multiplies ``chunk_rows`` rows of ``adj`` at a time by the previous
    layer's table, so the working memory is three ``(N, d)`` tables (the running sum,
    the previous layer, the next one) plus one block's product. Equal to
    ``gnnrec_utils.propagation.lightgcn_embedding`` up to float rounding.

    Args:
        adj: symmetric normalised ``(N, N)`` sparse CSR adjacency (:func:`normalized_csr`).
        emb: ``(N, d)`` layer-0 embeddings.
        num_layers: propagation layers :math:`L`.
        chunk_rows: rows of ``adj`` per block.
        alpha: layer weights (see ``gnnrec_utils.propagation.layer_weights``).
    """
    if adj.layout != torch.sparse_csr:
        adj = adj.to_sparse_csr()
    if adj.shape[0] != emb.shape[0] or adj.shape[1] != emb.shape[0]:
        raise ValueError(
            f"adj must be ({emb.shape[0]}, {emb.shape[0]}) to match emb, got {tuple(adj.shape)}"
        )
    if chunk_rows <= 0:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    weights = layer_weights(num_layers, alpha).tolist()
    x = emb.detach().to(adj.values().dtype)
    out = x * weights[0]
    for w in weights[1:]:
        nxt = torch.empty_like(x)
        for lo in range(0, adj.shape[0], chunk_rows):
            hi = min(lo + chunk_rows, adj.shape[0])
            nxt[lo:hi] = _row_block(adj, lo, hi) @ x
        out.add_(nxt, alpha=w)
        x = nxt
    return out


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


# --------------------------------------------------------------------------- model
class SampledLightGCN(Recommender):
    r"""LightGCN whose training steps propagate over sampled subgraphs.

    The parameters are LightGCN's: one embedding per user and item node (users
    ``0..num_users-1``, items after them). :meth:`forward` propagates a sampled
    subgraph with the rescaled weights of the module docstring; :meth:`get_embedding`
    propagates the full graph given to :meth:`attach` with :func:`layerwise_embedding`,
    so evaluation and serving see exact LightGCN vectors.

    Args:
        degree: ``(num_users + num_items,)`` degrees in the full training graph.
        num_users, num_items: catalogue sizes.
        embedding_dim: vector size. (default: 64)
        num_layers: propagation layers; the sampler needs as many hops. (default: 2)
        sparse: sparse gradients for the embedding table (train with
            ``torch.optim.SparseAdam``); a step then touches only its batch's rows.
            ``nccl`` cannot reduce sparse gradients: pass ``False`` there. (default: ``True``)
    """

    def __init__(
        self,
        degree: Tensor,
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 2,
        sparse: bool = True,
    ):
        super().__init__(num_users, num_items)
        if degree.shape != (num_users + num_items,):
            raise ValueError(
                f"degree must have shape ({num_users + num_items},) for {num_users} users and "
                f"{num_items} items, got {tuple(degree.shape)}"
            )
        self.num_layers = num_layers
        self.embedding = nn.Embedding(num_users + num_items, embedding_dim, sparse=sparse)
        self.register_buffer("degree", degree.to(torch.float32), persistent=False)
        self.adj: Tensor | None = None
        self._cache: tuple[Tensor, Tensor] | None = None
        nn.init.normal_(self.embedding.weight, std=0.1)

    def forward(self, n_id: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
        """Combined embeddings of a subgraph's nodes, and their layer-0 embeddings.

        Args:
            n_id: ``(n,)`` global node ids of the subgraph (``batch.n_id``).
            edge_index: ``(2, e)`` local ``[source; target]`` sampled edges
                (``batch.edge_index``); a target's sampled sources are its drawn neighbours.

        Returns:
            ``(out, ego)``, both ``(n, d)``: only nodes whose neighbourhood was sampled
            ``num_layers`` hops deep (the batch's seeds) get LightGCN's full estimate.
        """
        self._cache = None
        ego = self.embedding(n_id)
        src, dst = edge_index
        deg = self.degree[n_id]
        drawn = torch.bincount(dst, minlength=len(n_id)).to(ego.dtype)
        weight = deg[dst].sqrt() / (deg[src].sqrt() * drawn[dst])
        n = len(n_id)
        msg = torch.sparse_coo_tensor(  # row = target, column = source; sums over sources
            torch.stack([dst, src]), weight, (n, n), check_invariants=False
        ).coalesce()
        weights = layer_weights(self.num_layers).tolist()
        x, out = ego, ego * weights[0]
        for w in weights[1:]:
            x = torch.sparse.mm(msg, x)
            out = out + w * x
        return out, ego

    def attach(self, adj: Tensor) -> SampledLightGCN:
        """Give the full normalised graph (:func:`normalized_csr`) for inference."""
        n = self.num_users + self.num_items
        if adj.shape != (n, n):
            raise ValueError(f"adj must be ({n}, {n}), got {tuple(adj.shape)}")
        self.adj, self._cache = adj, None
        return self

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        """Every user's and item's LightGCN vector over the attached full graph."""
        if self.adj is None:
            raise RuntimeError("call attach(normalized_csr(graph)) before ranking")
        if self._cache is None or self.training:
            out = layerwise_embedding(self.adj, self.embedding.weight, self.num_layers)
            self._cache = (out[: self.num_users], out[self.num_users :])
        return self._cache

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.embedding(users), self.embedding(items + self.num_users)]

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, embedding_dim={self.embedding.embedding_dim}, "
            f"num_layers={self.num_layers}"
        )


# -------------------------------------------------------------------- distribution
@dataclass
class SampledConfig:
    """Knobs of :func:`train_sampled`.

    ``batch_size`` is the global batch: under ``torchrun`` with ``N`` processes each
    takes ``batch_size / N`` pairs a step, so one process and ``N`` processes make the
    same number of steps over the same pairs. ``negatives``: ``"uniform"`` draws one
    item the user has not touched per pair (the kit's sampler, inside the loader);
    ``"in_batch"`` uses the next pair's positive item instead (no extra item to sample;
    it may now and then be one of the user's own items).
    """

    num_epochs: int = 10
    batch_size: int = 4096
    num_neighbors: list[int] = field(default_factory=lambda: [10, 5])
    lr: float = 0.01
    reg_weight: float = 1e-4
    negatives: str = "uniform"
    exclude_batch_edges: bool = True
    patience: int = 3
    max_steps: int | None = None  # per epoch; None: one pass over the pairs
    seed: int = 0

    def __post_init__(self):
        if self.negatives not in ("uniform", "in_batch"):
            raise ValueError(f"negatives must be 'uniform' or 'in_batch', got {self.negatives!r}")
        if self.batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {self.batch_size}")


def rank_and_size() -> tuple[int, int]:
    """``(rank, world_size)`` of this process; ``(0, 1)`` outside ``torch.distributed``."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_distributed() -> tuple[int, int]:
    """Join the process group ``torchrun`` set up, if any; returns ``(rank, world_size)``.

    ``gloo`` on CPU, ``nccl`` when CUDA is available. Run without ``torchrun`` (no
    ``WORLD_SIZE`` in the environment, or 1) it does nothing and returns ``(0, 1)``.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return rank_and_size()


def data_fingerprint(positives: PositiveSet, graph: BipartiteCSR) -> list[int]:
    """Sizes and checksums that two ranks holding the same data agree on."""
    mod = (1 << 61) - 1
    keys = positives.keys % mod
    return [
        positives.num_users,
        positives.num_items,
        len(positives),
        int((keys * (torch.arange(len(keys)) % 1009 + 1) % mod).sum() % mod),
        graph.num_nodes,
        len(graph.indices),
        int(graph.indices[:: max(1, len(graph.indices) // 4096)].sum()),
    ]


def check_ranks_agree(positives: PositiveSet, graph: BipartiteCSR, batch_size: int) -> None:
    """Refuse to train when the ranks hold different data or there is too little of it.

    Raises:
        ValueError: the global batch does not split evenly over the ranks, a rank
            would get no pair, or a rank's data differ from rank 0's (sizes or checksum).
    """
    rank, size = rank_and_size()
    if batch_size % size:
        raise ValueError(f"batch_size {batch_size} must be a multiple of the {size} ranks")
    if len(positives) < size:
        raise ValueError(
            f"{size} ranks need at least {size} positive pairs to shard, got {len(positives)}"
        )
    if size == 1:
        return
    mine = torch.tensor(data_fingerprint(positives, graph), dtype=torch.long)
    every = [torch.empty_like(mine) for _ in range(size)]
    dist.all_gather(every, mine)
    for r, theirs in enumerate(every):
        if not torch.equal(theirs, every[0]):
            raise ValueError(
                f"rank {r} holds different data from rank 0 (users, items, pairs, checksum, "
                f"nodes, edges, edge checksum: {theirs.tolist()} against {every[0].tolist()}); "
                f"every rank must load the same files"
            )


def epoch_shard(num_pairs: int, rank: int, size: int) -> Tensor:
    """Positions in the epoch's order of the pairs this rank trains on, in step order.

    Rank ``r`` takes every ``size``-th position from ``r``. Global step ``t`` with per-rank batch
    ``b`` then covers exactly positions ``t*b*size .. (t+1)*b*size`` of the permutation,
    the batch one process would take with a batch of ``b * size``. Shards are disjoint;
    their union is every pair.
    """
    return torch.arange(rank, num_pairs, size)


def epoch_pairs(
    positives: PositiveSet, epoch: int, seed: int, rank: int, size: int, negatives: bool
) -> tuple[Tensor, Tensor, Tensor | None]:
    """This rank's ``(users, positive items, negative items)`` for ``epoch``, in step order.

    The epoch's order and its negatives (the kit's ``uniform_negatives``: an item the
    user has not touched) are drawn for every pair from a generator seeded by ``seed``
    and ``epoch``, the same on every rank, before the pairs are sharded
    (:func:`epoch_shard`). So the pairs and negatives of a global step do not depend on
    how many processes share it. ``negatives=False`` returns ``None`` for them.
    """
    gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
    order = torch.randperm(len(positives), generator=gen)
    users, items = positives.users[order], positives.items[order]
    neg = uniform_negatives(positives, users, generator=gen) if negatives else None
    mine = epoch_shard(len(positives), rank, size)
    return users[mine], items[mine], None if neg is None else neg[mine]


# ----------------------------------------------------------------------- training
def pair_loader(graph, positives, pairs, config, local_batch, rank):
    """PyG's ``LinkLoader`` over this rank's pairs, driven by the kit's sampler.

    With negatives, the loader's seed pairs alternate (user, positive), (user, negative),
    so every batch of ``2 * local_batch`` seed pairs holds whole triples and the sampled
    subgraph reaches the negative items too. Only the positive pairs are graph edges,
    so only they are kept out of the batch's subgraph.
    """
    from torch_geometric.loader import LinkLoader

    users, pos, neg = pairs
    if neg is None:
        label_index, per_batch = torch.stack([users, pos]), local_batch
    else:
        label_index = torch.stack([users.repeat_interleave(2), torch.stack([pos, neg], 1).view(-1)])
        per_batch = 2 * local_batch
    sampler = CSRNeighborSampler(
        graph,
        list(config.num_neighbors),
        seed=config.seed * 1_000 + rank,
        positives=positives,
        exclude_batch_edges=config.exclude_batch_edges,
    )
    return LinkLoader(
        graph.to_data(with_edges=False),
        link_sampler=sampler,
        edge_label_index=label_index + torch.tensor([[0], [graph.num_users]]),
        batch_size=per_batch,
        shuffle=False,  # epoch_pairs already ordered the pairs
    )


def batch_loss(model, batch, config: SampledConfig) -> Tensor:
    """BPR over one batch plus the L2 penalty on its layer-0 embeddings."""
    out, ego = model(batch.n_id, batch.edge_index)
    src, dst = batch.edge_label_index
    if config.negatives == "uniform":
        src, pos, neg = src[0::2], dst[0::2], dst[1::2]
    else:
        pos = dst
        neg = pos.roll(1)
    u = out[src]
    pos_scores, neg_scores = (u * out[pos]).sum(-1), (u * out[neg]).sum(-1)
    reg = l2_reg(ego[src], ego[torch.cat([pos, neg])], batch_size=len(src))
    return bpr_loss(pos_scores, neg_scores) + config.reg_weight * reg


def make_optimizers(model: SampledLightGCN, lr: float) -> list[torch.optim.Optimizer]:
    sparse = [p for p in model.parameters() if p is model.embedding.weight]
    if model.embedding.sparse:
        dense = [p for p in model.parameters() if p is not model.embedding.weight]
        opts = [torch.optim.SparseAdam(sparse, lr=lr)]
        return opts + ([torch.optim.Adam(dense, lr=lr)] if dense else [])
    return [torch.optim.Adam(model.parameters(), lr=lr)]


def train_batch(model, batch, optimizers, config: SampledConfig) -> float:
    """One optimisation step on one sampled batch (:func:`batch_loss`); returns the loss.

    ``model`` is what the loss calls: the model itself, or its ``DistributedDataParallel``
    wrapper, whose backward pass averages the gradients over the ranks.
    """
    loss = batch_loss(model, batch, config)
    for opt in optimizers:
        opt.zero_grad()
    loss.backward()
    for opt in optimizers:
        opt.step()
    return loss.item()


def train_sampled(
    model: SampledLightGCN,
    graph: BipartiteCSR,
    positives: PositiveSet,
    config: SampledConfig | None = None,
    validate=None,
    progress: bool = True,
) -> pd.DataFrame:
    """Train ``model`` on sampled subgraphs, on one process or every rank of a group.

    Under ``torchrun`` call :func:`init_distributed` first; every rank calls this with the
    same data (checked), trains on its shard, and ends with the same weights.

    Args:
        model: the model; the full graph is attached for ``validate``.
        graph: the training graph the sampler draws from.
        positives: the pairs the loss contrasts with negatives (and that negatives avoid).
        config: the knobs (default ``SampledConfig()``).
        validate: ``model -> float`` called on rank 0 after each epoch (e.g. validation
            NDCG@10); training stops after ``config.patience`` epochs without a gain and
            every rank restores the best epoch's weights. ``None``: train every epoch.
        progress: print one line per epoch on rank 0.

    Returns:
        One row per epoch: mean loss over all ranks, steps, seconds, the validation score.
    """
    config = SampledConfig() if config is None else config
    rank, size = rank_and_size()
    check_ranks_agree(positives, graph, config.batch_size)
    torch.manual_seed(config.seed)
    if size > 1:  # every rank starts from rank 0's weights
        for p in model.parameters():
            dist.broadcast(p.data, 0)
    net = nn.parallel.DistributedDataParallel(model) if size > 1 else model
    optimizers = make_optimizers(model, config.lr)
    local_batch = config.batch_size // size
    rows, best, best_state, since = [], -math.inf, None, 0
    start = time.perf_counter()
    for epoch in range(config.num_epochs):
        model.train()
        pairs = epoch_pairs(
            positives, epoch, config.seed, rank, size, config.negatives == "uniform"
        )
        steps = max(1, len(positives) // config.batch_size)  # equal on every rank
        if config.max_steps is not None:
            steps = min(steps, config.max_steps)
        pairs = tuple(None if x is None else x[: steps * local_batch] for x in pairs)
        loader = pair_loader(graph, positives, pairs, config, local_batch, rank)
        total = torch.zeros(2, dtype=torch.float64)
        for batch in loader:
            total += torch.tensor([train_batch(net, batch, optimizers, config), 1.0])
        if size > 1:
            dist.all_reduce(total)
        model._cache = None
        model.eval()
        score = validate(model) if validate is not None and rank == 0 else float("nan")
        if size > 1:
            shared = torch.tensor([score], dtype=torch.float64)
            dist.broadcast(shared, 0)
            score = float(shared)
        rows.append(
            {
                "epoch": epoch + 1,
                "loss": float(total[0] / max(total[1], 1.0)),
                "steps": steps,
                "valid": score,
                "seconds": time.perf_counter() - start,
            }
        )
        if progress and rank == 0:
            print(
                f"epoch {epoch + 1}: loss {rows[-1]['loss']:.4f}, {steps} steps, "
                f"valid {score:.4f}, {rows[-1]['seconds']:.1f} s",
                flush=True,
            )
        if validate is None:
            continue
        if score > best:
            best, since = score, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            since += 1
            if since >= config.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model._cache = None
    return pd.DataFrame(rows).set_index("epoch")


# ----------------------------------------------------------------- command line
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gnnrec_utils.scale",
        description=(
            "Train SampledLightGCN on a shop folder (users.csv, items.csv, events.csv[.gz]) "
            "with the temporal split; on one process, or under torchrun --nproc_per_node=N. "
            "Prints one JSON line per rank; rank 0's holds the test-day metrics."
        ),
    )
    p.add_argument("--data", required=True, help="shop folder, as written by write_shop")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=4096, help="global batch over all ranks")
    p.add_argument("--fanout", type=int, nargs="+", default=[10, 5], help="neighbours per hop")
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--negatives", choices=("uniform", "in_batch"), default="uniform")
    p.add_argument("--max-steps", type=int, default=None, help="steps per epoch at most")
    p.add_argument("--no-validate", action="store_true", help="train every epoch, no stop")
    p.add_argument(
        "--keep-batch-edges",
        action="store_true",
        help="let a batch's subgraph hold its own positive edges (leaks labels; for tests)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", type=Path, default=None, help="rank 0 writes the weights here")
    return p


def main(argv: list[str] | None = None) -> dict:
    """The command line: load, split, train (distributed when launched so), evaluate."""
    from gnnrec_utils.data import load_shop
    from gnnrec_utils.sampling import intent_positives
    from gnnrec_utils.split import temporal_split
    from gnnrec_utils.training import evaluate

    args = _parser().parse_args(argv)
    rank, size = init_distributed()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    split = temporal_split(load_shop(args.data))
    n_u, n_i = split.num_users, split.num_items
    positives = intent_positives(split.train, n_u, n_i)
    seen = PositiveSet.from_events(split.train, num_items=n_i, num_users=n_u)
    graph = BipartiteCSR.from_positives(seen)
    torch.manual_seed(args.seed)  # the same initial weights on every rank and every run
    model = SampledLightGCN(graph.degree, n_u, n_i, args.dim, num_layers=len(args.fanout))
    model.attach(normalized_csr(graph))
    config = SampledConfig(
        num_epochs=args.epochs,
        batch_size=args.batch_size,
        num_neighbors=args.fanout,
        lr=args.lr,
        negatives=args.negatives,
        max_steps=args.max_steps,
        exclude_batch_edges=not args.keep_batch_edges,
        seed=args.seed,
    )

    def validate(m):
        return evaluate(m, split, "valid", 10)["ndcg@10"]

    history = train_sampled(
        model, graph, positives, config, validate=None if args.no_validate else validate
    )
    result = {
        "rank": rank,
        "world_size": size,
        "config": asdict(config),
        "history": history.reset_index().to_dict("records"),
        "weights_sha256": hashlib.sha256(
            model.embedding.weight.detach().numpy().tobytes()
        ).hexdigest(),
    }
    if rank == 0:
        result["test"] = evaluate(model, split, "test", 10)
        if args.save is not None:
            torch.save(model.state_dict(), args.save)
    print(json.dumps(result), flush=True)  # one line per rank
    if size > 1:
        dist.barrier()
        dist.destroy_process_group()
    return result


if __name__ == "__main__":
    main()
