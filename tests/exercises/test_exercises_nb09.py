"""The checkers of notebook 09's exercises accept a right answer and reject a wrong one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.data import ShopSplit, temporal_split, write_shop
from gnnrec_utils.evaluation import evaluate
from gnnrec_utils.exercises import nb09
from gnnrec_utils.graph import BipartiteCSR
from gnnrec_utils.models import Recommender, SampledLightGCN
from gnnrec_utils.retrieval import compression_table
from gnnrec_utils.training import PositiveSet, SampledConfig, intent_positives, train_sampled


class Fixed(Recommender):
    """A recommender with given vectors."""

    def __init__(self, user_emb: torch.Tensor, item_emb: torch.Tensor):
        super().__init__(len(user_emb), len(item_emb))
        self.user_emb, self.item_emb = user_emb, item_emb

    def get_embedding(self):
        return self.user_emb, self.item_emb


def events(rows: list[tuple[int, int, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "behavior"])
    return frame.assign(timestamp=0, category_id=0)


@pytest.fixture
def hand_split() -> ShopSplit:
    """Three shoppers, four items; validation targets (0, 1) and (1, 3)."""
    return ShopSplit(
        users=pd.DataFrame({"user_id": range(3)}),
        items=pd.DataFrame({"item_id": range(4)}),
        train=events([(0, 0, "pv"), (1, 1, "pv"), (2, 2, "pv")]),
        valid=events([(0, 1, "cart"), (1, 1, "buy"), (1, 3, "fav"), (2, 3, "pv")]),
        test=events([]),
        valid_start=1,
        test_start=2,
    )


@pytest.fixture
def hand_model() -> Fixed:
    """Every shopper ranks the items 0, 1, 2, 3 in that order."""
    return Fixed(torch.ones(3, 1), torch.tensor([[4.0], [3.0], [2.0], [1.0]]))


def test_validation_ndcg_by_hand(hand_split, hand_model):
    # shopper 0 (item 0 seen) finds item 1 first: 1; shopper 1 (item 1 seen) finds item 3
    # third: 1 / log2(4) = 0.5; shopper 2 has no target
    assert nb09.validation_ndcg(hand_model, hand_split, 3) == pytest.approx(0.75)
    assert nb09.validation_ndcg(hand_model, hand_split, 2) == pytest.approx(0.5)
    kit = evaluate(hand_model, hand_split, "valid", 3)["ndcg@3"]
    assert nb09.validation_ndcg(hand_model, hand_split, 3) == pytest.approx(kit)


def test_exercise_1_reads_each_models_ndcg(hand_split, hand_model, capsys):
    other = Fixed(torch.ones(3, 1), torch.tensor([[1.0], [2.0], [3.0], [4.0]]))
    models = {"[5, 5]": hand_model, "[20, 10]": other}
    right = {name: evaluate(m, hand_split, "valid", 3)["ndcg@3"] for name, m in models.items()}
    assert nb09.check_exercise_1(right, models, hand_split, 3)
    assert capsys.readouterr().out.startswith("Right: ")
    wrong = {**right, "[20, 10]": right["[20, 10]"] + 0.01}
    assert not nb09.check_exercise_1(wrong, models, hand_split, 3)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "[20, 10]" in out
    assert not nb09.check_exercise_1({"[5, 5]": right["[5, 5]"]}, models, hand_split, 3)
    assert capsys.readouterr().out.startswith("Not yet: ")


def test_exercise_2_reads_the_in_batch_models_ndcg(hand_split, hand_model, capsys):
    assert nb09.check_exercise_2(0.75, hand_model, hand_split, 3)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb09.check_exercise_2(0.5, hand_model, hand_split, 3)
    assert capsys.readouterr().out.startswith("Not yet: ")


def kit_losses(shop, epochs: int, batch_size: int, dim: int, max_steps: int) -> list[float]:
    """What ``python -m gnnrec_utils.training`` trains, written with the kit's functions."""
    split = temporal_split(shop)
    n_u, n_i = split.num_users, split.num_items
    positives = intent_positives(split.train, n_u, n_i)
    graph = BipartiteCSR.from_positives(
        PositiveSet.from_events(split.train, num_users=n_u, num_items=n_i)
    )
    torch.manual_seed(0)
    model = SampledLightGCN(graph.degree, n_u, n_i, dim, num_layers=2)
    config = SampledConfig(
        num_epochs=epochs, batch_size=batch_size, max_steps=max_steps, num_neighbors=[10, 5]
    )
    return train_sampled(model, graph, positives, config, progress=False)["loss"].tolist()


def test_exercise_3_against_the_kits_training(tmp_path, capsys, tiny_shop):
    shop = tiny_shop
    write_shop(shop, tmp_path)
    argv = ["--data", str(tmp_path), "--epochs", "2", "--batch-size", "128", "--dim", "8"]
    argv += ["--max-steps", "2", "--no-validate"]
    losses = kit_losses(shop, epochs=2, batch_size=128, dim=8, max_steps=2)
    state = torch.random.get_rng_state()
    assert nb09.check_exercise_3(losses, argv)
    assert torch.equal(torch.random.get_rng_state(), state), "the checker restores the RNG"
    assert capsys.readouterr().out.startswith("Right: ")
    other = [x + 0.001 for x in losses]
    assert not nb09.check_exercise_3(other, argv, two_ranks=other)
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "two ranks" in out


def test_exercise_4_hnsw_recall(capsys):
    gen = torch.Generator().manual_seed(0)
    user_emb, item_emb = torch.randn(40, 8, generator=gen), torch.randn(300, 8, generator=gen)
    rng = np.random.default_rng(0)
    relevant = pd.DataFrame({"user_id": np.arange(40), "item_id": rng.integers(0, 300, 40)})
    exclude = pd.DataFrame({"user_id": np.arange(40), "item_id": rng.integers(0, 300, 40)})
    users = np.arange(40)
    table = compression_table(user_emb, item_emb, users, relevant, exclude, ("float32", "hnsw"))
    recall = float(table.set_index("method").loc["hnsw", "recall_vs_exact"])
    ours = nb09.hnsw_recall(user_emb, item_emb, users, relevant, exclude, 10)
    assert abs(ours - recall) <= 0.01 and 0 <= ours <= 1
    assert nb09.check_exercise_4(recall, user_emb, item_emb, users, relevant, exclude, 10)
    assert capsys.readouterr().out.startswith("Right: ")
    assert not nb09.check_exercise_4(recall - 0.2, user_emb, item_emb, users, relevant, exclude, 10)
    assert capsys.readouterr().out.startswith("Not yet: ")
