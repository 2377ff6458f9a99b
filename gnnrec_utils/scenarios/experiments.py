"""Business outcomes of simulated lists, and A/B tests of two recommenders (notebook 11).

:func:`per_shopper_table` and :func:`business_metrics` turn a simulator's impressions
and events into clicks, conversions and GMV; :func:`ab_test` compares two arms with a
Welch interval (:func:`~gnnrec_utils.evaluation.significance.welch_interval`), and
:func:`shoppers_per_arm` says how many shoppers an arm needs to see a lift.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from gnnrec_utils.evaluation.metrics import catalog_coverage, exposure_gini
from gnnrec_utils.evaluation.significance import welch_interval

__all__ = ["ab_test", "business_metrics", "per_shopper_table", "shoppers_per_arm"]


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


def ab_test(
    table_a: pd.DataFrame, table_b: pd.DataFrame, metric: str, level: float = 0.95
) -> dict[str, float]:
    """Difference B - A of the mean per-shopper ``metric``, with a Welch t interval.

    Each arm's shoppers are independent units (``per_shopper_table`` of each arm); the
    interval (:func:`~gnnrec_utils.evaluation.significance.welch_interval`) is ``diff +- t(df) * sqrt(var_a / n_a + var_b / n_b)`` with the
    Welch-Satterthwaite ``df``. When every shopper has the same number of impressions,
    the mean per-shopper rate is the pooled rate.

    Returns:
        ``mean_a``, ``mean_b``, ``difference``, ``se``, ``low``, ``high``, ``df``,
        ``n_a``, ``n_b``.
    """
    a, b = (np.asarray(t[metric], dtype=np.float64) for t in (table_a, table_b))
    if min(len(a), len(b)) < 2:
        raise ValueError(f"each arm needs two shoppers or more, got {len(a)} and {len(b)}")
    welch = welch_interval(a, b, level)
    return {
        "mean_a": float(a.mean()),
        "mean_b": float(b.mean()),
        "difference": welch["difference"],
        "se": welch["se"],
        "low": welch["low"],
        "high": welch["high"],
        "df": welch["df"],
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
