"""The checkers of notebook 11's exercises accept a right answer, typed as the notebook
prints it, and reject the unchanged default and the neighbouring variant.

Exercises 2 and 3 run the simulator of the tiny generated shop (with a click rate of 0.2,
so that a few hundred impressions get clicks), an untrained LightGCN's lists and the
shoppers of the tiny split.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.evaluation import warm_target_users
from gnnrec_utils.exercises import nb11
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import LightGCN, Popularity
from gnnrec_utils.scenarios import (
    ShopSimulator,
    epsilon_greedy,
    examination,
    run_bandit,
    shoppers_per_arm,
    thompson,
)

K = 5


def says(capsys, start: str, words: str = "") -> None:
    out = capsys.readouterr().out
    assert out.startswith(start) and words in out, out


# --- exercise 1 --------------------------------------------------------------------------


def arm(buyers: int, shoppers: int, buys_each: int) -> pd.DataFrame:
    """Shoppers shown 10 items each; ``buyers`` of them bought ``buys_each`` items."""
    buys = np.array([buys_each] * buyers + [0] * (shoppers - buyers))
    return pd.DataFrame({"buys": buys, "impressions": 10, "conversion_rate": buys / 10})


# shares of buyers 0.10 and 0.15: the textbook 686 per arm; per impression 0.01 and 0.03
A, B = arm(10, 100, 1), arm(15, 100, 2)


def test_exercise_1_accepts_shoppers_per_arm(capsys):
    assert shoppers_per_arm(0.10, 0.15 / 0.10 - 1) == 686
    assert nb11.check_exercise_1(686, A, B)
    says(capsys, "Right: 686 shoppers per arm")


def test_exercise_1_rejects_a_row_of_section_3s_table(capsys):
    assert not nb11.check_exercise_1(shoppers_per_arm(0.10, 0.05), A, B)
    says(capsys, "Not yet: ", "section 3's row for a +5% lift")


def test_exercise_1_rejects_purchases_per_impression(capsys):
    per_impression = shoppers_per_arm(0.01, 2.0)
    assert per_impression != 686
    assert not nb11.check_exercise_1(per_impression, A, B)
    says(capsys, "Not yet: ", "purchases per impression")


def test_exercise_1_rejects_both_arms_together(capsys):
    assert not nb11.check_exercise_1(1372, A, B)
    says(capsys, "Not yet: ", "both arms together")


# --- exercise 2 --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop(tiny_shop, tiny_split):
    """The tiny shop's simulator, its split, an untrained LightGCN and its test-day lists."""
    sim = ShopSimulator.from_shop("tiny", 0, seed=0, base_ctr=0.2)
    sim.check_shop(tiny_shop)
    split = tiny_split
    n_u, n_i = split.num_users, split.num_items
    torch.manual_seed(0)
    model = LightGCN(normalized_adjacency(split.train, n_u, n_i), n_u, n_i, 16)
    users = warm_target_users(split.targets("test"), split.train)
    top = model.recommend(users, K, exclude=split.history("test"))
    return sim, split, model, users, top


def all_seen(sim, seed: int = 0) -> ShopSimulator:
    return ShopSimulator(sim.world, sim.cfg, sim.funnel, seed=seed, position_bias=None,
                         base_ctr=sim.base_ctr)  # fmt: skip


@pytest.fixture(scope="module")
def tables(shop):
    sim, _, _, users, top = shop
    biased, _ = sim.show(users, 8, top)
    unbiased, _ = all_seen(sim).show(users, 8, top)
    return biased, unbiased


def test_exercise_2_accepts_the_factor_to_two_decimals(shop, tables, capsys):
    biased, unbiased = tables
    factor = unbiased.clicked.mean() / biased.clicked.mean()
    assert factor > 1.1
    assert nb11.check_exercise_2(round(factor, 2), biased, unbiased, shop[2], shop[1])
    says(capsys, "Right: ", "times the clicks")


def test_exercise_2_rejects_the_biased_simulator_twice(shop, tables, capsys):
    biased, _ = tables
    assert not nb11.check_exercise_2(1.0, biased, biased, shop[2], shop[1])
    says(capsys, "Not yet: ", "position_bias=None")


def test_exercise_2_rejects_an_all_seen_simulator_with_another_seed(shop, tables, capsys):
    sim, split, model, users, top = shop
    biased, _ = tables
    other, _ = all_seen(sim, seed=1).show(users, 8, top)
    factor = other.clicked.mean() / biased.clicked.mean()
    assert not nb11.check_exercise_2(round(factor, 2), biased, other, model, split)
    says(capsys, "Not yet: ", "same seed")


def test_exercise_2_rejects_other_lists(shop, capsys):
    sim, split, model, users, _ = shop
    popular = Popularity(split.item_popularity(), split.num_users)
    top = popular.recommend(users, K, exclude=split.history("test"))
    biased, _ = sim.show(users, 8, top)
    unbiased, _ = all_seen(sim).show(users, 8, top)
    factor = unbiased.clicked.mean() / biased.clicked.mean()
    assert not nb11.check_exercise_2(round(factor, 2), biased, unbiased, model, split)
    says(capsys, "Not yet: ", "LightGCN's top-5 lists")


def test_exercise_2_rejects_one_over_the_share_seen(shop, tables, capsys):
    biased, unbiased = tables
    factor = unbiased.clicked.mean() / biased.clicked.mean()
    assert round(1 / biased.seen.mean(), 2) != round(factor, 2)
    assert not nb11.check_exercise_2(1 / biased.seen.mean(), biased, unbiased, shop[2], shop[1])
    says(capsys, "Not yet: ", "one over the share of positions seen")


def test_exercise_2_rejects_the_inverse(shop, tables, capsys):
    biased, unbiased = tables
    inverse = biased.clicked.mean() / unbiased.clicked.mean()
    assert not nb11.check_exercise_2(inverse, biased, unbiased, shop[2], shop[1])
    says(capsys, "Not yet: ", "inverse ratio")


# --- exercise 3 --------------------------------------------------------------------------

POLICIES = {
    "LightGCN top-10": lambda arms, cand, k, rng: cand[:, :k],
    "Thompson": thompson,
    "ε-greedy": partial(epsilon_greedy, epsilon=0.1),
}


@pytest.fixture(scope="module")
def rounds(shop):
    """A week of the tiny shop's shoppers, each choosing 5 of the model's top 50. Learning
    from purchases, ε-greedy has the lowest regret; learning from clicks, Thompson."""
    sim, split, model, _, _ = shop
    users = np.sort(split.train.user_id.unique())
    candidates = model.recommend(users, 50, exclude=split.history("test"))
    return [(8 + d, users, candidates) for d in range(7)]


def kit_regret(sim, rounds, reward: str) -> dict[str, float]:
    """Each policy's cumulative regret with the kit's ``run_bandit``."""
    args = (partial(sim.rewards, reward=reward), partial(sim.expected_reward, reward=reward))
    seen = examination(sim.position_bias, K)
    return {
        name: float(run_bandit(p, rounds, *args, sim.num_items, K, seen=seen).regret.sum())
        for name, p in POLICIES.items()
    }


def test_the_checkers_bandit_loop_is_run_bandit(shop, rounds):
    sim = shop[0]
    for reward in ("buy", "click"):
        kit = kit_regret(sim, rounds, reward)
        ours = {n: nb11.bandit_regret(p, sim, rounds, K, 0, reward) for n, p in POLICIES.items()}
        assert ours == pytest.approx(kit, rel=1e-12)


def test_exercise_3_accepts_the_lowest_regret_in_purchases(shop, rounds, capsys):
    regret = kit_regret(shop[0], rounds, "buy")
    best = min(regret, key=regret.get)
    assert best == "ε-greedy"
    assert nb11.check_exercise_3(best, shop[0], POLICIES, rounds, K, 0)
    says(capsys, "Right: ε-greedy: ")


def test_exercise_3_rejects_the_lowest_regret_in_clicks(shop, rounds, capsys):
    regret = kit_regret(shop[0], rounds, "click")
    assert min(regret, key=regret.get) == "Thompson"
    assert not nb11.check_exercise_3("Thompson", shop[0], POLICIES, rounds, K, 0)
    says(capsys, "Not yet: ", "when the bandits learn from clicks")


def test_exercise_3_rejects_the_models_own_order(shop, rounds, capsys):
    assert not nb11.check_exercise_3("LightGCN top-10", shop[0], POLICIES, rounds, K, 0)
    says(capsys, "Not yet: ", "more than ε-greedy's")


def test_exercise_3_rejects_a_name_that_is_no_policy(shop, rounds, capsys):
    assert not nb11.check_exercise_3("oracle", shop[0], POLICIES, rounds, K, 0)
    says(capsys, "Not yet: ", "none of")
