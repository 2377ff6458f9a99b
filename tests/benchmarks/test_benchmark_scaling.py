"""benchmarks/scaling.py's pipeline on a small streamed shop: every stage reports a cost."""

import argparse
import dataclasses

import pytest

from gnnrec_utils.synthetic import taobao_config, write_taobao
from gnnrec_utils.training import full_graph_step_bytes, memory_budget


@pytest.fixture(scope="module")
def result(tmp_path_factory, load_benchmark):
    folder = tmp_path_factory.mktemp("streamed")
    config = dataclasses.replace(taobao_config(0.01), num_users=400, num_items=4_000)
    write_taobao(folder, config, seed=0, block_users=200)
    scaling = load_benchmark("scaling")
    args = argparse.Namespace(
        batch_size=64, fanout=[4, 2], steps=4, epoch=True, eval_users=50,
        full_graph_limit=1.0, seeds=[0],
    )  # fmt: skip
    return scaling.pipeline(folder, args)


def test_every_stage_reports_a_positive_cost(result):
    for key in ("load_s", "graph_s", "step_ms", "full_step_ms", "epoch_s", "inference_s"):
        assert result[key] > 0, key
    assert result["eval_users"] == 50
    assert 0 <= result["ndcg@10"] <= 1 and result["ndcg@10_se"] >= 0
    assert 0 < result["positives"] <= result["pairs"]  # intent pairs are training pairs
    assert result["peak_gib"] > 0


def test_the_full_graph_step_is_skipped_above_the_limit(tmp_path, load_benchmark):
    folder = tmp_path / "shop"
    write_taobao(folder, dataclasses.replace(taobao_config(0.01), num_users=200, num_items=2_000))
    scaling = load_benchmark("scaling")
    args = argparse.Namespace(
        batch_size=32, fanout=[2], steps=1, epoch=False, eval_users=10,
        full_graph_limit=1e-6, seeds=[0],
    )  # fmt: skip
    out = scaling.pipeline(folder, args)
    assert out["full_step_ms"] is None and out["full_step_estimated_gib"] > 1e-6
    assert "epoch_s" not in out


def test_memory_budget_adds_up():
    budget = memory_budget(10, 20, num_pairs=100, num_positives=40, dim=8, layers=2)
    full = budget[budget["held by"].isin(["full-graph", "both"])]["bytes"].sum()
    # the full-graph pieces are the step estimate plus the positive pairs
    assert full == full_graph_step_bytes(30, 200, 8, 2) + 8 * 5 * 40 + 4 * 31 - 4 * 30
