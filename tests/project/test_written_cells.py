"""The core that notebooks 03 and 04 write out in plain torch gives the package's numbers.

Notebook 03 writes LightGCN's propagation, the BPR training step and a plain LightGCN
module; notebook 04 writes the full-ranking evaluation. The cells are executed here from
the notebooks' sources (what a reader copies) and set against the package: the same
embeddings, the same training trajectory, the same per-user metrics.
"""

from pathlib import Path

import jupytext
import numpy as np
import pytest
import torch

import gnnrec_utils.evaluation
import gnnrec_utils.models
from gnnrec_utils.data import TARGET_BEHAVIORS
from gnnrec_utils.evaluation import evaluate_full_ranking, warm_target_users
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import LightGCN
from gnnrec_utils.training import (
    TrainConfig,
    intent_positives,
    sample_bpr_batch,
    train_step,
    uniform_negatives,
)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def written(notebook: str, *names: str) -> dict:
    """Run the code cells of ``notebook`` that define ``names``; their namespace."""
    namespace = {
        "torch": torch,
        "np": np,
        "stable_topk": gnnrec_utils.models.stable_topk,
        "per_user_recall_ndcg": gnnrec_utils.evaluation.per_user_recall_ndcg,
    }
    cells = jupytext.read(NOTEBOOKS / f"{notebook}.py").cells
    for name in names:
        defines = [c for c in cells if f"def {name}(" in c.source or f"class {name}(" in c.source]
        assert len(defines) == 1, f"{notebook}: expected one cell defining {name}"
        exec(compile(defines[0].source, f"{notebook}:{name}", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def notebook_03():
    return written("03_training", "lightgcn_embedding", "bpr_step", "PlainLightGCN")


@pytest.fixture(scope="module")
def graph(tiny_split):
    n_u, n_i = tiny_split.num_users, tiny_split.num_items
    return normalized_adjacency(tiny_split.train, n_u, n_i), n_u, n_i


def test_the_written_propagation_is_lightgcns(notebook_03, graph):
    adj, n_u, n_i = graph
    torch.manual_seed(0)
    model = LightGCN(adj, n_u, n_i, embedding_dim=16, num_layers=3)
    out = notebook_03["lightgcn_embedding"](adj, model.embedding.weight, 3)
    user_emb, item_emb = model.get_embedding()
    assert torch.equal(out[:n_u], user_emb) and torch.equal(out[n_u:], item_emb)


def test_the_written_model_trains_as_the_kits(notebook_03, graph, tiny_split):
    adj, n_u, n_i = graph
    positives = intent_positives(tiny_split.train, n_u, n_i)
    torch.manual_seed(0)
    plain = notebook_03["PlainLightGCN"](adj, n_u, n_i, 16, 2)
    torch.manual_seed(0)
    kit = LightGCN(adj, n_u, n_i, embedding_dim=16, num_layers=2)
    assert torch.equal(plain.embedding.weight, kit.embedding.weight)
    start = kit.embedding.weight.detach().clone()
    opt_plain = torch.optim.Adam(plain.parameters(), lr=0.01)
    opt_kit = torch.optim.Adam(kit.parameters(), lr=0.01)
    g = torch.Generator().manual_seed(0)
    for _ in range(4):
        users, pos = sample_bpr_batch(positives, 256, generator=g)
        neg = uniform_negatives(positives, users, generator=g)
        a = notebook_03["bpr_step"](plain, opt_plain, users, pos, neg)
        b = train_step(kit, opt_kit, users, pos, neg, TrainConfig(lr=0.01))
        assert a == pytest.approx(b, abs=1e-6)
    assert (kit.embedding.weight - start).abs().max() > 1e-3  # the models did train
    torch.testing.assert_close(plain.embedding.weight, kit.embedding.weight, atol=1e-6, rtol=0)


def test_the_written_step_is_the_kits_step_for_bpr(notebook_03, graph, tiny_split):
    """On the kit's own model, the written step and ``train_step`` are bit for bit equal."""
    adj, n_u, n_i = graph
    positives = intent_positives(tiny_split.train, n_u, n_i)
    models = []
    for _ in range(2):
        torch.manual_seed(0)
        models.append(LightGCN(adj, n_u, n_i, embedding_dim=16, num_layers=2))
    opts = [torch.optim.Adam(m.parameters(), lr=0.01) for m in models]
    g = torch.Generator().manual_seed(1)
    for _ in range(3):
        users, pos = sample_bpr_batch(positives, 256, generator=g)
        neg = uniform_negatives(positives, users, generator=g)
        a = notebook_03["bpr_step"](models[0], opts[0], users, pos, neg)
        b = train_step(models[1], opts[1], users, pos, neg, TrainConfig(lr=0.01))
        assert a == b
    assert torch.equal(models[0].embedding.weight, models[1].embedding.weight)


def test_the_written_evaluation_is_the_kits(graph, tiny_split):
    notebook_04 = written("04_evaluation", "topk_excluding", "per_user_metrics")
    adj, n_u, n_i = graph
    torch.manual_seed(0)
    model = LightGCN(adj, n_u, n_i, embedding_dim=16, num_layers=2)
    users = warm_target_users(tiny_split.targets("test"), tiny_split.train)
    targets, history = tiny_split.targets("test"), tiny_split.history("test")
    recall, ndcg = notebook_04["per_user_metrics"](model.scorer(), users, targets, history, 10, 7)
    kit = evaluate_full_ranking(model, users, targets, history, k=10, per_user=True)
    assert np.array_equal(kit["user_id"], users)
    assert np.array_equal(recall, kit["per_user_recall"])
    assert np.array_equal(ndcg, kit["per_user_ndcg"])
    assert set(TARGET_BEHAVIORS) <= set(tiny_split.test.behavior)  # the targets are real
