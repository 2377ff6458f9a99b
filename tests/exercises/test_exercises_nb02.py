"""Notebook 02's exercise checkers accept a right answer and say what is off in a wrong one."""

import numpy as np
import pandas as pd
import torch
from torch import nn

from gnnrec_utils.exercises import nb02
from gnnrec_utils.models import Recommender, price_bands


class TwoTables(nn.Module):
    """A stand-in for the notebook's GCN: (user_emb, item_emb) from an edge index."""

    def __init__(self):
        super().__init__()
        self.num_users = 2
        self.embedding = nn.Embedding(5, 3)

    def forward(self, edge_index):
        x = self.embedding.weight * (1 + edge_index.shape[1])
        return x[:2], x[2:]


class Wrapper(Recommender):
    def __init__(self, model, edge_index, swap=False):
        super().__init__(2, 3)
        self.model, self.edge_index, self.swap = model, edge_index, swap

    def get_embedding(self):
        users, items = self.model(self.edge_index)
        return (items[:2], users) if self.swap else (users, items)


def test_exercise_1(capsys):
    model, edges = TwoTables(), torch.tensor([[0, 1], [2, 3]])
    assert nb02.check_exercise_1(Wrapper(model, edges), model, edges)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb02.check_exercise_1(model, model, edges)
    assert "not a Recommender" in capsys.readouterr().out
    assert not nb02.check_exercise_1(Wrapper(model, edges[:, :1]), model, edges)
    assert capsys.readouterr().out.startswith("Not yet: ")


def test_exercise_2_counts_the_mlp(capsys):
    # concat: an MLP, Linear(2 * 4, 4), ReLU, Linear(4, 4), on top of the same tables
    extra = (2 * 4 * 4 + 4) + (4 * 4 + 4)
    assert nb02.check_exercise_2(extra, num_items=6, item_cards=[3, 2], dim=4)
    assert not nb02.check_exercise_2(extra + 1, num_items=6, item_cards=[3, 2], dim=4)
    assert f"gives {extra}" in capsys.readouterr().out


def test_exercise_3(capsys):
    price = pd.Series(np.geomspace(1, 1000, 20))
    assert nb02.check_exercise_3(price_bands(price, 5), price, 5)
    assert not nb02.check_exercise_3(price_bands(price, 4), price, 5)
    assert "differ" in capsys.readouterr().out
