"""Recall / NDCG and the other ranking metrics on cases computed by hand."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.evaluation import (
    average_popularity,
    catalog_coverage,
    exposure_gini,
    novelty,
    ranking_metrics,
    recall_ndcg,
)


def pairs(rows):
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


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
    assert recall_ndcg(np.array([[2, 4, 0]]), np.array([0]), relevant) == {
        "recall@3": 1.0,
        "ndcg@3": 1.0,
    }
    assert recall_ndcg(np.array([[0, 1, 3]]), np.array([0]), relevant) == {
        "recall@3": 0.0,
        "ndcg@3": 0.0,
    }


# --- precision / recall / NDCG / MAP / hit rate / MRR, and beyond-accuracy metrics ---------


def at_k(name):
    """One metric of :func:`ranking_metrics`, as a function of (top, users, relevant)."""
    return lambda top, users, relevant: ranking_metrics(top, users, relevant)[
        f"{name}@{np.shape(top)[1]}"
    ]


precision_at_k, recall_at_k, ndcg_at_k = at_k("precision"), at_k("recall"), at_k("ndcg")
map_at_k, hit_rate_at_k, mrr_at_k = at_k("map"), at_k("hit_rate"), at_k("mrr")

METRICS = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "ndcg": ndcg_at_k,
    "map": map_at_k,
    "hit_rate": hit_rate_at_k,
    "mrr": mrr_at_k,
}
D2, D3 = 1 / np.log2(3), 1 / np.log2(4)  # NDCG discounts of ranks 2 and 3


def all_metrics(top, users, relevant):
    return {name: f(np.array(top), np.array(users), relevant) for name, f in METRICS.items()}


def test_every_metric_by_hand():
    top = [[3, 1, 2], [0, 9, 2], [4, 5, 6], [4, 5, 6]]
    relevant = pairs([[10, 1], [10, 5], [11, 0], [11, 1], [11, 2], [11, 7], [13, 8]])
    m = all_metrics(top, [10, 11, 12, 13], relevant)
    # user 10: |R| = 2 < k, hit at rank 2; user 11: |R| = 4 > k, hits at ranks 1 and 3;
    # user 12: no relevant item -> left out; user 13: no hit -> 0 everywhere. Mean over 3.
    expected = {
        "precision": (1 / 3 + 2 / 3 + 0) / 3,
        "recall": (1 / 2 + 2 / 4 + 0) / 3,
        "ndcg": (D2 / (1 + D2) + (1 + D3) / (1 + D2 + D3) + 0) / 3,
        "map": ((1 / 2) / 2 + (1 / 1 + 2 / 3) / 3 + 0) / 3,  # divided by min(|R|, k)
        "hit_rate": (1 + 1 + 0) / 3,
        "mrr": (1 / 2 + 1 + 0) / 3,
    }
    assert m == pytest.approx(expected)
    assert ranking_metrics(np.array(top), np.array([10, 11, 12, 13]), relevant) == pytest.approx(
        {f"{name}@3": v for name, v in expected.items()}
    )


def test_perfect_ranking_scores_one_except_precision_with_few_relevant_items():
    # |R| = 2 < k = 3: only 2 of the 3 slots can hold a relevant item, so precision <= 2/3.
    few = all_metrics([[2, 4, 0]], [0], pairs([[0, 4], [0, 2]]))
    assert few == pytest.approx(
        {"precision": 2 / 3, "recall": 1, "ndcg": 1, "map": 1, "hit_rate": 1, "mrr": 1}
    )
    # |R| = 4 >= k = 3: precision reaches 1; recall cannot pass k / |R|.
    many = all_metrics([[3, 0, 1]], [0], pairs([[0, 0], [0, 1], [0, 2], [0, 3]]))
    assert many == pytest.approx(
        {"precision": 1, "recall": 3 / 4, "ndcg": 1, "map": 1, "hit_rate": 1, "mrr": 1}
    )


def test_no_hits_score_zero_and_no_relevant_users_give_nan():
    assert all_metrics([[0, 1, 3]], [0], pairs([[0, 4], [0, 2]])) == dict.fromkeys(METRICS, 0.0)
    assert all(np.isnan(v) for v in all_metrics([[0, 1]], [0], pairs([[1, 0]])).values())


def test_users_without_relevant_items_are_left_out_of_the_mean():
    relevant = pairs([[0, 1], [2, 5], [2, 6]])
    with_empty = all_metrics([[1, 2], [1, 2], [5, 0]], [0, 1, 2], relevant)
    without = all_metrics([[1, 2], [5, 0]], [0, 2], relevant)
    assert with_empty == without
    # ... and duplicate relevant pairs count once.
    assert all_metrics([[1, 2], [5, 0]], [0, 2], pd.concat([relevant, relevant])) == without


def random_case(seed, n_users=60, num_items=40, k=8):
    """Distinct top-k items; relevant sets empty (every 10th user), below k or over k items."""
    rng = np.random.default_rng(seed)
    top = np.stack([rng.permutation(num_items)[:k] for _ in range(n_users)])
    users = rng.permutation(1000)[:n_users]  # ids unlike row numbers
    rows = [
        (r, i)
        for r in range(n_users)
        for i in rng.choice(num_items, rng.integers(0, 13), replace=False)
    ]
    rows += [
        (r, top[r, j])
        for r, j in zip(rng.integers(0, n_users, 80), rng.integers(0, k, 80), strict=True)
    ]
    rows = sorted({(r, i) for r, i in rows if r % 10})  # every 10th user: no relevant item
    row, item = np.array(rows).T
    return top, users, pairs(np.c_[users[row], item]), torch.tensor(np.stack([row, item]))


def brute_force(top, users, relevant):
    """Per-user loops straight from the definitions in the module docstring."""
    out = {name: [] for name in METRICS}
    for u, items in zip(users, top, strict=True):
        rel = set(relevant.item_id[relevant.user_id == u])
        if not rel:
            continue
        hit_ranks = [r for r, i in enumerate(items, 1) if i in rel]
        cap = min(len(rel), len(items))
        out["precision"].append(len(hit_ranks) / len(items))
        out["recall"].append(len(hit_ranks) / len(rel))
        out["ndcg"].append(
            sum(1 / np.log2(r + 1) for r in hit_ranks)
            / sum(1 / np.log2(r + 1) for r in range(1, cap + 1))
        )
        out["map"].append(sum((n + 1) / r for n, r in enumerate(hit_ranks)) / cap)
        out["hit_rate"].append(float(bool(hit_ranks)))
        out["mrr"].append(1 / hit_ranks[0] if hit_ranks else 0.0)
    return {name: np.mean(v) for name, v in out.items()}


@pytest.mark.parametrize("seed", range(4))
def test_metrics_equal_a_brute_force_computation(seed):
    top, users, relevant, _ = random_case(seed)
    assert all_metrics(top, users, relevant) == pytest.approx(brute_force(top, users, relevant))


@pytest.mark.parametrize("seed", range(4))
def test_metrics_equal_torch_geometric(seed):
    # PyG's LinkPred* metrics take row numbers (not user ids) in edge_label_index and, like
    # the kit, average only over rows with a relevant item. With binary relevance all six
    # agree: LinkPredNDCG's ideal DCG runs over min(|R|, k) positions and LinkPredMAP
    # divides by min(|R|, k) (PyG 2.8.1, torch_geometric/metrics/link_pred.py).
    pyg = pytest.importorskip("torch_geometric.metrics")
    top, users, relevant, edge_label_index = random_case(seed)
    k = top.shape[1]
    classes = {
        "precision": pyg.LinkPredPrecision,
        "recall": pyg.LinkPredRecall,
        "ndcg": pyg.LinkPredNDCG,
        "map": pyg.LinkPredMAP,
        "hit_rate": pyg.LinkPredHitRatio,
        "mrr": pyg.LinkPredMRR,
    }
    theirs = {}
    for name, cls in classes.items():
        metric = cls(k)
        metric.update(torch.tensor(top), edge_label_index)
        theirs[name] = float(metric.compute())
    assert all_metrics(top, users, relevant) == pytest.approx(theirs, abs=1e-6)


def test_documented_differences_from_other_conventions():
    top, users, relevant, edge_label_index = random_case(0)
    # Recommenders' `map` (and old `map_at_k`) divide by |R|, not min(|R|, k): lower as soon
    # as a user with hits has more than k relevant items.
    kit = brute_force(top, users, relevant)["map"]
    by_all_relevant = []
    for u, items in zip(users, top, strict=True):
        rel = set(relevant.item_id[relevant.user_id == u])
        hit_ranks = [r for r, i in enumerate(items, 1) if i in rel]
        if rel:
            by_all_relevant.append(sum((n + 1) / r for n, r in enumerate(hit_ranks)) / len(rel))
    assert np.mean(by_all_relevant) < kit == pytest.approx(map_at_k(top, users, relevant))
    # With no relevant item anywhere the kit returns nan; PyG returns 0.
    pyg = pytest.importorskip("torch_geometric.metrics")
    metric = pyg.LinkPredRecall(3)
    metric.update(torch.tensor([[0, 1, 2]]), torch.empty(2, 0, dtype=torch.long))
    assert float(metric.compute()) == 0.0
    assert np.isnan(recall_at_k(np.array([[0, 1, 2]]), np.array([0]), pairs([])))


def test_beyond_accuracy_by_hand():
    top = np.array([[0, 1], [2, 3]])
    popularity = np.array([4, 2, 1, 0, 9])  # training users per item, num_users = 4
    assert catalog_coverage(top, num_items=5) == pytest.approx(4 / 5)
    assert catalog_coverage(np.array([[0, 1], [1, 0]]), num_items=5) == pytest.approx(2 / 5)
    assert average_popularity(top, popularity) == pytest.approx((4 + 2 + 1 + 0) / 4)
    # self-information -log2(pop / 4): 0, 1, 2 bits, and 2 for the unseen item (pop clipped to 1)
    assert novelty(top, popularity, num_users=4) == pytest.approx((0 + 1 + 2 + 2) / 4)
    assert exposure_gini(np.array([[0, 1], [1, 0]]), num_items=2) == 0.0
    # exposures [2, 0]: Gini = (1 * 2) / (2 * 2) = 0.5; more unseen items push it towards 1
    assert exposure_gini(np.array([[0], [0]]), num_items=2) == pytest.approx(0.5)
    assert exposure_gini(np.array([[0], [0]]), num_items=10) == pytest.approx(0.9)


@pytest.mark.parametrize("seed", range(2))
def test_coverage_and_popularity_equal_torch_geometric(seed):
    pyg = pytest.importorskip("torch_geometric.metrics")
    top, _, _, edge_label_index = random_case(seed, num_items=100)
    popularity = torch.randint(0, 50, (100,), generator=torch.Generator().manual_seed(seed))
    coverage = pyg.LinkPredCoverage(top.shape[1], num_dst_nodes=100)
    arp = pyg.LinkPredAveragePopularity(top.shape[1], popularity)
    for metric in (coverage, arp):
        metric.update(torch.tensor(top), edge_label_index)
    assert catalog_coverage(top, 100) == pytest.approx(float(coverage.compute()))
    assert average_popularity(top, popularity.numpy()) == pytest.approx(float(arp.compute()))


def test_paired_difference_by_hand():
    from gnnrec_utils.evaluation import paired_difference

    # differences 1, 0, 2: mean 1, sample std 1, standard error 1 / sqrt(3)
    mean, se = paired_difference([3.0, 1.0, 4.0], [2.0, 1.0, 2.0])
    assert mean == pytest.approx(1.0) and se == pytest.approx(1 / np.sqrt(3))
    # a constant offset has no spread: the paired error is zero however noisy the users
    rng = np.random.default_rng(0)
    b = rng.random(50)
    assert paired_difference(b + 0.1, b) == pytest.approx((0.1, 0.0))
