"""Exact against approximate nearest-neighbour retrieval of similar items, on a CPU.

Two catalogues, the same indexes and measurements:

* ``bundled``: the 3,000 item vectors of a ``MultiBehaviorGCN`` trained on the shop in
  ``--data`` (default: the bundled ``data/shop``) with the recipe of notebooks 04 and 06
  (about 10 s of training); every item is a query.
* ``generated``: ``--items`` (default 1,000,000) unit vectors of ``--dim`` (64) dims
  around ``--clusters`` (1,000) random centres whose sizes are long-tailed (lognormal),
  like products in categories; ``--queries`` (500) catalogue items are the queries.

Indexes: exact search in torch (the reference) and with faiss's flat index; faiss IVF
(64 cells on the bundled catalogue, 1,024 on the generated one; nprobe 4, 16, 64); faiss
HNSW (``--hnsw-m`` 16 links, ``--ef-construction`` 100; efSearch 16, 64, 256); PyG's
wrappers. Every search is by inner product, the query item itself excluded (k + 1 are
asked for).
Per index: build seconds; memory, the bytes of the index serialised by faiss (for exact
search in torch: the float32 matrix); recall@k of its top-k against exact top-k; ms per
query sent as one batch (throughput) and ms per query sent one at a time (latency, over
the first 50 queries), each the best of ``--repeats`` (2) passes. PyG's exact
``MIPSKNNIndex`` (faiss flat inside) is timed on the bundled catalogue; its IVF-PQ
``ApproxMIPSKNNIndex`` only on the generated one (its codebooks need >= 9,984 vectors).

    python benchmarks/retrieval.py [--items 1000000] [--threads N] [--skip-bundled]
        [--data data/shop] [--seeds 0] [--json FILE]

``--seeds`` takes one seed (training, the generated catalogue and its queries);
``--threads`` sets torch's threads and faiss's.
"""

from __future__ import annotations

import time
from pathlib import Path

import faiss
import numpy as np
import torch
from common import benchmark_parser, emit, run_info, set_threads

from gnnrec_utils import retrieval

DATA = Path(__file__).resolve().parent.parent / "data" / "shop"
SINGLE_QUERIES = 50
PQ_CELLS = 256


def clustered_vectors(
    num_items: int,
    dim: int,
    num_clusters: int,
    spread: float,
    noise: float,
    seed: int,
    directions: int = 8,
) -> np.ndarray:
    """Unit vectors with cluster structure, like learned item vectors in categories.

    Each cluster has a random unit centre and ``directions`` random directions of its own;
    an item is its centre plus Gaussian steps of size ``spread`` along those directions
    plus Gaussian ``noise`` in every dimension, normalised. Cluster sizes are
    lognormal(0, 1) shares of the items.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(num_clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    bases = np.linalg.qr(rng.normal(size=(num_clusters, dim, directions)))[0].astype(np.float32)
    share = rng.lognormal(0.0, 1.0, num_clusters)
    cluster = rng.choice(num_clusters, num_items, p=share / share.sum())
    x = np.empty((num_items, dim), dtype=np.float32)
    for lo in range(0, num_items, 100_000):
        c = cluster[lo : lo + 100_000]
        steps = spread * rng.standard_normal((len(c), directions), dtype=np.float32)
        x[lo : lo + 100_000] = (
            centres[c]
            + np.einsum("nde,ne->nd", bases[c], steps)
            + noise * rng.standard_normal((len(c), dim), dtype=np.float32)
        )
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def bundled_vectors(folder: Path, seed: int) -> np.ndarray:
    """Item vectors of a MultiBehaviorGCN trained on the shop in ``folder`` (notebook 06's run)."""
    from gnnrec_utils.data import BEHAVIORS, load_shop, temporal_split
    from gnnrec_utils.graph import normalized_adjacency
    from gnnrec_utils.models import MultiBehaviorGCN, item_attribute_codes, user_attribute_codes
    from gnnrec_utils.notebook import set_seed
    from gnnrec_utils.training import TrainConfig, intent_positives, train

    shop = load_shop(folder)
    split = temporal_split(shop)
    n_u, n_i = split.num_users, split.num_items
    positives = intent_positives(split.train, n_u, n_i)
    adjs = {
        b: normalized_adjacency(split.train[split.train.behavior == b], n_u, n_i) for b in BEHAVIORS
    }
    set_seed(seed)
    user_codes, user_cards = user_attribute_codes(shop.users)
    item_codes, item_cards = item_attribute_codes(shop.items)
    model = MultiBehaviorGCN(adjs, user_codes, item_codes, user_cards, item_cards, num_layers=2)
    train(
        model,
        split,
        positives,
        TrainConfig(lr=0.01, patience=4, top_k=10, seed=seed),
        progress=False,
    )
    with torch.no_grad():
        return model.get_embedding()[1].numpy()


def pyg_searcher(index, num_items: int):
    """``search(vectors, n)`` over a PyG KNN index, for search_excluding_self."""
    return lambda x, n: index.search(torch.from_numpy(x), min(n, num_items)).index.numpy()


def index_specs(num_items: int, hnsw_m: int = 16, ef_construction: int = 100):
    """``(specs, set_param)``: each spec is (name, parameters, build, settings); ``build(x)``
    returns (search(x, n), memory bytes, faiss index); ``settings`` are search-time values
    that ``set_param(index, name, value)`` applies in turn to one built index."""
    from torch_geometric.nn.pool import ApproxMIPSKNNIndex, MIPSKNNIndex

    nlist = 64 if num_items < 100_000 else 1024

    def faiss_spec(kind, **kw):
        def build(x):
            index = retrieval.faiss_index(x, kind, **kw)
            return (lambda q, n: index.search(q, n)[1]), retrieval.index_bytes(index), index

        return build

    def set_param(index, name, value):
        setattr(index.hnsw if name == "efSearch" else index, name, value)

    def pyg_exact(x):
        index = MIPSKNNIndex(torch.from_numpy(x))
        return pyg_searcher(index, len(x)), retrieval.index_bytes(index.index), None

    def pyg_ivfpq(x):
        index = ApproxMIPSKNNIndex(num_cells=PQ_CELLS, num_cells_to_visit=16, bits_per_vector=16)
        index.add(torch.from_numpy(x))
        return pyg_searcher(index, len(x)), retrieval.index_bytes(index.index), None

    specs = [
        ("faiss flat", "exact", faiss_spec("flat"), []),
        (
            f"faiss IVF{nlist}",
            "nprobe",
            faiss_spec("ivf", nlist=nlist),
            [("nprobe", v) for v in (4, 16, 64)],
        ),
        (
            "faiss HNSW",
            f"M={hnsw_m} efC={ef_construction} efSearch",
            faiss_spec("hnsw", hnsw_m=hnsw_m, ef_construction=ef_construction),
            [("efSearch", v) for v in (16, 64, 256)],
        ),
    ]
    if num_items >= 100_000:
        # IVF-PQ's codebooks need >= 9,984 training vectors; PyG trains it on every vector
        # given, so it gets fewer cells than the IVF above to keep k-means short
        specs.append(("PyG ApproxMIPSKNNIndex", f"IVF{PQ_CELLS}-PQ16 nprobe=16", pyg_ivfpq, []))
    else:
        specs.append(("PyG MIPSKNNIndex", "exact (flat)", pyg_exact, []))
    return specs, set_param


def measure(x: np.ndarray, queries: np.ndarray, k: int, repeats: int, hnsw: dict) -> list[dict]:
    """Rows of the table for one catalogue; the first row (torch) is the exact reference."""
    items = torch.from_numpy(x)
    exact_search = lambda q, n: retrieval.exact_top_k(items, q, n)  # noqa: E731
    rows = [
        time_row(
            "torch exact",
            "matmul + topk",
            0.0,
            x.nbytes,
            exact_search,
            x,
            queries,
            None,
            k,
            repeats,
        )
    ]
    exact = rows[0].pop("found")
    specs, set_param = index_specs(len(x), **hnsw)
    for name, params, build, settings in specs:
        start = time.perf_counter()
        search, nbytes, index = build(x)
        seconds = time.perf_counter() - start
        for setting in settings or [None]:
            if setting is not None:
                set_param(index, *setting)
            label = params if setting is None else f"{params}={setting[1]}"
            rows.append(
                time_row(name, label, seconds, nbytes, search, x, queries, exact, k, repeats)
            )
            rows[-1].pop("found")
            print(
                f"  {name} {label}: built in {seconds:.1f} s, recall {rows[-1]['recall']:.3f}",
                flush=True,
            )
        del search, index
    return rows


def time_row(name, params, build_s, nbytes, search, x, queries, exact, k, repeats) -> dict:
    """Search all queries as one batch ``repeats`` times (best time counts), then one at a
    time for the first SINGLE_QUERIES; recall of the batch result against ``exact``."""
    q = x[queries]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        ids = search(q, k + 1)
        best = min(best, time.perf_counter() - start)
    found = retrieval.search_excluding_self(lambda v, n: ids, x, queries, k)
    single = retrieval.ms_per_query(
        lambda v: search(v, k + 1), q[:SINGLE_QUERIES], batch_size=1, repeats=repeats
    )
    return {
        "index": name,
        "params": params,
        "build_s": build_s,
        "bytes": nbytes,
        "found": found,
        "recall": 1.0 if exact is None else retrieval.recall_against_exact(found, exact),
        "ms_batch": 1e3 * best / len(q),
        "ms_single": single,
    }


def print_table(title: str, rows: list[dict], k: int) -> None:
    print(f"\n{title}")
    print(
        f"{'index':<24}{'params':<26}{'build s':>8}{'MB':>9}{f'recall@{k}':>11}"
        f"{'ms/q batch':>12}{'ms/q single':>13}"
    )
    for r in rows:
        print(
            f"{r['index']:<24}{r['params']:<26}{r['build_s']:>8.1f}{r['bytes'] / 1e6:>9.1f}"
            f"{r['recall']:>11.3f}{r['ms_batch']:>12.4f}{r['ms_single']:>13.3f}"
        )


def summary(rows: list[dict]) -> dict:
    return {
        f"{r['index']} {r['params']}": {
            "index": r["index"],
            "params": r["params"],
            "recall@10": round(r["recall"], 4),
            "ms_per_query_batch": round(r["ms_batch"], 5),
            "ms_per_query_single": round(r["ms_single"], 4),
            "memory_bytes": r["bytes"],
            "build_s": round(r["build_s"], 2),
        }
        for r in rows
    }


def main(argv: list[str] | None = None) -> dict:
    begin = time.perf_counter()
    parser = benchmark_parser(
        __doc__,
        data="the shop whose item vectors are the bundled catalogue",
        data_default=DATA,
        seeds=[0],
        one_seed=True,
        threads="torch and faiss threads (default: their own choice)",
    )
    parser.add_argument("--items", type=int, default=1_000_000, help="generated catalogue size")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--clusters", type=int, default=1_000)
    parser.add_argument(
        "--spread", type=float, default=0.3, help="step size along a cluster's directions"
    )
    parser.add_argument("--noise", type=float, default=0.02, help="noise in every dimension")
    parser.add_argument(
        "--queries", type=int, default=500, help="queries on the generated catalogue"
    )
    parser.add_argument("--repeats", type=int, default=2, help="timed passes; the best counts")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--hnsw-m", type=int, default=16, help="HNSW links per node")
    parser.add_argument(
        "--ef-construction", type=int, default=100, help="HNSW candidate list when building"
    )
    parser.add_argument("--skip-bundled", action="store_true", help="only the generated catalogue")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    seed = args.seeds[0]
    print(
        f"torch {torch.__version__}, faiss {faiss.__version__}, {torch.get_num_threads()} torch threads, "
        f"{faiss.omp_get_max_threads()} faiss threads; k={args.k}; queries exclude themselves"
    )
    result = {"k": args.k, "faiss": faiss.__version__}
    hnsw = {"hnsw_m": args.hnsw_m, "ef_construction": args.ef_construction}
    if not args.skip_bundled:
        start = time.perf_counter()
        x = np.ascontiguousarray(bundled_vectors(args.data, seed), dtype=np.float32)
        print(
            f"bundled: {len(x):,} MultiBehaviorGCN item vectors of {x.shape[1]} dims, "
            f"trained in {time.perf_counter() - start:.1f} s; every item is a query",
            flush=True,
        )
        rows = measure(x, np.arange(len(x)), args.k, args.repeats, hnsw)
        print_table(f"bundled catalogue, {len(x):,} items", rows, args.k)
        result["bundled"] = summary(rows)
        result["bundled_items"] = len(x)
    start = time.perf_counter()
    x = clustered_vectors(args.items, args.dim, args.clusters, args.spread, args.noise, seed)
    queries = np.random.default_rng(seed + 1).choice(args.items, args.queries, replace=False)
    print(
        f"\ngenerated: {args.items:,} unit vectors of {args.dim} dims around {args.clusters:,} centres "
        f"(8 directions each, spread {args.spread}, noise {args.noise}), made in {time.perf_counter() - start:.1f} s; {args.queries:,} queries",
        flush=True,
    )
    rows = measure(x, queries, args.k, args.repeats, hnsw)
    print_table(f"generated catalogue, {args.items:,} items", rows, args.k)
    result["generated"] = summary(rows)
    result["generated_items"] = args.items
    return emit(result | {"run": run_info("retrieval.py", argv, begin)}, args.json)


if __name__ == "__main__":
    main()
