"""Notebook 02's exercise checkers accept a right answer as a learner types it and say
what is off in the plausible wrong ones."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from gnnrec_utils.evaluation import evaluate
from gnnrec_utils.exercises import nb02
from gnnrec_utils.models import NodeEncoder, Recommender, price_bands

# --- exercise 1 ----------------------------------------------------------------------------


class StackedTable(nn.Module):
    """A stand-in for the notebook's GCN: one table over the stacked users and items."""

    def __init__(self, num_users, num_items, dim=8):
        super().__init__()
        self.num_users = num_users
        self.embedding = nn.Embedding(num_users + num_items, dim)
        nn.init.normal_(self.embedding.weight, std=0.1)

    def forward(self, edge_index):
        x = self.embedding.weight
        return x[: self.num_users], x[self.num_users :]


class Wrapper(Recommender):
    def __init__(self, model, edge_index, swap=False):
        super().__init__(model.num_users, model.embedding.num_embeddings - model.num_users)
        self.model, self.edge_index, self.swap = model, edge_index, swap

    def get_embedding(self):
        users, items = self.model(self.edge_index)
        return (items, users) if self.swap else (users, items)


def bpr_steps(model, train, steps, seed=0):
    """``steps`` BPR steps on batches of training pairs with uniform negatives; the losses."""
    pairs = torch.tensor(train[["user_id", "item_id"]].drop_duplicates().to_numpy())
    draw = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(steps):
        users, pos = pairs[torch.randint(len(pairs), (1024,), generator=draw)].T
        neg = torch.randint(
            model.embedding.num_embeddings - model.num_users, (1024,), generator=draw
        )
        user_emb, item_emb = model(None)
        u = user_emb[users]
        gap = (u * item_emb[neg]).sum(-1) - (u * item_emb[pos]).sum(-1)
        loss = nn.functional.softplus(gap).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.fixture(scope="module")
def trained(tiny_split):
    torch.manual_seed(0)
    model = StackedTable(tiny_split.num_users, tiny_split.num_items)
    losses = bpr_steps(model, tiny_split.train, 30)
    early = Wrapper(StackedTable(tiny_split.num_users, tiny_split.num_items), None)
    early.model.load_state_dict(model.state_dict())  # a copy after section 3's 30 steps
    losses += bpr_steps(model, tiny_split.train, 200, seed=1)
    return Wrapper(model, None), early, losses


def test_exercise_1_accepts_the_trained_wrapper(tiny_split, trained, capsys):
    wrapped, _, losses = trained
    valid = evaluate(wrapped, tiny_split, "valid")
    assert nb02.check_exercise_1(valid, wrapped, losses, tiny_split)  # evaluate's dict
    assert capsys.readouterr().out.startswith("Right: ")
    assert nb02.check_exercise_1(f"{valid['ndcg@10']:.4f}", wrapped, losses, tiny_split)
    assert capsys.readouterr().out.startswith("Right: ")


def test_exercise_1_rejects_an_untrained_or_a_short_trained_wrapper(tiny_split, trained, capsys):
    wrapped, early, losses = trained
    fresh = Wrapper(StackedTable(tiny_split.num_users, tiny_split.num_items), None)
    valid = evaluate(fresh, tiny_split, "valid")
    assert not nb02.check_exercise_1(valid, fresh, losses, tiny_split)  # never trained
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "wrap the model you trained" in out
    valid = evaluate(early, tiny_split, "valid")
    assert not nb02.check_exercise_1(valid, early, losses[:30], tiny_split)  # section 3's 30
    assert "your losses hold 30 steps; train for 200 more" in capsys.readouterr().out
    assert not nb02.check_exercise_1(valid, early, losses, tiny_split)  # 30 steps, all losses
    assert "wrap the model you trained" in capsys.readouterr().out


def test_exercise_1_rejects_the_test_day_and_a_wrong_wrapper(tiny_split, trained, capsys):
    wrapped, _, losses = trained
    test = evaluate(wrapped, tiny_split, "test")["ndcg@10"]
    assert f"{test:.4f}" != f"{evaluate(wrapped, tiny_split, 'valid')['ndcg@10']:.4f}"
    assert not nb02.check_exercise_1(test, wrapped, losses, tiny_split)
    assert "That is the test day" in capsys.readouterr().out
    swapped = Wrapper(wrapped.model, None, swap=True)
    assert not nb02.check_exercise_1(test, swapped, losses, tiny_split)
    assert "users first" in capsys.readouterr().out
    assert not nb02.check_exercise_1(test, wrapped.model, losses, tiny_split)
    assert "is not a subclass" in capsys.readouterr().out


# --- exercise 2 ----------------------------------------------------------------------------


def count(encoder):
    return sum(p.numel() for p in encoder.parameters())


def test_exercise_2_counts_the_mlp(capsys):
    cards, dim = [3, 2, 1], 4
    # concat: an MLP, Linear(2 * 4, 4), ReLU, Linear(4, 4), on top of the same tables
    extra = (2 * 4 * 4 + 4) + (4 * 4 + 4)
    assert extra == count(NodeEncoder(6, cards, dim, "concat")) - count(NodeEncoder(6, cards, dim))
    assert nb02.check_exercise_2(f"{extra:,}", 6, cards, dim)  # as printed
    assert capsys.readouterr().out.startswith("Right: ")
    # the users' encoders add the same MLP: section 2's count is the items' count too
    assert extra == count(NodeEncoder(9, [5], dim, "concat")) - count(NodeEncoder(9, [5], dim))


def test_exercise_2_rejects_a_whole_encoder_or_one_layer(capsys):
    cards, dim = [3, 2, 1], 4
    assert not nb02.check_exercise_2(count(NodeEncoder(6, cards, dim, "concat")), 6, cards, dim)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "whole concat encoder" in out
    assert not nb02.check_exercise_2(2 * 4 * 4 + 4, 6, cards, dim)
    assert "first layer only" in capsys.readouterr().out
    assert not nb02.check_exercise_2(3 * 4 * 4, 6, cards, dim)
    assert "biases" in capsys.readouterr().out


# --- exercise 3 ----------------------------------------------------------------------------


@pytest.mark.parametrize("num_bands", [2, 4, 5, 10])
def test_quantile_bands_are_the_kits_price_bands(num_bands):
    rng = np.random.default_rng(0)
    price = pd.Series(np.round(rng.lognormal(4, 1.5, 997), 1))  # rounded: many equal prices
    price[:40] = price[40]
    assert np.array_equal(nb02.quantile_bands(price, num_bands), price_bands(price, num_bands))


def test_exercise_3(capsys):
    price = pd.Series(np.geomspace(1, 1000, 20))
    assert nb02.check_exercise_3(price_bands(price, 5), price)
    assert capsys.readouterr().out.startswith("Right: 5 bands of 4 items each")
    assert not nb02.check_exercise_3(price_bands(price), price)  # the default, ten bands
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "10 bands: pass num_bands=5" in out
    assert not nb02.check_exercise_3(price_bands(price, 4), price)
    assert "4 bands" in capsys.readouterr().out
    assert not nb02.check_exercise_3(np.bincount(price_bands(price, 5)), price)  # the sizes
    assert "one band per item" in capsys.readouterr().out
