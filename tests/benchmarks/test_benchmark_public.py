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
    return write_tiny(tmp_path_factory.mktemp("public") / "tiny", valid=False)


@pytest.fixture(scope="module")
def folder_with_valid(tmp_path_factory):
    """The same users with one more pair each, in valid.txt."""
    return write_tiny(tmp_path_factory.mktemp("public") / "tiny_valid", valid=True)


def write_tiny(folder, valid: bool):
    folder.mkdir()
    rng = np.random.default_rng(0)
    train, valid_lines, test = [], [], []
    for u in range(60):
        half = (u % 2) * 15
        items = half + rng.choice(15, size=7, replace=False)
        train.append(" ".join(map(str, [u, *items[:5]])))
        test.append(f"{u} {items[5]}")
        valid_lines.append(f"{u} {items[6]}")
    (folder / "train.txt").write_text("\n".join(train) + "\n")
    (folder / "test.txt").write_text("\n".join(test) + "\n")
    if valid:
        (folder / "valid.txt").write_text("\n".join(valid_lines) + "\n")
    return folder


def run_public(folder, out, models, seeds=("0", "1")):
    result = subprocess.run(
        [sys.executable, "benchmarks/public.py", "--data", str(folder), "--seeds", *seeds]
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
    return last


def test_public_benchmark_end_to_end(folder, tmp_path):
    out = tmp_path / "result.json"
    models = ["popularity", "itemknn", "ease", "gfcf", "bspm", "mf", "lightgcn", "xsimgcl", "ngcf"]
    last = run_public(folder, out, models)
    assert last["dataset"] == "tiny"  # the folder's name
    assert last["protocol"].startswith("no valid.txt") and last["valid_pairs"] == 0
    assert last["models"]["gfcf"]["settings"] == {"alpha": 0.2}  # the model's default
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
    test = last["paired"]["gfcf - lightgcn ndcg@20"]
    assert last["paired_reference"] == "lightgcn"
    assert test["n"] == 60 and test["ci95"][0] <= test["mean_diff"] <= test["ci95"][1]
    for name in models:
        assert {"fit_s", "score_s", "protocol"} <= set(last["models"][name])


def test_with_a_valid_file_settings_are_chosen_on_it_then_refitted(folder_with_valid, tmp_path):
    last = run_public(folder_with_valid, tmp_path / "r.json", ["popularity", "gfcf", "bspm"])
    assert last["valid_pairs"] == 60 and last["train_pairs"] == 300
    assert last["protocol"].startswith("valid.txt")
    for name, size in (("gfcf", 4), ("bspm", 15)):
        model = last["models"][name]
        selection = model["selection"]
        assert len(selection["grid"]) == size and selection["valid_users"] == 60
        best = max(p["recall@20"] for p in selection["grid"])
        chosen = next(
            p
            for p in selection["grid"]
            if {k: p[k] for k in model["settings"]} == model["settings"]
        )
        assert chosen["recall@20"] == best  # the choice is the best validation point
        assert model["protocol"] == "chosen on valid.txt, refitted on train + valid"
    assert last["models"]["popularity"]["protocol"] == "fixed settings, fitted on train + valid"
    assert last["paired_reference"] == "gfcf"


def test_the_grid_pass_ranks_as_each_model_would_on_its_own(load_benchmark, folder_with_valid):
    """One pass for the whole grid, the same lists as fitting each grid point's model."""
    public = load_benchmark("public")
    split = public.load(folder_with_valid)
    known = split.history("valid")
    users = np.arange(60)
    for name in ("gfcf", "bspm"):
        model, _ = public.fixed_model(name, split, known, {}, 0)
        tops = public.grid_topk(model, users, known, public.GRIDS[name], chunk=16)
        for point, top in zip(public.GRIDS[name], tops, strict=True):
            alone, _ = public.fixed_model(name, split, known, point, 0)
            assert (top == alone.recommend(users, public.K, exclude=known)).all(), point
