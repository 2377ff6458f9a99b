"""From offline metrics to business outcomes: a shop simulator built on the generator (notebook 11).

Offline metrics score a list against what shoppers did when they were shown something
else. The generator of the bundled shop (:mod:`gnnrec_utils.synthetic`) knows every
shopper's taste, so it can answer the question an online test asks: *what would this
shopper have done if shown this list?* :class:`ShopSimulator` answers it with the
generator's own choice model, not a second one:

1. **Examination.** Position ``r`` of a list is seen with probability ``e_r``: by default
   ``1 / log2(r + 1)`` (the discount of NDCG), or any array of probabilities, or ``None``
   (every position seen).
2. **Click** (a ``pv``). The generator picks a viewed item by softmax(score / T) over a
   category's items (``synthetic.item_scores``: taste + appeal + trend + novelty, minus
   a price mismatch). Shown one item, the shopper makes the same choice between that item
   and *not clicking*, an outside option of fixed score: ``p = sigmoid(a + score / T)``,
   the two-way softmax. The outside option's ``a`` is set once so that a uniformly
   random item shown to a uniformly random shopper at the window's middle is clicked at
   ``base_ctr`` (default 2 %). ``base_ctr=None`` makes every seen item a view (what the
   generator's own choices are by construction).
3. **fav / cart / buy** after a view, with the generator's slopes on the standardised
   taste z (``synthetic.FUNNEL_SLOPES``, ``ShopConfig.fav_taste``) and its intercepts,
   fixed once from the generator's own views of the world (:func:`generator_funnel`),
   so that one shopper's outcome never depends on who else is in the batch.

Every random draw is a hash of ``(seed, shopper, day, item or position, step)``
(:func:`uniforms`): the same seed gives the same events, a shopper's reaction does not
depend on the batch, and two recommenders that show a shopper the same item on the same
day get the same reaction to it (common random numbers, which makes paired comparisons
sharper). The business metrics, A/B test and sample size, bandits and a feedback-loop
replay follow.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from gnnrec_utils import synthetic
from gnnrec_utils.metrics import catalog_coverage, exposure_gini
from gnnrec_utils.synthetic import (
    CART_BUY_SHARE,
    DAY,
    FUNNEL_DELAYS,
    FUNNEL_SLOPES,
    HOURLY_RHYTHM,
    NUM_DAYS,
    SIZES,
    START_TIMESTAMP,
    TAOBAO_SHARES,
    ShopConfig,
    World,
)

STEPS = ("fav", "cart", "buy_cart", "buy_fav", "buy_direct")
# one key per kind of draw, so that no two draws share a uniform
_EXAMINE, _CLICK, _START, _GAP = 1, 2, 3, 4
_DRAW = {step: 10 + i for i, step in enumerate(STEPS)}
_DELAY = {step: 20 + i for i, step in enumerate(STEPS)}


# ------------------------------------------------------------------- randomness
def _mix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a bijection of uint64 that scatters nearby inputs."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def uniforms(seed: int, *keys) -> np.ndarray:
    """Uniform [0, 1) numbers, one per element of the broadcast ``keys`` (integer arrays).

    A pure function of ``(seed, keys)``: the same keys give the same number whatever
    else is drawn, and different keys give independent-looking numbers.
    """
    with np.errstate(over="ignore"):
        h = _mix(np.uint64(seed % 2**64) + np.uint64(0x9E3779B97F4A7C15))
        for key in keys:
            key = np.asarray(key).astype(np.int64).astype(np.uint64)
            h = _mix(h ^ (key + np.uint64(0x9E3779B97F4A7C15)))
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


# ----------------------------------------------------------------- the funnel
def world_fingerprint(world: World) -> str:
    """A short hash of a world's tables and taste vectors: equal worlds, equal prints."""
    h = hashlib.sha256()
    for part in (world.users, world.items):
        h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
    for array in (world.user_vec, world.item_vec, world.appeal):
        h.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Funnel:
    """The generator's funnel, fixed: ``z = (taste - taste_mean) / taste_std`` and
    ``p(step) = sigmoid(intercept[step] + slope[step] * z)`` per view (``buy_cart`` per
    cart, ``buy_fav`` per favourite), for the world with ``fingerprint``."""

    taste_mean: float
    taste_std: float
    intercept: dict
    slope: dict
    fingerprint: str


def generator_funnel(
    cfg: ShopConfig, world: World, taste: np.ndarray, repeat: np.ndarray
) -> Funnel:
    """The intercepts ``synthetic.funnel_events`` calibrates, computed once, in expectation.

    ``taste`` and ``repeat`` are those of the generator's views (``synthetic.draw_views``).
    As ``funnel_events``: fav and cart are set so that their expected counts over the
    first views (``~repeat``) are Taobao's shares times all views; a purchase from the
    cart over the *expected* carts (``CART_BUY_SHARE`` of purchases), one from a
    favourite over the expected favourites (``fav_buy_share``), a direct one the rest.
    (The generator calibrates the last three on the carts and favourites it drew, and
    drops favourite purchases that would fall after its window; the simulator keeps
    them, so its direct purchases are set to the rest of the target before that cut.)
    """
    z = (taste[~repeat] - taste.mean()) / taste.std()
    want = {b: len(taste) * TAOBAO_SHARES[b] / TAOBAO_SHARES["pv"] for b in TAOBAO_SHARES}
    slope = {"fav": cfg.fav_taste, **FUNNEL_SLOPES}
    b = {s: synthetic.calibrated_intercept(z, want[s], slope[s]) for s in ("fav", "cart")}
    p_fav, p_cart = _sigmoid(b["fav"] + slope["fav"] * z), _sigmoid(b["cart"] + slope["cart"] * z)
    target = {
        "buy_cart": CART_BUY_SHARE * want["buy"],
        "buy_fav": cfg.fav_buy_share * want["buy"],
        "buy_direct": (1 - CART_BUY_SHARE - cfg.fav_buy_share) * want["buy"],
    }
    weight = {"buy_cart": p_cart, "buy_fav": p_fav, "buy_direct": None}
    for s in target:
        b[s] = synthetic.calibrated_intercept(z, target[s], slope[s], weight[s])
    return Funnel(float(taste.mean()), float(taste.std()), b, slope, world_fingerprint(world))


def shop_reference(size: str | ShopConfig = "default", seed: int = 0):
    """``(world, cfg, funnel)`` of ``generate_shop(size, seed)``: the generator's own draw
    of its world and views (a few seconds for the default shop), as the simulator needs."""
    cfg = SIZES[size] if isinstance(size, str) else size
    rng = np.random.default_rng(seed)
    world = synthetic.build_world(cfg, rng)
    _, _, taste, repeat = synthetic.draw_views(cfg, world, rng)
    return world, cfg, generator_funnel(cfg, world, taste, repeat)


def examination(position_bias, k: int) -> np.ndarray:
    """Chance that each of positions 1..k is seen: ``"log2"`` gives ``1 / log2(r + 1)``,
    ``None`` ones, an array its first ``k`` entries (each in [0, 1])."""
    if position_bias is None:
        return np.ones(k)
    if isinstance(position_bias, str):
        if position_bias != "log2":
            raise ValueError(
                f"position_bias must be 'log2', None or an array, got {position_bias!r}"
            )
        return 1.0 / np.log2(np.arange(2, k + 2))
    e = np.asarray(position_bias, dtype=np.float64)
    if e.ndim != 1 or len(e) < k or ((e < 0) | (e > 1)).any():
        raise ValueError(
            f"position_bias must hold at least k={k} probabilities in [0, 1], got {e.tolist()}"
        )
    return e[:k]


# ------------------------------------------------------------------ simulator
class ShopSimulator:
    """Shows lists to the shoppers of a generated shop and draws what they do.

    Args:
        world: the shop's latent world (``shop_reference`` or ``synthetic.shop_world``).
        cfg: the generator's knobs the world was drawn with.
        funnel: the generator's funnel for this world (:func:`generator_funnel`).
        seed: seed of every draw (:func:`uniforms`) (default: ``0``).
        position_bias: ``"log2"`` (default), ``None`` or an array, see :func:`examination`.
        base_ctr: click rate of a random item shown to a random shopper (default:
            ``0.02``); ``None``: every seen item is viewed.

    Raises:
        ValueError: ``cfg`` does not describe ``world``, or ``funnel`` was computed from
            another world, or ``base_ctr`` is not in (0, 1).
    """

    def __init__(
        self,
        world: World,
        cfg: ShopConfig,
        funnel: Funnel,
        seed: int = 0,
        position_bias="log2",
        base_ctr: float | None = 0.02,
    ):
        shape = (len(world.users), len(world.items), world.user_vec.shape[1])
        if shape != (cfg.num_users, cfg.num_items, cfg.dim):
            raise ValueError(
                f"cfg describes {cfg.num_users:,} users, {cfg.num_items:,} items, dim "
                f"{cfg.dim}; the world has {shape[0]:,} users, {shape[1]:,} items, dim {shape[2]}"
            )
        self.fingerprint = world_fingerprint(world)
        if funnel.fingerprint != self.fingerprint:
            raise ValueError(
                f"the funnel was computed from world {funnel.fingerprint}, not from this "
                f"world ({self.fingerprint}): build both from the same size and seed"
            )
        if base_ctr is not None and not 0 < base_ctr < 1:
            raise ValueError(f"base_ctr must be in (0, 1) or None, got {base_ctr}")
        self.world, self.cfg, self.funnel, self.seed = world, cfg, funnel, seed
        self.position_bias, self.base_ctr = position_bias, base_ctr
        self.click_intercept = None if base_ctr is None else self._calibrate_clicks(base_ctr)

    @classmethod
    def from_shop(cls, size: str | ShopConfig = "default", shop_seed: int = 0, **kwargs):
        """The simulator of ``generate_shop(size, shop_seed)`` (``data/shop``: the default)."""
        return cls(*shop_reference(size, shop_seed), **kwargs)

    @property
    def num_users(self) -> int:
        return len(self.world.users)

    @property
    def num_items(self) -> int:
        return len(self.world.items)

    def __repr__(self) -> str:
        return (
            f"ShopSimulator({self.num_users:,} shoppers, {self.num_items:,} items, world "
            f"{self.fingerprint}, seed={self.seed}, position_bias={self.position_bias!r}, "
            f"base_ctr={self.base_ctr})"
        )

    def _calibrate_clicks(self, base_ctr: float, pairs: int = 50_000) -> float:
        """The outside option's ``a``: mean sigmoid(a + score / T) over random pairs."""
        rng = np.random.default_rng(0)  # a fixed sample, the same for every seed
        user = rng.integers(0, self.num_users, pairs)
        item = rng.integers(0, self.num_items, (pairs, 1))
        t = np.full(pairs, START_TIMESTAMP + NUM_DAYS * DAY // 2)
        score = synthetic.item_scores(self.cfg, self.world, user, t, item)[0][:, 0]
        score = score[np.isfinite(score)] / self.cfg.temperature
        return synthetic.calibrated_intercept(score, base_ctr * pairs, 1.0)

    def check_shop(self, shop) -> None:
        """Raise ``ValueError`` unless ``shop`` (a ``Dataset``) has this world's users and
        items, e.g. before simulating on a shop loaded from a folder."""
        same = (
            len(shop.users) == self.num_users
            and len(shop.items) == self.num_items
            and np.allclose(shop.items.price.to_numpy(), self.world.items.price.to_numpy())
            and (shop.items.category_id.to_numpy() == self.world.items.category_id).all()
        )
        if not same:
            raise ValueError(
                f"this simulator's world ({self.fingerprint}) has {self.num_users:,} users and "
                f"{self.num_items:,} items; the shop has {len(shop.users):,} users and "
                f"{len(shop.items):,} items with other prices or categories: it was generated "
                "from another size or seed"
            )

    def _check(self, users, day, lists) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``users`` (n,), ``day`` (n,) and ``lists`` (n, k) as int64, or a ``ValueError``
        naming the offending value."""
        users, lists = np.asarray(users), np.asarray(lists)
        if lists.ndim != 2 or lists.shape[1] == 0:
            raise ValueError(f"lists must be (shoppers, k) item ids with k >= 1, got {lists.shape}")
        if users.shape != (len(lists),):
            raise ValueError(f"{len(lists)} lists need {len(lists)} shoppers, got {users.shape}")
        for name, ids, n in (("shopper", users, self.num_users), ("item", lists, self.num_items)):
            if not np.issubdtype(ids.dtype, np.integer):
                raise ValueError(f"{name} ids must be integers, got {ids.dtype}")
            bad = ids[(ids < 0) | (ids >= n)]
            if len(bad):
                raise ValueError(f"{name} {bad[0]} is not in this world (ids 0..{n - 1})")
        day = np.broadcast_to(np.asarray(day, dtype=np.int64), users.shape)
        if (day < 0).any():
            raise ValueError(f"day {day[day < 0][0]} is before the shop opened (day 0)")
        ordered = np.sort(lists, axis=1)
        row, col = np.nonzero(ordered[:, 1:] == ordered[:, :-1])
        if len(row):
            raise ValueError(f"item {ordered[row[0], col[0]]} is twice in the list of row {row[0]}")
        key = pd.DataFrame({"user": users, "day": day})
        if key.duplicated().any():
            u, d = key[key.duplicated()].iloc[0]
            raise ValueError(f"shopper {u} has two lists on day {d}: one list per shopper-day")
        return users.astype(np.int64), day, lists.astype(np.int64)

    def times(self, users: np.ndarray, day: np.ndarray, k: int) -> np.ndarray:
        """(n, k) timestamps of positions 1..k: a start at an hour of the generator's daily
        rhythm, then 5 + Exponential(50) seconds between positions, as its sessions."""
        cum = np.cumsum(HOURLY_RHYTHM) / HOURLY_RHYTHM.sum()
        hour = np.searchsorted(cum, uniforms(self.seed, users, day, 0, _START), side="right")
        start = START_TIMESTAMP + day * DAY + hour * 3600
        start = start + (3600 * uniforms(self.seed, users, day, 1, _START)).astype(np.int64)
        pos = np.arange(k)[None, :]
        gap = 5 - 50 * np.log1p(-uniforms(self.seed, users[:, None], day[:, None], pos, _GAP))
        gap[:, 0] = 0
        return start[:, None] + np.cumsum(gap.astype(np.int64), axis=1)

    def probabilities(self, users, day, lists) -> dict[str, np.ndarray]:
        """Per shown item, (n, k) arrays: ``seen`` (examination), ``click`` (given seen),
        ``z`` and the chance of each funnel step given a view (``buy_cart`` per cart,
        ``buy_fav`` per favourite), and ``buys``, the expected purchases per view."""
        users, day, lists = self._check(users, day, lists)
        t = self.times(users, day, lists.shape[1])
        score, taste = synthetic.item_scores(self.cfg, self.world, users, t[:, 0], lists)
        out = {"seen": np.broadcast_to(examination(self.position_bias, lists.shape[1]), t.shape)}
        with np.errstate(over="ignore"):
            if self.click_intercept is None:
                out["click"] = np.isfinite(score).astype(np.float64)
            else:
                out["click"] = _sigmoid(self.click_intercept + score / self.cfg.temperature)
        f = self.funnel
        out["z"] = (taste - f.taste_mean) / f.taste_std
        for s in STEPS:
            out[s] = _sigmoid(f.intercept[s] + f.slope[s] * out["z"])
        out["buys"] = (
            out["buy_direct"] + out["cart"] * out["buy_cart"] + out["fav"] * out["buy_fav"]
        )
        return out

    def expected_reward(self, users, day, lists, reward: str = "click") -> np.ndarray:
        """(n, k): expected clicks (``"click"``) or purchases (``"buy"``) of each item if
        seen; the bandits' oracle ranks by it."""
        if reward not in ("click", "buy"):
            raise ValueError(f"reward must be 'click' or 'buy', got {reward!r}")
        p = self.probabilities(users, day, lists)
        return p["click"] if reward == "click" else p["click"] * p["buys"]

    def rewards(self, users, day, lists, reward: str = "click") -> np.ndarray:
        """(n, k) clicks (``"click"``) or purchases (``"buy"``) of each shown item: the
        bandits' feedback (:func:`run_bandit`)."""
        if reward not in ("click", "buy"):
            raise ValueError(f"reward must be 'click' or 'buy', got {reward!r}")
        impressions, events = self.show(users, day, lists)
        if reward == "click":
            return impressions.clicked.to_numpy().reshape(np.shape(lists)).astype(np.float64)
        key = ["user_id", "item_id"]
        buys = events[events.behavior == "buy"].groupby(key).size().rename("n")
        got = impressions[key].join(buys, on=key).n.fillna(0.0).to_numpy()
        return got.reshape(np.shape(lists))

    def show(self, users, day, lists) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Show each shopper its list on ``day`` and draw what happens.

        Args:
            users: (n,) shopper ids, each once per day.
            day: the day, counted from the log's first (0 .. 8 in the window; later days
                carry each item's trend on); one for all, or one per shopper.
            lists: (n, k) distinct item ids per row, best first.

        Returns:
            ``impressions``: one row per shown item (``user_id, item_id, position, day,
            timestamp, seen, clicked``), and ``events`` in the log's schema
            (``user_id, item_id, category_id, behavior, timestamp``): a ``pv`` per click
            and the ``fav``, ``cart`` and ``buy`` that follow, sorted by user and time.

        Raises:
            ValueError: an item or shopper not in the world, an item twice in a list,
                ``k = 0``, a negative day, a shopper with two lists on one day.
        """
        users, day, lists = self._check(users, day, lists)
        p = self.probabilities(users, day, lists)
        t = self.times(users, day, lists.shape[1])
        u, d = users[:, None], day[:, None]
        position = np.arange(1, lists.shape[1] + 1)[None, :]
        seen = uniforms(self.seed, u, d, position, _EXAMINE) < p["seen"]
        clicked = seen & (uniforms(self.seed, u, d, lists, _CLICK) < p["click"])
        row, col = np.nonzero(clicked)
        cells = (users[row], day[row], lists[row, col], t[row, col])
        follow = self._follow(cells, {s: p[s][row, col] for s in STEPS})
        impressions = pd.DataFrame(
            {
                "user_id": np.repeat(users, lists.shape[1]),
                "item_id": lists.ravel(),
                "position": np.tile(position[0], len(users)),
                "day": np.repeat(day, lists.shape[1]),
                "timestamp": t.ravel(),
                "seen": seen.ravel(),
                "clicked": clicked.ravel(),
            }
        )
        views = pd.DataFrame(
            {"user_id": cells[0], "item_id": cells[2], "behavior": "pv", "timestamp": cells[3]}
        )
        events = pd.concat([views, follow], ignore_index=True)
        return impressions, synthetic.tidy_events(events, self.world.items)

    def _follow(self, cells, p: dict[str, np.ndarray]) -> pd.DataFrame:
        """fav, cart and buy events after the views ``cells`` = (user, day, item, time)."""
        user, day, item, t = cells
        hit = {s: uniforms(self.seed, user, day, item, _DRAW[s]) < p[s] for s in STEPS}
        hit["buy_cart"] &= hit["cart"]
        hit["buy_fav"] &= hit["fav"]
        delays = {**FUNNEL_DELAYS, "buy_fav": (600, self.cfg.fav_buy_days * DAY)}
        frames = []
        for s in STEPS:
            lag = -np.log1p(-uniforms(self.seed, user, day, item, _DELAY[s]))
            when = t + delays[s][0] + (delays[s][1] * lag).astype(np.int64)
            frames.append(
                pd.DataFrame(
                    {
                        "user_id": user[hit[s]],
                        "item_id": item[hit[s]],
                        "behavior": s.split("_")[0],
                        "timestamp": when[hit[s]],
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------ business metrics
def per_shopper_table(
    impressions: pd.DataFrame, events: pd.DataFrame, items: pd.DataFrame
) -> pd.DataFrame:
    """One row per shopper shown something: counts and rates per impression.

    Columns: ``impressions``, ``clicks`` (``pv``), ``carts``, ``buys``, ``gmv`` (sum of
    the prices of the items bought, from ``items.price``), and ``ctr``,
    ``add_to_cart_rate``, ``conversion_rate`` (each count over impressions) and
    ``gmv_per_1000`` (GMV per 1,000 impressions). A shopper with no event has zeros.
    """
    shown = impressions.groupby("user_id").size().rename("impressions")
    price = items.price.to_numpy()[events.item_id.to_numpy()]
    ev = events.assign(gmv=np.where(events.behavior == "buy", price, 0.0))
    counts = pd.crosstab(ev.user_id, ev.behavior).reindex(columns=["pv", "cart", "buy"])
    table = pd.concat([shown, counts.fillna(0), ev.groupby("user_id").gmv.sum()], axis=1)
    table = table.reindex(shown.index).fillna(0.0)
    table = table.rename(columns={"pv": "clicks", "cart": "carts", "buy": "buys"})
    for rate, count in (("ctr", "clicks"), ("add_to_cart_rate", "carts")):
        table[rate] = table[count] / table.impressions
    table["conversion_rate"] = table.buys / table.impressions
    table["gmv_per_1000"] = 1000 * table.gmv / table.impressions
    return table


def business_metrics(
    impressions: pd.DataFrame, events: pd.DataFrame, items: pd.DataFrame
) -> dict[str, float]:
    """What the shop cares about, over all ``impressions`` (pooled, not per shopper).

    ``ctr``, ``add_to_cart_rate`` and ``conversion_rate``: ``pv``, ``cart`` and ``buy``
    events per impression (a purchase may follow a cart or a favourite hours or days
    later; every one that ``events`` holds counts); ``gmv_per_1000``: prices of the items
    bought per 1,000 impressions; ``coverage``: share of ``items`` shown at least once, in
    [0, 1]; ``exposure_gini``: Gini of how often each item was shown, in [0, 1). Each
    rate is 0 where there are no events; ``ValueError`` where there are no impressions.
    """
    n = len(impressions)
    if n == 0:
        raise ValueError("no impressions: every rate would be 0 / 0")
    count = events.behavior.value_counts()
    bought = events.item_id.to_numpy()[events.behavior.to_numpy() == "buy"]
    shown = impressions.item_id.to_numpy()
    return {
        "impressions": n,
        "ctr": count.get("pv", 0) / n,
        "add_to_cart_rate": count.get("cart", 0) / n,
        "conversion_rate": count.get("buy", 0) / n,
        "gmv_per_1000": 1000 * items.price.to_numpy()[bought].sum() / n,
        "coverage": catalog_coverage(shown, len(items)),
        "exposure_gini": exposure_gini(shown, len(items)),
    }


# --------------------------------------------------------------- A/B testing
def t_quantile(p: float, df: float) -> float:
    """Student-t quantile by the Cornish-Fisher expansion of Abramowitz & Stegun 26.7.5
    (within 0.001 of exact for ``df >= 5``); the normal quantile when ``df`` is infinite."""
    z = NormalDist().inv_cdf(p)
    if math.isinf(df):
        return z
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def ab_test(
    table_a: pd.DataFrame, table_b: pd.DataFrame, metric: str, level: float = 0.95
) -> dict[str, float]:
    """Difference B - A of the mean per-shopper ``metric``, with a Welch t interval.

    Each arm's shoppers are independent units (``per_shopper_table`` of each arm); the
    interval is ``diff +- t(df) * sqrt(var_a / n_a + var_b / n_b)`` with the
    Welch-Satterthwaite ``df``. When every shopper has the same number of impressions,
    the mean per-shopper rate is the pooled rate.

    Returns:
        ``mean_a``, ``mean_b``, ``difference``, ``se``, ``low``, ``high``, ``df``,
        ``n_a``, ``n_b``.
    """
    a, b = (np.asarray(t[metric], dtype=np.float64) for t in (table_a, table_b))
    if min(len(a), len(b)) < 2:
        raise ValueError(f"each arm needs two shoppers or more, got {len(a)} and {len(b)}")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    denom = va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)
    df = (va + vb) ** 2 / denom if denom > 0 else math.inf
    half = t_quantile(0.5 + level / 2, df) * se
    diff = float(b.mean() - a.mean())
    return {
        "mean_a": float(a.mean()),
        "mean_b": float(b.mean()),
        "difference": diff,
        "se": se,
        "low": diff - half,
        "high": diff + half,
        "df": df,
        "n_a": len(a),
        "n_b": len(b),
    }


def shoppers_per_arm(base_rate: float, lift: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Shoppers per arm for a two-sided two-proportion z-test to detect a relative ``lift``.

    ``p1 = base_rate``, ``p2 = base_rate * (1 + lift)``, ``p = (p1 + p2) / 2``:
    ``n = (z_{1-alpha/2} sqrt(2 p (1 - p)) + z_{power} sqrt(p1 (1 - p1) + p2 (1 - p2)))^2
    / (p2 - p1)^2``, rounded up, without continuity correction (p1 = 0.10, p2 = 0.15:
    686 per arm).
    """
    p1, p2 = base_rate, base_rate * (1 + lift)
    if not (0 < p1 < 1 and 0 < p2 < 1 and lift != 0):
        raise ValueError(
            f"need 0 < base_rate, base_rate * (1 + lift) < 1 and lift != 0, got {p1}, {p2}"
        )
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError(f"alpha and power must be in (0, 1), got {alpha}, {power}")
    z_a, z_b = NormalDist().inv_cdf(1 - alpha / 2), NormalDist().inv_cdf(power)
    p = (p1 + p2) / 2
    root = z_a * math.sqrt(2 * p * (1 - p)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root**2 / (p2 - p1) ** 2)


# -------------------------------------------------------------------- bandits
@dataclass
class BetaArms:
    """A Beta(``alpha``, ``beta``) posterior of each arm's reward rate (Bernoulli rewards).

    Arms are items, shared by all shoppers: the bandit learns which of a model's
    candidates the shop's shoppers take to, not one shopper's taste.
    """

    alpha: np.ndarray
    beta: np.ndarray

    @classmethod
    def new(cls, num_arms: int, prior: tuple[float, float] = (1.0, 1.0)) -> BetaArms:
        return cls(np.full(num_arms, float(prior[0])), np.full(num_arms, float(prior[1])))

    def update(self, arms: np.ndarray, rewards: np.ndarray) -> None:
        """Add each reward (clipped to 0/1) to its arm's counts."""
        r = np.minimum(np.asarray(rewards, dtype=np.float64).ravel(), 1.0)
        np.add.at(self.alpha, np.ravel(arms), r)
        np.add.at(self.beta, np.ravel(arms), 1.0 - r)

    def mean(self) -> np.ndarray:
        return self.alpha / (self.alpha + self.beta)


def _top_k(priority: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` candidates of each row with the highest priority, best first (ties:
    the earlier candidate, i.e. the model's order)."""
    order = np.argsort(-priority, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(candidates, order, axis=1)


def thompson(arms: BetaArms, candidates: np.ndarray, k: int, rng: np.random.Generator):
    """Thompson sampling: draw each candidate's rate from its posterior, show the k best."""
    return _top_k(rng.beta(arms.alpha[candidates], arms.beta[candidates]), candidates, k)


def epsilon_greedy(
    arms: BetaArms, candidates: np.ndarray, k: int, rng: np.random.Generator, epsilon: float = 0.1
):
    """ε-greedy per shopper-day: with chance ``epsilon`` a shopper gets k random candidates,
    otherwise the k with the highest posterior mean."""
    priority = arms.mean()[candidates]
    explore = rng.random(len(candidates)) < epsilon
    priority[explore] = rng.random((explore.sum(), candidates.shape[1]))
    return _top_k(priority, candidates, k)


def run_bandit(
    policy: Callable,
    rounds: Iterable[tuple[int, np.ndarray, np.ndarray]],
    feedback: Callable,
    expected: Callable,
    num_arms: int,
    k: int,
    seen: np.ndarray | None = None,
    seed: int = 0,
    prior: tuple[float, float] = (1.0, 1.0),
    by_shopper: dict | None = None,
) -> pd.DataFrame:
    """Play ``policy`` over ``rounds`` of (day, shoppers, candidates), learning from feedback.

    Args:
        policy: ``policy(arms, candidates, k, rng) -> (n, k) lists`` (:func:`thompson`,
            :func:`epsilon_greedy` or a ``functools.partial`` of one).
        rounds: per day, the shoppers (n,) and their candidates (n, m), e.g. a model's
            top m.
        feedback: ``feedback(users, day, lists) -> (n, k) rewards``, e.g.
            :meth:`ShopSimulator.rewards`.
        expected: ``expected(users, day, candidates) -> (n, m)`` expected reward of each
            candidate if seen (``ShopSimulator.expected_reward``).
        num_arms: number of items.
        k: list length.
        seen: chance that each position is seen (``examination``); ones if ``None``.
        seed: seed of the policy's draws.
        prior: the Beta prior of every arm (default: uniform).
        by_shopper: if a dict, ``by_shopper[day]`` receives each shopper's expected
            reward of the list shown that day, (n,), for paired comparisons of policies.

    Returns:
        One row per day: ``shoppers``, ``reward`` (realised), ``expected`` (of the lists
        shown), ``oracle`` (of the best lists of the same candidates, the best item at
        the most-seen position), ``regret`` = oracle - expected, and cumulative sums
        ``cum_reward``, ``cum_regret``.
    """
    arms, rng = BetaArms.new(num_arms, prior), np.random.default_rng(seed)
    weight = np.ones(k) if seen is None else np.asarray(seen, dtype=np.float64)[:k]
    rows = []
    for day, users, candidates in rounds:
        lists = policy(arms, candidates, k, rng)
        value = expected(users, day, candidates)
        pos = (candidates[:, :, None] == lists[:, None, :]).argmax(1)
        shown = np.take_along_axis(value, pos, axis=1) @ weight
        best = -np.sort(-value, axis=1)[:, :k] @ np.sort(weight)[::-1]
        rewards = feedback(users, day, lists)
        arms.update(lists, rewards)
        if by_shopper is not None:
            by_shopper[day] = shown
        rows.append(
            {"day": day, "shoppers": len(users), "reward": float(np.sum(rewards))}
            | {"expected": shown.sum(), "oracle": best.sum(), "regret": (best - shown).sum()}
        )
    out = pd.DataFrame(rows).set_index("day")
    return out.assign(cum_reward=out.reward.cumsum(), cum_regret=out.regret.cumsum())


# ---------------------------------------------------------------- feedback loops
def feedback_loop(
    sim: ShopSimulator,
    fit: Callable,
    history: pd.DataFrame,
    organic: list[pd.DataFrame],
    users: np.ndarray,
    k: int,
    first_day: int,
    closed: bool = True,
) -> pd.DataFrame:
    """Replay ``len(organic)`` days, retraining each day on the log so far.

    Each day ``d``: ``model = fit(log)`` (any ``fit(events) -> Recommender``); the model
    recommends ``k`` items to each of ``users``, excluding what the log shows they
    touched; the simulator shows them on day ``first_day + d``; then the day's
    ``organic[d]`` events (what shoppers did without these lists, e.g. the logged day)
    join the log and, when ``closed``, so do the events the lists caused.

    Returns:
        One row per day: ``events_caused``, ``ctr`` (clicks per impression),
        ``popularity`` (mean over shown items of their events in ``history``, over the
        mean of all items: 1 = an average item, higher = more popular items shown) and
        ``popularity_se``, its standard error over shoppers; ``exposure_gini`` and
        ``coverage`` of what was shown.
    """
    popularity = np.bincount(history.item_id, minlength=sim.num_items).astype(np.float64)
    log, rows = history, []
    for d, day_events in enumerate(organic):
        lists = fit(log).recommend(users, k, exclude=log[["user_id", "item_id"]])
        impressions, caused = sim.show(users, first_day + d, lists)
        shown = popularity[lists].mean(1) / popularity.mean()  # per shopper
        rows.append(
            {
                "day": first_day + d,
                "events_caused": len(caused),
                "ctr": impressions.clicked.mean(),
                "popularity": shown.mean(),
                "popularity_se": shown.std(ddof=1) / np.sqrt(len(shown)),
                "exposure_gini": exposure_gini(lists, sim.num_items),
                "coverage": catalog_coverage(lists, sim.num_items),
            }
        )
        new = [log, day_events, caused] if closed else [log, day_events]
        log = pd.concat(new, ignore_index=True)
    return pd.DataFrame(rows).set_index("day")
