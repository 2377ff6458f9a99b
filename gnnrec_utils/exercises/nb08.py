"""Checkers for notebook 08 · Real datasets.

Each checker recomputes its answer from the tables it is given, with pandas and numpy
(not the kit's loaders, split or trainer), prints one line, ``Right: ...`` or
``Not yet: ...``, and returns whether the answer holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.exercises import say as _say

__all__ = [
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "k_core_sizes",
    "stopping_epochs",
]

# --- exercise 1: only a rating of 5 as the target -----------------------------------------


def _new_pairs(events: pd.DataFrame, test_start: int, min_rating: float, fresh: bool) -> int:
    """Distinct (user, item) pairs rated ``min_rating`` or more from ``test_start`` on,
    with no earlier rating of the user on the item when ``fresh``."""
    later = events[(events.timestamp >= test_start) & (events.rating >= min_rating)]
    pairs = set(zip(later.user_id.tolist(), later.item_id.tolist(), strict=True))
    if fresh:
        earlier = events[events.timestamp < test_start]
        pairs -= set(zip(earlier.user_id.tolist(), earlier.item_id.tolist(), strict=True))
    return len(pairs)


def check_exercise_1(answer: int, events: pd.DataFrame, test_start: int) -> bool:
    """Exercise 1: ``answer`` = how many test target pairs remain when only a rating of 5
    counts (``split.targets("test", behaviors=("buy",))`` under the 5 → buy, 4 → fav rule).

    Recomputed from the ratings of ``events`` (``data.events``, with its ``rating``
    column): pairs rated 5 at or after ``test_start`` that the user had not rated before.
    """
    want = _new_pairs(events, test_start, 5, fresh=True)
    if answer == want:
        return _say(
            True,
            f"{want:,} (user, movie) pairs rated 5 in the test weeks, none rated "
            f"before, are the targets when only a 5 counts",
        )
    if answer == _new_pairs(events, test_start, 4, fresh=True):
        return _say(
            False,
            f"{answer:,} counts the ratings of 4 too (a fav is a target of the "
            f"series); only the buys, the ratings of 5, give {want:,}",
        )
    if answer == _new_pairs(events, test_start, 5, fresh=False):
        return _say(
            False,
            f"{answer:,} counts pairs the user had rated before the test weeks; "
            f"a target is new to its user: {want:,}",
        )
    return _say(
        False,
        f"you counted {answer:,} target pairs; the pairs rated 5 in the test "
        f"weeks and not rated before number {want:,}",
    )


# --- exercise 2: the 10-core -------------------------------------------------------------


def k_core_sizes(events: pd.DataFrame, k: int) -> tuple[int, int]:
    """Users and items left once every user and item with fewer than ``k`` events is
    removed, again and again until none is left."""
    users, items = events.user_id.to_numpy(), events.item_id.to_numpy()
    while True:
        _, u_index, u_count = np.unique(users, return_inverse=True, return_counts=True)
        _, i_index, i_count = np.unique(items, return_inverse=True, return_counts=True)
        keep = (u_count[u_index] >= k) & (i_count[i_index] >= k)
        if keep.all():
            return len(np.unique(users)), len(np.unique(items))
        users, items = users[keep], items[keep]


def check_exercise_2(answer: tuple[int, int], events: pd.DataFrame, k: int = 10) -> bool:
    """Exercise 2: ``answer`` = (users, items) that the ``k``-core of ``events`` keeps.

    ``events`` is the unfiltered log (``data.events``); the core is peeled here with
    numpy, rounds until every user and item left has ``k`` events or more.
    """
    users, items = k_core_sizes(events, k)
    got = tuple(int(n) for n in answer)
    if got == (users, items):
        return _say(
            True,
            f"the {k}-core keeps {users:,} users and {items:,} items (of "
            f"{events.user_id.nunique():,} and {events.item_id.nunique():,})",
        )
    if got == (items, users):
        return _say(False, f"users first, then items: ({users:,}, {items:,})")
    if got == (events.user_id.nunique(), events.item_id.nunique()):
        return _say(
            False,
            f"{got} are the sizes before filtering; the {k}-core keeps "
            f"{users:,} users and {items:,} items",
        )
    return _say(
        False,
        f"you have {got[0]:,} users and {got[1]:,} items; the {k}-core of "
        f"the log keeps {users:,} and {items:,}",
    )


# --- exercise 3: where the cold test users come from --------------------------------------


def check_exercise_3(answer: tuple[int, int], split: ShopSplit) -> bool:
    """Exercise 3: ``answer`` = (first seen in the validation weeks, first seen in the test
    weeks) for the test target users with no training event.

    Recomputed from ``split``'s three periods: a test target user (a fav, cart or buy in
    the test weeks on an item they had no event on before) with an event in
    ``split.valid`` but none in ``split.train`` first rated in the validation weeks.
    """
    test = split.test[split.test.behavior.isin(("fav", "cart", "buy"))]
    before = pd.concat([split.train, split.valid])
    seen = set(zip(before.user_id.tolist(), before.item_id.tolist(), strict=True))
    pairs = zip(test.user_id.tolist(), test.item_id.tolist(), strict=True)
    users = {u for u, i in pairs if (u, i) not in seen} - set(split.train.user_id)
    in_valid = len(users & set(split.valid.user_id))
    want = (in_valid, len(users) - in_valid)
    got = tuple(int(n) for n in answer)
    if got == want:
        return _say(
            True,
            f"of the {len(users):,} test users without a training event, "
            f"{want[0]:,} first rated in the validation weeks, {want[1]:,} in the test "
            f"weeks",
        )
    if got == want[::-1]:
        return _say(False, f"validation first, then test: {want}")
    if sum(got) != len(users):
        return _say(
            False,
            f"your two counts add up to {sum(got):,}, but {len(users):,} test "
            f"target users have no training event",
        )
    return _say(False, f"{want[0]:,} of them have an event in the validation weeks, not {got[0]:,}")


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


def check_exercise_4(answer: tuple[int, int], history: pd.DataFrame, patience: int) -> bool:
    """Exercise 4: ``answer`` = (epochs run, epoch whose weights the model keeps), read
    from the ``history`` that :func:`gnnrec_utils.training.train` returned.

    Recomputed from the validation NDCG column of ``history`` and ``patience``.
    """
    column = next(c for c in history.columns if c.startswith("ndcg@"))
    run, best = stopping_epochs(history[column].to_numpy(), patience)
    got = tuple(int(n) for n in answer)
    if got == (run, best):
        return _say(
            True,
            f"training stopped after epoch {run}, {run - best} epochs past its "
            f"best validation {column} (epoch {best}), whose weights it keeps",
        )
    if got[0] == run:
        return _say(
            False,
            f"it ran {run} epochs, but kept the weights of epoch {best}, the "
            f"best on validation, not of epoch {got[1]}",
        )
    return _say(
        False,
        f"the validation {column} peaks at epoch {best} and {patience} epochs "
        f"without a better one end training after epoch {run}, not {got[0]}",
    )
