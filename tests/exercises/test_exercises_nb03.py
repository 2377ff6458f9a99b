"""Notebook 03's exercise checkers, on the tiny shop with models trained for a few
epochs: a right answer as printed passes; the unchanged default, the neighbouring
variant and a figure from the wrong day or the wrong way round do not."""

from dataclasses import replace

import numpy as np
import pytest

from gnnrec_utils.data import BEHAVIORS
from gnnrec_utils.evaluation import paired_difference, per_user_recall_ndcg, warm_target_users
from gnnrec_utils.exercises import nb03
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import (
    LightGCN,
    MultiBehaviorGCN,
    item_attribute_codes,
    user_attribute_codes,
)
from gnnrec_utils.notebook import set_seed
from gnnrec_utils.training import TrainConfig, intent_positives, train

CONFIG = TrainConfig(num_epochs=3, batch_size=512, lr=0.05, patience=1, top_k=10, seed=0)


def kit_gain(a, b, split, period="valid"):
    """A − B in NDCG@10, paired, with the kit's ranking, metric and paired_difference."""
    users = warm_target_users(split.targets(period), split.train)
    ndcg = [
        per_user_recall_ndcg(
            m.recommend(users, 10, exclude=split.history(period)), users, split.targets(period)
        )[1]
        for m in (a, b)
    ]
    return paired_difference(*ndcg)


def printed(gain, se):
    """The gain and standard error as the notebook prints them: "+0.0123", "0.0045"."""
    return f"{gain:+.4f}", f"{se:.4f}"


@pytest.fixture(scope="module")
def shop(tiny_shop, tiny_split):
    positives = intent_positives(tiny_split.train, tiny_split.num_users, tiny_split.num_items)
    return tiny_shop, tiny_split, positives


def run(make, split, positives, config=CONFIG):
    """(model, config, history) of a model built by ``make`` from seed 0."""
    set_seed(0)
    model = make()
    return model, config, train(model, split, positives, config, progress=False)


# --- the written-out evaluation ---------------------------------------------------------------


def test_dense_per_user_ndcg_is_the_kits(shop):
    _, split, positives = shop
    adj = normalized_adjacency(split.train, split.num_users, split.num_items)
    model = run(lambda: LightGCN(adj, split.num_users, split.num_items, 8, 2), split, positives)[0]
    for period in ("valid", "test"):
        users, ndcg = nb03.dense_per_user_ndcg(model, split, period)
        kit_users = warm_target_users(split.targets(period), split.train)
        top = model.recommend(kit_users, 10, exclude=split.history(period))
        assert np.array_equal(users, kit_users)
        np.testing.assert_allclose(ndcg, per_user_recall_ndcg(top, users, split.targets(period))[1])


# --- exercise 1 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def layers(shop):
    _, split, positives = shop
    adj = normalized_adjacency(split.train, split.num_users, split.num_items)
    return {
        n: run(lambda n=n: LightGCN(adj, split.num_users, split.num_items, 8, n), split, positives)
        for n in (1, 2, 3)
    }


def test_exercise_1_accepts_the_gain_as_printed(shop, layers, capsys):
    _, split, _ = shop
    lightgcn, one_run = layers[3][0], layers[1]
    gain, se = kit_gain(lightgcn, one_run[0], split)
    assert nb03.check_exercise_1(*printed(gain, se), one_run, lightgcn, split)
    assert capsys.readouterr().out.startswith("Right: 3 layers − one")
    assert nb03.check_exercise_1(gain, se, one_run, lightgcn, split)


def test_exercise_1_rejects_three_or_two_layers(shop, layers, capsys):
    _, split, _ = shop
    lightgcn = layers[3][0]
    for n in (3, 2):  # NUM_LAYERS left as it was, or one layer too many
        gain, se = kit_gain(lightgcn, layers[n][0], split)
        assert not nb03.check_exercise_1(gain, se, layers[n], lightgcn, split)
        assert f"Not yet: your model has {n} layers; the exercise asks for 1" in (
            capsys.readouterr().out
        )


def test_exercise_1_rejects_the_test_day_or_the_other_way_round(shop, layers, capsys):
    _, split, _ = shop
    lightgcn, one_run = layers[3][0], layers[1]
    gain, se = kit_gain(lightgcn, one_run[0], split, "test")
    assert not nb03.check_exercise_1(*printed(gain, se), one_run, lightgcn, split)
    assert "That is the test day" in capsys.readouterr().out
    gain, se = kit_gain(one_run[0], lightgcn, split)  # one − three
    assert not nb03.check_exercise_1(*printed(gain, se), one_run, lightgcn, split)
    assert "other way round" in capsys.readouterr().out


def test_exercise_1_rejects_a_run_that_did_not_train_the_model(shop, layers, capsys):
    _, split, _ = shop
    lightgcn, (one_layer, config, history) = layers[3][0], layers[1]
    adj = normalized_adjacency(split.train, split.num_users, split.num_items)
    set_seed(1)
    untrained = LightGCN(adj, split.num_users, split.num_items, 8, 1)
    gain, se = kit_gain(lightgcn, untrained, split)
    assert not nb03.check_exercise_1(gain, se, (untrained, config, history), lightgcn, split)
    assert "pass the model that this history trained" in capsys.readouterr().out
    short = replace(config, num_epochs=len(history) - 1)
    assert not nb03.check_exercise_1(gain, se, (one_layer, short, history), lightgcn, split)
    assert "more than its config's num_epochs" in capsys.readouterr().out
    assert not nb03.check_exercise_1(gain, se, (one_layer, history), lightgcn, split)
    assert "(model, config, history)" in capsys.readouterr().out


# --- exercise 2 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samplers(shop):
    _, split, positives = shop
    adj = normalized_adjacency(split.train, split.num_users, split.num_items)
    out = {}
    for sampler, loss, epochs in [
        ("hard", "bpr", 15),
        ("uniform", "bpr", 15),
        ("hard", "bpr", 5),  # GRID_EPOCHS, the unchanged default
        ("uniform", "bpr", 5),
        ("hard", "bce", 15),
    ]:
        config = replace(CONFIG, sampler=sampler, loss=loss, num_epochs=epochs)
        make = lambda: LightGCN(adj, split.num_users, split.num_items, 8, 2)  # noqa: E731
        out[sampler, loss, epochs] = run(make, split, positives, config)
    return out


def test_exercise_2_accepts_fifteen_epochs(shop, samplers, capsys):
    _, split, _ = shop
    runs = {s: samplers[s, "bpr", 15] for s in ("hard", "uniform")}
    gain, se = kit_gain(runs["hard"][0], runs["uniform"][0], split)
    assert nb03.check_exercise_2(*printed(gain, se), runs, split)
    assert capsys.readouterr().out.startswith("Right: hard − uniform")


def test_exercise_2_rejects_five_epochs_bce_or_swapped_runs(shop, samplers, capsys):
    _, split, _ = shop
    five = {s: samplers[s, "bpr", 5] for s in ("hard", "uniform")}
    gain, se = kit_gain(five["hard"][0], five["uniform"][0], split)
    assert not nb03.check_exercise_2(gain, se, five, split)
    assert "up to 5 epochs; the exercise asks for 15" in capsys.readouterr().out
    bce = {"hard": samplers["hard", "bce", 15], "uniform": samplers["uniform", "bpr", 15]}
    gain, se = kit_gain(bce["hard"][0], bce["uniform"][0], split)
    assert not nb03.check_exercise_2(gain, se, bce, split)
    assert "loss='bce'" in capsys.readouterr().out
    swapped = {"hard": samplers["uniform", "bpr", 15], "uniform": samplers["hard", "bpr", 15]}
    assert not nb03.check_exercise_2(-gain, se, swapped, split)
    assert "Not yet: the hard run was trained with sampler='uniform'" in capsys.readouterr().out


def test_exercise_2_rejects_a_wrong_gain(shop, samplers, capsys):
    _, split, _ = shop
    runs = {s: samplers[s, "bpr", 15] for s in ("hard", "uniform")}
    gain, se = kit_gain(runs["hard"][0], runs["uniform"][0], split)
    assert not nb03.check_exercise_2(*printed(-gain, se), runs, split)
    assert "other way round" in capsys.readouterr().out
    assert not nb03.check_exercise_2(gain, se, runs["hard"], split)
    assert 'runs = {"hard"' in capsys.readouterr().out


# --- exercise 3 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def multi(shop):
    tiny, split, positives = shop
    user_codes, user_cards = user_attribute_codes(tiny.users)
    item_codes, item_cards = item_attribute_codes(tiny.items)

    def make(behaviors, **kw):
        adjs = {
            b: normalized_adjacency(
                split.train[split.train.behavior == b], split.num_users, split.num_items
            )
            for b in behaviors
        }
        args = (adjs, user_codes, item_codes, user_cards, item_cards, 8)
        return run(lambda: MultiBehaviorGCN(*args, num_layers=1, **kw), split, positives)

    return {
        "with ids": make(BEHAVIORS),
        "no ids": make(BEHAVIORS, use_ids=False),
        "no item ids": make(BEHAVIORS, use_ids=False, user_ids=True),
        "no ids, three": make(BEHAVIORS[1:], use_ids=False),
    }


def test_exercise_3_accepts_the_model_without_ids(shop, multi, capsys):
    _, split, _ = shop
    with_ids = multi["with ids"][0]
    gain, se = kit_gain(multi["no ids"][0], with_ids, split)
    assert nb03.check_exercise_3(*printed(gain, se), multi["no ids"], with_ids, split)
    assert capsys.readouterr().out.startswith("Right: use_ids=False − with IDs")


def test_exercise_3_rejects_a_model_with_ids(shop, multi, capsys):
    _, split, _ = shop
    with_ids = multi["with ids"][0]
    for name in ("with ids", "no item ids"):  # unchanged; IDs for the users still
        gain, se = kit_gain(multi[name][0], with_ids, split)
        assert not nb03.check_exercise_3(gain, se, multi[name], with_ids, split)
        assert "still learns an ID vector" in capsys.readouterr().out


def test_exercise_3_rejects_other_behaviours_or_the_test_day(shop, multi, capsys):
    _, split, _ = shop
    with_ids = multi["with ids"][0]
    gain, se = kit_gain(multi["no ids, three"][0], with_ids, split)
    assert not nb03.check_exercise_3(gain, se, multi["no ids, three"], with_ids, split)
    assert "give both the same behaviours" in capsys.readouterr().out
    gain, se = kit_gain(multi["no ids"][0], with_ids, split, "test")
    assert not nb03.check_exercise_3(*printed(gain, se), multi["no ids"], with_ids, split)
    assert "That is the test day" in capsys.readouterr().out
