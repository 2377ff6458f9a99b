"""The training loop: seeded, early-stopping, restoring its best epoch, evaluating honestly."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.evaluation import evaluate, recall_ndcg, warm_target_users
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import LightGCN, MatrixFactorization, topk_excluding
from gnnrec_utils.training import PositiveSet, TrainConfig, train


@pytest.fixture(scope="module")
def split(tiny_split):
    return tiny_split


def make(split, seed=0):
    torch.manual_seed(seed)
    adj = normalized_adjacency(split.train, split.num_users, split.num_items)
    model = LightGCN(adj, split.num_users, split.num_items, embedding_dim=8, num_layers=2)
    positives = PositiveSet.from_events(
        split.train, num_items=split.num_items, num_users=split.num_users
    )
    return model, positives


def test_same_seed_same_history_and_weights(split):
    config = TrainConfig(num_epochs=3, batch_size=256, patience=10)
    runs = []
    for _ in range(2):
        model, positives = make(split)
        history = train(model, split, positives, config, progress=False)
        runs.append((history.drop(columns="seconds"), model.embedding.weight.detach().clone()))
    assert runs[0][0].equals(runs[1][0])
    assert torch.equal(runs[0][1], runs[1][1])


@pytest.mark.parametrize("sampler", ["uniform", "popularity", "hard", "walk"])
@pytest.mark.parametrize("loss", ["bpr", "bce"])
def test_every_sampler_and_loss_lowers_the_training_loss(split, sampler, loss):
    model, positives = make(split)
    config = TrainConfig(
        num_epochs=4, batch_size=256, lr=0.02, sampler=sampler, loss=loss, patience=10
    )
    history = train(model, split, positives, config, progress=False)
    assert history.loss.iloc[-1] < history.loss.iloc[0]


def test_early_stopping_restores_the_best_epoch(split):
    model, positives = make(split)
    history = train(
        model,
        split,
        positives,
        TrainConfig(num_epochs=30, batch_size=256, lr=0.05, patience=2),
        progress=False,
    )
    best = history["ndcg@10"].idxmax()
    assert len(history) == min(30, best + 2)  # stopped 2 epochs after the best
    assert evaluate(model, split, "valid")["ndcg@10"] == pytest.approx(history["ndcg@10"].max())


def test_evaluate_is_full_ranking_over_warm_users_with_history_excluded(split):
    model = MatrixFactorization(split.num_users, split.num_items, 4)
    users = warm_target_users(split.targets("test"), split.train)
    assert np.isin(users, split.train.user_id).all() and len(users) > 0
    user_emb, item_emb = model.get_embedding()
    top = topk_excluding(lambda u: user_emb[u] @ item_emb.T, users, split.history("test"), 10)
    assert evaluate(model, split, "test") == recall_ndcg(top, users, split.targets("test"))


def test_warm_target_users_need_a_target_and_a_known_event():
    targets = pd.DataFrame({"user_id": [4, 1, 1, 7], "item_id": [0, 1, 2, 3]})
    known = pd.DataFrame(
        {
            "user_id": [1, 4, 5],
            "item_id": [0, 2, 3],
            "behavior": ["pv", "pv", "buy"],
            "timestamp": [0, 0, 0],
        }
    )
    assert warm_target_users(targets, known).tolist() == [1, 4]


def test_config_rejects_unknown_choices():
    with pytest.raises(ValueError, match="loss"):
        TrainConfig(loss="hinge")
    with pytest.raises(ValueError, match="sampler"):
        TrainConfig(sampler="random")


def test_set_seed_switches_torch_to_deterministic_algorithms():
    from gnnrec_utils.notebook import set_seed

    try:
        set_seed(0)
        assert torch.are_deterministic_algorithms_enabled()
        first = torch.rand(3)
        set_seed(0, deterministic=False)
        assert not torch.are_deterministic_algorithms_enabled()
        assert torch.equal(torch.rand(3), first)
    finally:
        torch.use_deterministic_algorithms(False)
