"""Checkers for notebook 09 · Scaling up.

Each checker judges the answer, not the learner's consistency. Retraining a sampled
model would cost as long as the exercise, so exercises 1 and 2 check that the run they
are given IS the asked variant (its ``SampledConfig`` differs from section 3's only in
the fan-out or the negatives, its model has a layer per hop, its history validated
every epoch and its model holds the best epoch's weights) and then score that model on
the validation day themselves. Exercise 3 reruns the one-process training without
``torchrun``, on the tiny shop it builds itself; exercise 4 builds its own HNSW index.
Rankings are recomputed here with a plain dot product, a mask and a stable sort, not
the kit's ``evaluate`` or ``compression_table``. A figure is accepted at the four
decimals the notebook prints. Each prints one line, ``Right: ...`` or ``Not yet: ...``,
and returns whether the answer holds.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.exercises import close_to_printed, say
from gnnrec_utils.models.base import Recommender

__all__ = [
    "ASKED_FANOUTS",
    "HNSW_TOLERANCE",
    "TORCHRUN_ARGS",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "hnsw_recall",
    "one_process_losses",
    "period_ndcg",
]

ASKED_FANOUTS = {"[5, 5]": [5, 5], "[20, 10]": [20, 10]}  # exercise 1, keyed as str(fanout)
TORCHRUN_ARGS = ("--epochs", "3", "--batch-size", "128", "--dim", "16", "--no-validate")
HNSW_TOLERANCE = 0.01  # faiss builds an HNSW graph on several threads: builds differ a little


def _shown(value) -> str:
    """A typed figure as the notebook prints it, to four decimals."""
    try:
        return f"{float(value):.4f}"
    except (TypeError, ValueError):
        return str(value)


# --- shared: exact ranking and NDCG, written out -----------------------------------------


def _top_k(user_emb: torch.Tensor, item_emb: torch.Tensor, users, exclude, k) -> np.ndarray:
    """Exact top-``k`` items by dot product for ``users``, pairs of ``exclude`` left out,
    equal scores to the lower item id."""
    users = np.asarray(users, dtype=np.int64)
    with torch.no_grad():
        scores = (user_emb[torch.from_numpy(users)] @ item_emb.T).double().numpy()
    row_of = pd.Series(np.arange(len(users)), index=users)
    mine = exclude[exclude.user_id.isin(users)]
    scores[row_of[mine.user_id].to_numpy(), mine.item_id.to_numpy()] = -np.inf
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _ndcg(top: np.ndarray, users, relevant: pd.DataFrame) -> np.ndarray:
    """NDCG of each row of ``top``: gain 1 per relevant item, ideal over min(|R|, k)."""
    k = top.shape[1]
    discount = 1 / np.log2(np.arange(2, k + 2))
    wanted = relevant.groupby("user_id").item_id.apply(set)
    out = np.empty(len(top))
    for row, (user, items) in enumerate(zip(users, top, strict=True)):
        rel = wanted.get(user, set())
        hits = np.array([i in rel for i in items])
        out[row] = (hits * discount).sum() / discount[: min(len(rel), k)].sum()
    return out


def _period(split: ShopSplit, period: str):
    """(users, targets, known) of ``period``: a target is a fav, cart or buy on an item
    the shopper had no event on before the period; the users have a target and a
    training event; ``known`` is every event before the period."""
    known = split.train if period == "valid" else pd.concat([split.train, split.valid])
    events = getattr(split, period)
    intent = events[events.behavior.isin(TARGET_BEHAVIORS)]
    pairs = intent[["user_id", "item_id"]].drop_duplicates()
    pairs = pairs.merge(known[["user_id", "item_id"]].drop_duplicates(), how="left", indicator=True)
    targets = pairs[pairs._merge == "left_only"][["user_id", "item_id"]]
    users = np.intersect1d(targets.user_id.unique(), split.train.user_id.unique())
    return users, targets, known


def period_ndcg(model: Recommender, split: ShopSplit, k: int, period: str = "valid") -> float:
    """Mean NDCG@k of ``model`` on the validation (or test) day over the shoppers with a
    target and a training event, everything known before the day excluded."""
    users, targets, known = _period(split, period)
    user_emb, item_emb = model.get_embedding()
    return float(_ndcg(_top_k(user_emb, item_emb, users, known, k), users, targets).mean())


# --- exercises 1 and 2: is it the asked run? ---------------------------------------------


def _not_the_asked_run(run: Mapping, asked, label: str, split: ShopSplit, k: int) -> str | None:
    """What makes ``run`` (``{"model", "history", "config"}``) other than a run of
    ``asked``, or ``None``."""
    config = run.get("config")
    if config is None:
        return f"the {label} run has no 'config': keep the SampledConfig it trained with"
    for field in fields(asked):
        mine, want = getattr(config, field.name), getattr(asked, field.name)
        if (list(mine) if field.name == "num_neighbors" else mine) != want:
            return f"your {label} run has {field.name}={mine!r}; the exercise asks for {want!r}"
    model, history = run["model"], run["history"]
    if model.num_layers != len(asked.num_neighbors):
        return (
            f"your {label} model has {model.num_layers} layers; {len(asked.num_neighbors)} "
            "hops need as many"
        )
    if len(history) > asked.num_epochs or history["valid"].isna().any():
        return (
            f"your {label} history should hold at most {asked.num_epochs} epochs, each "
            "validated (train_sampled(..., validate=...)), so the best epoch's weights are kept"
        )
    scored, best = period_ndcg(model, split, k), float(history["valid"].max())
    if not close_to_printed(scored, best, 4):
        return (
            f"your {label} model scores NDCG@{k} {scored:.4f} on the validation day, but its "
            f"history's best epoch scored {best:.4f}: pass the model that history trained"
        )
    return None


def _judge_run(answer, run, asked, label, split, k) -> tuple[bool, str]:
    problem = _not_the_asked_run(run, asked, label, split, k)
    if problem:
        return False, problem
    want, last = period_ndcg(run["model"], split, k), float(run["history"]["valid"].iloc[-1])
    if close_to_printed(answer, want, 4):
        return True, f"{want:.4f}"
    if close_to_printed(answer, last, 4):
        return False, (
            f"{_shown(answer)} is the {label} run's last epoch; train_sampled keeps the best "
            f"epoch's weights, which score NDCG@{k} {want:.4f} on the validation day"
        )
    return False, (
        f"for the {label} run you give NDCG@{k} {_shown(answer)}, but its model scores {want:.4f} "
        "on the validation day"
    )


def check_exercise_1(
    answer: Mapping[str, float], runs: Mapping[str, Mapping], config, split: ShopSplit, k: int
) -> bool:
    """Exercise 1: ``answer`` = the validation NDCG@``k`` of the runs with fan-outs
    ``[5, 5]`` and ``[20, 10]``, keyed by ``str(fanout)``: ``{"[5, 5]": ..., "[20, 10]": ...}``,
    each to the four decimals the table prints (or in full).

    Pass ``runs``, the same keys to each run's ``{"model", "history", "config"}`` (what
    the solution's ``sampled_run`` returns; other keys are ignored), section 3's
    ``config``, ``split`` and ``TOP_K``. Each run must be section 3's but for its
    fan-out; its model is scored here.
    """
    missing = [key for key in ASKED_FANOUTS if key not in answer or key not in runs]
    if missing:
        return say(
            False,
            f"give a value and a run for each of {list(ASKED_FANOUTS)} (keys as str(fanout)); "
            f"missing {missing}",
        )
    values = []
    for key, fanout in ASKED_FANOUTS.items():
        asked = replace(config, num_neighbors=fanout)
        ok, message = _judge_run(answer[key], runs[key], asked, key, split, k)
        if not ok:
            return say(False, message)
        values.append(f"{message} with {key}")
    return say(
        True,
        f"after {config.num_epochs} epochs the best validation NDCG@{k} is " + " and ".join(values),
    )


def check_exercise_2(answer: float, run: Mapping, config, split: ShopSplit, k: int) -> bool:
    """Exercise 2: ``answer`` = the validation NDCG@``k`` of the run with in-batch
    negatives, to the four decimals the table prints (or in full).

    Pass ``run``, its ``{"model", "history", "config"}`` (what the solution's
    ``sampled_run`` returns), section 3's ``config``, ``split`` and ``TOP_K``. The run
    must be section 3's but for ``negatives="in_batch"``; its model is scored here.
    """
    asked = replace(config, negatives="in_batch")
    ok, message = _judge_run(answer, run, asked, "in-batch", split, k)
    if ok:
        message = f"with in-batch negatives the best validation NDCG@{k} is {message}"
    return say(ok, message)


# --- exercise 3: torchrun with one process -------------------------------------------------


def one_process_losses(argv: Sequence[str]) -> list[float]:
    """Each epoch's mean loss of ``python -m gnnrec_utils.training ARGV``, run in this process
    (no ``torchrun``: one process, world size 1), its JSON line kept off the output and
    the global random state restored afterwards."""
    from gnnrec_utils.training.__main__ import main

    with torch.random.fork_rng(), contextlib.redirect_stdout(io.StringIO()):
        result = main(list(argv))
    return [row["loss"] for row in result["history"]]


def _same_losses(a: Sequence[float], b: Sequence[float]) -> bool:
    """Equal at the four decimals the solution prints."""
    return len(a) == len(b) and all(close_to_printed(x, y, 4) for x, y in zip(a, b, strict=True))


def check_exercise_3(
    losses: Sequence[float],
    two_ranks: Sequence[float] | None = None,
    seed: int = 0,
    args: Sequence[str] = TORCHRUN_ARGS,
) -> bool:
    """Exercise 3: ``losses`` = the per-epoch losses that ``torchrun --nproc_per_node=1``
    reports for section 4's training, one per epoch, each to the four decimals the
    solution prints (or in full).

    The checker writes ``generate_shop("tiny", seed=seed)`` (pass ``SEED``) to a folder of
    its own and runs ``python -m gnnrec_utils.training --data FOLDER ARGS`` in this
    process, without ``torchrun``. ``two_ranks``: the two-process losses of section 4, to
    say so when they were given instead. ``args`` defaults to section 4's.
    """
    from gnnrec_utils.data import write_shop
    from gnnrec_utils.synthetic import generate_shop

    with tempfile.TemporaryDirectory() as folder:
        write_shop(generate_shop("tiny", seed=seed), folder)
        want = one_process_losses(["--data", folder, *args])
    shown = [round(x, 4) for x in want]
    if _same_losses(losses, want):
        gap = ""
        if two_ranks is not None and len(two_ranks) == len(want):
            most = max(abs(a - b) for a, b in zip(want, two_ranks, strict=True))
            gap = f", at most {most:.1e} from the two ranks' losses"
        return say(True, f"one process trains to the losses {shown}{gap}")
    if len(losses) != len(want):
        return say(
            False,
            f"you give {len(losses)} losses; the run trains {len(want)} epochs, one loss each",
        )
    if two_ranks is not None and _same_losses(losses, two_ranks):
        return say(
            False,
            f"those are the two ranks' losses; with --nproc_per_node=1 one process trains "
            f"to {shown}",
        )
    return say(
        False, f"you give losses {[_shown(x) for x in losses]}, but one process trains to {shown}"
    )


# --- exercise 4: hnsw against exact search ------------------------------------------------


def hnsw_recall(user_emb, item_emb, users, relevant: pd.DataFrame, exclude, k: int) -> float:
    """Share of the exact top-``k`` (history excluded) that faiss's HNSW index finds, over
    the ``users`` with a relevant item; the index as ``compression_table`` builds it
    (16 links per node, ``efConstruction`` 40, ``efSearch`` 64, inner product)."""
    import faiss

    users = np.asarray(users, dtype=np.int64)
    users = users[np.isin(users, relevant.user_id.to_numpy())]
    u, items = torch.as_tensor(user_emb).float(), torch.as_tensor(item_emb).float()
    exact = _top_k(u, items, users, exclude, k)
    index = faiss.IndexHNSWFlat(items.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction, index.hnsw.efSearch = 40, 64
    index.add(items.numpy())
    history = exclude.groupby("user_id").item_id.apply(set)
    longest = int(exclude.user_id.value_counts().reindex(users, fill_value=0).max())
    depth = min(len(items), k + longest)  # enough to keep k after dropping the history
    found = index.search(u[torch.from_numpy(users)].numpy(), depth)[1]
    shares = []
    for user, row, best in zip(users, found, exact, strict=True):
        seen = history.get(user, set())
        kept = [i for i in row.tolist() if i >= 0 and i not in seen][:k]
        shares.append(len(set(kept) & set(best.tolist())) / k)
    return float(np.mean(shares))


def check_exercise_4(recall: float, user_emb, item_emb, split: ShopSplit, k: int) -> bool:
    """Exercise 4: ``recall`` = the hnsw row's ``recall_vs_exact`` in ``compression_table``
    on the test day, as the table prints it.

    Pass section 3's ``user_emb`` and ``item_emb``, ``split`` and ``TOP_K``. The checker
    builds an HNSW index of its own over the test day's shoppers (a target and a training
    event; their history excluded). faiss builds HNSW graphs on several threads, so two
    builds may differ slightly: the answer may be 0.01 off.
    """
    users, targets, known = _period(split, "test")
    want = hnsw_recall(user_emb, item_emb, users, targets, known, k)
    if abs(float(recall) - want) <= HNSW_TOLERANCE:
        return say(True, f"hnsw finds {want:.1%} of the exact top-{k} (an index rebuilt here)")
    if float(recall) >= 0.9995 and want < 1 - HNSW_TOLERANCE:
        return say(
            False,
            f"{_shown(recall)} is exact search's own recall (the float32 row); hnsw finds "
            f"{want:.4f} of the exact top-{k}",
        )
    return say(
        False,
        f"you give hnsw a recall against exact search of {_shown(recall)}, but an HNSW index "
        f"rebuilt here finds {want:.4f} of the exact top-{k}; read the hnsw row's "
        "recall_vs_exact",
    )
