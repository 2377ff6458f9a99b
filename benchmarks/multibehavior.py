"""Multi-behaviour recommendation on Tmall: does a graph of favourites and carts help predict purchases?

Data: the Tmall multi-behaviour files (``gnnrec_utils.load_tmall``): training purchases,
favourites and carts; validation and test purchases (no timestamps; the periods come
with the files and ``gnnrec_utils.data.split.period_split`` makes the split). Given a shop
folder as well (or alone), the same comparison on the kit's bundled shop (``load_shop``,
``temporal_split``), to read the two side by side, twice: ``shop`` with the notebooks'
target (a fav, cart or buy), ``shop_buy`` with Tmall's (a purchase), and
``shop_like_tmall``: a purchase target, learning from purchases and favourites only, the
favourites sampled down to Tmall's ratio of favourite to purchase pairs.

Every model learns from the training period only; the validation period chooses (early
stopping, EASE^R's weight, which LightGCN and which baseline are "best"); the test
period is read once. Positives, and the 0/1 matrix the non-graph baselines see: the
training pairs of the *target* behaviours (Tmall and shop_buy: purchases; shop: fav, cart
or buy, as the notebooks train). Models:

* ``popularity`` (users per item in that matrix), ``itemknn`` (cosine, all neighbours),
  ``ease`` (EASE^R, weight chosen on validation NDCG@10): ``gnnrec_utils.models``;
* ``lightgcn_target``: LightGCN on the graph of the target behaviours (Tmall: purchases);
* ``lightgcn_all``: LightGCN on one graph of every behaviour (Tmall: buy + fav + cart;
  shop: pv + fav + cart + buy);
* ``mbgcn``: the kit's ``MultiBehaviorGCN`` as it ships (2 layers, one learned mixture)
  with one graph per behaviour and no attributes (codes of shape (n, 0)); on the shop
  also ``mbgcn_attr``, with the shop's attributes as notebook 03, and ``mbgcn_no_pv``,
  without the page-view graph (Tmall's files have no page views);
* ``multi_best``: the multi-behaviour variant with the best validation NDCG@10 among
  ``mbgcn`` with 2 or 3 layers, one mixture per layer (``layer_weights``), multi-task
  BPR with the non-target behaviours as an auxiliary loss (``train(auxiliary=...)``) and
  the cascade ``CascadeGCN`` (behaviours in funnel order, target last);
* ``unified_best``: ``MultiBehaviorGCN(graph="unified")``, LightGCN over one graph of
  every behaviour refined by one learned hop per behaviour, the one with the best
  validation NDCG@10 among 2 layers (``mbgcn_unified``), 3 layers and 2 layers with the
  auxiliary loss.

Choosing on the validation period only: every candidate of a family (LightGCN with 2 or 3
layers on each graph; the multi-behaviour variants; the unified ones) trains with the first seed;
the one with the best validation NDCG@10 trains with the other seeds and is reported
(the selection table lists every candidate). Training: ``gnnrec_utils.training.train``
(BPR, uniform negatives, L2 1e-4, early stopping with patience 5 on validation NDCG@10,
best weights restored) with ``--batch-size``, ``--lr`` and the epoch cap ``--max-epochs``
(defaults: ``TrainConfig``'s); one run per seed (``set_seed``), mean ± std (ddof=1) over
seeds. ``--jobs N`` trains N runs at a time in separate processes (started with the
``spawn`` method: forking after torch has started its thread pools can hang the child);
with one job every run trains in this process. ``--only NAME ...`` runs just the named
candidates and baselines (and the rows and tests they make up), to try a few of them
without the whole table.

Metrics: Recall, NDCG and HR (1 if any target is in the list) at 10 and 20 over all
items, on three protocols:

* ``all``: every test pair of a target behaviour, only the user's training + validation
  pairs of the target behaviours excluded from ranking (Tmall: every test purchase,
  earlier purchases excluded; favourited items stay candidates); users: test users with
  a target and at least one training event;
* ``new``: only items new to the user: every training + validation interaction excluded,
  targets the test pairs on such items (``ShopSplit.targets``; the notebooks' protocol);
  users as ``all``;
* ``papers``: the multi-behaviour papers' (CRGCN, MB-CGCN, MB-HGCN ...; their HR@10 and
  NDCG@10): every test pair of a target behaviour, only the *training* pairs of the
  target behaviours excluded (validation purchases stay candidates), every test user
  with a target. On Tmall it differs from ``all`` only by the validation purchases left
  in the candidates; HR@10 is the figure those papers report.

Paired tests (``gnnrec_utils.evaluation.significance.paired_difference``) of NDCG@10 over the same users,
on per-user values averaged over the seeds (a deterministic baseline has one value); the
per-seed differences are printed beside them.

Usage::

    python benchmarks/multibehavior.py --data ../shared/datasets/tmall [data/shop]
        [--seeds 0 1 2] [--max-epochs 50] [--batch-size 2048] [--lr 0.005]
        [--jobs 1] [--threads N] [--only NAME ...] [--json FILE]

``--data`` takes a Tmall folder (``count.txt`` ...), a shop folder (``users.csv`` ...) or
one of each, told apart by their files. The last line printed is one JSON object.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from common import benchmark_parser, data_by_format, emit, run_info, set_threads

from gnnrec_utils.data import (
    BEHAVIORS,
    TARGET_BEHAVIORS,
    Dataset,
    ShopSplit,
    load_shop,
    new_intent_pairs,
    period_split,
    temporal_split,
)
from gnnrec_utils.datasets import load_tmall
from gnnrec_utils.evaluation import (
    hit_matrix,
    paired_difference,
    per_user_recall_ndcg,
    recall_ndcg,
    warm_target_users,
)
from gnnrec_utils.graph import interaction_matrix, normalized_adjacency
from gnnrec_utils.models import (
    EASE,
    CascadeGCN,
    ItemKNN,
    LightGCN,
    MultiBehaviorGCN,
    Popularity,
    Recommender,
    item_attribute_codes,
    topk_excluding,
    user_attribute_codes,
)
from gnnrec_utils.notebook import set_seed
from gnnrec_utils.training import PositiveSet, TrainConfig, train

KS = (10, 20)
METRICS = tuple(f"{m}@{k}" for k in KS for m in ("recall", "ndcg", "hit"))
PROTOCOLS = ("all", "new", "papers")
EASE_L2 = (100.0, 300.0, 1000.0)
BASELINES = ("popularity", "itemknn", "ease")
Scorer = Callable[[np.ndarray], torch.Tensor]


# ---------------------------------------------------------------- data


@dataclass
class Task:
    """One dataset, split, with what the models learn from and are scored on."""

    name: str
    split: ShopSplit
    target: tuple[str, ...]  # the behaviours predicted
    attributes: tuple | None = None  # (user codes, item codes, user cards, item cards)
    positives: PositiveSet = field(init=False)
    protocols: dict = field(init=False)  # name -> (targets, exclude, users)

    def __post_init__(self) -> None:
        train = self.split.train
        wanted = train[train.behavior.isin(self.target)]
        self.positives = PositiveSet.from_events(
            wanted, num_items=self.split.num_items, num_users=self.split.num_users
        )
        self.protocols = scoring_protocols(self.split, self.target)


def scoring_protocols(split: ShopSplit, target: tuple[str, ...]) -> dict:
    """``{"all" | "new" | "papers": (targets, pairs excluded from ranking, users)}`` on
    the test period (the module's docstring says what each protocol means)."""
    history = split.history("test")
    own = history[history.behavior.isin(target)]
    every = new_intent_pairs(split.test, own, target)
    new = split.targets("test", target)
    trained = split.train[split.train.behavior.isin(target)]
    papers = new_intent_pairs(split.test, trained, target)
    return {
        "all": (every, own[["user_id", "item_id"]], warm_target_users(every, split.train)),
        "new": (new, history[["user_id", "item_id"]], warm_target_users(new, split.train)),
        "papers": (papers, trained[["user_id", "item_id"]], np.unique(papers.user_id.to_numpy())),
    }


def tmall_task(folder: Path) -> Task:
    """Tmall, split by the periods its files come in; the target is a purchase."""
    return Task("tmall", period_split(load_tmall(folder, verbose=False).to_shop()), ("buy",))


def shop_task(source: Path | Dataset) -> Task:
    """The bundled shop (a folder, or a generated ``Dataset``) as the notebooks split it;
    the target is a fav, cart or buy."""
    shop = source if isinstance(source, Dataset) else load_shop(source)
    user_codes, user_cards = user_attribute_codes(shop.users)
    item_codes, item_cards = item_attribute_codes(shop.items)
    attributes = (user_codes, item_codes, user_cards, item_cards)
    return Task("shop", temporal_split(shop), TARGET_BEHAVIORS, attributes)


def shop_buy_task(source: Path | Dataset) -> Task:
    """The bundled shop split as the notebooks do, but with Tmall's target, a purchase."""
    task = shop_task(source)
    return Task("shop_buy", task.split, ("buy",), task.attributes)


#: Distinct favourite pairs per distinct purchase pair in Tmall's training period
#: (``python benchmarks/behavior_overlap.py --data TMALL``: 1.221).
TMALL_FAV_PER_BUY = 1.221


def shop_like_tmall_task(source: Path | Dataset) -> Task:
    """The shop with a purchase target, trained on what Tmall's files hold: purchases and
    favourites, no page views, no carts, favourite pairs sampled (seeded) down to
    Tmall's ratio of favourite pairs to purchase pairs. Validation and test unchanged;
    shoppers whose training events were all page views or carts become cold and leave
    the scored users."""
    task = shop_buy_task(source)
    train = task.split.train
    buys = train[train.behavior == "buy"]
    favs = train[train.behavior == "fav"].drop_duplicates(["user_id", "item_id"])
    wanted = round(TMALL_FAV_PER_BUY * len(buys.drop_duplicates(["user_id", "item_id"])))
    favs = favs.sample(n=min(len(favs), wanted), random_state=0)
    kept = pd.concat([buys, favs]).sort_values(["user_id", "timestamp"], kind="stable")
    split = dataclasses.replace(task.split, train=kept.reset_index(drop=True))
    return Task("shop_like_tmall", split, ("buy",))


def describe(task: Task) -> str:
    """One line: sizes, training events per behaviour, positives, protocol sizes."""
    split, counts = task.split, task.split.train.behavior.value_counts()
    per = ", ".join(f"{b} {counts[b]:,}" for b in counts.index if counts[b])
    sizes = "; ".join(
        f"{p}: {len(t):,} test pairs, {len(u):,} users" for p, (t, _, u) in task.protocols.items()
    )
    return (
        f"{task.name}: {split.num_users:,} users, {split.num_items:,} items; training events "
        f"{len(split.train):,} ({per}); positives {len(task.positives):,} pairs of "
        f"{'/'.join(task.target)}; {sizes}"
    )


# ---------------------------------------------------------------- scoring


def product_scorer(user_rows: torch.Tensor, item_columns: torch.Tensor) -> Scorer:
    """Scores ``user_rows[users] @ item_columns`` of a batch of users.

    Rows that are mostly zeros (interaction rows, as ItemKNN and EASE^R use) are
    multiplied as a sparse matrix: the same numbers for far fewer operations.
    """
    sparse_rows = bool((user_rows != 0).float().mean() < 0.05)

    def score(users: np.ndarray) -> torch.Tensor:
        rows = user_rows[torch.as_tensor(users, dtype=torch.long)]
        return (
            torch.sparse.mm(rows.to_sparse(), item_columns) if sparse_rows else rows @ item_columns
        )

    return score


def scorer(model: Recommender) -> Scorer:
    """All-item scores of a batch of users: dot products of the model's embeddings,
    which are computed once."""
    model.eval()
    with torch.no_grad():
        user_emb, item_emb = model.get_embedding()
    return product_scorer(user_emb, item_emb.T.contiguous())


def validation_ndcg(score: Scorer, split: ShopSplit, k: int = 10) -> float:
    """Validation NDCG@k as ``gnnrec_utils.evaluation.evaluate`` computes it, for any scorer."""
    users = warm_target_users(split.targets("valid"), split.train)
    top = topk_excluding(score, users, split.history("valid"), k)
    return recall_ndcg(top, users, split.targets("valid"))[f"ndcg@{k}"]


def per_user_scores(score: Scorer, task: Task) -> dict[str, dict[str, np.ndarray]]:
    """``{protocol: {"recall@10": per-user values, ...}}`` on the test period."""
    out = {}
    for protocol, (targets, exclude, users) in task.protocols.items():
        top = topk_excluding(score, users, exclude, max(KS))
        out[protocol] = {}
        for k in KS:
            recall, ndcg = per_user_recall_ndcg(top[:, :k], users, targets)
            hit = hit_matrix(top[:, :k], users, targets).any(1).astype(np.float64)
            out[protocol] |= {f"recall@{k}": recall, f"ndcg@{k}": ndcg, f"hit@{k}": hit}
    return out


# ---------------------------------------------------------------- models


@dataclass
class Run:
    """One fitted model (one seed): per-user test values, validation NDCG@10, cost."""

    scores: dict[str, dict[str, np.ndarray]]
    valid_ndcg: float
    seconds: float
    epochs: int | None = None
    note: str = ""


def positive_matrix(task: Task) -> torch.Tensor:
    """The dense 0/1 (num_users, num_items) float32 matrix of the positive pairs."""
    events = pd.DataFrame(
        {"user_id": task.positives.users.numpy(), "item_id": task.positives.items.numpy()}
    )
    return interaction_matrix(events, task.split.num_users, task.split.num_items).to_dense()


def ease_weights(gram: torch.Tensor, l2: float) -> torch.Tensor:
    """EASE^R's item-item matrix B (scores ``x_u @ B``) from the Gram matrix X^T X: the
    closed form of ``gnnrec_utils.models.EASE``, here to try several weights on one Gram
    matrix. The reported model is the kit's ``EASE`` with the weight chosen."""
    p = torch.cholesky_inverse(torch.linalg.cholesky(gram + l2 * torch.eye(len(gram))))
    b = -p / torch.diagonal(p)
    b.fill_diagonal_(0.0)
    return b


def choose_ease_l2(x: torch.Tensor, split: ShopSplit) -> tuple[float, dict[float, float]]:
    """The EASE^R weight of :data:`EASE_L2` with the best validation NDCG@10."""
    gram = torch.sparse.mm(x.to_sparse().T, x)
    found = {
        l2: validation_ndcg(product_scorer(x, ease_weights(gram, l2)), split) for l2 in EASE_L2
    }
    return max(found, key=found.get), found


def fit_baselines(task: Task, only: set[str] | None = None) -> dict[str, Run]:
    """Popularity, item-kNN and EASE^R (those of them in ``only``, when given) on the
    positive pairs (deterministic: one run each)."""
    wanted = [name for name in BASELINES if only is None or name in only]
    x = positive_matrix(task) if wanted else None
    runs = {}
    for name in wanted:
        start, note = time.perf_counter(), ""
        if name == "popularity":
            model = Popularity(x.sum(0), task.split.num_users)
        elif name == "itemknn":
            model, note = ItemKNN(x), "cosine, all neighbours"
        else:
            l2, tried = choose_ease_l2(x, task.split)
            model = EASE(x, l2=l2, dtype=torch.float32)
            note = (
                f"l2={l2:g} (validation: "
                + ", ".join(f"{k:g}: {v:.4f}" for k, v in tried.items())
                + ")"
            )
        score = scorer(model)
        seconds = time.perf_counter() - start
        runs[name] = Run(
            per_user_scores(score, task), validation_ndcg(score, task.split), seconds, note=note
        )
        del model, score
    return runs


@dataclass
class Candidate:
    """One graph model to train: how to build it, a note for the table, and whether it
    learns the non-target behaviours as an auxiliary loss. Which reported row it may
    stand for is :data:`CHOSEN`'s business."""

    build: Callable[[], Recommender]
    note: str
    auxiliary: bool = False


def candidates(task: Task) -> dict[str, Candidate]:
    """``{name: Candidate}`` of every graph model tried on ``task``; builders make fresh models."""
    split, n_u, n_i = task.split, task.split.num_users, task.split.num_items
    train = split.train
    behaviors = [b for b in BEHAVIORS if (train.behavior == b).any()]  # funnel order
    target = train[train.behavior.isin(task.target)]
    adjs = {b: normalized_adjacency(train[train.behavior == b], n_u, n_i) for b in behaviors}
    none = (
        torch.zeros((n_u, 0), dtype=torch.long),
        torch.zeros((n_i, 0), dtype=torch.long),
        [],
        [],
    )
    graphs = ", ".join(behaviors)

    def lightgcn(events: pd.DataFrame, layers: int) -> Callable[[], Recommender]:
        return lambda: LightGCN(normalized_adjacency(events, n_u, n_i), n_u, n_i, num_layers=layers)

    def mbgcn(attributes: tuple = none, **kw) -> Callable[[], Recommender]:
        return lambda: MultiBehaviorGCN(adjs, *attributes, **kw)

    out = {}
    for layers in (2, 3):
        out[f"lightgcn_target_L{layers}"] = Candidate(
            lightgcn(target, layers),
            f"graph: {'+'.join(task.target)}; {layers} layer{'s' * (layers > 1)}",
        )
        out[f"lightgcn_all_L{layers}"] = Candidate(
            lightgcn(train, layers),
            f"graph: {'+'.join(behaviors)}; {layers} layer{'s' * (layers > 1)}",
        )
    out["mbgcn"] = Candidate(mbgcn(), f"graphs: {graphs}; no attributes; as shipped")
    out["mbgcn_L3"] = Candidate(mbgcn(num_layers=3), f"graphs: {graphs}; 3 layers")
    out["mbgcn_layer_weights"] = Candidate(
        mbgcn(layer_weights=True), f"graphs: {graphs}; a mixture per layer"
    )
    others = [b for b in behaviors if b not in task.target]
    out["mbgcn_aux"] = Candidate(
        mbgcn(),
        f"graphs: {graphs}; + BPR on {'+'.join(others)} (multi-task)",
        auxiliary=True,
    )
    out["mbgcn_unified"] = Candidate(
        mbgcn(graph="unified"), f"union of {graphs}, 2 layers; a refining hop per behaviour"
    )
    out["mbgcn_unified_L3"] = Candidate(
        mbgcn(graph="unified", num_layers=3),
        f"union of {graphs}, 3 layers; a refining hop per behaviour",
    )
    out["mbgcn_unified_aux"] = Candidate(
        mbgcn(graph="unified"),
        f"union of {graphs}, 2 layers, refined; + BPR on {'+'.join(others)} (multi-task)",
        auxiliary=True,
    )
    stages = {b: adjs[b] for b in others}  # the target behaviours form the last stage
    stages["+".join(task.target)] = normalized_adjacency(target, n_u, n_i)
    out["cascade"] = Candidate(
        lambda: CascadeGCN(stages, n_u, n_i),
        f"stages: {' -> '.join(stages)}; 1 layer each",
    )
    if "pv" in behaviors:  # the same model without the page-view graph, as Tmall has none
        no_pv = {b: adj for b, adj in adjs.items() if b != "pv"}
        out["mbgcn_no_pv"] = Candidate(
            lambda: MultiBehaviorGCN(no_pv, *none),
            f"graphs: {', '.join(no_pv)}; no attributes",
        )
    if task.attributes is not None:
        out["mbgcn_attr"] = Candidate(
            mbgcn(task.attributes), f"graphs: {graphs}; attributes (notebook 03)"
        )
    return out


def auxiliary_positives(task: Task) -> PositiveSet:
    """The training pairs of the behaviours that are not a target."""
    train = task.split.train
    return PositiveSet.from_events(
        train[~train.behavior.isin(task.target)],
        num_users=task.split.num_users,
        num_items=task.split.num_items,
    )


@dataclass
class Settings:
    """The training settings shared by every graph model."""

    max_epochs: int
    batch_size: int
    lr: float


def fit_graph_model(candidate: Candidate, task: Task, seed: int, settings: Settings) -> Run:
    """One seeded training run with the kit's loop, scored on the test period."""
    set_seed(seed)
    model = candidate.build()
    config = TrainConfig(
        num_epochs=settings.max_epochs,
        batch_size=settings.batch_size,
        lr=settings.lr,
        seed=seed,
    )
    auxiliary = auxiliary_positives(task) if candidate.auxiliary else None
    start = time.perf_counter()
    history = train(model, task.split, task.positives, config, progress=False, auxiliary=auxiliary)
    seconds = time.perf_counter() - start
    best = history["ndcg@10"]
    return Run(
        per_user_scores(scorer(model), task),
        float(best.max()),
        seconds,
        int(best.idxmax()),
        candidate.note,
    )


# One task per worker process, loaded once (the pool's initializer).
_WORKER: dict = {}


def _load_worker(
    tasks: dict[str, tuple[Callable[[Path], Task], Path]], threads: int | None
) -> None:
    set_threads(threads)
    _WORKER.update({name: load(folder) for name, (load, folder) in tasks.items()})


def _fit_in_worker(task_name: str, name: str, seed: int, settings: Settings) -> Run:
    task = _WORKER[task_name]
    if (task_name, "candidates") not in _WORKER:  # the graphs, built once per process
        _WORKER[task_name, "candidates"] = candidates(task)
    return fit_graph_model(_WORKER[task_name, "candidates"][name], task, seed, settings)


# ---------------------------------------------------------------- summaries


def summary(runs: list[Run]) -> dict:
    """Mean and std (ddof=1; 0 for one run) over seeds of every metric, and the costs."""

    def spread(values):
        values = np.asarray(values, dtype=np.float64)
        return [float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0]

    out = {"valid_ndcg@10": spread([r.valid_ndcg for r in runs])}
    for protocol in PROTOCOLS:
        out[protocol] = {m: spread([r.scores[protocol][m].mean() for r in runs]) for m in METRICS}
    out["train_seconds"] = round(float(np.mean([r.seconds for r in runs])), 1)
    if runs[0].epochs is not None:
        out["best_epochs"] = [r.epochs for r in runs]
    out["note"] = runs[0].note
    return out


def paired(a: list[Run], b: list[Run], protocol: str, metric: str = "ndcg@10") -> dict:
    """Paired difference a - b on seed-averaged per-user values, and per seed."""
    values = lambda runs: [r.scores[protocol][metric] for r in runs]  # noqa: E731
    mean, se = paired_difference(np.mean(values(a), 0), np.mean(values(b), 0))
    seeds = max(len(a), len(b))
    per_seed = [
        paired_difference(values(a)[min(s, len(a) - 1)], values(b)[min(s, len(b) - 1)])[0]
        for s in range(seeds)
    ]
    return {"diff": mean, "se": se, "z": mean / se if se else float("nan"), "per_seed": per_seed}


MULTI = ("mbgcn", "mbgcn_L3", "mbgcn_layer_weights", "mbgcn_aux", "cascade")
UNIFIED = ("mbgcn_unified", "mbgcn_unified_L3", "mbgcn_unified_aux")
CHOSEN = {  # reported row: the candidates it is chosen from
    "lightgcn_target": tuple(f"lightgcn_target_L{n}" for n in (2, 3)),
    "lightgcn_all": tuple(f"lightgcn_all_L{n}" for n in (2, 3)),
    "mbgcn": ("mbgcn",),
    "multi_best": MULTI,
    "unified_best": UNIFIED,
    "mbgcn_no_pv": ("mbgcn_no_pv",),
    "mbgcn_attr": ("mbgcn_attr",),
}
#: Every candidate name ``candidates`` can make (the last two only where the data allow).
CANDIDATE_NAMES = tuple(dict.fromkeys(name for names in CHOSEN.values() for name in names))


def choose(runs: dict[str, dict[int, Run]], seed: int) -> dict[str, str]:
    """``{reported row: its candidate with the best validation NDCG@10 at seed}`` over the
    candidates of :data:`CHOSEN` that were run."""
    out = {}
    for row, names in CHOSEN.items():
        present = [n for n in names if n in runs]
        if present:
            out[row] = max(present, key=lambda n: runs[n][seed].valid_ndcg)
    return out


def comparisons(
    task: Task, results: dict[str, list[Run]]
) -> tuple[list[dict], str | None, str | None]:
    """The paired tests between the rows that were run, and the best LightGCN and the
    best baseline (by validation NDCG@10; ``None`` when none was run)."""
    valid = {name: np.mean([r.valid_ndcg for r in runs]) for name, runs in results.items()}
    lightgcns = [r for r in ("lightgcn_target", "lightgcn_all") if r in results]
    baselines = [r for r in BASELINES if r in results]
    best_lightgcn = max(lightgcns, key=valid.get) if lightgcns else None
    best_baseline = max(baselines, key=valid.get) if baselines else None
    pairs = [
        ("unified_best", "lightgcn_all"),  # the unified graph, refined, over the plain one
        ("unified_best", "multi_best"),
        ("unified_best", best_baseline),
        ("multi_best", best_lightgcn),
        ("mbgcn", best_lightgcn),
        ("multi_best", best_baseline),
        (best_lightgcn, "itemknn"),
        ("lightgcn_all", "lightgcn_target"),  # what the other behaviours add to one graph
    ]
    if "mbgcn_no_pv" in results:
        pairs += [("mbgcn_no_pv", "lightgcn_target"), ("mbgcn", "mbgcn_no_pv")]
    if "mbgcn_attr" in results:
        pairs += [("mbgcn_attr", best_lightgcn), ("mbgcn_attr", "mbgcn")]
    pairs = [(a, b) for a, b in dict.fromkeys(pairs) if a in results and b in results and a != b]
    tests = [
        {"a": a, "b": b, "protocol": p, **paired(results[a], results[b], p)}
        for p in PROTOCOLS
        for a, b in pairs
    ]
    return tests, best_lightgcn, best_baseline


def print_tables(task: Task, table: dict[str, dict], tests: list[dict], selection: dict) -> None:
    """The selection table, the model tables (one per protocol) and the paired tests."""
    print(f"\n{task.name}, candidates (first seed; validation NDCG@10 chooses)")
    print(f"{'candidate':<24}{'valid N@10':>11}{'best epoch':>11}{'train s':>9}  note")
    for name, run in selection.items():
        print(f"{name:<24}{run.valid_ndcg:>11.4f}{run.epochs:>11}{run.seconds:>9.1f}  {run.note}")
    for protocol in PROTOCOLS:
        print(f"\n{task.name}, protocol '{protocol}' (mean ± std over seeds)")
        print(
            f"{'model':<16}{'valid N@10':>11}"
            + "".join(f"{m:>17}" for m in METRICS)
            + f"{'train s':>9}  note"
        )
        for name, row in table.items():
            cells = "".join(
                f"{row[protocol][m][0]:>10.4f}±{row[protocol][m][1]:.4f}" for m in METRICS
            )
            print(
                f"{name:<16}{row['valid_ndcg@10'][0]:>11.4f}{cells}{row['train_seconds']:>9.1f}  {row['note']}"
            )
    print(f"\n{task.name}, paired NDCG@10 differences (per-user values averaged over seeds)")
    print(f"{'a - b':<36}{'protocol':>9}{'diff':>10}{'se':>9}{'z':>7}  per seed")
    for t in tests:
        seeds = " ".join(f"{d:+.4f}" for d in t["per_seed"])
        print(
            f"{t['a'] + ' - ' + t['b']:<36}{t['protocol']:>9}{t['diff']:>+10.4f}{t['se']:>9.4f}{t['z']:>7.2f}  {seeds}"
        )


def train_all(
    tasks: dict[str, Task],
    loaders: dict,
    seeds: list[int],
    settings: Settings,
    jobs: int,
    threads,
    only: set[str] | None = None,
) -> dict[str, dict[str, dict[int, Run]]]:
    """Every candidate (of ``only``, when given) with the first seed, then the chosen
    ones with the other seeds; ``jobs`` runs at a time in ``spawn``-ed processes, or all
    in this process with one job.

    Returns ``{task: {candidate: {seed: Run}}}``.
    """
    runs: dict = {name: {} for name in tasks}
    _WORKER.clear()  # no graphs left from an earlier call under the same task name
    pool = None
    if jobs > 1:
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            jobs, mp_context=context, initializer=_load_worker, initargs=(loaders, threads)
        )
    else:
        _WORKER.update(tasks)

    def run_all(wanted: list[tuple[str, str, int]]) -> None:
        if pool is None:
            results = ((w, _fit_in_worker(*w, settings)) for w in wanted)
        else:
            futures = {w: pool.submit(_fit_in_worker, *w, settings) for w in wanted}
            results = ((w, future.result()) for w, future in futures.items())
        for (task_name, name, seed), run in results:
            runs[task_name].setdefault(name, {})[seed] = run
            print(
                f"  {task_name} {name} seed {seed}: valid NDCG@10 {run.valid_ndcg:.4f}, "
                f"best epoch {run.epochs}, {run.seconds:.0f} s",
                flush=True,
            )

    try:
        first = [
            (t, name, seeds[0])
            for t, task in tasks.items()
            for name in candidates(task)
            if only is None or name in only
        ]
        run_all(first)
        rest = {
            (t, best, s): None
            for t in tasks
            for best in choose(runs[t], seeds[0]).values()
            for s in seeds[1:]
        }  # a dict keeps the order and runs a candidate chosen for two rows once
        run_all(list(rest))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return runs


def report_task(
    task: Task, baselines: dict[str, Run], runs: dict[str, dict[int, Run]], seeds
) -> dict:
    """Choose each reported row on validation, print the tables, return the JSON-ready results."""
    results = {name: [run] for name, run in baselines.items()}
    chosen = choose(runs, seeds[0])
    for row, name in chosen.items():
        results[row] = [runs[name][s] for s in seeds]
    table = {name: summary(r) for name, r in results.items()}
    for row, name in chosen.items():
        if name != row:
            table[row]["note"] = f"{name}: {table[row]['note']}"
    selection = {name: per_seed[seeds[0]] for name, per_seed in runs.items()}
    tests, best_lightgcn, best_baseline = comparisons(task, results)
    print_tables(task, table, tests, selection)
    split = task.split
    return {
        "data": {
            "users": split.num_users,
            "items": split.num_items,
            "training_events": {b: int(n) for b, n in split.train.behavior.value_counts().items()},
            "positives": len(task.positives),
            "target": list(task.target),
            "test_users": {p: len(users) for p, (_, _, users) in task.protocols.items()},
        },
        "models": table,
        "chosen": chosen,
        "selection_valid_ndcg@10": {n: r.valid_ndcg for n, r in selection.items()},
        "paired_ndcg@10": tests,
        "best_lightgcn": best_lightgcn,
        "best_baseline": best_baseline,
    }


def rounded(value, digits: int = 5):
    """``value`` with every float rounded, for the JSON line."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    if isinstance(value, (float, np.floating)):
        return round(float(value), digits)
    return value


def main(argv: list[str] | None = None) -> dict:
    parser = benchmark_parser(
        __doc__,
        data="a Tmall folder (count.txt ...), a shop folder (users.csv ...) or one of each",
        many_data=True,
        seeds=[0, 1, 2],
        threads="torch threads (and faiss's) per process (default: torch's choice)",
    )
    parser.add_argument("--max-epochs", type=int, default=TrainConfig.num_epochs)
    parser.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    parser.add_argument("--lr", type=float, default=TrainConfig.lr)
    parser.add_argument("--jobs", type=int, default=1, help="training runs at a time")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only these candidates and baselines (default: all of them)",
    )
    args = parser.parse_args(argv)
    only = None if args.only is None else set(args.only)
    if only is not None:
        known = set(BASELINES) | set(CANDIDATE_NAMES)
        if unknown := sorted(only - known):
            parser.error(f"--only: unknown {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    folders = data_by_format(parser, args.data)
    set_threads(args.threads)
    start = time.perf_counter()
    settings = Settings(args.max_epochs, args.batch_size, args.lr)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.jobs} jobs; "
        f"seeds {args.seeds}; {settings}"
    )
    loaders = {"tmall": (tmall_task, folders["tmall"])} if "tmall" in folders else {}
    if "shop" in folders:
        shop = folders["shop"]
        loaders |= {
            "shop": (shop_task, shop),
            "shop_buy": (shop_buy_task, shop),
            "shop_like_tmall": (shop_like_tmall_task, shop),
        }
    tasks = {name: load(folder) for name, (load, folder) in loaders.items()}
    for task in tasks.values():
        print(describe(task), flush=True)
    runs = train_all(tasks, loaders, args.seeds, settings, args.jobs, args.threads, only)
    out = {}
    for name, task in tasks.items():
        baselines = fit_baselines(task, only)
        out[name] = report_task(task, baselines, runs[name], args.seeds)
    out["settings"] = vars(settings) | {"seeds": args.seeds, "only": args.only}
    out["seconds"] = round(time.perf_counter() - start, 1)
    out["run"] = run_info("multibehavior.py", argv, start)
    print(f"\ntotal {out['seconds']:.0f} s")
    return emit(rounded(out), args.json)


if __name__ == "__main__":
    main()
