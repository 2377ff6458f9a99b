"""A global temporal split into train / validation / test, and the series' target.

The split is *global*: one cut time for everyone. Everything before
``valid_start`` is training, ``[valid_start, test_start)`` is validation and
``test_start`` onwards is test. A per-user leave-last-out split would train on
one shopper's Tuesday while testing another's Monday, so models would learn
the future's popularity; a random split would be worse (notebook 01 measures it).

**Prediction target.** The series predicts, for each shopper, the items they will
*fav, cart or buy* in the evaluation period among items they have **not**
interacted with before. Page views (``pv``) are input only: they are 90 % of the
log and cheap, while fav / cart / buy show intent. Buys alone (2 % of events) are
too few per shopper on a laptop-sized log for stable metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import BEHAVIORS, DAY, PERIODS, TARGET_BEHAVIORS, TZ_OFFSET
from gnnrec_utils.data.tables import Dataset

__all__ = [
    "ShopSplit",
    "local_day_start",
    "new_intent_pairs",
    "period_split",
    "random_split",
    "stratified_split",
    "temporal_split",
]


@dataclass
class ShopSplit:
    """The object that travels through the series: tables, the three periods, statistics.

    Attributes:
        users, items: attribute tables, indexed 0..num_users-1 / 0..num_items-1.
        train, valid, test: events of each period (all behaviours).
        valid_start, test_start: the cut timestamps.

    :meth:`targets` are computed once per period and behaviours and kept; the split
    manages that cache itself, and a copy made with :func:`dataclasses.replace` or
    :meth:`with_held_out` starts with an empty one.
    """

    users: pd.DataFrame
    items: pd.DataFrame
    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    valid_start: int
    test_start: int
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def num_users(self) -> int:
        return len(self.users)

    @property
    def num_items(self) -> int:
        return len(self.items)

    def history(self, period: str) -> pd.DataFrame:
        """Events known before ``period`` starts: train for valid; train + valid for test."""
        if period == "valid":
            return self.train
        if period == "test":
            return pd.concat([self.train, self.valid], ignore_index=True)
        raise ValueError(f"period must be 'valid' or 'test', got {period!r}")

    def targets(self, period: str, behaviors: tuple[str, ...] = TARGET_BEHAVIORS) -> pd.DataFrame:
        """Distinct (user_id, item_id) pairs to predict in ``period``, sorted.

        A pair counts when the user does one of ``behaviors`` (by default: favs, carts or
        buys) on the item in the period and had no event of any behaviour on it in
        ``history(period)``: :func:`new_intent_pairs` of the period.

        Args:
            period: ``"valid"`` or ``"test"``.
            behaviors: the behaviours that make a pair; the default is the series' target.

        Returns:
            The pairs; the same DataFrame on every call with the same arguments.

        Raises:
            ValueError: ``period`` is not valid or test, or ``behaviors`` is empty or
                names an unknown behaviour.
        """
        behaviors = tuple(behaviors)
        if not behaviors or set(behaviors) - set(BEHAVIORS):
            raise ValueError(
                f"behaviors must be a non-empty subset of {', '.join(BEHAVIORS)}; got {behaviors!r}"
            )
        key = (period, behaviors)
        if key not in self._cache:
            known = self.history(period)
            self._cache[key] = new_intent_pairs(getattr(self, period), known, behaviors)
        return self._cache[key]

    def with_held_out(self, users, items) -> ShopSplit:
        """A copy whose training events leave out every event of ``users`` and of ``items``.

        Validation and test events are the same tables; targets are computed afresh.

        Args:
            users: user ids to hold out of training (array-like).
            items: item ids to hold out of training (array-like).

        Returns:
            The new split.
        """
        keep = ~self.train.user_id.isin(users) & ~self.train.item_id.isin(items)
        return replace(self, train=self.train[keep].reset_index(drop=True))

    def item_popularity(self) -> np.ndarray:
        """Number of training events per item (0 for items unseen in training)."""
        return np.bincount(self.train.item_id, minlength=self.num_items)

    def user_degree(self) -> np.ndarray:
        """Number of distinct items each user interacted with in training."""
        pairs = self.train[["user_id", "item_id"]].drop_duplicates()
        return np.bincount(pairs.user_id, minlength=self.num_users)

    def cold_report(self) -> pd.DataFrame:
        """Per period: target pairs and users, and how many are cold (absent from training)."""
        warm_users = set(self.train.user_id.unique())
        warm_items = set(self.train.item_id.unique())
        rows = {}
        for period in ("valid", "test"):
            t = self.targets(period)
            users = t.user_id.unique()
            rows[period] = {
                "target pairs": len(t),
                "target users": len(users),
                "cold users": int((~np.isin(users, list(warm_users))).sum()),
                "pairs of cold users": int((~t.user_id.isin(warm_users)).sum()),
                "pairs on cold items": int((~t.item_id.isin(warm_items)).sum()),
            }
        return pd.DataFrame(rows)


def new_intent_pairs(
    events: pd.DataFrame, known: pd.DataFrame, behaviors: tuple[str, ...] = TARGET_BEHAVIORS
) -> pd.DataFrame:
    """Distinct (user_id, item_id) pairs with one of ``behaviors`` in ``events`` that have
    no event of any behaviour in ``known``, sorted: the series' prediction targets."""
    pairs = events.loc[events.behavior.isin(behaviors), ["user_id", "item_id"]]
    seen = known[["user_id", "item_id"]].drop_duplicates()
    merged = pairs.drop_duplicates().merge(seen, how="left", indicator=True)
    fresh = merged[merged._merge == "left_only"]
    return fresh[["user_id", "item_id"]].sort_values(["user_id", "item_id"]).reset_index(drop=True)


def local_day_start(timestamp: int) -> int:
    """The timestamp of the local midnight at or before ``timestamp``."""
    return int((timestamp + TZ_OFFSET) // DAY * DAY - TZ_OFFSET)


def temporal_split(shop: Dataset, valid_days: int = 1, test_days: int = 1) -> ShopSplit:
    """Split ``shop`` at local midnights: the last ``test_days`` days are test, the
    ``valid_days`` before them validation, everything earlier training."""
    last_midnight = local_day_start(int(shop.events.timestamp.max()))
    test_start = last_midnight - (test_days - 1) * DAY
    valid_start = test_start - valid_days * DAY
    if valid_start <= shop.events.timestamp.min():
        raise ValueError(
            f"the log spans too few days for {valid_days} validation and {test_days} test day(s)"
        )
    ts = shop.events.timestamp
    return ShopSplit(
        users=shop.users,
        items=shop.items,
        train=shop.events[ts < valid_start].reset_index(drop=True),
        valid=shop.events[(ts >= valid_start) & (ts < test_start)].reset_index(drop=True),
        test=shop.events[ts >= test_start].reset_index(drop=True),
        valid_start=valid_start,
        test_start=test_start,
    )


def random_split(shop: Dataset, valid_frac: float, test_frac: float, seed: int = 0) -> ShopSplit:
    """A random split of events, **for demonstration only**: it leaks the future.

    Notebook 01 uses it to measure what a random split would let a model see.
    """
    rng = np.random.default_rng(seed)
    u = rng.random(len(shop.events))
    part = np.where(u < test_frac, 2, np.where(u < test_frac + valid_frac, 1, 0))
    ev = shop.events
    return ShopSplit(
        users=shop.users,
        items=shop.items,
        train=ev[part == 0].reset_index(drop=True),
        valid=ev[part == 1].reset_index(drop=True),
        test=ev[part == 2].reset_index(drop=True),
        valid_start=-1,
        test_start=-1,
    )


def stratified_split(
    ratings: pd.DataFrame, ratio: float = 0.75, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per user, a random ``ratio`` of their ratings to train and the rest to test.

    Microsoft Recommenders' ``python_stratified_split`` protocol: each user's ratings
    are shuffled and the first ``round(ratio * n)`` go to train, where ``n`` is the
    user's number of ratings and ``round`` is Python's (halves to the even integer,
    so 0.75 * 2 = 1.5 gives 2 and 0.75 * 6 = 4.5 gives 4). The shuffle is not
    Microsoft's own (theirs uses pandas' sampling), so the same seed gives a split of
    the same kind, not the same rows.

    Args:
        ratings: a table with a ``user_id`` column (any other columns are kept).
        ratio: share of each user's ratings that goes to train, in ``(0, 1)``.
        seed: seed of the shuffle; the same seed and table give the same split.

    Returns:
        ``(train, test)``, each in the row order of ``ratings``, with its index.

    Raises:
        ValueError: ``ratio`` outside ``(0, 1)``.
    """
    if not 0 < ratio < 1:
        raise ValueError(f"ratio must lie in (0, 1), got {ratio}")
    key = np.random.default_rng(seed).random(len(ratings))
    users = ratings.user_id.to_numpy()
    order = np.lexsort((key, users))
    rank = np.empty(len(ratings), dtype=np.int64)
    counts = np.bincount(np.searchsorted(np.unique(users), users))
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    rank[order] = np.arange(len(ratings)) - starts
    n_train = np.array([round(ratio * int(n)) for n in counts])
    per_row = np.repeat(n_train, counts)[np.argsort(order)]
    in_train = rank < per_row
    return ratings[in_train], ratings[~in_train]


def period_split(data: Dataset) -> ShopSplit:
    """The split a dataset comes with: its ``period`` column says train, valid or test.

    For data published with its held-out periods but no timestamps
    (:func:`gnnrec_utils.datasets.load_tmall`). Each event's timestamp becomes its
    period's index, 0, 1 or 2, and the cut times are ``valid_start=1`` and
    ``test_start=2``, so the tables are what :func:`temporal_split` would cut there:
    ``history("valid")`` is train and ``history("test")`` train + valid.

    Raises:
        ValueError: no ``period`` column, or a value other than train, valid or test.
    """
    if "period" not in data.events:
        raise ValueError("the events need a 'period' column (train, valid or test)")
    code = pd.Index(PERIODS).get_indexer(data.events["period"].astype(object))
    if (code < 0).any():
        bad = data.events["period"].iloc[int(np.flatnonzero(code < 0)[0])]
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, found {bad!r}")
    events = data.events.assign(timestamp=code.astype(np.int64))
    part = {p: events[code == k].reset_index(drop=True) for k, p in enumerate(PERIODS)}
    return ShopSplit(
        users=data.users,
        items=data.items,
        train=part["train"],
        valid=part["valid"],
        test=part["test"],
        valid_start=1,
        test_start=2,
    )
