"""benchmarks/trained_budget.py end to end on a small folder in LightGCN's format: a
selection on valid.txt, a final run read from its record, pairs across invocations."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_benchmark_public import write_tiny

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    result = subprocess.run(
        [sys.executable, "benchmarks/trained_budget.py", "--threads", "1", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result


def test_select_then_final_then_pair_across_invocations(tmp_path):
    folder = write_tiny(tmp_path / "tiny", valid=True)
    records = {}
    for model in ("ultragcn", "lightgcn", "xsimgcl"):
        out = tmp_path / f"{model}_select.json"
        done = run("--data", folder, "--model", model, "--stage", "select", "--max-epochs", 3,
                   "--seeds", 0, "--json", out)  # fmt: skip
        assert done.returncode == 0, done.stderr
        record = json.loads(out.read_text())
        assert record == json.loads(done.stdout.strip().splitlines()[-1])
        runs = record["selection"]["runs"]
        assert len(runs) == (2 if model == "xsimgcl" else 1)
        for entry in runs:
            assert [row["epoch"] for row in entry["curve"]] == [1, 2, 3]
            assert entry["stopped_by"] == "max_epochs"
            assert all(0 <= row["valid_recall@20"] <= 1 for row in entry["curve"])
        best = max(
            (row for entry in runs for row in entry["curve"]),
            key=lambda r: (r["valid_recall@20"], r["valid_ndcg@20"]),
        )
        assert record["selection"]["chosen"]["epochs"] == best["epoch"]
        records[model] = out

    lightgcn_users = tmp_path / "lightgcn.npz"
    done = run("--data", folder, "--model", "lightgcn", "--stage", "final", "--selection",
               records["lightgcn"], "--seeds", 0, "--save-per-user", lightgcn_users)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = tmp_path / "ultragcn_final.json"
    done = run("--data", folder, "--model", "ultragcn", "--stage", "final", "--selection",
               records["ultragcn"], "--seeds", 0, 1, "--pair-with", lightgcn_users,
               "--json", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())["result"]
    assert [s["seed"] for s in result["seeds"]] == [0, 1]
    assert all(s["stopped_by"] == "chosen epochs" for s in result["seeds"])
    assert all(s["epochs"] == result["chosen"]["epochs"] for s in result["seeds"])
    assert result["test_users"] == 60
    assert result["gfcf"]["recall@20"] == 1.0  # as in test_benchmark_public: every test item found
    assert set(result["paired"]) == {
        f"ultragcn - {ref} {metric}"
        for ref in ("gfcf", "lightgcn")
        for metric in ("recall@20", "ndcg@20")
    }


def test_bad_invocations_are_refused_with_the_reason(tmp_path):
    folder = write_tiny(tmp_path / "no_valid", valid=False)
    done = run("--data", folder, "--model", "ultragcn", "--stage", "select")
    assert done.returncode != 0 and "no valid.txt, so there is nothing to choose on" in done.stderr
    done = run("--data", folder, "--model", "ultragcn", "--stage", "final")
    assert done.returncode != 0 and "--stage final needs --selection" in done.stderr
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"stage": "select", "model": "lightgcn"}))
    done = run("--data", folder, "--model", "ultragcn", "--stage", "final", "--selection", other)
    assert done.returncode != 0 and "not a --stage select record of ultragcn" in done.stderr


def test_patience_stops_a_schedule_after_scores_without_a_better_recall(load_benchmark):
    budget = load_benchmark("trained_budget")
    scores = iter([0.10, 0.12, 0.11, 0.12, 0.09, 0.30])  # best 0.12 at the 2nd score
    curve, stopped_by = budget.train_within(
        lambda: 1.0, 3600.0, 20, lambda: (next(scores), 0.0), 2, "test", patience=3
    )
    assert stopped_by == "patience"
    assert len(curve) == 10  # scores at epochs 2, 4, ..., 10; the 3rd miss in a row ends it
    assert [row.get("valid_recall@20") for row in curve[1::2]] == [0.10, 0.12, 0.11, 0.12, 0.09]
    curve, stopped_by = budget.train_within(lambda: 1.0, 3600.0, 4, None, 1, "test")
    assert (len(curve), stopped_by) == (4, "max_epochs")
