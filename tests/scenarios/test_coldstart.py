"""Cold start: the protocol, the fallbacks, the attribute graph and inductive inference."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.data import temporal_split
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import (
    LightGCN,
    MultiBehaviorGCN,
    NodeEncoder,
    item_attribute_codes,
    lightgcn_embedding,
    user_attribute_codes,
)
from gnnrec_utils.scenarios import (
    ColdStartRecommender,
    attribute_adjacency,
    category_scores,
    evaluate_scores,
    few_shot_task,
    hold_out,
    inductive_embedding,
    known_nodes,
    per_user_scores,
    segment_popularity,
)
from gnnrec_utils.synthetic import generate_shop


def events(rows):
    return pd.DataFrame(
        rows, columns=["user_id", "item_id", "category_id", "behavior", "timestamp"]
    )


USERS = pd.DataFrame(
    {
        "user_id": [0, 1, 2, 3],
        "age_group": [0, 0, 1, 1],
        "gender": [0, 1, 0, 0],
        "city_tier": [1, 1, 2, 2],
    }
)
ITEMS = pd.DataFrame(
    {
        "item_id": [0, 1, 2],
        "category_id": [0, 1, 1],
        "brand_id": [0, 0, 1],
        "price": [5.0, 10.0, 20.0],
    }
)
EVENTS = events(
    [
        (0, 0, 0, "pv", 1),
        (0, 1, 1, "cart", 2),
        (1, 1, 1, "pv", 3),
        (2, 2, 1, "buy", 4),
        (3, 2, 1, "pv", 5),
        (3, 2, 1, "pv", 6),
    ]
)


@pytest.fixture(scope="module")
def split():
    return temporal_split(generate_shop("tiny", seed=3))


def test_hold_out_removes_every_training_event_of_held_out_nodes_only(split):
    fit, users, items = hold_out(split, 0.2, 0.1, seed=1)
    train_users, train_items = split.train.user_id.unique(), split.train.item_id.unique()
    assert len(users) == round(0.2 * len(train_users)) and len(items) == round(
        0.1 * len(train_items)
    )
    assert np.isin(users, train_users).all() and np.isin(items, train_items).all()
    dropped = split.train.user_id.isin(users) | split.train.item_id.isin(items)
    pd.testing.assert_frame_equal(fit.train, split.train[~dropped].reset_index(drop=True))
    assert fit.valid is split.valid and fit.test is split.test
    again = hold_out(split, 0.2, 0.1, seed=1)
    assert np.array_equal(again[1], users) and np.array_equal(again[2], items)


def test_few_shot_task_reveals_first_items_in_time_order_and_targets_later_intent():
    ev = events(
        [
            (0, 10, 0, "pv", 1),
            (0, 11, 0, "pv", 2),
            (0, 10, 0, "cart", 3),  # cart on a revealed item
            (0, 12, 0, "pv", 4),
            (0, 13, 0, "fav", 5),
            (0, 11, 0, "buy", 6),
            (1, 10, 0, "pv", 1),
            (1, 14, 0, "buy", 2),  # its buy is its 2nd item: no target
            (2, 10, 0, "pv", 1),  # one item only
        ]
    )
    task = few_shot_task(ev, shots=(1, 2))
    assert task.targets.values.tolist() == [[0, 13]]  # user 1's buy IS its 2nd first touch
    assert task.revealed[1][["item_id", "behavior"]].values.tolist() == [[10, "pv"]]
    assert task.revealed[2][["item_id", "behavior"]].values.tolist() == [[10, "pv"], [11, "pv"]]
    assert task.users.tolist() == [0]


def test_segment_popularity_counts_within_the_segment_and_breaks_ties_by_overall_popularity():
    scores = segment_popularity(EVENTS, USERS, np.array([0, 2]), 3).numpy()
    # segment of user 0 = {user 0}; of user 2 = {2, 3}; overall counts [1, 2, 3] / 4
    np.testing.assert_allclose(scores[0], [1, 1, 0] + np.array([1, 2, 3]) / 4)
    np.testing.assert_allclose(scores[1], [0, 0, 3] + np.array([1, 2, 3]) / 4)


def test_category_scores_personal_and_fallback():
    # overall events per category: 0 -> 1, 1 -> 5; items' categories [0, 1, 1]
    fallback = category_scores(EVENTS, ITEMS, np.array([0]), personal=False).numpy()
    np.testing.assert_allclose(fallback, [[1 / 6, 5 / 6, 5 / 6]])
    own = category_scores(EVENTS, ITEMS, np.array([0, 3])).numpy()
    np.testing.assert_allclose(
        own, [[1 + 1 / 6, 1 + 5 / 6, 1 + 5 / 6], [1 / 6, 2 + 5 / 6, 2 + 5 / 6]]
    )


def dense_attribute_adjacency(ev, users, items, weight):
    u, i = len(users), len(items)
    cats, brands = items.category_id.max() + 1, items.brand_id.max() + 1
    a = np.zeros((u + i + cats + brands,) * 2)
    for user, item in ev[["user_id", "item_id"]].drop_duplicates().values:
        a[user, u + item] = a[u + item, user] = 1
    for item, (c, b) in enumerate(items[["category_id", "brand_id"]].values):
        for node in (u + i + c, u + i + cats + b):
            a[u + item, node] = a[node, u + item] = weight
    deg = a.sum(1)
    inv = np.where(deg > 0, deg**-0.5, 0)
    return inv[:, None] * a * inv[None, :]


@pytest.mark.parametrize("weight", [1.0, 0.3])
def test_attribute_adjacency_matches_dense_reference(weight):
    adj, extra = attribute_adjacency(EVENTS, USERS, ITEMS, attribute_weight=weight)
    assert extra == 2 + 2
    np.testing.assert_allclose(
        adj.to_dense().numpy(), dense_attribute_adjacency(EVENTS, USERS, ITEMS, weight), atol=1e-6
    )


def test_inductive_embedding_equals_the_model_when_all_known_and_zeroes_unknown_starts():
    torch.manual_seed(0)
    adj = normalized_adjacency(EVENTS, 4, 3)
    model = LightGCN(adj, 4, 3, embedding_dim=5, num_layers=2)
    everything = torch.ones(7, dtype=torch.bool)
    with torch.no_grad():
        expected = model.get_embedding()
    for got, want in zip(inductive_embedding(model, model.adj, everything), expected, strict=True):
        torch.testing.assert_close(got, want)
    # user 1 unknown: its vector comes from item 1 only (1 layer out of 2, then back)
    known = everything.clone()
    known[1] = False
    users, _ = inductive_embedding(model, adj, known)
    dense = adj.to_dense()
    ego = model.embedding.weight.detach() * known[:, None]
    want = (ego + dense @ ego + dense @ dense @ ego) / 3
    torch.testing.assert_close(users[1], want[1])


def test_known_nodes_marks_nodes_with_events_and_every_extra_node():
    known = known_nodes(EVENTS[EVENTS.user_id != 1], 4, 3, 2)
    assert known.tolist() == [True, False, True, True, True, True, True, True, True]


def test_per_user_scores_rank_only_candidates_and_skip_excluded():
    scores = torch.tensor([[5.0, 4.0, 3.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    targets = pd.DataFrame({"user_id": [0, 1], "item_id": [2, 0]})
    exclude = pd.DataFrame({"user_id": [0], "item_id": [3]})
    recall, ndcg = per_user_scores(
        scores, np.array([0, 1]), targets, exclude, k=1, candidates=np.array([0, 2, 3])
    )
    # user 0: candidates 0, 2 (3 excluded) -> top 0 (miss); user 1: 3 -> miss
    assert recall.tolist() == [0.0, 0.0]
    recall, ndcg = per_user_scores(
        scores, np.array([0, 1]), targets, exclude, k=1, candidates=np.array([2, 0])
    )
    assert recall.tolist() == [0.0, 0.0]
    recall, ndcg = per_user_scores(
        scores, np.array([0, 1]), targets, exclude, k=2, candidates=np.array([2, 0])
    )
    np.testing.assert_allclose(ndcg, [1 / np.log2(3), 1 / np.log2(3)])
    summary = evaluate_scores(
        scores, np.array([0, 1]), targets, exclude, k=2, candidates=np.array([2, 0])
    )
    assert summary["users"] == 2 and summary["ndcg@2"] == pytest.approx(1 / np.log2(3))
    assert summary["ndcg_se"] == 0.0


def test_node_encoder_gives_unknown_nodes_their_attributes_only():
    torch.manual_seed(0)
    enc = NodeEncoder(3, [2, 2], 4)
    codes = torch.tensor([[0, 1], [1, 0], [1, 1]])
    known = torch.tensor([True, False, True])
    out = enc(codes, known=known)
    torch.testing.assert_close(out[known], enc(codes)[known])
    torch.testing.assert_close(out[1], enc.attributes(codes)[1])


def test_multibehavior_embed_defaults_to_get_embedding_and_user_ids_false_is_inductive():
    torch.manual_seed(0)
    uc, ucards = user_attribute_codes(USERS)
    ic, icards = item_attribute_codes(ITEMS, num_bands=2)
    adjs = {
        b: normalized_adjacency(EVENTS[EVENTS.behavior == b], 4, 3) for b in ("pv", "cart", "buy")
    }
    model = MultiBehaviorGCN(adjs, uc, ic, ucards, icards, embedding_dim=4, num_layers=1)
    with torch.no_grad():
        for a, b in zip(model.embed(), model.get_embedding(), strict=True):
            torch.testing.assert_close(a, b)
        none_known = torch.zeros(4, dtype=torch.bool)
        no_ids = model.embed(known_users=none_known)[0]
    ego = model.user_encoder.attributes(uc)
    items_ego = model.item_encoder(ic)
    w = torch.softmax(model.behavior_logits, 0)
    x = torch.cat([ego, items_ego])
    layer = sum(wb * adjs[b].to_dense() @ x for wb, b in zip(w, model.behaviors, strict=True))
    torch.testing.assert_close(no_ids, ((x + layer) / 2)[:4].detach())
    inductive = MultiBehaviorGCN(adjs, uc, ic, ucards, icards, embedding_dim=4, user_ids=False)
    assert inductive.user_encoder.ids is None and inductive.item_encoder.ids is not None


def test_lightgcn_extra_nodes_are_propagated_but_not_returned():
    torch.manual_seed(0)
    adj, extra = attribute_adjacency(EVENTS, USERS, ITEMS)
    model = LightGCN(adj, 4, 3, embedding_dim=3, num_layers=2, num_extra_nodes=extra)
    users, items = model.get_embedding()
    full = lightgcn_embedding(adj, model.embedding.weight, 2)
    assert users.shape == (4, 3) and items.shape == (3, 3)
    torch.testing.assert_close(items, full[4:7])
    assert "num_extra_nodes=4" in repr(model)


@pytest.fixture(scope="module")
def trained_pair():
    torch.manual_seed(0)
    plain = LightGCN(normalized_adjacency(EVENTS, 4, 3), 4, 3, embedding_dim=4, num_layers=1)
    adj, extra = attribute_adjacency(EVENTS, USERS, ITEMS)
    with_attributes = LightGCN(adj, 4, 3, embedding_dim=4, num_layers=1, num_extra_nodes=extra)
    return plain, with_attributes


def test_recommend_for_new_user_equals_propagating_over_the_enlarged_graph(trained_pair):
    plain, _ = trained_pair
    cold = ColdStartRecommender(plain, EVENTS, USERS, ITEMS)
    picks = cold.recommend_for_new_user({"age_group": 0, "gender": 1, "city_tier": 1}, [1], k=2)
    # by hand: user 4 with an edge to item 1; items shift by one node
    ev = pd.concat([EVENTS, events([(4, 1, 1, "pv", 9)])])
    adj = normalized_adjacency(ev, 5, 3).to_dense()
    w = plain.embedding.weight.detach()
    ego = torch.cat([w[:4], torch.zeros(1, 4), w[4:]])
    emb = (ego + adj @ ego) / 2
    scores = emb[5:] @ emb[4]
    scores[1] = -torch.inf
    assert picks.tolist() == torch.topk(scores, 2).indices.tolist()
    assert 1 not in picks


def test_recommend_for_new_user_without_items_uses_the_segment(trained_pair):
    cold = ColdStartRecommender(trained_pair[0], EVENTS, USERS, ITEMS)
    # segment (age 1, gender 0) = users 2 and 3, who touched only item 2
    assert cold.recommend_for_new_user(
        {"age_group": 1, "gender": 0, "city_tier": 2}, [], k=3
    ).tolist() == [2, 1, 0]


def test_recommend_for_new_item_reaches_shoppers_through_its_attribute_nodes(trained_pair):
    _, with_attributes = trained_pair
    cold = ColdStartRecommender(
        with_attributes, EVENTS, USERS, ITEMS, item_columns=("category_id", "brand_id")
    )
    audience = cold.recommend_for_new_item({"category_id": 1, "brand_id": 1, "price": 3.0}, k=4)
    items = pd.concat(
        [ITEMS, pd.DataFrame({"item_id": [3], "category_id": [1], "brand_id": [1], "price": [3.0]})]
    )
    adj = torch.tensor(dense_attribute_adjacency(EVENTS, USERS, items, 1.0), dtype=torch.float)
    w = with_attributes.embedding.weight.detach()
    ego = torch.cat([w[:7], torch.zeros(1, 4), w[7:]])
    emb = (ego + adj @ ego) / 2
    assert audience.tolist() == torch.topk(emb[:4] @ emb[7], 4).indices.tolist()


def test_cold_start_recommender_rejects_bad_input(trained_pair):
    plain, with_attributes = trained_pair
    with pytest.raises(ValueError, match="extra nodes"):
        ColdStartRecommender(plain, EVENTS, USERS, ITEMS, item_columns=("category_id", "brand_id"))
    cold = ColdStartRecommender(plain, EVENTS, USERS, ITEMS)
    with pytest.raises(ValueError, match=r"lack \['city_tier'\]"):
        cold.recommend_for_new_user({"age_group": 0, "gender": 1}, [1])
    with pytest.raises(ValueError, match="age_group.*not a value"):
        cold.recommend_for_new_user({"age_group": 9, "gender": 1, "city_tier": 1}, [1])
    with pytest.raises(ValueError, match=r"item ids in 0..2"):
        cold.recommend_for_new_user({"age_group": 0, "gender": 1, "city_tier": 1}, [3])
    with pytest.raises(ValueError, match="no edges"):
        cold.recommend_for_new_item({"category_id": 1, "brand_id": 1, "price": 3.0})
    with_attr = ColdStartRecommender(
        with_attributes, EVENTS, USERS, ITEMS, item_columns=("category_id", "brand_id")
    )
    with pytest.raises(ValueError, match="brand_id.*not a value"):
        with_attr.recommend_for_new_item({"category_id": 1, "brand_id": 7, "price": 3.0})


# ---------------------------------------------------------------- arrivals


def test_arrival_split_fits_before_any_newcomer_event(tiny_shop):
    from gnnrec_utils.data import DAY
    from gnnrec_utils.scenarios import arrival_split

    split, newcomers = arrival_split(tiny_shop, 4)
    first = tiny_shop.events.groupby("user_id").timestamp.min()
    assert split.valid_start + DAY == split.test_start
    assert split.train.timestamp.max() < split.valid_start <= split.valid.timestamp.min()
    assert split.valid.timestamp.max() < split.test_start
    # every newcomer's every event comes after everything the model fits or stops on
    assert np.array_equal(newcomers, np.sort(first[first >= split.test_start].index))
    assert set(split.test.user_id) == set(newcomers) and len(newcomers) > 0
    assert split.test.timestamp.min() >= split.test_start
    assert not split.train.user_id.isin(newcomers).any()
    assert not split.valid.user_id.isin(newcomers).any()
    everything = tiny_shop.events[tiny_shop.events.user_id.isin(newcomers)]
    assert len(split.test) == len(everything)  # no newcomer event is dropped


def test_arrival_split_needs_a_training_and_a_validation_day(tiny_shop):
    from gnnrec_utils.scenarios import arrival_split

    with pytest.raises(ValueError, match="arrival_day must lie in 2..8"):
        arrival_split(tiny_shop, 1)
    with pytest.raises(ValueError, match="arrival_day must lie in 2..8"):
        arrival_split(tiny_shop, 9)
