"""benchmarks/full_ranking.py end to end on a small folder in LightGCN's format."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]


def test_the_chunked_ranking_equals_the_per_user_loop(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    rng = np.random.default_rng(1)
    train, test = [], []
    for u in range(50):
        items = rng.choice(40, size=8, replace=False)
        train.append(" ".join(map(str, [u, *items[:6]])))
        test.append(" ".join(map(str, [u, *items[6:]])))
    (folder / "train.txt").write_text("\n".join(train) + "\n")
    (folder / "test.txt").write_text("\n".join(test) + "\n")
    out = tmp_path / "r.json"
    result = subprocess.run(
        [sys.executable, "benchmarks/full_ranking.py", "--data", str(folder)]
        + ["--chunk", "7", "--threads", "1", "--json", str(out)],  # chunks that do not divide 50
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last == json.loads(out.read_text())
    assert last["users"] == last["reference_users"] == 50 and last["items"] == 40
    assert last["same_lists"] is True and last["lists_that_differ"] == 0
    assert last["kit_metrics_on_reference_users"] == last["reference_metrics"]
