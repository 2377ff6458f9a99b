"""benchmarks/public.py end to end on a small folder in LightGCN's format."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """60 users, 30 items, tastes in two halves; each user's pairs split 4 : 1."""
    folder = tmp_path_factory.mktemp("public") / "tiny"
    folder.mkdir()
    rng = np.random.default_rng(0)
    train, test = [], []
    for u in range(60):
        half = (u % 2) * 15
        items = half + rng.choice(15, size=6, replace=False)
        train.append(" ".join(map(str, [u, *items[:5]])))
        test.append(f"{u} {items[5]}")
    (folder / "train.txt").write_text("\n".join(train) + "\n")
    (folder / "test.txt").write_text("\n".join(test) + "\n")
    return folder


def test_public_benchmark_end_to_end(folder, tmp_path):
    out = tmp_path / "result.json"
    models = ["popularity", "itemknn", "ease", "gfcf", "mf", "lightgcn", "xsimgcl", "ngcf"]
    result = subprocess.run(
        [sys.executable, "benchmarks/public.py", "--data", str(folder), "--seeds", "0", "1"]
        + ["--epochs", "1", "--batch-size", "64", "--threads", "1"]
        + ["--models", *models, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last == json.loads(out.read_text())
    assert last["dataset"] == "tiny"  # the folder's name
    assert last["config"]["seeds"] == 2  # how many seeds
    assert last["test_users"] == 60 and last["train_pairs"] == 300
    assert set(last["models"]) == set(models)
    for name in models:
        recall = last["models"][name]["recall@20"]
        assert 0 <= recall <= 1
    for name in ("mf", "lightgcn", "xsimgcl", "ngcf"):
        assert len(last["models"][name]["recall@20_per_seed"]) == 2
    # GF-CF ranks the user's own half first: with 15 items a half and 5 seen, every
    # unseen item of the half is in the top 20, so every test item is found
    assert last["models"]["gfcf"]["recall@20"] == 1.0
    test = last["paired_vs_lightgcn"]["gfcf - lightgcn ndcg@20"]
    assert test["n"] == 60 and test["ci95"][0] <= test["mean_diff"] <= test["ci95"][1]
