"""The explorer of notebook 00: its tables against brute-force references computed here,
and its widget callbacks driven without a browser, bad input included."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import LightGCN, Popularity
from gnnrec_utils.notebook import (
    Explorer,
    history_table,
    new_shopper_recommendations,
    parse_item_ids,
    recommendation_table,
    side_by_side,
    similar_items_table,
)

K = 5


@pytest.fixture(scope="module")
def split(tiny_split):
    return tiny_split


@pytest.fixture(scope="module")
def models(split):
    torch.manual_seed(0)
    adj = normalized_adjacency(split.train, split.num_users, split.num_items)
    lightgcn = LightGCN(adj, split.num_users, split.num_items, embedding_dim=16, num_layers=2)
    return {
        "LightGCN": lightgcn,
        "popularity": Popularity(split.item_popularity(), split.num_users),
    }


def seen(split, user) -> set[int]:
    """Items the user touched in training or validation: known before the test day."""
    known = pd.concat([split.train, split.valid])
    return set(known.item_id[known.user_id == user])


def wanted(split, user) -> set[int]:
    """The user's test-day favs, carts and buys of items new to them, counted here."""
    test = split.test[
        (split.test.user_id == user) & split.test.behavior.isin(["fav", "cart", "buy"])
    ]
    return set(test.item_id) - seen(split, user)


def brute_top(scores: np.ndarray, excluded, k: int) -> list[int]:
    scores = scores.astype(np.float64).copy()
    scores[list(excluded)] = -np.inf
    return np.argsort(-scores, kind="stable")[:k].tolist()


@pytest.fixture(scope="module")
def shopper(split):
    """A shopper with history and at least one test-day target."""
    items_per_user = split.train.groupby("user_id").item_id.nunique()
    users = sorted(
        set(split.targets("test").user_id) & set(items_per_user.index[items_per_user >= 3])
    )
    return int(users[0])


@pytest.fixture
def explorer(split, models, shopper):
    return Explorer(split, models, user_id=shopper, k=K)


def plain(explorer) -> str:
    (shown,) = explorer.output.outputs
    return shown["data"]["text/plain"]


def test_history_table_is_the_known_items_most_recent_first(split, shopper):
    table = history_table(split, shopper)
    assert set(table.item_id) == seen(split, shopper) and table.item_id.is_unique
    known = pd.concat([split.train, split.valid])
    last = known[known.user_id == shopper].groupby("item_id").timestamp.max()
    assert (np.diff(last[table.item_id].to_numpy()) <= 0).all()
    row = table.iloc[0]
    assert row[["category_id", "brand_id", "price"]].tolist() == (
        split.items.loc[row.item_id, ["category_id", "brand_id", "price"]].tolist()
    )
    assert len(history_table(split, shopper, limit=2)) == 2


@pytest.mark.parametrize("name", ["LightGCN", "popularity"])
def test_recommendations_and_hits_against_a_brute_force_ranking(split, models, name):
    model, hits = models[name], 0
    user_emb, item_emb = (t.detach().numpy() for t in model.get_embedding())
    for user in sorted(set(split.targets("test").user_id))[:12]:
        table = recommendation_table(model, split, user, k=20)
        expected = brute_top(item_emb @ user_emb[user], seen(split, user), 20)
        assert table.item_id.tolist() == expected
        assert table.index.tolist() == list(range(1, 21))
        assert table.hit.tolist() == [i in wanted(split, user) for i in expected]
        hits += table.hit.sum()
    assert hits > 0  # the hit column was checked on some True values too


def test_popularity_for_a_new_shopper_is_the_most_popular_unseen_items(split, models):
    table = new_shopper_recommendations(models["popularity"], [5, 17, 5], split, k=K)
    assert table.item_id.tolist() == brute_top(split.item_popularity(), {5, 17}, K)


def test_lightgcn_folds_a_new_shopper_into_the_graph(split, models):
    """Reference: the training graph with one more user linked to the typed items, as a
    dense matrix; the new user starts from zero, every other node from its trained vector."""
    model, typed = models["LightGCN"], [5, 17, 40]
    table = new_shopper_recommendations(model, typed, split, k=K)
    u, n = split.num_users, split.num_users + 1 + split.num_items
    pairs = split.train[["user_id", "item_id"]].drop_duplicates()
    a = np.zeros((n, n))
    rows = np.concatenate([pairs.user_id.to_numpy(), [u] * len(typed)])
    cols = np.concatenate([pairs.item_id.to_numpy(), typed]) + u + 1
    a[rows, cols] = a[cols, rows] = 1.0
    inv = np.where(a.sum(1) > 0, a.sum(1), 1.0) ** -0.5
    a_hat = inv[:, None] * a * inv[None, :]
    ego = model.embedding.weight.detach().numpy().astype(np.float64)
    layer = np.concatenate([ego[:u], np.zeros((1, ego.shape[1])), ego[u:]])
    out = layer.copy()
    for _ in range(model.num_layers):
        layer = a_hat @ layer
        out += layer
    scores = out[u + 1 :] @ out[u]
    expected = brute_top(scores, typed, K)
    assert table.item_id.tolist() == expected
    assert not set(table.item_id) & set(typed)


def test_similar_items_are_the_nearest_by_cosine(split, models):
    item_emb = models["LightGCN"].get_embedding()[1].detach().numpy().astype(np.float64)
    unit = item_emb / np.linalg.norm(item_emb, axis=1, keepdims=True)
    table = similar_items_table(models["LightGCN"], split.items, 7, k=K)
    cosine = unit @ unit[7]
    assert table.item_id.tolist() == brute_top(cosine, {7}, K)
    np.testing.assert_allclose(table.cosine, cosine[table.item_id], atol=1e-3)
    with pytest.raises(ValueError, match="one number"):
        similar_items_table(models["popularity"], split.items, 7)


def test_choosing_a_shopper_shows_their_history_and_k_recommendations(explorer, split, shopper):
    other = int(split.train.user_id.iloc[0]) if shopper != split.train.user_id.iloc[0] else 1
    explorer.shopper_box.value = other  # fires on_shopper, as a browser would
    explorer.shopper_box.value = shopper
    history, top, similar = explorer.tables.values()
    pd.testing.assert_frame_equal(history, history_table(split, shopper).head(10))
    assert len(top) == K and top.hit.tolist() == [i in wanted(split, shopper) for i in top.item_id]
    assert len(similar) == K and explorer.messages == []
    text = plain(explorer)
    assert f"shopper {shopper}: {len(seen(split, shopper))} items" in text
    hits, targets = int(top.hit.sum()), len(wanted(split, shopper))
    assert f"LightGCN's top {K}: {hits} hit{'' if hits == 1 else 's'} ({targets} target" in text
    assert f"similar to item {top.item_id.iloc[0]}, the top recommendation" in text
    explorer.on_k({"new": 3})
    assert len(list(explorer.tables.values())[1]) == 3


def test_typed_items_give_recommendations_without_those_items(explorer, split):
    explorer.items_box.value = "5, 17 17"
    typed, top, _ = explorer.tables.values()
    assert typed.item_id.tolist() == [5, 17] and len(top) == K
    assert not {5, 17} & set(top.item_id)
    explorer.model_menu.value = "popularity"
    typed, top = explorer.tables.values()  # no similar items: popularity has no item vectors
    assert top.item_id.tolist() == brute_top(split.item_popularity(), {5, 17}, K)
    assert "similar items: Popularity gives each item one number" in plain(explorer)
    explorer.shopper_box.value = 3  # choosing a shopper clears the typed items
    assert explorer.items_box.value == "" and "shopper 3:" in plain(explorer)


@pytest.mark.parametrize(
    "callback, value, message",
    [
        ("on_shopper", 99999, "shopper 99999 is not in the shop"),
        ("on_shopper", "abc", "'abc'"),
        ("on_items", "5, abc", "'abc' is not an item id"),
        ("on_items", "5 2400", "item 2400 not in the catalogue"),
        ("on_items", "-1", "item -1 not in the catalogue"),
        ("on_k", 0, "k must be at least 1, got 0"),
        ("on_k", 10_000, "k = 10000 is more than"),
        ("on_model", "EASE", "model 'EASE' is not one of LightGCN, popularity"),
        ("on_product", "9999", "item 9999 not in the catalogue"),
        ("on_product", "1 2", "type one item id"),
    ],
)
def test_bad_input_shows_a_message_naming_it(explorer, callback, value, message):
    getattr(explorer, callback)({"new": value})
    assert any(message in m for m in explorer.messages), explorer.messages
    assert message in plain(explorer) and "Traceback" not in plain(explorer)


def test_a_bad_product_keeps_the_shopper_tables(explorer):
    explorer.on_product({"new": "x"})
    assert len(explorer.tables) == 2 and "'x' is not an item id" in plain(explorer)
    explorer.on_product({"new": "7"})
    assert explorer.messages == [] and "similar to item 7 (LightGCN, cosine)" in plain(explorer)


def test_pure_functions_raise_value_errors(split, models):
    with pytest.raises(ValueError, match="'1.5' is not an item id"):
        parse_item_ids("3, 1.5", split.num_items)
    with pytest.raises(ValueError, match="k must be at least 1, got -2"):
        recommendation_table(models["LightGCN"], split, 0, k=-2)
    with pytest.raises(ValueError, match="no item id given"):
        new_shopper_recommendations(models["LightGCN"], [], split)


def test_side_by_side_shows_every_title_and_table():
    a = pd.DataFrame({"item_id": [1, 2]})
    b = pd.DataFrame({"item_id": [3]}, index=pd.RangeIndex(1, 2, name="rank"))
    shown = side_by_side({"left": a, "right <b>": b})
    lines = repr(shown).splitlines()
    assert lines[0].split() == ["left", "right", "<b>"] and len(lines) == 4
    assert "right &lt;b&gt;" in shown._repr_html_() and shown._repr_html_().count("<table") == 2
