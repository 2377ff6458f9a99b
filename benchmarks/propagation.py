"""Time one LightGCN BPR training step at MovieLens-1M scale: PyG edge_index, PyG CSR, ours.

Each step is what a training loop repeats: full-graph LightGCN embedding (3 layers,
64 dims), BPR loss on 2,048 (user, pos, neg) triples, backward, Adam step. Three
variants start from the same embedding table and see the same triples:

* ``pyg_edge_index``: ``torch_geometric.nn.models.LightGCN`` on an ``edge_index`` with
  both directions of every user-item pair (PyG normalises and scatters every layer);
* ``pyg_csr``: the same model with ``normalize=False`` given the pre-normalised
  ``torch.sparse_csr`` adjacency (PyG calls ``torch.sparse.mm``, whose backward
  transposes the CSR matrix every layer);
* ``gnnrec``: ``gnnrec_utils.models.lightgcn.lightgcn_embedding`` with ``propagate`` as its
  product (the backward pass reuses the symmetric matrix), on the same CSR matrix
  (``normalized_adjacency`` passed through ``compact_csr`` once, before timing; PyG's CSR
  variant gets that same matrix, so the two differ only in the backward pass).

The graph is generated here (seeded): 6,040 users, 3,706 items and exactly 1,000,209
distinct interactions, with lognormal user activity and item popularity (long tails).
Before timing, the script checks that the three variants give the same embeddings and
gradients. Repetitions are interleaved (variant order rotates each repetition) so that
load from other processes on a shared machine hits all variants alike; medians are
reported. The last line printed is one JSON object.

Usage::

    python benchmarks/propagation.py [--reps 7] [--threads N] [--seeds 0] [--json FILE]

``--seeds`` takes one seed: the graph's, the starting embeddings' and the batches'.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from common import benchmark_parser, emit, run_info, set_threads
from torch_geometric.nn.models import LightGCN

from gnnrec_utils.graph import compact_csr, normalized_adjacency, propagate
from gnnrec_utils.models import lightgcn_embedding

NUM_USERS, NUM_ITEMS, NUM_INTERACTIONS = 6_040, 3_706, 1_000_209  # MovieLens-1M
EMBED_DIM, NUM_LAYERS, BATCH_SIZE, LR = 64, 3, 2_048, 1e-3
VARIANTS = ("pyg_edge_index", "pyg_csr", "gnnrec")


def long_tail_interactions(
    num_users: int, num_items: int, num_interactions: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exactly ``num_interactions`` distinct (user, item) pairs, users and items long-tailed.

    Pairs are drawn with probability proportional to user activity times item popularity
    (both lognormal); repeated pairs are dropped and the set is topped up with fresh
    draws until it is full.
    """
    rng = np.random.default_rng(seed)
    p_user = rng.lognormal(0.0, 1.0, num_users)
    p_item = rng.lognormal(0.0, 1.2, num_items)
    codes = np.empty(0, dtype=np.int64)
    while codes.size < num_interactions:
        k = int(1.25 * (num_interactions - codes.size)) + 1_000
        draw = rng.choice(num_users, k, p=p_user / p_user.sum()) * num_items + rng.choice(
            num_items, k, p=p_item / p_item.sum()
        )
        codes = np.concatenate([codes, draw])
        _, first = np.unique(codes, return_index=True)
        codes = codes[np.sort(first)]  # distinct pairs, in the order they were drawn
    codes = codes[:num_interactions]
    return codes // num_items, codes % num_items


def both_directions(users: np.ndarray, items: np.ndarray, num_users: int) -> torch.Tensor:
    """PyG ``edge_index`` with user->item and item->user edges, items offset by num_users."""
    u = torch.from_numpy(users)
    i = torch.from_numpy(items) + num_users
    return torch.stack([torch.cat([u, i]), torch.cat([i, u])])


def bpr_loss(out: torch.Tensor, triples: torch.Tensor) -> torch.Tensor:
    """Mean BPR loss ``-log sigmoid(e_u . e_pos - e_u . e_neg)``; items offset by NUM_USERS."""
    u, pos, neg = out[triples[0]], out[triples[1] + NUM_USERS], out[triples[2] + NUM_USERS]
    return -torch.nn.functional.logsigmoid((u * (pos - neg)).sum(-1)).mean()


def sample_triples(users: np.ndarray, items: np.ndarray, gen: torch.Generator) -> torch.Tensor:
    """``(3, BATCH_SIZE)`` user, positive item (an interaction) and uniform negative item."""
    pick = torch.randint(0, len(users), (BATCH_SIZE,), generator=gen).numpy()
    neg = torch.randint(0, NUM_ITEMS, (BATCH_SIZE,), generator=gen)
    return torch.stack([torch.from_numpy(users[pick]), torch.from_numpy(items[pick]), neg])


def make_variants(adj: torch.Tensor, edge_index: torch.Tensor, seed: int) -> dict:
    """Per variant: ``(embedding function, parameter)``, all from the same initial table."""
    torch.manual_seed(seed)
    n = NUM_USERS + NUM_ITEMS
    by_edges = LightGCN(n, EMBED_DIM, NUM_LAYERS)
    by_csr = LightGCN(n, EMBED_DIM, NUM_LAYERS, normalize=False)
    by_csr.load_state_dict(by_edges.state_dict())
    ours = torch.nn.Parameter(by_edges.embedding.weight.detach().clone())
    return {
        "pyg_edge_index": (lambda: by_edges.get_embedding(edge_index), by_edges.embedding.weight),
        "pyg_csr": (lambda: by_csr.get_embedding(adj), by_csr.embedding.weight),
        "gnnrec": (lambda: lightgcn_embedding(adj, ours, NUM_LAYERS, propagate), ours),
    }


def check_same_results(variants: dict, triples: torch.Tensor) -> None:
    """Assert that all variants give the same embeddings and BPR gradients (no step).

    Same means: within 1e-5 of the largest entry, entry by entry.
    """
    outs, grads = {}, {}
    for name, (embed, param) in variants.items():
        outs[name] = embed()
        bpr_loss(outs[name], triples).backward()
        grads[name] = param.grad
        param.grad = None
    for name in VARIANTS[1:]:
        for got, ref in ((outs[name], outs[VARIANTS[0]]), (grads[name], grads[VARIANTS[0]])):
            # entries are small (~1e-2 and ~1e-6), so the tolerance scales with the largest
            torch.testing.assert_close(got, ref, atol=1e-5 * ref.abs().max().item(), rtol=0)


def timed_step(
    embed: Callable[[], torch.Tensor], opt: torch.optim.Optimizer, triples: torch.Tensor
) -> float:
    """Milliseconds for one forward + BPR loss + backward + optimiser step."""
    start = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    bpr_loss(embed(), triples).backward()
    opt.step()
    return 1e3 * (time.perf_counter() - start)


def run(
    variants: dict, users: np.ndarray, items: np.ndarray, reps: int, warmup: int, seed: int
) -> dict[str, list[float]]:
    """Interleaved timings; the variant order rotates every repetition."""
    opts = {name: torch.optim.Adam([param], lr=LR) for name, (_, param) in variants.items()}
    gen = torch.Generator().manual_seed(seed)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for rep in range(warmup + reps):
        triples = sample_triples(users, items, gen)
        order = VARIANTS[rep % 3 :] + VARIANTS[: rep % 3]
        for name in order:
            ms = timed_step(variants[name][0], opts[name], triples)
            if rep >= warmup:
                times[name].append(ms)
    return times


def report(times: dict[str, list[float]]) -> dict:
    """Print the table for people and return the JSON-able summary."""
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"{'variant':<16}{'median ms':>11}{'min ms':>9}{'max ms':>9}{'x gnnrec':>10}")
    for name in VARIANTS:
        t = times[name]
        print(
            f"{name:<16}{med[name]:>11.1f}{min(t):>9.1f}{max(t):>9.1f}"
            f"{med[name] / med['gnnrec']:>10.1f}"
        )
    return {
        "ms_per_batch": {name: round(med[name], 1) for name in VARIANTS},
        "min_ms": {name: round(min(times[name]), 1) for name in VARIANTS},
        "max_ms": {name: round(max(times[name]), 1) for name in VARIANTS},
        "speedup_vs_edge_index": round(med["pyg_edge_index"] / med["gnnrec"], 1),
        "speedup_vs_pyg_csr": round(med["pyg_csr"] / med["gnnrec"], 1),
    }


def main(argv: list[str] | None = None) -> dict:
    start = time.perf_counter()
    parser = benchmark_parser(__doc__, seeds=[0], one_seed=True)
    parser.add_argument("--reps", type=int, default=7, help="timed repetitions per variant")
    parser.add_argument("--warmup", type=int, default=1, help="untimed repetitions first")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    seed = args.seeds[0]

    users, items = long_tail_interactions(NUM_USERS, NUM_ITEMS, NUM_INTERACTIONS, seed)
    events = pd.DataFrame({"user_id": users, "item_id": items, "behavior": "pv"})
    # one matrix for both CSR variants, so that they differ only in the backward pass
    adj = compact_csr(normalized_adjacency(events, NUM_USERS, NUM_ITEMS))
    edge_index = both_directions(users, items, NUM_USERS)
    deg_u, deg_i = np.bincount(users, minlength=NUM_USERS), np.bincount(items, minlength=NUM_ITEMS)
    print(
        f"graph: {NUM_USERS:,} users, {NUM_ITEMS:,} items, {len(users):,} distinct interactions,"
        f" adj nnz {adj.values().numel():,}; degree min/median/max users "
        f"{deg_u.min()}/{np.median(deg_u):.0f}/{deg_u.max()}, items "
        f"{deg_i.min()}/{np.median(deg_i):.0f}/{deg_i.max()}"
    )
    print(
        f"step: {NUM_LAYERS} layers, {EMBED_DIM} dims, {BATCH_SIZE:,} BPR triples, Adam;"
        f" torch {torch.__version__}, {torch.get_num_threads()} threads;"
        f" {args.warmup} warm-up + {args.reps} timed reps, interleaved"
    )

    variants = make_variants(adj, edge_index, seed)
    check_same_results(variants, sample_triples(users, items, torch.Generator().manual_seed(1)))
    print("check: all three give the same embeddings and gradients (to 1e-5 of the largest entry)")
    summary = report(run(variants, users, items, args.reps, args.warmup, seed))
    summary["graph"] = {
        "users": NUM_USERS,
        "items": NUM_ITEMS,
        "interactions": len(users),
        "adj_nnz": adj.values().numel(),
    }
    summary["reps"], summary["warmup"] = args.reps, args.warmup
    return emit(summary | {"run": run_info("propagation.py", argv, start)}, args.json)


if __name__ == "__main__":
    main()
