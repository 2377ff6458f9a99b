"""Notebooks 03 and 04's exercise checkers, on the tiny generated shop with untrained models."""

import pytest

from gnnrec_utils.evaluation import evaluate, metrics, paired_difference, warm_target_users
from gnnrec_utils.exercises import nb03, nb04
from gnnrec_utils.graph import interaction_matrix
from gnnrec_utils.models import ItemKNN, Popularity


@pytest.fixture(scope="module")
def setup(tiny_split):
    split = tiny_split
    x = interaction_matrix(split.train, split.num_users, split.num_items)
    models = {
        "popularity": Popularity(split.item_popularity(), split.num_users),
        "item-kNN": ItemKNN(x),
        "item-kNN 5": ItemKNN(x, top_neighbours=5),
    }
    return split, models


def test_validation_ndcg(setup, capsys):
    split, models = setup
    value = evaluate(models["item-kNN"], split, "valid", 10)["ndcg@10"]
    assert nb03.check_exercise_1(value, models["item-kNN"], split)
    test_value = evaluate(models["item-kNN"], split, "test", 10)["ndcg@10"]
    assert test_value != value
    assert not nb03.check_exercise_1(test_value, models["item-kNN"], split)
    assert "did you read the test day" in capsys.readouterr().out


def test_paired_gain_is_a_minus_b_on_validation(setup, capsys):
    split, models = setup
    a, b = models["item-kNN"], models["popularity"]
    gain, se = paired_difference(
        nb03.per_user_ndcg(a, split, "valid"), nb03.per_user_ndcg(b, split, "valid")
    )
    assert nb03.check_exercise_2(gain, se, a, b, split)
    assert nb03.check_exercise_3(gain, se, a, b, split)
    assert not nb03.check_exercise_2(-gain, se, a, b, split)  # B − A
    assert "A − B" in capsys.readouterr().out


def test_nb04_checkers(setup, capsys):
    split, models = setup
    assert nb04.check_exercise_1({"a": 0.3, "b": 0.2}, {"a": 0.05, "b": 0.01})
    assert not nb04.check_exercise_1({"a": 0.3, "b": 0.005}, {"a": 0.05, "b": 0.01})
    assert "['b']" in capsys.readouterr().out
    knn = models["item-kNN 5"]
    users = warm_target_users(split.targets("test"), split.train)
    coverage = metrics.catalog_coverage(
        knn.recommend(users, 10, exclude=split.history("test")), split.num_items
    )
    assert nb04.check_exercise_2(coverage, knn, split)
    assert not nb04.check_exercise_2(coverage + 0.01, knn, split)
    two = {k: models[k] for k in ("popularity", "item-kNN")}
    order = sorted(two, key=lambda k: evaluate(two[k], split, "valid", 10)["ndcg@10"])[::-1]
    assert nb04.check_exercise_3(order, two, split)
    assert not nb04.check_exercise_3(order[::-1], two, split)
