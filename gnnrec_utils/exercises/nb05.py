"""Checkers for the exercises of notebook 05, *Cold start*.

Each ``check_exercise_N`` judges the answer to exercise N, not the learner's consistency:
it checks that the model it is given is the variant the exercise asks for (its number of
layers; its graph, rebuilt here with numpy rather than with ``attribute_adjacency``),
rebuilds what the exercise measures from the data with its own code (the inductive
vectors, item-kNN, NDCG, the few-shot shoppers), accepts a figure at the four decimals
the notebook prints, prints one line, ``Right: ...`` or ``Not yet: ...``, and returns
whether the answer holds.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.exercises import close_to_printed, say, say_either
from gnnrec_utils.graph.build import normalized_adjacency
from gnnrec_utils.models.lightgcn import LightGCN
from gnnrec_utils.scenarios import FewShotTask

__all__ = [
    "ASKED_LAYERS",
    "ASKED_USER_COLUMNS",
    "ASKED_ARRIVAL_DAY",
    "ASKED_WEIGHT",
    "DECIMALS",
    "DEFAULT_ARRIVAL_DAY",
    "ITEM_COLUMNS",
    "attribute_graph",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "check_exercise_5",
    "few_shot_users",
    "newcomer_events",
    "per_user_ndcg",
]

ASKED_LAYERS = (1, 2, 3)  # exercise 1: LightGCN with 1, 2 and 3 layers
ASKED_WEIGHT = 0.2  # exercise 2: the weight of the attribute edges
ASKED_USER_COLUMNS = ("age_group", "gender")  # exercise 3: the user attribute nodes
ITEM_COLUMNS = ("category_id", "brand_id")  # the item attribute nodes of section 2
ASKED_ARRIVAL_DAY = 5  # exercise 5: ARRIVAL_DAY
DEFAULT_ARRIVAL_DAY = 4  # the notebook's own ARRIVAL_DAY
DECIMALS = 4  # the notebook prints NDCG to four decimals


# --- shared: NDCG, the graphs, the inductive vectors ---------------------------------------


def _pair_sets(pairs: pd.DataFrame) -> dict[int, set[int]]:
    """User id -> the set of item ids of its (user_id, item_id) pairs."""
    return pairs.groupby("user_id").item_id.apply(lambda s: set(s.tolist())).to_dict()


def _ndcg(row: Sequence[int], relevant: set[int]) -> float:
    """NDCG of one list: gain 1 per relevant item, ideal DCG over min(|relevant|, k)."""
    dcg = sum(1.0 / np.log2(rank + 2) for rank, item in enumerate(row) if item in relevant)
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(len(relevant), len(row))))
    return dcg / ideal


def per_user_ndcg(
    scores: torch.Tensor,
    users: np.ndarray,
    targets: pd.DataFrame,
    exclude: pd.DataFrame,
    k: int,
    candidates: np.ndarray | None = None,
) -> np.ndarray:
    """NDCG@k of each of ``users`` (row ``i`` of ``scores`` belongs to ``users[i]``): items
    in ``exclude`` are never ranked, only ``candidates`` are (default: every item), and
    equal scores go to the lower item id (a stable sort)."""
    rows = torch.as_tensor(scores).double().numpy().copy()
    if candidates is not None:
        blocked = np.ones(rows.shape[1], dtype=bool)
        blocked[np.asarray(candidates)] = False
        rows[:, blocked] = -np.inf
    users = np.asarray(users)
    seen = _pair_sets(exclude[exclude.user_id.isin(users)])
    relevant = _pair_sets(targets[targets.user_id.isin(users)])
    out = []
    for row, user in zip(rows, users.tolist(), strict=True):
        row[list(seen.get(user, ()))] = -np.inf
        out.append(_ndcg(np.argsort(-row, kind="stable")[:k].tolist(), relevant[user]))
    return np.array(out)


def attribute_graph(
    events: pd.DataFrame,
    users: pd.DataFrame,
    items: pd.DataFrame,
    user_columns: tuple[str, ...] = (),
    item_columns: tuple[str, ...] = ITEM_COLUMNS,
    weight: float = 1.0,
) -> torch.Tensor:
    """The graph of notebook 05's attribute nodes, built with numpy: users, items, then one
    node per value of each of ``user_columns`` and ``item_columns`` (in that order, each
    column numbered from 0 to its largest code); an edge of weight 1 per distinct
    (user, item) pair of ``events``, one of ``weight`` from every user and item to each of
    its attribute values; normalised as D^-1/2 A D^-1/2. A coalesced float64 COO tensor."""
    n_u, n_i = len(users), len(items)
    pairs = events[["user_id", "item_id"]].drop_duplicates()
    src, dst = [pairs.user_id.to_numpy()], [pairs.item_id.to_numpy() + n_u]
    w = [np.ones(len(pairs))]
    node = n_u + n_i
    for table, columns, first in ((users, user_columns, 0), (items, item_columns, n_u)):
        for column in columns:
            codes = table[column].to_numpy(dtype=np.int64)
            src.append(first + np.arange(len(table)))
            dst.append(node + codes)
            w.append(np.full(len(table), float(weight)))
            node += int(codes.max()) + 1
    src, dst, w = (np.concatenate(parts) for parts in (src, dst, w))
    row, col, val = np.r_[src, dst], np.r_[dst, src], np.r_[w, w]
    degree = np.bincount(row, weights=val, minlength=node)
    val = val / np.sqrt(degree[row] * degree[col])
    index = torch.as_tensor(np.stack([row, col]))
    adj = torch.sparse_coo_tensor(index, torch.as_tensor(val), (node, node), check_invariants=True)
    return adj.coalesce()


def _same_graph(adj: torch.Tensor, expected: torch.Tensor) -> bool:
    """Whether the sparse ``adj`` holds the entries of ``expected`` (to float32 precision)."""
    if tuple(adj.shape) != tuple(expected.shape):
        return False
    got = (adj.to_sparse_coo() if adj.layout != torch.sparse_coo else adj).coalesce()
    return (
        got.indices().shape == expected.indices().shape
        and torch.equal(got.indices().long(), expected.indices())
        and torch.allclose(got.values().double(), expected.values(), atol=1e-6)
    )


def _graph_of(fit: ShopSplit, split: ShopSplit, user_columns=(), weight: float = 1.0):
    """The attribute graph of ``fit.train`` with the category and brand nodes."""
    return attribute_graph(fit.train, split.users, split.items, user_columns, ITEM_COLUMNS, weight)


def _num_pairs(events: pd.DataFrame) -> int:
    return len(events[["user_id", "item_id"]].drop_duplicates())


@torch.no_grad()
def _inductive(model: LightGCN, adj: torch.Tensor, known_events: pd.DataFrame):
    """User and item vectors of ``model`` propagated over ``adj``: users and items without
    an event in ``known_events`` start from zero, every other node (attribute nodes
    included) from its trained vector; the mean over layers 0..L, as in LightGCN."""
    n_u, n_i = model.num_users, model.num_items
    known = torch.ones(adj.shape[0], dtype=torch.bool)
    known[: n_u + n_i] = False
    known[torch.as_tensor(known_events.user_id.unique())] = True
    known[torch.as_tensor(known_events.item_id.unique()) + n_u] = True
    adj = adj.to_sparse_coo().double() if adj.layout != torch.sparse_coo else adj.double()
    x = model.embedding.weight.detach().double() * known[:, None]
    out = x.clone()
    for _ in range(model.num_layers):
        x = torch.sparse.mm(adj, x)
        out = out + x
    out = out / (model.num_layers + 1)
    return out[:n_u], out[n_u : n_u + n_i]


def _scores_of(user_emb: torch.Tensor, item_emb: torch.Tensor, users) -> torch.Tensor:
    with torch.no_grad():
        return user_emb[torch.as_tensor(np.asarray(users))] @ item_emb.T


def _lightgcn_problem(model, what: str) -> str:
    if not isinstance(model, LightGCN):
        return f"pass the LightGCN {what}; you passed a {type(model).__name__}"
    return ""


# --- exercise 1: LightGCN with 1, 2 and 3 layers -----------------------------------------


def _layers_problem(models: Mapping[int, torch.nn.Module], fit: ShopSplit) -> str:
    """What is off with the models of exercise 1, or ''."""
    if sorted(models) != list(ASKED_LAYERS):
        return (
            f"compare LightGCNs with 1, 2 and 3 layers; you have models for "
            f"{sorted(models)} layer(s)"
        )
    pairs = _num_pairs(fit.train)
    for n, model in sorted(models.items()):
        problem = _lightgcn_problem(model, f"with {n} layer(s) under key {n}")
        if problem:
            return problem
        if model.num_layers != n:
            return (
                f"your model under key {n} has {model.num_layers} layer(s); the exercise asks "
                f"for {n}: build it with num_layers={n}"
            )
        if model.num_extra_nodes or model.adj.values().numel() != 2 * pairs:
            return (
                f"your {n}-layer model is not built on the plain graph of fit.train "
                f"({pairs:,} user-item pairs), as in section 2"
            )
    return ""


def _valid_ndcg(model: LightGCN, fit: ShopSplit, k: int) -> float:
    """Mean validation NDCG@k, the way ``train`` logs it: the shoppers with a validation
    target and a training event of ``fit``, their training events excluded."""
    targets, history = fit.targets("valid"), fit.history("valid")
    users = np.intersect1d(targets.user_id.unique(), fit.train.user_id.unique())
    with torch.no_grad():
        scores = _scores_of(*model.get_embedding(), users)
    return float(per_user_ndcg(scores, users, targets, history, k).mean())


def check_exercise_1(
    best_num_layers: int, models: Mapping[int, torch.nn.Module], fit: ShopSplit, k: int = 10
) -> bool:
    """Exercise 1: ``best_num_layers``, how many layers (1, 2 or 3) give LightGCN its best
    validation NDCG@k.

    Pass ``models``: the trained LightGCNs by number of layers, ``{1: ..., 2: ..., 3: ...}``,
    each built with that ``num_layers`` on the plain graph of ``fit.train`` (section 2);
    and ``fit``, the split they trained on. The checker verifies each model's layers and
    graph, and recomputes its validation NDCG itself: every shopper with a validation
    target and a training event, their training events excluded.
    """
    problem = _layers_problem(models, fit)
    if problem:
        return say(False, problem)
    ndcg = {n: _valid_ndcg(model, fit, k) for n, model in sorted(models.items())}
    best = max(ndcg, key=ndcg.get)
    shown = ", ".join(f"{n} layer(s) {v:.4f}" for n, v in ndcg.items())
    return say_either(
        best_num_layers == best,
        f"{best} layer(s): validation NDCG@{k} {shown}",
        f"validation NDCG@{k} is {shown}, so {best} layer(s) is best, not {best_num_layers}. "
        "Did you compare on the validation day, not the test day?",
    )


# --- exercise 2: attribute edges of weight 0.2, on a validation-day shelf -----------------


def _shelf_ndcg(model: LightGCN, fit: ShopSplit, split: ShopSplit, period: str, k: int):
    """Mean NDCG@k of ``model`` on the new-arrivals shelf of ``period``: only items without
    an event in ``fit.train`` are ranked, for the shoppers with an event in ``fit.train``
    and a target on such an item; ``split``'s history of the period is excluded."""
    new_items = np.setdiff1d(np.arange(model.num_items), fit.train.item_id.unique())
    targets = split.targets(period)
    shelf = targets[targets.item_id.isin(new_items) & targets.user_id.isin(fit.train.user_id)]
    users = np.sort(shelf.user_id.unique())
    user_emb, item_emb = _inductive(model, model.adj, fit.train)
    scores = _scores_of(user_emb, item_emb, users)
    ndcg = per_user_ndcg(scores, users, shelf, split.history(period), k, new_items)
    return float(ndcg.mean()), len(users)


def _weight_problem(model, fit: ShopSplit, split: ShopSplit) -> str:
    """What is off with the model of exercise 2, or ''."""
    problem = _lightgcn_problem(model, "trained on attribute edges of weight 0.2")
    if problem:
        return problem
    if _same_graph(model.adj, _graph_of(fit, split, weight=ASKED_WEIGHT)):
        return ""
    if _same_graph(model.adj, _graph_of(fit, split, weight=1.0)):
        return (
            "your model's attribute edges have weight 1, section 2's graph; the exercise "
            f"asks for attribute_adjacency(..., attribute_weight={ASKED_WEIGHT})"
        )
    return (
        "your model's graph is not attribute_adjacency(fit.train, shop.users, shop.items, "
        f"attribute_weight={ASKED_WEIGHT}): the training events of fit, category and brand nodes"
    )


def check_exercise_2(
    ndcg: float, model: LightGCN, fit: ShopSplit, split: ShopSplit, k: int = 10
) -> bool:
    """Exercise 2: ``ndcg``, the validation day's new-arrivals shelf NDCG@k of LightGCN
    trained with attribute edges of weight 0.2 (e.g. ``0.0768`` as the notebook prints it).

    Pass ``model``: that LightGCN, trained on ``attribute_adjacency(fit.train, shop.users,
    shop.items, attribute_weight=0.2)`` (checked: its graph is rebuilt here); ``fit``: the
    split it trained on; ``split``: the full split, whose validation targets and history
    make the shelf. The shelf ranks only the items without an event in ``fit.train``, for
    the shoppers with an event in it and a validation target on such an item, every
    earlier event excluded; the vectors are propagated as in section 3 (untrained nodes
    start from zero).
    """
    problem = _weight_problem(model, fit, split)
    if problem:
        return say(False, problem)
    expected, shoppers = _shelf_ndcg(model, fit, split, "valid", k)
    if close_to_printed(ndcg, expected, DECIMALS):
        return say(
            True,
            f"the weight-{ASKED_WEIGHT} shelf scores NDCG@{k} {expected:.4f} over "
            f"{shoppers} validation-day shoppers",
        )
    if close_to_printed(ndcg, _valid_ndcg(model, fit, k), DECIMALS):
        return say(
            False,
            f"{ndcg:.4f} is the warm shoppers' validation NDCG@{k}; the shelf of new "
            f"products gives {expected:.4f}",
        )
    if close_to_printed(ndcg, _shelf_ndcg(model, fit, split, "test", k)[0], DECIMALS):
        return say(
            False,
            f"{ndcg:.4f} is the test day's shelf; compare on the validation day's "
            f"targets: {expected:.4f}",
        )
    return say(
        False,
        f"you have {ndcg:.4f}, but ranking only the new products for the {shoppers} "
        f"validation-day shoppers who engaged with one gives {expected:.4f}",
    )


# --- exercise 3: user attribute nodes for cold shoppers ----------------------------------


def _cold_ndcg(model: LightGCN, fit: ShopSplit, split: ShopSplit, period: str, k: int):
    """Mean NDCG@k of ``model``, propagated inductively, on the shoppers with a target in
    ``period`` and no earlier event; every item ranked."""
    targets, history = split.targets(period), split.history(period)
    users = np.setdiff1d(targets.user_id.unique(), history.user_id.unique())
    user_emb, item_emb = _inductive(model, model.adj, fit.train)
    scores = _scores_of(user_emb, item_emb, users)
    return float(per_user_ndcg(scores, users, targets, history, k).mean()), len(users)


def _user_nodes_problem(model, fit: ShopSplit, split: ShopSplit) -> str:
    """What is off with the model of exercise 3, or ''."""
    problem = _lightgcn_problem(model, 'trained with user_columns=("age_group", "gender")')
    if problem:
        return problem
    if _same_graph(model.adj, _graph_of(fit, split, ASKED_USER_COLUMNS)):
        return ""
    if _same_graph(model.adj, _graph_of(fit, split)):
        return (
            "your model has no user attribute nodes: a cold shopper has no edge in its "
            f"graph. Build it with attribute_adjacency(..., user_columns={ASKED_USER_COLUMNS})"
        )
    return (
        f"your model's graph is not attribute_adjacency(fit.train, shop.users, shop.items, "
        f"user_columns={ASKED_USER_COLUMNS}), with the category and brand nodes of section 2"
    )


def check_exercise_3(
    ndcg: float, model: LightGCN, fit: ShopSplit, split: ShopSplit, k: int = 10
) -> bool:
    """Exercise 3: ``ndcg``, the mean NDCG@k of LightGCN with user attribute nodes for the
    validation day's cold shoppers (e.g. ``0.0311`` as the notebook prints it).

    Pass ``model``: the LightGCN trained on ``attribute_adjacency(fit.train, shop.users,
    shop.items, user_columns=("age_group", "gender"))`` (checked: its graph is rebuilt
    here); ``fit``: the split it trained on; ``split``: the full split. Cold shoppers have
    a validation target and no earlier event; every item is ranked, from the vectors
    propagated as in section 3 (untrained nodes start from zero).
    """
    problem = _user_nodes_problem(model, fit, split)
    if problem:
        return say(False, problem)
    expected, shoppers = _cold_ndcg(model, fit, split, "valid", k)
    if close_to_printed(ndcg, expected, DECIMALS):
        return say(
            True,
            f"LightGCN through the age-group and gender nodes scores NDCG@{k} "
            f"{expected:.4f} over {shoppers} cold shoppers of the validation day",
        )
    if close_to_printed(ndcg, _cold_ndcg(model, fit, split, "test", k)[0], DECIMALS):
        return say(
            False,
            f"{ndcg:.4f} is the test day's cold shoppers; serve the validation day's: "
            f"{expected:.4f}",
        )
    return say(
        False,
        f"you have {ndcg:.4f}, but the {shoppers} validation-day shoppers with a target and "
        f"no earlier event give {expected:.4f}",
    )


# --- exercise 4: item-kNN plus a multiple of the inductive LightGCN -----------------------


def _cosine_rows(events: pd.DataFrame, users: np.ndarray, num_users: int, num_items: int):
    """Item-kNN scores (float64) of ``users``: for each item, the sum of its cosine
    similarities (binary user columns of ``events``, an item not its own neighbour) to
    the items in the user's history."""
    pairs = events[["user_id", "item_id"]].drop_duplicates()
    mine = pairs[pairs.user_id.isin(users)]
    touched = np.unique(mine.item_id.to_numpy())
    col = pd.Series(np.arange(len(touched)), index=touched)
    # co-occurrence counts of the touched items with every item, through shared users
    of_touched = pairs[pairs.item_id.isin(touched)]
    at = torch.sparse_coo_tensor(
        torch.as_tensor(
            np.stack([col[of_touched.item_id].to_numpy(), of_touched.user_id.to_numpy()])
        ),
        torch.ones(len(of_touched), dtype=torch.float64),
        (len(touched), num_users),
        check_invariants=True,
    )
    r = torch.sparse_coo_tensor(
        torch.as_tensor(np.stack([pairs.user_id.to_numpy(), pairs.item_id.to_numpy()])),
        torch.ones(len(pairs), dtype=torch.float64),
        (num_users, num_items),
        check_invariants=True,
    )
    with warnings.catch_warnings():  # torch marks sparse products as beta
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support", category=UserWarning)
        counts = torch.sparse.mm(at, r).to_dense()
    norm = torch.as_tensor(np.sqrt(np.bincount(pairs.item_id, minlength=num_items))).clamp_min(
        1e-12
    )
    sim = counts / norm[torch.as_tensor(touched)][:, None] / norm[None, :]
    sim[torch.arange(len(touched)), torch.as_tensor(touched)] = 0.0
    row = pd.Series(np.arange(len(users)), index=users)
    history = torch.zeros(len(users), len(touched), dtype=torch.float64)
    history[np.array(row[mine.user_id]), np.array(col[mine.item_id])] = 1.0
    return history @ sim


def _plain_graph_problem(model, fit: ShopSplit) -> str:
    problem = _lightgcn_problem(model, "of section 2 (the plain user-item graph)")
    if problem:
        return problem
    if model.num_extra_nodes or model.adj.values().numel() != 2 * _num_pairs(fit.train):
        return (
            "pass the LightGCN of section 2, trained on the plain graph of fit.train; "
            "yours has another graph"
        )
    return ""


def _blend_ndcg(multiples, model: LightGCN, fit: ShopSplit, task: FewShotTask, k: int):
    """NDCG@k of every few-shot shopper (rows, in the order of ``task.users``) for every
    multiple, averaged over the shot counts: item-kNN + multiple * inductive LightGCN,
    the revealed events excluded."""
    users = task.users
    n_u, n_i = model.num_users, model.num_items
    by_multiple = {m: np.zeros(len(users)) for m in multiples}
    for revealed in task.revealed.values():
        events = pd.concat([fit.train, revealed])
        knn = _cosine_rows(events, users, n_u, n_i)
        adj = normalized_adjacency(events, n_u, n_i)
        gnn = _scores_of(*_inductive(model, adj, fit.train), users)
        seen = revealed[["user_id", "item_id"]]
        for m in multiples:
            ndcg = per_user_ndcg(knn + m * gnn, users, task.targets, seen, k)
            by_multiple[m] += ndcg / len(task.revealed)
    return by_multiple


def _halves_problem(pick_users, users: np.ndarray) -> str:
    pick = np.unique(np.asarray(pick_users))
    if not np.isin(pick, users).all():
        return "your picking half holds shoppers who are not few-shot shoppers (task.users)"
    if not 0.4 * len(users) <= len(pick) <= 0.6 * len(users):
        return (
            f"your picking half holds {len(pick)} of the {len(users)} few-shot shoppers; "
            "split them in two, one half to pick the multiple, the other to report it"
        )
    return ""


def _means(ndcg: Mapping[float, np.ndarray], rows: np.ndarray) -> dict[float, float]:
    return {m: float(v[rows].mean()) for m, v in ndcg.items()}


def check_exercise_4(
    multiple: float,
    multiples: Sequence[float],
    pick_users,
    model: LightGCN,
    fit: ShopSplit,
    task: FewShotTask,
    k: int = 10,
) -> bool:
    """Exercise 4: ``multiple``, the weight of the inductive LightGCN in ``item-kNN +
    multiple * LightGCN`` that gives the picking half of the few-shot shoppers the best
    NDCG@k, averaged over the shot counts.

    Pass ``multiples``: the candidate weights you compared; ``pick_users``: the ids of the
    picking half (about half of ``task.users``); ``model``: the LightGCN of section 2 (the
    plain graph of ``fit.train``); ``fit`` and ``task``: section 1's split and few-shot
    task. The checker rebuilds both scores itself for every shot count: item-kNN (cosine
    of binary user columns) over ``fit.train`` and the revealed events, and the LightGCN
    vectors propagated over the same events, untrained nodes starting from zero. A
    multiple whose NDCG equals the best one's to four decimals counts as best.
    """
    if len(multiples) < 2 or not any(math.isclose(multiple, m) for m in multiples):
        return say(
            False,
            f"compare several multiples and pick one of them; you have {multiple} "
            f"among {list(multiples)}",
        )
    users = task.users
    problem = _halves_problem(pick_users, users) or _plain_graph_problem(model, fit)
    if problem:
        return say(False, problem)
    ndcg = _blend_ndcg(multiples, model, fit, task, k)
    pick = np.isin(users, np.asarray(pick_users))
    on_pick, on_report, on_all = (_means(ndcg, rows) for rows in (pick, ~pick, pick | ~pick))
    best = max(on_pick, key=on_pick.get)
    mine = next(m for m in multiples if math.isclose(multiple, m))
    shown = ", ".join(f"{m}: {v:.4f}" for m, v in on_pick.items())
    if close_to_printed(on_pick[mine], on_pick[best], DECIMALS):
        return say(
            True,
            f"{mine} gives the picking half's {int(pick.sum())} shoppers NDCG@{k} "
            f"{on_pick[mine]:.4f}, the best of {shown}",
        )
    for name, table in (("the reporting half", on_report), ("all the shoppers", on_all)):
        if max(table, key=table.get) == mine:
            return say(
                False,
                f"{mine} is best on {name}, but the choice is made on the picking half "
                f"only, where {best} is best ({shown})",
            )
    return say(False, f"on the picking half the best multiple is {best} ({shown}), not {mine}")


# --- exercise 5: holding out 30 % of the users --------------------------------------------


def few_shot_users(events: pd.DataFrame, shots: int) -> np.ndarray:
    """Users of ``events`` with at least ``shots`` distinct items and a fav, cart or buy,
    after the first touch of their ``shots``-th item, on an item beyond the first
    ``shots`` (the few-shot protocol of notebook 05), sorted."""
    ev = events.sort_values(["user_id", "timestamp"], kind="stable")
    first = ev.drop_duplicates(["user_id", "item_id"])
    first = first.assign(order=first.groupby("user_id").cumcount())
    cutoff = first[first.order == shots - 1].set_index("user_id").timestamp
    early = first.loc[first.order < shots, ["user_id", "item_id"]]
    later = ev[ev.behavior.isin(TARGET_BEHAVIORS) & (ev.timestamp > ev.user_id.map(cutoff))]
    beyond = later[["user_id", "item_id"]].merge(early, how="left", indicator=True)
    return np.sort(beyond.loc[beyond._merge == "left_only", "user_id"].unique())


def newcomer_events(events: pd.DataFrame, arrival_day: int) -> tuple[pd.DataFrame, int]:
    """The events of the shoppers whose first event falls on local day ``arrival_day`` or
    later (day 0: the log's first), and how many such shoppers there are; written with
    the shop's clock (UTC+8), not with ``arrival_split``."""
    local = (events.timestamp + 8 * 3600) // 86_400
    first_day = local.groupby(events.user_id).transform("min") - local.min()
    mine = events[first_day >= arrival_day]
    return mine, mine.user_id.nunique()


def check_exercise_5(num_shoppers: int, shop, shots: Sequence[int] = (1, 3, 5)) -> bool:
    """Exercise 5: ``num_shoppers``, how many few-shot newcomers there are when
    ``ARRIVAL_DAY`` is 5 instead of 4 (e.g. ``186``).

    Pass ``shop``: the loaded shop (``load_shop(DATA)``); ``shots``: the notebook's
    ``SHOTS``. The checker finds the newcomers with its own code (first event on day 5 or
    later) and counts those with ``max(shots)`` distinct items and a later fav, cart or buy
    on another item.
    """
    events, arrived = newcomer_events(shop.events, ASKED_ARRIVAL_DAY)
    expected = len(few_shot_users(events, max(shots)))
    default = len(few_shot_users(newcomer_events(shop.events, DEFAULT_ARRIVAL_DAY)[0], max(shots)))
    if num_shoppers == expected:
        return say(
            True,
            f"{expected} of the {arrived} shoppers who arrive from day {ASKED_ARRIVAL_DAY} on "
            f"are few-shot ({default} with ARRIVAL_DAY = {DEFAULT_ARRIVAL_DAY})",
        )
    if num_shoppers == arrived:
        return say(
            False,
            f"{arrived} shoppers arrive from day {ASKED_ARRIVAL_DAY} on; the few-shot ones, "
            f"with {max(shots)} distinct items and a later fav, cart or buy, number {expected}",
        )
    if num_shoppers == default:
        return say(
            False,
            f"{num_shoppers} is the count with ARRIVAL_DAY = {DEFAULT_ARRIVAL_DAY}; with "
            f"{ASKED_ARRIVAL_DAY} it is {expected}",
        )
    return say(
        False,
        f"of the {arrived} shoppers who arrive from day {ASKED_ARRIVAL_DAY} on, {expected} "
        f"have {max(shots)} distinct items and a later fav, cart or buy; you have {num_shoppers}",
    )
