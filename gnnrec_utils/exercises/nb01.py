"""Checkers for notebook 01 · Graph construction.

Each checker fixes the variant its exercise asks for (lists of 10, two validation days,
the weights ``{"pv": 1, "fav": 2, "cart": 3, "buy": 5}``, the quiet shopper) and
recomputes the answer from the tables it is given, with pandas, numpy and torch's sparse
product (not the notebook's scorers, the kit's split or its graph builders). It accepts
a figure as the notebook prints it, prints one line, ``Right: ...`` or ``Not yet: ...``,
and returns whether the answer holds.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.exercises import close_to_printed
from gnnrec_utils.exercises import say as _say

__all__ = [
    "ASKED_TOP_K",
    "ASKED_WEIGHTS",
    "DAY",
    "TZ_OFFSET",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "cold_test_users",
    "leak_ndcg",
    "quiet_shopper",
    "two_hop_shoppers",
    "weighted_entry",
]

DAY = 86_400
TZ_OFFSET = 8 * 3600  # the shop's local time is UTC+8


# --- exercise 1: the leak at another list length -----------------------------------------


def _lists_by_user(users: np.ndarray, items: np.ndarray) -> dict[int, list[int]]:
    """``user -> items`` in the order given, from two aligned arrays sorted by user."""
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    chunks = np.split(items, starts[1:])
    return {int(users[s]): c.tolist() for s, c in zip(starts, chunks, strict=True)}


def _pairs_by_user(pairs: pd.DataFrame) -> dict[int, set[int]]:
    """``user_id -> set of item_id`` of a (user_id, item_id) table."""
    pairs = pairs.sort_values("user_id", kind="stable")
    by_user = _lists_by_user(pairs.user_id.to_numpy(), pairs.item_id.to_numpy())
    return {u: set(items) for u, items in by_user.items()}


def _new_intent_targets(temporal: ShopSplit) -> pd.DataFrame:
    """Test-day (user, item) intent pairs with no earlier event of the user on the item."""
    known = pd.concat([temporal.train, temporal.valid])[["user_id", "item_id"]]
    test = temporal.test[temporal.test.behavior.isin(TARGET_BEHAVIORS)]
    pairs = test[["user_id", "item_id"]].drop_duplicates()
    seen = pairs.merge(known.drop_duplicates(), how="left", indicator=True)._merge == "both"
    return pairs[~seen.to_numpy()]


def _recent_first(train: pd.DataFrame, popularity: np.ndarray) -> dict[int, list[int]]:
    """Each user's training items, latest event first, then the more popular, lower id."""
    last = train.groupby(["user_id", "item_id"]).timestamp.max().reset_index()
    user, item, time = (last[c].to_numpy() for c in ("user_id", "item_id", "timestamp"))
    order = np.lexsort((item, -popularity[item], -time, user))
    return _lists_by_user(user[order], item[order])


def _top_k(first: list[int], by_popularity: list[int], skip: set[int], k: int) -> list[int]:
    """``first`` then ``by_popularity``, each item once, none of ``skip``, ``k`` long."""
    out: list[int] = []
    taken = set(skip)
    for item in itertools.chain(first, by_popularity):
        if item not in taken:
            out.append(item)
            taken.add(item)
            if len(out) == k:
                break
    return out


def _mean_ndcg(lists: dict[int, list[int]], relevant: dict[int, set[int]], k: int) -> float:
    """Mean NDCG@k over the users of ``relevant``: gain 1 per hit, ideal over min(|R|, k)."""
    values = []
    for user, rel in relevant.items():
        dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(lists[user]) if i in rel)
        ideal = sum(1 / math.log2(r + 2) for r in range(min(len(rel), k)))
        values.append(dcg / ideal)
    return float(np.mean(values))


def leak_ndcg(train: pd.DataFrame, temporal: ShopSplit, k: int) -> dict[str, float]:
    """NDCG@k on the temporal split's test targets of popularity and of "recently viewed,
    else popular", both fed with ``train``, each shopper's temporal history excluded."""
    relevant = _pairs_by_user(_new_intent_targets(temporal))
    history = _pairs_by_user(pd.concat([temporal.train, temporal.valid]))
    popularity = np.bincount(train.item_id, minlength=temporal.num_items)
    by_popularity = np.lexsort((np.arange(len(popularity)), -popularity)).tolist()
    recent = _recent_first(train, popularity)
    lists = {
        "popularity": {u: _top_k([], by_popularity, history.get(u, set()), k) for u in relevant},
        "recently viewed": {
            u: _top_k(recent.get(u, []), by_popularity, history.get(u, set()), k) for u in relevant
        },
    }
    return {name: _mean_ndcg(top, relevant, k) for name, top in lists.items()}


ASKED_TOP_K = 10  # exercise 1: TOP_K changed from 20 to 10
NOTEBOOK_TOP_K = 20  # the notebook's TOP_K before the change


def _number(answer) -> float:
    """A ratio typed as a number or as printed (``"12.3x"``)."""
    return float(answer.strip().rstrip("x×").strip()) if isinstance(answer, str) else answer


def check_exercise_1(ratio, popularity_change, temporal: ShopSplit, leaky: ShopSplit) -> bool:
    """Exercise 1: at ``TOP_K`` 10, how many times its honest NDCG@10 "recently viewed"
    scores under the random split (``ratio``, as printed: ``12.3`` or ``"12.3x"``), and
    popularity's relative change (``popularity_change``: a fraction, ``0.05``, or a
    percentage, ``5`` or ``"+5%"``).

    Pass the notebook's two splits: ``split`` as ``temporal`` and ``leaky``. Both figures
    are recomputed at k = 10, whatever ``TOP_K`` the notebook holds, from the splits'
    events: the test-day targets and each shopper's history from ``temporal``, the
    scorers' inputs from each split's training events. The ratio is accepted as printed to
    one decimal, the change to a whole per cent.
    """
    k = ASKED_TOP_K
    honest, leaked = leak_ndcg(temporal.train, temporal, k), leak_ndcg(leaky.train, temporal, k)
    want_ratio = leaked["recently viewed"] / honest["recently viewed"]
    want_change = leaked["popularity"] / honest["popularity"] - 1
    if not close_to_printed(_number(ratio), want_ratio, 1):
        return _say(False, _ratio_off(_number(ratio), want_ratio, temporal, leaky))
    if not close_to_printed(popularity_change, want_change, 0, percent=True):
        return _say(
            False,
            f"you give popularity a change of {popularity_change}, but its NDCG@{k} goes from "
            f"{honest['popularity']:.4f} to {leaked['popularity']:.4f}, {want_change:+.1%}; "
            "give it as a fraction (0.05 for +5 %) or a percentage ('+5%')",
        )
    return _say(
        True,
        f"at k = {k} 'recently viewed' scores {want_ratio:.1f}x its honest NDCG under the "
        f"random split; popularity moves {want_change:+.1%}.",
    )


def _ratio_off(ratio: float, want: float, temporal: ShopSplit, leaky: ShopSplit) -> str:
    """What is off in a wrong ratio of exercise 1, naming the list length it belongs to."""
    n = NOTEBOOK_TOP_K
    before = leak_ndcg(leaky.train, temporal, n)["recently viewed"]
    before /= leak_ndcg(temporal.train, temporal, n)["recently viewed"]
    hint = (
        f" That is the ratio at TOP_K {n}: set TOP_K to {ASKED_TOP_K} and rerun section 3."
        if close_to_printed(ratio, before, 1)
        else ""
    )
    return (
        f"you give a ratio of {ratio:.1f}, but at k = {ASKED_TOP_K} 'recently viewed' scores "
        f"{want:.1f}x its honest NDCG under the random split; divide the random split's NDCG "
        f"by the temporal one's.{hint}"
    )


# --- exercise 2: cold users with a longer validation period -------------------------------


def _local_day(timestamp: pd.Series) -> np.ndarray:
    """Days since the epoch in the shop's local time."""
    return ((timestamp.to_numpy() + TZ_OFFSET) // DAY).astype(np.int64)


def cold_test_users(events: pd.DataFrame, valid_days: int) -> set[int]:
    """Users with a test-day target (the last local day) and no event in training, when
    the ``valid_days`` days before the test day are validation."""
    day = _local_day(events.timestamp)
    test_day = day.max()
    test = events[(day == test_day) & events.behavior.isin(TARGET_BEHAVIORS).to_numpy()]
    before = events[day < test_day][["user_id", "item_id"]].drop_duplicates()
    fresh = test[["user_id", "item_id"]].drop_duplicates().merge(before, how="left", indicator=True)
    target_users = set(fresh.user_id[fresh._merge == "left_only"].tolist())
    warm = set(events.user_id[day < test_day - valid_days].tolist())
    return target_users - warm


def check_exercise_2(answer: int, events: pd.DataFrame) -> bool:
    """Exercise 2: how many more cold test users two validation days give than one
    (``answer``, a count). Pass the whole log, ``shop.events``.

    Both counts are recomputed from the events' local days, not from the kit's split.
    """
    one, two = cold_test_users(events, 1), cold_test_users(events, 2)
    want = len(two) - len(one)
    if answer == want:
        return _say(True, f"{len(two)} cold test users instead of {len(one)}: {want} more.")
    if answer == len(two):
        hint = " That is the new total; the question asks how many more."
    elif answer == 0:
        hint = " Split again with valid_days=2 and compare its cold report with the first."
    elif answer == len(cold_test_users(events, 3)) - len(one):
        hint = " That is three validation days; the exercise asks for two."
    else:
        hint = ""
    return _say(
        False,
        f"you count {answer} more cold test users, but two validation days give "
        f"{len(two)} and one gives {len(one)}: {want} more.{hint}",
    )


# --- exercise 3: a weighted adjacency entry ------------------------------------------------


def weighted_entry(
    events: pd.DataFrame, user: int, item: int, weights: dict[str, float] | None
) -> float:
    """The (user, item) entry of D^-1/2 A D^-1/2 when a pair weighs the sum of the
    weights of the distinct behaviours on it (1 for any pair when ``weights`` is None),
    and a node's degree sums its pairs' weights."""
    if weights is None:
        pair = events[["user_id", "item_id"]].drop_duplicates().assign(w=1.0)
    else:
        kept = events[events.behavior.isin(list(weights))]
        kept = kept[["user_id", "item_id", "behavior"]].drop_duplicates()
        pair = kept.assign(w=kept.behavior.map(weights).astype(float))
        pair = pair.groupby(["user_id", "item_id"]).w.sum().reset_index()
    w = pair.w[(pair.user_id == user) & (pair.item_id == item)].sum()
    d_user, d_item = pair.w[pair.user_id == user].sum(), pair.w[pair.item_id == item].sum()
    return float(w / math.sqrt(d_user * d_item)) if w else 0.0


ASKED_WEIGHTS = {"pv": 1, "fav": 2, "cart": 3, "buy": 5}  # exercise 3
EXAMPLE_WEIGHTS = {"pv": 1, "cart": 3, "buy": 5}  # the example in the text of section 4.2


def check_exercise_3(answer, train: pd.DataFrame) -> bool:
    """Exercise 3: the entry of section 4.2's pair (the user and item of the first
    training event) in the adjacency weighted ``{"pv": 1, "fav": 2, "cart": 3, "buy": 5}``
    (``answer``, as printed to four decimals). Pass the training events, ``split.train``.

    The entry is recomputed from the events with pandas, and accepted to four decimals.
    """
    user, item = int(train.user_id.iloc[0]), int(train.item_id.iloc[0])
    want = weighted_entry(train, user, item, ASKED_WEIGHTS)
    if close_to_printed(answer, want, 4):
        return _say(
            True, f"with these weights the entry of user {user}, item {item} is {want:.4f}."
        )
    plain = weighted_entry(train, user, item, None)
    if close_to_printed(answer, plain, 4):
        hint = " That is the unweighted entry: pass the weights to normalized_adjacency."
    elif close_to_printed(answer, weighted_entry(train, user, item, EXAMPLE_WEIGHTS), 4):
        hint = " That is the text's example, without fav: the exercise weighs fav 2."
    else:
        hint = ""
    return _say(
        False,
        f"you give {float(answer):.4f}, but with these weights the entry of user {user}, "
        f"item {item} is {want:.4f} (unweighted: {plain:.4f}).{hint}",
    )


# --- exercise 4: a quiet shopper's two-hop neighbourhood ----------------------------------


def two_hop_shoppers(train: pd.DataFrame, user: int) -> int:
    """Other shoppers with a training event on an item ``user`` has one on: the nonzero
    entries of row ``user`` of R Rᵀ (R the binary user-item matrix), ``user`` left out."""
    pairs = train[["user_id", "item_id"]].drop_duplicates()
    shape = (max(int(train.user_id.max()), user) + 1, int(train.item_id.max()) + 1)
    index = torch.tensor(pairs.to_numpy().T, dtype=torch.long)
    r = torch.sparse_coo_tensor(index, torch.ones(len(pairs)), shape, check_invariants=True)
    r = r.coalesce()
    mine = torch.zeros(shape[1], 1)
    mine[torch.tensor(pairs.item_id[pairs.user_id == user].to_numpy(), dtype=torch.long)] = 1.0
    shared = torch.sparse.mm(r, mine).squeeze(1)
    shared[user] = 0.0
    return int((shared > 0).sum())


def quiet_shopper(train: pd.DataFrame) -> int:
    """The first shopper with the fewest distinct training items, at least one."""
    per_user = train[["user_id", "item_id"]].drop_duplicates().groupby("user_id").size()
    return int(per_user.index[per_user == per_user.min()].min())


def check_exercise_4(answer: int, train: pd.DataFrame) -> bool:
    """Exercise 4: how many two-hop shoppers the quiet shopper has (``answer``, a count):
    the other shoppers who share a training item with the first shopper with the fewest
    training items (one at least). Pass the training events, ``split.train``.

    The shopper and the count are recomputed from ``train`` with a sparse product.
    """
    user = quiet_shopper(train)
    want = two_hop_shoppers(train, user)
    if answer == want:
        return _say(True, f"shopper {user} has {want} two-hop shoppers in the training graph.")
    if answer == want + 1:
        hint = " You counted the shopper too."
    elif answer == two_hop_shoppers(train, 42):
        hint = " That is shopper 42's count: set EGO_USER to the quiet shopper."
    else:
        hint = ""
    return _say(
        False,
        f"you count {answer} two-hop shoppers, but the quiet shopper is {user}, and {want} "
        f"other shoppers touched one of their training items.{hint}",
    )
