"""Attribute codes in MultiBehaviorGCN: a dataset without attributes (no column, or one
constant column) learns as well as without them, and bad codes are refused by name.

Issue 15: given one constant attribute, the model collapsed to popularity's level on a
real log. A column with a single code is one vector shared by every node; propagation over
the normalised graph scales it by degree, so it acts as an item-popularity term that every
training sample pulls on. The encoder now gives such a column no table."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.data import ShopSplit
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import AttributeEncoder, MultiBehaviorGCN, NodeEncoder
from gnnrec_utils.training import PositiveSet, TrainConfig, train


def planted_groups_split(groups=4, users_per=50, items_per=25, buys=6, seed=0):
    """Users in ``groups`` planted groups buy ``buys`` items of their own group, popular ones
    (Zipf within the group) most often, and hold out one more item of their own group, drawn
    uniformly, for validation. The right answer is known: own-group items first, which scores
    a validation NDCG@10 of 0.21; popularity alone scores 0.007."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, items_per + 1)
    train_pairs, valid_pairs = [], []
    for u in range(groups * users_per):
        first = u // users_per * items_per
        bought = rng.choice(items_per, buys, replace=False, p=weight / weight.sum())
        train_pairs += [(u, first + i) for i in bought]
        valid_pairs.append((u, first + rng.choice(np.setdiff1d(np.arange(items_per), bought))))

    def events(pairs):
        return pd.DataFrame(pairs, columns=["user_id", "item_id"]).assign(
            behavior="buy", timestamp=0
        )

    return ShopSplit(
        users=pd.DataFrame({"user_id": range(groups * users_per)}),
        items=pd.DataFrame({"item_id": range(groups * items_per)}),
        train=events(train_pairs),
        valid=events(valid_pairs),
        test=events(valid_pairs),
        valid_start=1,
        test_start=2,
    )


def no_attribute(n):
    return torch.zeros(n, 0, dtype=torch.long), []


def constant(n):
    """What a dataset without attributes naturally passes: one column, one code."""
    return torch.zeros(n, 1, dtype=torch.long), [1]


def nearly_constant(n):
    """Two codes, the second on 5 % of the nodes (e.g. a mostly missing field)."""
    return torch.tensor(np.random.default_rng(1).random((n, 1)) < 0.05, dtype=torch.long), [2]


@pytest.fixture(scope="module")
def planted():
    split = planted_groups_split()
    adjs = {"buy": normalized_adjacency(split.train, split.num_users, split.num_items)}
    positives = PositiveSet.from_events(
        split.train, num_items=split.num_items, num_users=split.num_users
    )
    return split, adjs, positives


def best_valid_ndcg(planted, attribute):
    split, adjs, positives = planted
    (uc, ucards), (ic, icards) = attribute(split.num_users), attribute(split.num_items)
    torch.manual_seed(0)
    model = MultiBehaviorGCN(adjs, uc, ic, ucards, icards)
    history = train(model, split, positives, TrainConfig(num_epochs=10, seed=0), progress=False)
    return history["ndcg@10"].max()


@pytest.fixture(scope="module")
def without_attributes(planted):
    ndcg = best_valid_ndcg(planted, no_attribute)
    # the planted groups are learned (own-group ranking: 0.21, popularity: 0.007)
    assert ndcg > 0.15
    return ndcg


@pytest.mark.parametrize(
    "attribute",
    [
        constant,
        pytest.param(
            nearly_constant,
            marks=pytest.mark.xfail(
                strict=True,
                reason="issue 15: a nearly constant attribute still acts as a shared offset",
            ),
        ),
    ],
)
def test_an_uninformative_attribute_learns_as_well_as_none(planted, without_attributes, attribute):
    # within noise: over seeds 0-9 the model without attributes spreads by about 0.01
    assert best_valid_ndcg(planted, attribute) == pytest.approx(without_attributes, abs=0.03)


def test_a_constant_attribute_changes_no_embedding(planted):
    split, adjs, _ = planted
    (uc, ucards), (ic, icards) = no_attribute(split.num_users), no_attribute(split.num_items)
    none = MultiBehaviorGCN(adjs, uc, ic, ucards, icards, embedding_dim=8)
    (uc, ucards), (ic, icards) = constant(split.num_users), constant(split.num_items)
    const = MultiBehaviorGCN(adjs, uc, ic, ucards, icards, embedding_dim=8)
    const.load_state_dict(none.state_dict(), strict=False)  # same ID vectors and behaviour weights
    with torch.no_grad():
        for a, b in zip(const.get_embedding(), none.get_embedding(), strict=True):
            torch.testing.assert_close(a, b)


def test_a_single_code_attribute_gets_no_table():
    codes = torch.tensor([[0, 2], [0, 0], [0, 1]])
    enc = AttributeEncoder([1, 3], 4)
    assert len(enc.tables) == 1
    torch.testing.assert_close(enc(codes), enc.tables[0].weight[codes[:, 1]])
    assert torch.equal(AttributeEncoder([1], 4)(codes[:, :1]), torch.zeros(3, 4))
    assert torch.equal(NodeEncoder(3, [1], 4, use_ids=False)(codes[:, :1]), torch.zeros(3, 4))


@pytest.fixture
def tiny():
    split = planted_groups_split(groups=2, users_per=3, items_per=4, buys=2)
    adjs = {"buy": normalized_adjacency(split.train, split.num_users, split.num_items)}
    return split, adjs


@pytest.mark.parametrize(
    "user_codes, item_codes, message",
    [
        (torch.zeros(6, 1, dtype=torch.long), torch.zeros(7, 1, dtype=torch.long), "adjs['buy']"),
        (torch.full((6, 1), -1), torch.zeros(8, 1, dtype=torch.long), "user_codes: column 0"),
        (torch.zeros(6, 1, dtype=torch.long), torch.full((8, 1), 3), "item_codes: column 0"),
        (torch.zeros(6, 2, dtype=torch.long), torch.zeros(8, 1, dtype=torch.long), "user_codes: 2"),
        (torch.zeros(6, 1), torch.zeros(8, 1, dtype=torch.long), "user_codes: expected a 2-D"),
    ],
)
def test_bad_attribute_codes_are_named(tiny, user_codes, item_codes, message):
    _, adjs = tiny
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        MultiBehaviorGCN(adjs, user_codes, item_codes, [1], [3])
