"""What a shopper shown an item does: examination, the generator's funnel, fixed draws.

The pieces of :class:`~gnnrec_utils.scenarios.simulator.ShopSimulator`'s choice model:
:func:`examination` (the chance each position is seen), :func:`generator_funnel` (the
generator's fav / cart / buy intercepts and slopes, fixed once in expectation) and
:func:`uniforms` (every random draw a hash of its keys: common random numbers).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gnnrec_utils.synthetic.config import (
    CART_BUY_SHARE,
    FUNNEL_SLOPES,
    SIZES,
    TAOBAO_SHARES,
    ShopConfig,
)
from gnnrec_utils.synthetic.funnel import calibrated_intercept
from gnnrec_utils.synthetic.shop import draw_views
from gnnrec_utils.synthetic.world import World, build_world

__all__ = [
    "STEPS",
    "Funnel",
    "examination",
    "generator_funnel",
    "shop_reference",
    "sigmoid",
    "uniforms",
    "world_fingerprint",
]


STEPS = ("fav", "cart", "buy_cart", "buy_fav", "buy_direct")


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


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise."""
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
    b = {s: calibrated_intercept(z, want[s], slope[s]) for s in ("fav", "cart")}
    p_fav, p_cart = sigmoid(b["fav"] + slope["fav"] * z), sigmoid(b["cart"] + slope["cart"] * z)
    target = {
        "buy_cart": CART_BUY_SHARE * want["buy"],
        "buy_fav": cfg.fav_buy_share * want["buy"],
        "buy_direct": (1 - CART_BUY_SHARE - cfg.fav_buy_share) * want["buy"],
    }
    weight = {"buy_cart": p_cart, "buy_fav": p_fav, "buy_direct": None}
    for s in target:
        b[s] = calibrated_intercept(z, target[s], slope[s], weight[s])
    return Funnel(float(taste.mean()), float(taste.std()), b, slope, world_fingerprint(world))


def shop_reference(size: str | ShopConfig = "default", seed: int = 0):
    """``(world, cfg, funnel)`` of ``generate_shop(size, seed)``: the generator's own draw
    of its world and views (a few seconds for the default shop), as the simulator needs."""
    cfg = SIZES[size] if isinstance(size, str) else size
    rng = np.random.default_rng(seed)
    world = build_world(cfg, rng)
    _, _, taste, repeat = draw_views(cfg, world, rng)
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
