"""Checkers for notebook 09 · Scaling up.

Each checker recomputes its answer from the objects it is given, prints one line,
``Right: ...`` or ``Not yet: ...``, and returns whether the answer holds. Rankings are
recomputed here with a plain dot product, a mask and a stable sort, not the kit's
``evaluate`` or ``compression_table``; the ``torchrun`` exercise is checked against the
same training run in this process, without ``torchrun``.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.exercises import say as _say
from gnnrec_utils.models.base import Recommender

__all__ = [
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "hnsw_recall",
    "one_process_losses",
    "validation_ndcg",
]

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


def validation_ndcg(model: Recommender, split: ShopSplit, k: int) -> float:
    """Mean NDCG@k on the validation day over the shoppers with a target and a training
    event: a target is a fav, cart or buy on an item the shopper never touched in training."""
    known = split.train[["user_id", "item_id"]].drop_duplicates()
    intent = split.valid[split.valid.behavior.isin(TARGET_BEHAVIORS)]
    pairs = intent[["user_id", "item_id"]].drop_duplicates()
    pairs = pairs.merge(known, how="left", indicator=True)
    targets = pairs[pairs._merge == "left_only"][["user_id", "item_id"]]
    users = np.intersect1d(targets.user_id.unique(), known.user_id.unique())
    user_emb, item_emb = model.get_embedding()
    return float(_ndcg(_top_k(user_emb, item_emb, users, known, k), users, targets).mean())


def _same(answer: float, want: float) -> bool:
    """Equal at the four decimals the notebook prints."""
    return math.isclose(answer, want, abs_tol=6e-5)


# --- exercises 1 and 2: validation NDCG of sampled models ---------------------------------


def check_exercise_1(
    answer: Mapping[str, float], models: Mapping[str, Recommender], split: ShopSplit, top_k: int
) -> bool:
    """Exercise 1: the validation NDCG@``top_k`` of the model trained with each fan-out.

    ``answer`` and ``models`` share their keys (e.g. ``"[5, 5]"``). ``train_sampled``
    keeps the best epoch's weights, so the right value is the best ``valid`` of the run's
    history, which is what the returned model scores.
    """
    if set(answer) != set(models):
        return _say(False, f"give a value for each of {sorted(models)}, got {sorted(answer)}")
    for key, model in models.items():
        want = validation_ndcg(model, split, top_k)
        if not _same(answer[key], want):
            return _say(
                False,
                f"for fan-out {key} you give NDCG@{top_k} {answer[key]:.4f}, but that model "
                f"scores {want:.4f} on the validation day; train_sampled keeps the best "
                "epoch's weights, so read the best 'valid' of its history, not the last.",
            )
    return _say(True, f"the validation NDCG@{top_k} of each fan-out is what its model scores.")


def check_exercise_2(answer: float, model: Recommender, split: ShopSplit, top_k: int) -> bool:
    """Exercise 2: the validation NDCG@``top_k`` of the model trained with in-batch
    negatives (the best epoch's, which ``train_sampled`` keeps)."""
    want = validation_ndcg(model, split, top_k)
    if _same(answer, want):
        return _say(True, f"with in-batch negatives the model scores NDCG@{top_k} {want:.4f}.")
    return _say(
        False,
        f"you give NDCG@{top_k} {answer:.4f}, but the in-batch model scores {want:.4f} on the "
        "validation day (train_sampled keeps its best epoch's weights).",
    )


# --- exercise 3: torchrun with one process -------------------------------------------------


def one_process_losses(argv: Sequence[str]) -> list[float]:
    """Each epoch's mean loss of ``python -m gnnrec_utils.training ARGV``, run in this process
    (no ``torchrun``: one process, world size 1), its JSON line kept off the output and
    the global random state restored afterwards."""
    from gnnrec_utils.training.__main__ import main

    with torch.random.fork_rng(), contextlib.redirect_stdout(io.StringIO()):
        result = main(list(argv))
    return [row["loss"] for row in result["history"]]


def _all_close(a: Sequence[float], b: Sequence[float], tol: float = 1e-6) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def check_exercise_3(
    losses: Sequence[float], argv: Sequence[str], two_ranks: Sequence[float] | None = None
) -> bool:
    """Exercise 3: the per-epoch losses ``torchrun --nproc_per_node=1`` printed for
    ``-m gnnrec_utils.training ARGV``, as its JSON line gives them (full precision), checked
    against the same run without ``torchrun``. ``two_ranks``: the two-process losses, to
    say so when they were given instead."""
    want = one_process_losses(argv)
    if _all_close(losses, want):
        gap = max(abs(a - b) for a, b in zip(want, two_ranks or want, strict=True))
        return _say(
            True,
            f"one process trains to the losses {[round(x, 4) for x in want]}"
            + (f", at most {gap:.1e} from the two ranks'." if two_ranks is not None else "."),
        )
    hint = ""
    if two_ranks is not None and _all_close(losses, two_ranks):
        hint = "; those are the two ranks' losses: run with --nproc_per_node=1"
    return _say(
        False,
        f"you give losses {[round(x, 4) for x in losses]}, but one process trains to "
        f"{[round(x, 4) for x in want]}{hint}.",
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


def check_exercise_4(
    answer: float, user_emb, item_emb, users, relevant: pd.DataFrame, exclude, k: int
) -> bool:
    """Exercise 4: hnsw's ``recall_vs_exact`` in ``compression_table``, recomputed with
    an index built here. faiss builds HNSW graphs on several threads, so two builds may
    differ slightly: the answer may be 0.01 off."""
    want = hnsw_recall(user_emb, item_emb, users, relevant, exclude, k)
    if abs(answer - want) <= 0.01:
        return _say(True, f"hnsw finds {want:.1%} of the exact top-{k} (rebuilt here).")
    return _say(
        False,
        f"you give hnsw a recall against exact search of {answer:.4f}, but an HNSW index "
        f"rebuilt here finds {want:.4f} of the exact top-{k}; read the hnsw row's "
        "recall_vs_exact.",
    )
