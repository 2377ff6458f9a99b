"""The funnel: the fav, cart and buy events that follow page views.

Each step's chance is sigmoid(b + slope * z) on the standardised user-item taste z, its
intercept b calibrated (``calibrated_intercept``) so that the behaviours come at
Taobao's shares; the slopes, shares and delays are in ``gnnrec_utils.synthetic.config``.
Both the in-memory shop and the streamed one draw their funnel with ``funnel_events``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gnnrec_utils.synthetic.config import (
    CART_BUY_SHARE,
    DAY,
    FUNNEL_DELAYS,
    FUNNEL_SLOPES,
    NUM_DAYS,
    START_TIMESTAMP,
    TAOBAO_SHARES,
    ShopConfig,
)

__all__ = ["calibrated_draw", "calibrated_intercept", "funnel_events"]


def calibrated_intercept(
    z: np.ndarray, target: float, slope: float, weight: np.ndarray | None = None
) -> float:
    """The b for which sum(weight * sigmoid(b + slope * z)) == target (weight 1 if None),
    by bisection over [-30, 30]."""
    lo, hi = -30.0, 30.0
    for _ in range(80):
        b = (lo + hi) / 2
        p = 1 / (1 + np.exp(-(b + slope * z)))
        if (p if weight is None else weight * p).sum() > target:
            hi = b
        else:
            lo = b
    return b


def calibrated_draw(
    z: np.ndarray, target: float, slope: float, rng: np.random.Generator
) -> np.ndarray:
    """Bernoulli draws with p = sigmoid(b + slope * z), b set so that sum(p) == target."""
    b = calibrated_intercept(z, target, slope)
    p = 1 / (1 + np.exp(-(b + slope * z)))
    return rng.random(len(z)) < p


def funnel_events(
    cfg: ShopConfig,
    views: pd.DataFrame,
    z: np.ndarray,
    trigger: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """fav, cart and buy events that follow first views, at Taobao's behaviour shares.

    A purchase comes one of three ways: right after the view, from the cart some hours
    later, or (a share ``cfg.fav_buy_share``) back from a favourite days later. A
    purchase that would fall after the window's end is not made; the direct purchases
    make up the count.
    """
    n_pv = len(views)
    want = {b: n_pv * TAOBAO_SHARES[b] / TAOBAO_SHARES["pv"] for b in ("fav", "cart", "buy")}
    idx = np.flatnonzero(trigger)
    zt = z[idx]
    t = views.timestamp.to_numpy()
    end = START_TIMESTAMP + NUM_DAYS * DAY - 1
    slope, delay = FUNNEL_SLOPES, FUNNEL_DELAYS
    fav = idx[calibrated_draw(zt, want["fav"], cfg.fav_taste, rng)]
    cart = idx[calibrated_draw(zt, want["cart"], slope["cart"], rng)]
    buy_cart = cart[calibrated_draw(z[cart], CART_BUY_SHARE * want["buy"], slope["buy_cart"], rng)]
    buy_fav, t_fav = fav[:0], t[:0]
    if cfg.fav_buy_share > 0:
        buy_fav = fav[
            calibrated_draw(z[fav], cfg.fav_buy_share * want["buy"], slope["buy_fav"], rng)
        ]
        t_fav = t[buy_fav] + 600 + rng.exponential(cfg.fav_buy_days * DAY, len(buy_fav))
        buy_fav, t_fav = buy_fav[t_fav <= end], t_fav[t_fav <= end]
    direct = max(want["buy"] - len(buy_cart) - len(buy_fav), 0.0)
    buy_direct = idx[calibrated_draw(zt, direct, slope["buy_direct"], rng)]

    def later(v, step):
        return t[v] + delay[step][0] + rng.exponential(delay[step][1], len(v))

    parts = [
        (fav, "fav", later(fav, "fav")),
        (cart, "cart", later(cart, "cart")),
        (buy_direct, "buy", later(buy_direct, "buy_direct")),
        (buy_cart, "buy", later(buy_cart, "buy_cart")),
        (buy_fav, "buy", t_fav),
    ]
    frames = [
        pd.DataFrame({"view": v, "behavior": b, "timestamp": ts.astype(np.int64)})
        for v, b, ts in parts
    ]
    return pd.concat(frames, ignore_index=True)
