"""Checkers for notebook 08 · Real datasets.

Each checker judges the answer, not the learner's consistency: it rebuilds the variant
the exercise asks for from the data (the targets of a rating of 5, the 10-core, the cold
test users, LightGCN trained with a batch of 2048: a few seconds on the stand-in) and
computes the reference with pandas and numpy, not with the kit's split, loader options,
early stopping or metrics that the exercise is about (the retraining itself uses the
kit's ``train``; where it stops and what it scores are worked out here). A figure is
accepted at the four decimals the notebook prints. Each prints one line, ``Right: ...``
or ``Not yet: ...``, and returns whether the answer holds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.exercises import close_to_printed, say

__all__ = [
    "ASKED_BATCH",
    "ASKED_CORE",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "k_core_sizes",
    "ndcg_on_test",
    "stopping_epochs",
]

ASKED_CORE = 10  # exercise 2: load_movielens(..., k_core=10)
ASKED_BATCH = 2048  # exercise 4: the series' batch instead of BATCH_SIZE


def _events(data) -> pd.DataFrame:
    """The events of a ``Dataset`` (``data.events``), or ``data`` if it is the table."""
    return getattr(data, "events", data)


def _shown(value) -> str:
    """A typed figure as the notebook prints it, to four decimals."""
    try:
        return f"{float(value):.4f}"
    except (TypeError, ValueError):
        return str(value)


# --- exercise 1: only a rating of 5 as the target -----------------------------------------


def _new_pairs(events: pd.DataFrame, start: int, end: float, min_rating: float, fresh: bool):
    """Distinct (user, item) pairs rated ``min_rating`` or more in [``start``, ``end``),
    with no earlier rating of the user on the item when ``fresh``."""
    period = events[(events.timestamp >= start) & (events.timestamp < end)]
    later = period[period.rating >= min_rating]
    pairs = set(zip(later.user_id.tolist(), later.item_id.tolist(), strict=True))
    if fresh:
        earlier = events[events.timestamp < start]
        pairs -= set(zip(earlier.user_id.tolist(), earlier.item_id.tolist(), strict=True))
    return len(pairs)


def check_exercise_1(answer: int, data, split: ShopSplit) -> bool:
    """Exercise 1: ``answer`` = how many test target pairs remain when only a rating of 5
    counts (``split_5.targets("test", behaviors=("buy",))`` under the 5 → buy, 4 → fav rule).

    Pass ``data`` (the ``Dataset`` of section 1, whose events keep the ``rating``) and
    ``split`` (section 2's, for where the validation and test weeks start). Recomputed
    from the ratings: pairs rated 5 in the test weeks that the user had not rated before.
    """
    events = _events(data)
    test, valid = split.test_start, split.valid_start
    want = _new_pairs(events, test, np.inf, 5, fresh=True)
    got = int(answer)
    if got == want:
        return say(
            True,
            f"{want:,} (user, movie) pairs rated 5 in the test weeks, none rated "
            "before, are the targets when only a 5 counts",
        )
    if got == _new_pairs(events, test, np.inf, 4, fresh=True):
        return say(
            False,
            f"{got:,} counts the ratings of 4 too (a fav is a target of the series); "
            f"only the buys, the ratings of 5, give {want:,}",
        )
    if got == _new_pairs(events, test, np.inf, 5, fresh=False):
        return say(
            False,
            f"{got:,} counts pairs the user had rated before the test weeks; a target "
            f"is new to its user: {want:,}",
        )
    if got == _new_pairs(events, valid, test, 5, fresh=True):
        return say(
            False,
            f"{got:,} are the validation weeks' pairs rated 5; the exercise asks for the "
            f"test weeks': {want:,}",
        )
    return say(
        False,
        f"you counted {got:,} target pairs; the pairs rated 5 in the test weeks and "
        f"not rated before number {want:,}",
    )


# --- exercise 2: the 10-core -------------------------------------------------------------


def k_core_sizes(events: pd.DataFrame, k: int, rounds: int | None = None) -> tuple[int, int]:
    """Users and items left once every user and item with fewer than ``k`` events is
    removed, again and again until none is left (or after ``rounds`` rounds)."""
    users, items = events.user_id.to_numpy(), events.item_id.to_numpy()
    done = 0
    while rounds is None or done < rounds:
        _, u_index, u_count = np.unique(users, return_inverse=True, return_counts=True)
        _, i_index, i_count = np.unique(items, return_inverse=True, return_counts=True)
        keep = (u_count[u_index] >= k) & (i_count[i_index] >= k)
        if keep.all():
            break
        users, items, done = users[keep], items[keep], done + 1
    return len(np.unique(users)), len(np.unique(items))


def check_exercise_2(answer: tuple[int, int], data, k: int = ASKED_CORE) -> bool:
    """Exercise 2: ``answer`` = (users, items) that ``load_movielens(..., k_core=10)`` keeps,
    e.g. ``(core.num_users, core.num_items)``.

    Pass ``data``, the unfiltered ``Dataset`` of section 1 (or its events). The core is
    peeled here with numpy, round after round, until every user and item left has ``k``
    events or more.
    """
    events = _events(data)
    users, items = k_core_sizes(events, k)
    got = tuple(int(n) for n in answer)
    if got == (users, items):
        return say(
            True,
            f"the {k}-core keeps {users:,} users and {items:,} items (of "
            f"{events.user_id.nunique():,} and {events.item_id.nunique():,})",
        )
    if got == (items, users):
        return say(False, f"users first, then items: ({users:,}, {items:,})")
    if got == (events.user_id.nunique(), events.item_id.nunique()):
        return say(
            False,
            f"{got} are the sizes before filtering; the {k}-core keeps {users:,} users "
            f"and {items:,} items",
        )
    if got == k_core_sizes(events, k, rounds=1):
        return say(
            False,
            f"{got} is one round of removals; removing users drops items below {k} "
            f"events and the other way round, so repeat until nothing changes: "
            f"({users:,}, {items:,})",
        )
    for other in (5, 20, k - 1, k + 1):
        if other != k and k_core_sizes(events, other) == got:
            return say(
                False,
                f"{got} is the {other}-core; the exercise asks for the {k}-core: "
                f"({users:,}, {items:,})",
            )
    return say(
        False,
        f"you have {got[0]:,} users and {got[1]:,} items; the {k}-core of the log "
        f"keeps {users:,} and {items:,}",
    )


# --- exercise 3: where the cold test users come from --------------------------------------


def _pairs(events: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(events.user_id.tolist(), events.item_id.tolist(), strict=True))


def check_exercise_3(answer: tuple[int, int], split: ShopSplit) -> bool:
    """Exercise 3: ``answer`` = (first seen in the validation weeks, first seen in the test
    weeks) for the test target users with no training event.

    Pass section 2's ``split``. Recomputed from its three periods: a test target user
    (a fav, cart or buy in the test weeks on an item they had no event on before) with an
    event in ``split.valid`` but none in ``split.train`` first rated in the validation
    weeks.
    """
    test = split.test[split.test.behavior.isin(TARGET_BEHAVIORS)]
    seen = _pairs(pd.concat([split.train, split.valid]))
    trained, in_valid = set(split.train.user_id), set(split.valid.user_id)
    users = {u for u, i in _pairs(test) if (u, i) not in seen} - trained
    want = (len(users & in_valid), len(users - in_valid))
    got = tuple(int(n) for n in answer)
    if got == want:
        return say(
            True,
            f"of the {len(users):,} test target users without a training event, "
            f"{want[0]:,} first rated in the validation weeks, {want[1]:,} in the test weeks",
        )
    if got == want[::-1]:
        return say(False, f"validation first, then test: {want}")
    everyone = set(split.test.user_id) - trained
    if got == (len(everyone & in_valid), len(everyone - in_valid)):
        return say(
            False,
            f"{got} counts every user who rated in the test weeks; the exercise asks for "
            f"the {len(users):,} test target users (a new rating of 4 or 5) without a "
            f"training event: {want}",
        )
    if sum(got) != len(users):
        return say(
            False,
            f"your two counts add up to {sum(got):,}, but {len(users):,} test target "
            "users have no training event",
        )
    return say(False, f"{want[0]:,} of them have an event in the validation weeks, not {got[0]:,}")


# --- exercise 4: when early stopping ends training ----------------------------------------


def stopping_epochs(scores, patience: int) -> tuple[int, int]:
    """(epochs run, best epoch) of early stopping on validation ``scores`` (epoch 1
    first): training ends once ``patience`` epochs in a row fail to beat the best."""
    best, best_epoch, since = -np.inf, 0, 0
    for epoch, score in enumerate(scores, start=1):
        if score > best:
            best, best_epoch, since = score, epoch, 0
        else:
            since += 1
            if since >= patience:
                return epoch, best_epoch
    return len(scores), best_epoch


def ndcg_on_test(user_emb, item_emb, split: ShopSplit, k: int) -> float:
    """Mean NDCG@k on the test weeks, written out with numpy: the users with a target (a
    fav, cart or buy on an item they had no event on before the test weeks) and a
    training event rank every item by dot product, their earlier items left out, equal
    scores to the lower item id; gain 1 per target, ideal DCG over min(|targets|, k)."""
    known = pd.concat([split.train, split.valid])
    seen = _pairs(known)
    intent = split.test[split.test.behavior.isin(TARGET_BEHAVIORS)]
    targets = {}
    for u, i in _pairs(intent) - seen:
        targets.setdefault(u, set()).add(i)
    users = np.array(sorted(set(targets) & set(split.train.user_id)), dtype=np.int64)
    with torch.no_grad():
        scores = (user_emb[torch.from_numpy(users)] @ item_emb.T).double().numpy()
    row_of = {u: r for r, u in enumerate(users.tolist())}
    mine = known[known.user_id.isin(users)]
    scores[[row_of[u] for u in mine.user_id.tolist()], mine.item_id.to_numpy()] = -np.inf
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    discount = 1 / np.log2(np.arange(2, k + 2))
    ndcg = [
        (np.isin(row, list(targets[u])) * discount).sum()
        / discount[: min(len(targets[u]), k)].sum()
        for u, row in zip(users.tolist(), top, strict=True)
    ]
    return float(np.mean(ndcg))


def _batch_run(split: ShopSplit, config, batch_size: int):
    """Section 2's LightGCN trained as the exercise asks, seeded as the notebook seeds it
    (``set_seed(SEED)`` then the model), the global random state left as it was."""
    from gnnrec_utils.graph import normalized_adjacency
    from gnnrec_utils.models import LightGCN
    from gnnrec_utils.training import intent_positives, train

    n_u, n_i = split.num_users, split.num_items
    with torch.random.fork_rng():
        torch.manual_seed(config.seed)
        model = LightGCN(normalized_adjacency(split.train, n_u, n_i), n_u, n_i)
        positives = intent_positives(split.train, n_u, n_i)
        history = train(
            model, split, positives, replace(config, batch_size=batch_size), progress=False
        )
    return model, history


def check_exercise_4(answer: tuple[int, int, float], split: ShopSplit, config) -> bool:
    """Exercise 4: ``answer`` = (epochs run, epoch whose weights the model keeps, its test
    NDCG@10) for LightGCN trained with a batch of 2048: two whole numbers read off the
    history and the NDCG as the test line prints it, to four decimals.

    Pass section 2's ``split`` and ``config`` (the ``TrainConfig`` with ``BATCH_SIZE``).
    The checker trains that LightGCN again with ``batch_size=2048`` (a few seconds on
    the stand-in), finds where early stopping ends from its validation NDCG column, and
    scores the kept weights on the test weeks with numpy.
    """
    model, history = _batch_run(split, config, ASKED_BATCH)
    column = f"ndcg@{config.top_k}"
    run, best = stopping_epochs(history[column].to_numpy(), config.patience)
    user_emb, item_emb = model.get_embedding()
    want = ndcg_on_test(user_emb, item_emb, split, config.top_k)
    if len(answer) != 3:
        return say(False, "give three numbers: (epochs run, epoch kept, test NDCG@10)")
    epochs, kept, ndcg = int(answer[0]), int(answer[1]), answer[2]
    if epochs != run:
        return say(
            False,
            f"with a batch of {ASKED_BATCH} the validation {column} peaks at epoch {best} "
            f"and {config.patience} epochs without a better one end training after epoch "
            f"{run}, not {epochs}",
        )
    if kept != best:
        return say(
            False,
            f"it ran {run} epochs, but kept the weights of epoch {best}, the best on "
            f"validation, not of epoch {kept}",
        )
    if not close_to_printed(ndcg, want, 4):
        if close_to_printed(ndcg, history[column].max(), 4):
            return say(
                False,
                f"{_shown(ndcg)} is the best validation {column}; on the test weeks the kept "
                f"weights score {want:.4f}",
            )
        return say(False, f"the kept weights score test {column} {want:.4f}, not {_shown(ndcg)}")
    return say(
        True,
        f"with a batch of {ASKED_BATCH} training stops after epoch {run}, {run - best} "
        f"epochs past its best validation {column} (epoch {best}), whose weights score "
        f"{want:.4f} on the test weeks",
    )
