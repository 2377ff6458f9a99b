"""Full-ranking top-K and Recall / NDCG on cases computed by hand."""
import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.metrics import recall_ndcg, stable_topk, topk_excluding


def pairs(rows):
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


def test_topk_excludes_history_and_breaks_ties_by_item_id():
    scores = torch.tensor([[0.9, 0.5, 0.5, 0.1], [0.0, 0.0, 0.0, 1.0]])
    top = topk_excluding(lambda u: scores[u], np.array([0, 1]), pairs([[0, 0], [1, 3]]), k=2, chunk=1)
    assert top.tolist() == [[1, 2], [0, 1]]


def test_recall_and_ndcg_by_hand():
    top = np.array([[3, 1, 2], [0, 1, 2]])
    relevant = pairs([[0, 1], [0, 5], [1, 0]])
    m = recall_ndcg(top, np.array([0, 1]), relevant)
    # user 0: hit at rank 2 of 2 relevant -> recall 1/2, ndcg (1/log2 3) / (1 + 1/log2 3)
    # user 1: hit at rank 1 of 1 relevant -> recall 1, ndcg 1
    ndcg0 = (1 / np.log2(3)) / (1 + 1 / np.log2(3))
    assert m["recall@3"] == pytest.approx((0.5 + 1.0) / 2)
    assert m["ndcg@3"] == pytest.approx((ndcg0 + 1.0) / 2)


def test_perfect_and_empty_rankings():
    relevant = pairs([[0, 4], [0, 2]])
    assert recall_ndcg(np.array([[2, 4, 0]]), np.array([0]), relevant) == {"recall@3": 1.0, "ndcg@3": 1.0}
    assert recall_ndcg(np.array([[0, 1, 3]]), np.array([0]), relevant) == {"recall@3": 0.0, "ndcg@3": 0.0}


@pytest.mark.parametrize("seed", range(5))
def test_stable_topk_equals_a_full_stable_sort(seed):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randint(0, 6, (40, 50), generator=g).double()  # many ties, some past the window
    scores[:5] = 1.0                                                  # rows of all-equal scores
    scores[5:10] = torch.rand(5, 50, generator=g, dtype=torch.float64)
    expected = torch.sort(-scores, dim=1, stable=True).indices[:, :10]
    assert torch.equal(stable_topk(scores, 10, margin=3), expected)
