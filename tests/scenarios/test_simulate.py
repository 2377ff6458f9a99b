"""The shop simulator, business metrics, A/B tests, bandits and feedback loops
(gnnrec_utils.scenarios.simulator), on the tiny generated shop and hand-made cases."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gnnrec_utils import synthetic
from gnnrec_utils.data import load_items
from gnnrec_utils.evaluation import t_quantile
from gnnrec_utils.models import Popularity
from gnnrec_utils.scenarios import (
    ShopSimulator,
    ab_test,
    business_metrics,
    epsilon_greedy,
    examination,
    feedback_loop,
    per_shopper_table,
    run_bandit,
    shop_reference,
    shoppers_per_arm,
    thompson,
    uniforms,
)

ROOT = Path(__file__).resolve().parents[2]
TINY = synthetic.SIZES["tiny"]


@pytest.fixture(scope="module")
def reference():
    return shop_reference("tiny", 0)


@pytest.fixture(scope="module")
def sim(reference):
    return ShopSimulator(*reference, seed=1)


def random_lists(n: int, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(TINY.num_items)[:k] for _ in range(n)])


# ------------------------------------------------------------------ the world
def test_shop_world_is_the_generators_world(tiny_shop):
    world = synthetic.shop_world("tiny", 0)
    shop = tiny_shop
    pd.testing.assert_frame_equal(world.items, shop.items)
    pd.testing.assert_frame_equal(world.users, shop.users)


def test_the_bundled_shop_is_the_default_world():
    items = load_items(ROOT / "data" / "shop" / "items.csv")
    world = synthetic.shop_world("default", 0)
    np.testing.assert_array_equal(items.category_id, world.items.category_id)
    np.testing.assert_allclose(items.price, world.items.price)


# ------------------------------------------------------------------ randomness
def test_uniforms_are_a_function_of_seed_and_keys():
    a = uniforms(3, np.arange(10_000), 7)
    assert np.array_equal(a, uniforms(3, np.arange(10_000), 7))
    assert np.array_equal(a[5:6], uniforms(3, np.array([5]), 7))  # not batch-dependent
    assert not np.array_equal(a, uniforms(4, np.arange(10_000), 7))
    assert ((a >= 0) & (a < 1)).all()
    assert abs(a.mean() - 0.5) < 4 * math.sqrt(1 / 12 / len(a))
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 4 / math.sqrt(len(a))


def test_same_seed_same_events_other_seed_other_events(reference):
    users, lists = np.arange(300), random_lists(300, 10)
    first = ShopSimulator(*reference, seed=5).show(users, 2, lists)
    again = ShopSimulator(*reference, seed=5).show(users, 2, lists)
    other = ShopSimulator(*reference, seed=6).show(users, 2, lists)
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert not first[0].clicked.equals(other[0].clicked)


def test_a_shoppers_outcome_does_not_depend_on_the_batch(sim):
    users, lists = np.arange(300), random_lists(300, 10)
    imp, ev = sim.show(users, 4, lists)
    alone_imp, alone_ev = sim.show(users[[17]], 4, lists[[17]])
    pd.testing.assert_frame_equal(imp[imp.user_id == 17].reset_index(drop=True), alone_imp)
    pd.testing.assert_frame_equal(ev[ev.user_id == 17].reset_index(drop=True), alone_ev)


# ------------------------------------------------------------------ the model
def test_examination_curves():
    np.testing.assert_allclose(examination("log2", 3), [1.0, 1 / math.log2(3), 0.5])
    np.testing.assert_array_equal(examination(None, 2), [1.0, 1.0])
    np.testing.assert_array_equal(examination([0.9, 0.4, 0.1], 2), [0.9, 0.4])
    with pytest.raises(ValueError, match="at least k=3"):
        examination([1.0, 0.5], 3)


def test_positions_are_seen_at_the_stated_rates(reference):
    curve = [1.0, 0.6, 0.2, 0.0]
    sim = ShopSimulator(*reference, seed=2, position_bias=curve)
    users = np.arange(300)
    imp = pd.concat([sim.show(users, d, random_lists(300, 4, d))[0] for d in range(10)])
    rate = imp.groupby("position").seen.mean().to_numpy()
    se = np.sqrt(np.array(curve) * (1 - np.array(curve)) / 3000)
    assert (np.abs(rate - curve) <= 4 * se + 1e-12).all()
    assert not imp[~imp.seen].clicked.any()


def test_random_items_are_clicked_at_the_base_ctr(reference):
    sim = ShopSimulator(*reference, seed=3, position_bias=None, base_ctr=0.05)
    rng = np.random.default_rng(9)
    users, items = rng.integers(0, TINY.num_users, 20_000), rng.integers(0, TINY.num_items, 20_000)
    t = np.full(20_000, synthetic.START_TIMESTAMP + synthetic.NUM_DAYS * synthetic.DAY // 2)
    score = synthetic.item_scores(TINY, sim.world, users, t, items[:, None])[0][:, 0]
    p = 1 / (1 + np.exp(-(sim.click_intercept + score[np.isfinite(score)])))
    assert abs(p.mean() - 0.05) < 0.005  # a fresh sample, not the calibration's


def test_reproduces_the_generators_behaviour_shares(reference, tiny_shop):
    """No position bias, every seen item viewed, lists = the generator's first views: fav,
    cart and buy per view match the generator's within 4 binomial standard errors of the
    difference of two independent shares, sqrt(p (1 - p) (1/n + 1/n)); and the expected
    counts hit the generator's calibration targets exactly."""
    world, cfg, funnel = reference
    rng = np.random.default_rng(0)
    views, item, taste, repeat = synthetic.draw_views(cfg, synthetic.build_world(cfg, rng), rng)
    users, items = views.user.to_numpy()[~repeat], item[~repeat]
    day = synthetic.NUM_DAYS + pd.Series(users).groupby(users).cumcount().to_numpy()  # launched
    sim = ShopSimulator(world, cfg, funnel, seed=0, position_bias=None, base_ctr=None)
    imp, events = sim.show(users, day, items[:, None])
    assert imp.clicked.all()
    made = tiny_shop.events.behavior.value_counts()
    got = events.behavior.value_counts()
    n = len(items)
    for b in ("fav", "cart", "buy"):
        p = made[b] / n
        assert abs(got[b] / got["pv"] - p) < 4 * math.sqrt(p * (1 - p) * 2 / n), b
    p = sim.probabilities(users, day, items[:, None])
    want = len(views) * np.array([0.029, 0.055, 0.020]) / 0.895
    expected = [p["fav"].sum(), p["cart"].sum(), p["buys"].sum()]
    np.testing.assert_allclose(expected, want, rtol=1e-6)


def test_events_follow_their_views(sim):
    imp, ev = sim.show(np.arange(300), 3, random_lists(300, 10))
    assert list(ev.columns) == ["user_id", "item_id", "category_id", "behavior", "timestamp"]
    assert (ev.behavior == "pv").sum() == imp.clicked.sum()
    views = ev[ev.behavior == "pv"].set_index(["user_id", "item_id"]).timestamp
    later = ev[ev.behavior != "pv"].join(views.rename("viewed"), on=["user_id", "item_id"])
    assert (later.timestamp > later.viewed).all()
    day_start = synthetic.START_TIMESTAMP + 3 * synthetic.DAY
    assert imp.timestamp.between(day_start, day_start + synthetic.DAY + 3600).all()


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("users", "lists", "day", "message"),
    [
        ([0, 1], [[0, 240], [1, 2]], 0, "item 240 is not in this world"),
        ([0, 1], [[0, -1], [1, 2]], 0, "item -1 is not in this world"),
        ([0, 1], [[5, 5], [1, 2]], 0, "item 5 is twice in the list of row 0"),
        ([0, 300], [[0, 1], [1, 2]], 0, "shopper 300 is not in this world"),
        ([0, 1], np.zeros((2, 0), dtype=int), 0, "k >= 1"),
        ([0, 0], [[0, 1], [1, 2]], 0, "shopper 0 has two lists on day 0"),
        ([0, 1], [[0, 1], [1, 2]], -1, "day -1"),
        ([0], [[0, 1], [1, 2]], 0, "2 lists need 2 shoppers"),
    ],
)
def test_bad_input_names_the_offending_value(sim, users, lists, day, message):
    with pytest.raises(ValueError, match=message):
        sim.show(np.array(users), day, np.array(lists))


def test_a_simulator_refuses_another_world(reference, tiny_shop):
    world, cfg, funnel = reference
    _, _, other_funnel = shop_reference("tiny", 1)
    with pytest.raises(ValueError, match="funnel was computed from world"):
        ShopSimulator(world, cfg, other_funnel)
    with pytest.raises(ValueError, match="cfg describes 6,000 users"):
        ShopSimulator(world, synthetic.SIZES["default"], funnel)
    sim = ShopSimulator(world, cfg, funnel)
    sim.check_shop(tiny_shop)
    with pytest.raises(ValueError, match="another size or seed"):
        sim.check_shop(synthetic.generate_shop("tiny", 1))


# ------------------------------------------------------------------ business metrics
ITEMS = pd.DataFrame({"item_id": [0, 1, 2], "category_id": [0, 0, 1], "price": [10.0, 20.0, 30.0]})
IMPRESSIONS = pd.DataFrame({"user_id": [0, 0, 1, 1], "item_id": [0, 1, 1, 0]})
EVENTS = pd.DataFrame(
    {
        "user_id": [0, 1, 1, 1],
        "item_id": [0, 1, 1, 1],
        "behavior": ["pv", "pv", "cart", "buy"],
        "timestamp": [1, 2, 3, 4],
    }
)


def test_business_metrics_by_hand():
    m = business_metrics(IMPRESSIONS, EVENTS, ITEMS)
    assert m["ctr"] == 2 / 4 and m["add_to_cart_rate"] == 1 / 4
    assert m["conversion_rate"] == 1 / 4
    assert m["gmv_per_1000"] == 1000 * 20.0 / 4
    assert m["coverage"] == pytest.approx(2 / 3)
    # exposure counts (2, 2, 0): Gini = sum_i (2i - n - 1) x_(i) / (n sum x) = (0 + 0*2 + 2*2) / 12
    assert m["exposure_gini"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="no impressions"):
        business_metrics(IMPRESSIONS.iloc[:0], EVENTS, ITEMS)


def test_per_shopper_table_by_hand():
    table = per_shopper_table(IMPRESSIONS, EVENTS, ITEMS)
    assert table.loc[0, ["impressions", "clicks", "carts", "buys", "gmv"]].tolist() == [
        2,
        1,
        0,
        0,
        0,
    ]
    assert table.loc[1, ["clicks", "carts", "buys", "gmv"]].tolist() == [1, 1, 1, 20.0]
    assert table.loc[1, "conversion_rate"] == 0.5 and table.loc[1, "gmv_per_1000"] == 10_000
    quiet = per_shopper_table(IMPRESSIONS, EVENTS.iloc[:0], ITEMS)
    assert (quiet.ctr == 0).all() and len(quiet) == 2


# ------------------------------------------------------------------ A/B tests
@pytest.mark.parametrize(("df", "exact"), [(5, 2.570582), (10, 2.228139), (30, 2.042272)])
def test_t_quantile_against_tables(df, exact):
    assert t_quantile(0.975, df) == pytest.approx(exact, abs=1e-3)
    assert t_quantile(0.975, math.inf) == pytest.approx(1.959964, abs=1e-6)


def test_ab_test_by_hand():
    a = pd.DataFrame({"ctr": [0.0, 1.0, 0.0, 1.0]})
    b = pd.DataFrame({"ctr": [1.0, 1.0, 1.0, 0.0]})
    r = ab_test(a, b, "ctr")
    va, vb = (1 / 3) / 4, 0.25 / 4  # sample variances over n
    df = (va + vb) ** 2 / (va**2 / 3 + vb**2 / 3)
    assert r["difference"] == 0.25 and r["se"] == pytest.approx(math.sqrt(va + vb))
    assert r["df"] == pytest.approx(df)
    half = t_quantile(0.975, df) * math.sqrt(va + vb)
    assert (r["low"], r["high"]) == pytest.approx((0.25 - half, 0.25 + half))


def test_ab_interval_covers_the_true_difference_at_the_nominal_rate():
    """400 simulated tests of 300 shoppers per arm, conversion 0.10 against 0.13: the
    95 % interval should cover 0.03 in 95 % of them (binomial s.e. 1.1 points)."""
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(400):
        a = pd.DataFrame({"cvr": rng.random(300) < 0.10})
        b = pd.DataFrame({"cvr": rng.random(300) < 0.13})
        r = ab_test(a, b, "cvr")
        covered += r["low"] <= 0.03 <= r["high"]
    assert 0.92 <= covered / 400 <= 0.98


def test_shoppers_per_arm_textbook_value():
    # p1 = 0.10, p2 = 0.15, alpha 0.05 two-sided, power 0.8: 685.6 -> 686 per arm
    assert shoppers_per_arm(0.10, 0.5) == 686
    assert 3.9 < shoppers_per_arm(0.02, 0.05) / shoppers_per_arm(0.02, 0.10) < 4.3
    with pytest.raises(ValueError, match="base_rate"):
        shoppers_per_arm(0.8, 0.5)


# ------------------------------------------------------------------ bandits
def toy_bandit(policy, rounds=40, shoppers=50, seed=0):
    """Ten arms with known rates 0.05 .. 0.50; every shopper gets one of all ten."""
    rate = np.linspace(0.05, 0.5, 10)
    cand = np.tile(np.arange(10), (shoppers, 1))
    rng = np.random.default_rng(seed)
    picks = []

    def feedback(users, day, lists):
        picks.append(lists[:, 0])
        return rng.random(lists.shape) < rate[lists]

    days = [(d, np.arange(shoppers), cand) for d in range(rounds)]
    table = run_bandit(policy, days, feedback, lambda u, d, c: rate[c], 10, k=1, seed=seed)
    return table, np.array(picks)


@pytest.mark.parametrize("policy", [thompson, partial(epsilon_greedy, epsilon=0.1)])
def test_bandits_find_the_best_arm_with_sublinear_regret(policy):
    table, picks = toy_bandit(policy)
    assert (picks[-10:] == 9).mean() > 0.7  # arm 8 pays 0.45 against 0.50
    first, second = table.regret.iloc[:20].sum(), table.regret.iloc[20:].sum()
    assert second < first / 2  # regret grows ever more slowly
    assert table.regret.iloc[-10:].mean() < 0.25 * table.regret.iloc[:3].mean()
    assert (table.regret >= -1e-9).all()


def test_oracle_puts_the_best_item_where_it_is_seen_most():
    value = np.array([[0.1, 0.4, 0.2]])

    def fixed(arms, cand, k, rng):
        return cand[:, :2]  # items 0 and 1, in that order

    days = [(0, np.array([0]), np.array([[0, 1, 2]]))]
    table = run_bandit(
        fixed,
        days,
        lambda u, d, lists: np.zeros(lists.shape),
        lambda u, d, c: value[:, c[0]],
        3,
        k=2,
        seen=[1.0, 0.5],
    )
    assert table.loc[0, "oracle"] == pytest.approx(0.4 + 0.5 * 0.2)
    assert table.loc[0, "expected"] == pytest.approx(0.1 + 0.5 * 0.4)


def test_thompson_on_the_tiny_shop_learns_what_shoppers_click(sim):
    """Per-item arms, 30 random candidates per shopper, 5 shown: by days 6-8 Thompson's
    lists earn clearly more expected clicks than random lists of the same candidates
    (about 1.5 times as many at seeds 0 and 1), and never more than the oracle's."""
    users = np.arange(TINY.num_users)
    days = [(d, users, random_lists(TINY.num_users, 30, seed=4)) for d in range(8)]
    seen = examination("log2", 5)
    args = (days, sim.rewards, sim.expected_reward, TINY.num_items)
    learned = run_bandit(thompson, *args, k=5, seen=seen)
    blind = run_bandit(partial(epsilon_greedy, epsilon=1.0), *args, k=5, seen=seen)
    assert learned.expected.iloc[-3:].sum() > 1.2 * blind.expected.iloc[-3:].sum()
    assert (learned.expected <= learned.oracle + 1e-9).all()
    assert (learned.oracle == blind.oracle).all()


# ------------------------------------------------------------------ feedback loops
def test_feedback_loop_on_the_tiny_shop(sim, tiny_shop):
    events = tiny_shop.events
    cut = synthetic.START_TIMESTAMP + 6 * synthetic.DAY
    history = events[events.timestamp < cut]
    organic = [
        events[
            (events.timestamp >= cut + d * synthetic.DAY)
            & (events.timestamp < cut + (d + 1) * synthetic.DAY)
        ]
        for d in range(3)
    ]
    seen_logs = []

    def fit(log):
        seen_logs.append(len(log))
        return Popularity(np.bincount(log.item_id, minlength=TINY.num_items), TINY.num_users)

    users = np.arange(0, TINY.num_users, 3)
    closed = feedback_loop(sim, fit, history, organic, users, 5, first_day=6)
    open_ = feedback_loop(sim, fit, history, organic, users, 5, first_day=6, closed=False)
    assert list(closed.index) == [6, 7, 8] and len(open_) == 3
    pd.testing.assert_series_equal(closed.iloc[0], open_.iloc[0])  # same log on day 1
    for table in (closed, open_):
        assert table.exposure_gini.between(0, 1).all() and table.coverage.between(0, 1).all()
        assert (table.popularity > 0).all()
    grown = len(history) + len(organic[0]) + closed.events_caused.iloc[0]
    assert seen_logs[1] == grown and seen_logs[4] == len(history) + len(organic[0])
