"""The checkers of notebook 05's exercises accept a right answer as a learner types it (at
the four decimals the notebook prints) and reject the unchanged default and the
neighbouring variant. The references here come from the kit's own functions (evaluate,
attribute_adjacency, inductive_embedding, ItemKNN, few_shot_task), the checkers' from
their own numpy code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.evaluation import evaluate, warm_target_users
from gnnrec_utils.exercises import nb05
from gnnrec_utils.graph import interaction_matrix, normalized_adjacency
from gnnrec_utils.models import ItemKNN, LightGCN
from gnnrec_utils.scenarios import (
    arrival_split,
    attribute_adjacency,
    few_shot_task,
    hold_out,
    inductive_embedding,
    known_nodes,
    per_user_scores,
)


@pytest.fixture(scope="module")
def split(tiny_split):
    return tiny_split


@pytest.fixture(scope="module")
def held(split):
    """``hold_out(split, 0.3, 0.1, seed=0)``: the split without them, users, items."""
    return hold_out(split, 0.3, 0.1, seed=0)


@pytest.fixture(scope="module")
def fit(held):
    return held[0]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Torch on one thread here: on a busy two-core machine the second thread of each small
    sparse or dense product mostly waits."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def said(capsys) -> str:
    return capsys.readouterr().out


def pairs(*pairs: tuple[int, int]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["user_id", "item_id"])


def lightgcn(adj, split, num_layers=1, num_extra_nodes=0, seed=0) -> LightGCN:
    torch.manual_seed(seed)
    n_u, n_i = split.num_users, split.num_items
    return LightGCN(adj, n_u, n_i, num_layers=num_layers, num_extra_nodes=num_extra_nodes).eval()


# --- the checkers' own code against the kit's -----------------------------------------------


def test_per_user_ndcg_matches_per_user_scores():
    scores = torch.rand(6, 30, generator=torch.Generator().manual_seed(0))
    users = np.array([1, 3, 4])
    targets = pairs((1, 2), (1, 7), (3, 0), (4, 9), (4, 11), (4, 12))
    exclude = pairs((1, 5), (3, 1), (3, 2), (4, 0))
    theirs = per_user_scores(scores, users, targets, exclude, 5)[1]
    ours = nb05.per_user_ndcg(scores[users], users, targets, exclude, 5)
    np.testing.assert_allclose(ours, theirs)


@pytest.mark.parametrize("user_columns, weight", [((), 1.0), ((), 0.2), (("gender",), 1.0)])
def test_attribute_graph_matches_attribute_adjacency(fit, split, user_columns, weight):
    kit, _ = attribute_adjacency(
        fit.train, split.users, split.items, user_columns, attribute_weight=weight
    )
    ours = nb05.attribute_graph(fit.train, split.users, split.items, user_columns, weight=weight)
    kit = kit.to_sparse_coo().coalesce()
    assert torch.equal(kit.indices(), ours.indices())
    assert torch.allclose(kit.values().double(), ours.values(), atol=1e-7)


def test_few_shot_users_agrees_with_few_shot_task(split, held):
    events = split.train[split.train.user_id.isin(held[1])]
    for shots in ((1, 3, 5), (1, 2)):
        expected = few_shot_task(events, shots).users
        np.testing.assert_array_equal(nb05.few_shot_users(events, max(shots)), expected)


# --- exercise 1: LightGCN with 1, 2 and 3 layers -------------------------------------------


@pytest.fixture(scope="module")
def by_layers(fit, split):
    adj = normalized_adjacency(fit.train, split.num_users, split.num_items)
    return {n: lightgcn(adj, split, num_layers=n) for n in (1, 2, 3)}


@pytest.fixture(scope="module")
def valid_ndcg(by_layers, fit):
    return {n: evaluate(m, fit, "valid", 10)["ndcg@10"] for n, m in by_layers.items()}


def test_exercise_1_accepts_the_best_number_of_layers(by_layers, valid_ndcg, fit, capsys):
    best = max(valid_ndcg, key=valid_ndcg.get)
    assert nb05.check_exercise_1(best, by_layers, fit)
    out = said(capsys)
    assert out.startswith("Right: ") and f"{valid_ndcg[best]:.4f}" in out


def test_exercise_1_rejects_another_number_of_layers(by_layers, valid_ndcg, fit, capsys):
    worst = min(valid_ndcg, key=valid_ndcg.get)
    assert not nb05.check_exercise_1(worst, by_layers, fit)
    assert said(capsys).startswith("Not yet: validation NDCG@10 is ")


def test_exercise_1_rejects_the_unchanged_default(by_layers, fit, capsys):
    assert not nb05.check_exercise_1(1, {1: by_layers[1]}, fit)  # only section 2's model
    assert said(capsys).startswith("Not yet: compare LightGCNs with 1, 2 and 3 layers")


def test_exercise_1_rejects_models_that_kept_one_layer(by_layers, fit, capsys):
    one_layer = {n: by_layers[1] for n in (1, 2, 3)}  # NUM_LAYERS never changed
    assert not nb05.check_exercise_1(1, one_layer, fit)
    assert "has 1 layer(s); the exercise asks for 2" in said(capsys)


def test_exercise_1_rejects_models_on_the_graph_with_the_held_out_shoppers(
    by_layers, valid_ndcg, split, fit, capsys
):
    adj = normalized_adjacency(split.train, split.num_users, split.num_items)
    models = {**by_layers, 2: lightgcn(adj, split, num_layers=2)}
    assert not nb05.check_exercise_1(max(valid_ndcg, key=valid_ndcg.get), models, fit)
    assert "not built on the plain graph of fit.train" in said(capsys)


# --- exercise 2: attribute edges of weight 0.2 ---------------------------------------------


def shelf_ndcg(model, adj, num_attr, fit, split, period="valid"):
    """The notebook's shelf: new products only, warm shoppers who engaged with one."""
    new_items = np.setdiff1d(np.arange(split.num_items), fit.train.item_id.unique())
    targets = split.targets(period)
    shelf = targets[targets.item_id.isin(new_items) & targets.user_id.isin(fit.train.user_id)]
    users = np.sort(shelf.user_id.unique())
    known = known_nodes(fit.train, split.num_users, split.num_items, num_attr)
    user_emb, item_emb = inductive_embedding(model, adj, known)
    scores = user_emb @ item_emb.T
    return per_user_scores(scores, users, shelf, split.history(period), 10, new_items)[1].mean()


@pytest.fixture(scope="module")
def weighted(fit, split):
    """weight -> (model, adjacency, number of attribute nodes, validation shelf NDCG)."""
    out = {}
    for weight in (0.2, 1.0):
        adj, num_attr = attribute_adjacency(
            fit.train, split.users, split.items, attribute_weight=weight
        )
        model = lightgcn(adj, split, num_extra_nodes=num_attr)
        out[weight] = model, adj, num_attr, shelf_ndcg(model, adj, num_attr, fit, split)
    return out


def test_exercise_2_accepts_the_printed_shelf_ndcg(weighted, fit, split, capsys):
    model, _, _, ndcg = weighted[0.2]
    assert nb05.check_exercise_2(round(ndcg, 4), model, fit, split)
    assert said(capsys).startswith("Right: ")
    assert nb05.check_exercise_2(ndcg, model, fit, split)


def test_exercise_2_rejects_the_weight_of_section_2(weighted, fit, split, capsys):
    model, _, _, ndcg = weighted[1.0]
    assert not nb05.check_exercise_2(round(ndcg, 4), model, fit, split)
    assert "attribute edges have weight 1" in said(capsys)


def test_exercise_2_rejects_the_test_days_shelf_and_the_warm_shoppers(weighted, fit, split, capsys):
    model, adj, num_attr, _ = weighted[0.2]
    test_day = shelf_ndcg(model, adj, num_attr, fit, split, "test")
    assert not nb05.check_exercise_2(round(test_day, 4), model, fit, split)
    assert "the test day's shelf" in said(capsys)
    warm = evaluate(model, fit, "valid", 10)["ndcg@10"]
    assert not nb05.check_exercise_2(round(warm, 4), model, fit, split)
    assert "the warm shoppers' validation NDCG@10" in said(capsys)


# --- exercise 3: user attribute nodes for the cold shoppers --------------------------------


def cold_ndcg(model, adj, num_attr, fit, split, period="valid"):
    targets, history = split.targets(period), split.history(period)
    cold = np.setdiff1d(targets.user_id.unique(), history.user_id.unique())
    known = known_nodes(fit.train, split.num_users, split.num_items, num_attr)
    user_emb, item_emb = inductive_embedding(model, adj, known)
    return per_user_scores(user_emb @ item_emb.T, cold, targets, history, 10)[1].mean()


@pytest.fixture(scope="module")
def with_user_nodes(fit, split):
    adj, num_attr = attribute_adjacency(
        fit.train, split.users, split.items, user_columns=("age_group", "gender")
    )
    # seed 3: vectors that place a relevant item for a cold shopper of the validation day
    return lightgcn(adj, split, num_extra_nodes=num_attr, seed=3), adj, num_attr


def test_exercise_3_accepts_the_printed_cold_shopper_ndcg(with_user_nodes, fit, split, capsys):
    model, adj, num_attr = with_user_nodes
    ndcg = cold_ndcg(model, adj, num_attr, fit, split)
    assert ndcg > 0
    assert nb05.check_exercise_3(f"{ndcg:.4f}", model, fit, split)
    assert said(capsys).startswith("Right: ")


def test_exercise_3_rejects_the_model_without_user_nodes(weighted, fit, split, capsys):
    model, adj, num_attr, _ = weighted[1.0]  # section 2's attribute nodes: items only
    ndcg = cold_ndcg(model, adj, num_attr, fit, split)
    assert not nb05.check_exercise_3(round(ndcg, 4), model, fit, split)
    assert "has no user attribute nodes" in said(capsys)


def test_exercise_3_rejects_the_test_days_cold_shoppers(with_user_nodes, fit, split, capsys):
    model, adj, num_attr = with_user_nodes
    ndcg = cold_ndcg(model, adj, num_attr, fit, split, "test")
    assert round(ndcg, 4) != round(cold_ndcg(model, adj, num_attr, fit, split), 4)
    assert not nb05.check_exercise_3(round(ndcg, 4), model, fit, split)
    assert "the test day's cold shoppers" in said(capsys)


def test_exercise_3_rejects_a_graph_with_city_tier_nodes_too(fit, split, capsys):
    columns = ("age_group", "gender", "city_tier")
    adj, num_attr = attribute_adjacency(fit.train, split.users, split.items, user_columns=columns)
    model = lightgcn(adj, split, num_extra_nodes=num_attr)
    assert not nb05.check_exercise_3(cold_ndcg(model, adj, num_attr, fit, split), model, fit, split)
    assert "graph is not attribute_adjacency" in said(capsys)


# --- exercise 4: item-kNN plus a multiple of the inductive LightGCN ------------------------

MULTIPLES = (0, 0.1, 0.5, 1, 2, 4)


@pytest.fixture(scope="module")
def blend(split, held, by_layers):
    """As the notebook does it: the picking half, and the mean NDCG over shots by multiple
    on the picking and on the reporting half."""
    fit, held_users, _ = held
    task = few_shot_task(split.train[split.train.user_id.isin(held_users)], (1, 3, 5))
    users, n_u, n_i = task.users, split.num_users, split.num_items
    pick = np.isin(users, np.random.default_rng(0).choice(users, len(users) // 2, replace=False))
    known = known_nodes(fit.train, n_u, n_i, 0)
    ndcg = {m: [] for m in MULTIPLES}
    for revealed in task.revealed.values():
        events = pd.concat([fit.train, revealed])
        knn = ItemKNN(interaction_matrix(events, n_u, n_i)).user_scores(users)
        user_emb, item_emb = inductive_embedding(
            by_layers[1], normalized_adjacency(events, n_u, n_i), known
        )
        scores = torch.zeros(n_u, n_i, dtype=torch.float64)
        for m in MULTIPLES:
            scores[users] = (knn + m * (user_emb[users] @ item_emb.T)).double()
            ndcg[m].append(per_user_scores(scores, users, task.targets, revealed, 10)[1])
    on_pick, on_report = (
        {m: np.mean([d[rows].mean() for d in v]) for m, v in ndcg.items()} for rows in (pick, ~pick)
    )
    return task, users[pick], on_pick, on_report


def test_exercise_4_accepts_the_multiple_best_on_the_picking_half(blend, by_layers, fit, capsys):
    task, pick_users, on_pick, _ = blend
    best = max(on_pick, key=on_pick.get)
    assert nb05.check_exercise_4(best, MULTIPLES, pick_users, by_layers[1], fit, task)
    assert said(capsys).startswith("Right: ")


def test_exercise_4_rejects_item_knn_alone(blend, by_layers, fit, capsys):
    task, pick_users, on_pick, _ = blend
    assert max(on_pick, key=on_pick.get) != 0
    assert not nb05.check_exercise_4(0, MULTIPLES, pick_users, by_layers[1], fit, task)
    assert said(capsys).startswith("Not yet: on the picking half the best multiple is ")


def test_exercise_4_rejects_the_choice_of_the_reporting_half(blend, by_layers, fit, capsys):
    task, pick_users, on_pick, on_report = blend
    report_best = max(on_report, key=on_report.get)
    assert report_best != max(on_pick, key=on_pick.get)
    assert not nb05.check_exercise_4(report_best, MULTIPLES, pick_users, by_layers[1], fit, task)
    assert "best on the reporting half" in said(capsys)


def test_exercise_4_wants_two_halves(blend, by_layers, fit, capsys):
    task, _, on_pick, _ = blend
    best = max(on_pick, key=on_pick.get)
    assert not nb05.check_exercise_4(best, MULTIPLES, task.users, by_layers[1], fit, task)
    assert "split them in two" in said(capsys)


# --- exercise 5: ARRIVAL_DAY = 5 ----------------------------------------------------------


def arrival_count(shop, arrival_day):
    """Few-shot newcomers and newcomers, by the kit's own protocol (arrival_split)."""
    early, newcomers = arrival_split(shop, arrival_day)
    return len(few_shot_task(early.test).users), len(newcomers)


def test_exercise_5_accepts_the_few_shot_count_from_day_five(tiny_shop, capsys):
    few, _ = arrival_count(tiny_shop, 5)
    assert few > 0
    assert nb05.check_exercise_5(few, tiny_shop)
    assert said(capsys).startswith("Right: ")


def test_exercise_5_rejects_the_count_of_the_unchanged_default(tiny_shop, capsys):
    assert arrival_count(tiny_shop, 4)[0] != arrival_count(tiny_shop, 5)[0]
    assert not nb05.check_exercise_5(arrival_count(tiny_shop, 4)[0], tiny_shop)
    assert "is the count with ARRIVAL_DAY = 4" in said(capsys)


def test_exercise_5_rejects_every_newcomer_and_another_day(tiny_shop, capsys):
    assert not nb05.check_exercise_5(arrival_count(tiny_shop, 5)[1], tiny_shop)
    assert "shoppers arrive from day 5 on" in said(capsys)
    assert not nb05.check_exercise_5(arrival_count(tiny_shop, 6)[0], tiny_shop)
    assert said(capsys).startswith("Not yet: ")


def test_warm_shoppers_of_the_checker_are_those_train_validates_on(fit):
    targets = fit.targets("valid")
    ours = np.intersect1d(targets.user_id.unique(), fit.train.user_id.unique())
    np.testing.assert_array_equal(ours, warm_target_users(targets, fit.train))
