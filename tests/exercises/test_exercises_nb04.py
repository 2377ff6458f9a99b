"""Notebook 04's exercise checkers, on the tiny shop with models that need no training: a
right answer as printed passes; the unchanged default and the neighbouring variant do
not."""

import numpy as np
import pytest
import torch

from gnnrec_utils.evaluation import evaluate, metrics, paired_difference, warm_target_users
from gnnrec_utils.exercises import nb04
from gnnrec_utils.graph import interaction_matrix
from gnnrec_utils.models import ItemKNN, MatrixFactorization, Popularity


@pytest.fixture(scope="module")
def setup(tiny_split):
    split = tiny_split
    x = interaction_matrix(split.train, split.num_users, split.num_items)
    torch.manual_seed(0)
    models = {
        "popularity": Popularity(split.item_popularity(), split.num_users),
        "item-kNN": ItemKNN(x),
        "MF-BPR": MatrixFactorization(split.num_users, split.num_items, 8),  # untrained
    }
    return split, models


# --- exercise 1 ----------------------------------------------------------------------------------


def notebook_sampled_ndcg(model, split, num_negatives, k=10, seed=0):
    """Section 4's ``sampled_metrics``, as the notebook writes it, for the test day."""
    history, targets = split.history("test"), split.targets("test")
    pairs = targets[targets.user_id.isin(warm_target_users(targets, split.train))]
    rng = np.random.default_rng(seed)
    touched = set(zip(history.user_id, history.item_id, strict=True)) | set(
        zip(targets.user_id, targets.item_id, strict=True)
    )
    negatives = rng.integers(0, split.num_items, (len(pairs), 2 * num_negatives))
    keep = np.array(
        [
            [(u, j) not in touched for j in row]
            for u, row in zip(pairs.user_id, negatives, strict=True)
        ]
    )
    negatives = np.array([row[ok][:num_negatives] for row, ok in zip(negatives, keep, strict=True)])
    candidates = torch.tensor(np.column_stack([pairs.item_id, negatives]))
    with torch.no_grad():
        user_emb, item_emb = model.get_embedding()
        scores = (user_emb[torch.tensor(pairs.user_id.to_numpy())] @ item_emb.T).gather(
            1, candidates
        )
    rank = (scores[:, 1:] > scores[:, :1]).sum(1).numpy() + 1
    return float(np.where(rank <= k, 1 / np.log2(rank + 1), 0).mean())


@pytest.fixture(scope="module")
def sampled(setup):
    split, models = setup
    return {
        n: {name: notebook_sampled_ndcg(m, split, n) for name, m in models.items()}
        for n in (100, 500, 1000)
    }


def test_sampled_ndcg_is_the_notebooks(setup, sampled):
    split, models = setup
    for name, m in models.items():
        assert nb04.sampled_ndcg(m, split, 1000) == sampled[1000][name]


def test_exercise_1_accepts_the_figures_as_printed(setup, sampled, capsys):
    split, models = setup
    answer = {name: f"{v:.4f}" for name, v in sampled[1000].items()}
    assert nb04.check_exercise_1(answer, models, split, 0)
    assert capsys.readouterr().out.startswith("Right: with 1,000 negatives")


def test_exercise_1_rejects_a_hundred_or_five_hundred_negatives(setup, sampled, capsys):
    split, models = setup
    answer = {name: round(v, 4) for name, v in sampled[100].items()}  # NUM_SAMPLED_NEGATIVES
    assert not nb04.check_exercise_1(answer, models, split, 0)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "the figures with 100 negatives" in out
    assert not nb04.check_exercise_1(sampled[500], models, split, 0)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "100 negatives" not in out
    assert not nb04.check_exercise_1({"popularity": 0.1}, models, split, 0)
    assert "one figure per model" in capsys.readouterr().out


# --- exercise 2 ----------------------------------------------------------------------------------


def kit_knn(split, top_neighbours):
    """Test-day per-shopper NDCG@10 and coverage of an item-kNN, with the kit's tools."""
    x = interaction_matrix(split.train, split.num_users, split.num_items)
    users = warm_target_users(split.targets("test"), split.train)
    top = ItemKNN(x, top_neighbours).recommend(users, 10, exclude=split.history("test"))
    ndcg = metrics.per_user_recall_ndcg(top, users, split.targets("test"))[1]
    return ndcg, metrics.catalog_coverage(top, split.num_items)


@pytest.fixture(scope="module")
def knn(setup):
    split, _ = setup
    return {n: kit_knn(split, n) for n in (None, 50, 5)}


def test_exercise_2_accepts_the_figures_as_printed(setup, knn, capsys):
    split, _ = setup
    gain, se = paired_difference(knn[50][0], knn[None][0])
    coverage = knn[50][1]
    assert nb04.check_exercise_2(f"{gain:+.4f}", f"{se:.4f}", f"{coverage:.1%}", split)
    assert capsys.readouterr().out.startswith("Right: 50 neighbours")
    assert nb04.check_exercise_2(gain, se, coverage, split)  # full floats, a share


def test_exercise_2_rejects_the_full_or_five_neighbour_knn(setup, knn, capsys):
    split, _ = setup
    gain, se = paired_difference(knn[50][0], knn[None][0])
    assert f"{knn[None][1]:.1%}" != f"{knn[50][1]:.1%}"
    assert not nb04.check_exercise_2(gain, se, knn[None][1], split)  # the full item-kNN's
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "the full item-kNN's coverage" in out
    five_gain, five_se = paired_difference(knn[5][0], knn[None][0])
    assert not nb04.check_exercise_2(five_gain, five_se, knn[5][1], split)  # 5 neighbours
    assert capsys.readouterr().out.startswith("Not yet: you give a coverage")
    assert not nb04.check_exercise_2(-gain, se, knn[50][1], split)
    assert "other way round" in capsys.readouterr().out


# --- exercise 3 ----------------------------------------------------------------------------------


def kit_order(models, split, period):
    ndcg = {name: evaluate(m, split, period)["ndcg@10"] for name, m in models.items()}
    return sorted(ndcg, key=ndcg.get, reverse=True)


def test_exercise_3_accepts_the_validation_order(setup, capsys):
    split, models = setup
    assert nb04.check_exercise_3(kit_order(models, split, "valid"), models, split)
    assert capsys.readouterr().out.startswith("Right: validation order")


def test_exercise_3_rejects_the_test_order_or_another(setup, capsys):
    split, models = setup
    valid, test = kit_order(models, split, "valid"), kit_order(models, split, "test")
    assert valid != test  # popularity leads item-kNN on the tiny shop's test day only
    assert not nb04.check_exercise_3(test, models, split)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "test day's order" in out
    assert not nb04.check_exercise_3(valid[::-1], models, split)
    assert capsys.readouterr().out.startswith("Not yet: ")
