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
sharper). The choice model's pieces are :mod:`gnnrec_utils.scenarios.choice_model`'s;
the business metrics, A/B test and sample size are
:mod:`gnnrec_utils.scenarios.experiments`', bandits and a feedback-loop replay
:mod:`gnnrec_utils.scenarios.bandits`'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import DAY
from gnnrec_utils.scenarios.choice_model import (
    STEPS,
    Funnel,
    examination,
    shop_reference,
    sigmoid,
    uniforms,
    world_fingerprint,
)
from gnnrec_utils.synthetic.config import (
    FUNNEL_DELAYS,
    HOURLY_RHYTHM,
    NUM_DAYS,
    START_TIMESTAMP,
    ShopConfig,
)
from gnnrec_utils.synthetic.funnel import calibrated_intercept
from gnnrec_utils.synthetic.shop import item_scores, tidy_events
from gnnrec_utils.synthetic.world import World

__all__ = ["ShopSimulator"]

# one key per kind of draw, so that no two draws share a uniform
_EXAMINE, _CLICK, _START, _GAP = 1, 2, 3, 4
_DRAW = {step: 10 + i for i, step in enumerate(STEPS)}
_DELAY = {step: 20 + i for i, step in enumerate(STEPS)}


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
        score = item_scores(self.cfg, self.world, user, t, item)[0][:, 0]
        score = score[np.isfinite(score)] / self.cfg.temperature
        return calibrated_intercept(score, base_ctr * pairs, 1.0)

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
        score, taste = item_scores(self.cfg, self.world, users, t[:, 0], lists)
        out = {"seen": np.broadcast_to(examination(self.position_bias, lists.shape[1]), t.shape)}
        with np.errstate(over="ignore"):
            if self.click_intercept is None:
                out["click"] = np.isfinite(score).astype(np.float64)
            else:
                out["click"] = sigmoid(self.click_intercept + score / self.cfg.temperature)
        f = self.funnel
        out["z"] = (taste - f.taste_mean) / f.taste_std
        for s in STEPS:
            out[s] = sigmoid(f.intercept[s] + f.slope[s] * out["z"])
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
        return impressions, tidy_events(events, self.world.items)

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
