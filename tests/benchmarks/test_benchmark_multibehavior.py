"""benchmarks/multibehavior.py and behavior_overlap.py end to end on a small Tmall-format log."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tmall_folder(tmp_path_factory):
    """A Tmall-format folder we write: 120 users, 40 items, tastes in two halves."""
    folder = tmp_path_factory.mktemp("tmall")
    rng = np.random.default_rng(0)
    users, items = 120, 40

    def pairs(n: int, taken: set) -> str:
        out = []
        while len(out) < n:
            u = int(rng.integers(1, users + 1))
            half = (u % 2) * (items // 2)  # odd users like the upper half of the items
            i = half + int(rng.integers(1, items // 2 + 1))
            if (u, i) not in taken:
                taken.add((u, i))
                out.append(f"{u} {i}")
        return "\n".join(out) + "\n"

    purchases: set = set()  # as in Tmall's files, no pair in two of buy, validation, test
    for name, n, taken in [
        ("buy.txt", 700, purchases),
        ("collect.txt", 500, set()),
        ("cart.txt", 40, set()),
        ("validation.txt", 150, purchases),
        ("test.txt", 150, purchases),
    ]:
        (folder / name).write_text(pairs(n, taken))
    (folder / "count.txt").write_text(json.dumps({"user": users, "item": items}))
    return folder


def run(script: str, *args) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_multibehavior_chooses_on_validation_and_writes_its_json(tmall_folder, tmp_path):
    out = tmp_path / "result.json"
    printed = run(
        "multibehavior.py", "--data", tmall_folder, "--seeds", 0, 1, "--max-epochs", 3,
        "--threads", 1, "--json", out,
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert json.loads(printed.strip().splitlines()[-1]) == result  # the last line is the JSON
    tmall = result["tmall"]
    assert tmall["data"]["users"] == 120 and tmall["data"]["target"] == ["buy"]
    selection = tmall["selection_valid_ndcg@10"]
    assert set(selection) == {
        "lightgcn_target_L2", "lightgcn_target_L3", "lightgcn_all_L2", "lightgcn_all_L3",
        "mbgcn", "mbgcn_L3", "mbgcn_layer_weights", "mbgcn_aux", "cascade",
    }  # fmt: skip
    multi = ["mbgcn", "mbgcn_L3", "mbgcn_layer_weights", "mbgcn_aux", "cascade"]
    assert tmall["chosen"]["multi_best"] == max(multi, key=selection.get)
    for row in ("lightgcn_target", "lightgcn_all"):
        assert tmall["chosen"][row] == max((f"{row}_L2", f"{row}_L3"), key=selection.get)
    models = tmall["models"]
    assert len(models["multi_best"]["best_epochs"]) == 2  # one run per seed
    for name in ("popularity", "itemknn", "ease", "lightgcn_target", "mbgcn"):
        ndcg, std = models[name]["all"]["ndcg@10"]
        assert 0.0 <= ndcg <= 1.0 and std >= 0.0
    tests = {(t["a"], t["b"], t["protocol"]) for t in tmall["paired_ndcg@10"]}
    assert ("multi_best", tmall["best_lightgcn"], "all") in tests
    assert ("lightgcn_all", "lightgcn_target", "new") in tests


def test_multibehavior_needs_some_data():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "multibehavior.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 2 and "give --data" in done.stderr


def test_behavior_overlap_measures_the_fixture(tmall_folder):
    result = json.loads(run("behavior_overlap.py", "--data", tmall_folder).strip().splitlines()[-1])
    tmall = result["tmall"]
    assert tmall["fav pairs per buy pair"] == pytest.approx(
        500 / 700, abs=1e-5
    )  # rounded in the JSON
    assert tmall["held-out buys bought in training"] == 0.0  # no pair is in two files
    faved, carted = (
        tmall["held-out buys faved in training"],
        tmall["held-out buys carted in training"],
    )
    assert 0.0 < faved < 1.0  # favourites were drawn apart from purchases, so some overlap
    unseen = tmall["held-out buys with no training fav, cart or buy"]
    assert 1.0 - faved - carted - 1e-4 <= unseen <= 1.0 - max(faved, carted) + 1e-4  # 5 digits
    assert tmall["lift of fav on a later buy"] > 1.0  # both follow the same taste halves


def test_behavior_overlap_tells_a_shop_folder_from_a_tmall_folder(tmall_folder, tmp_path):
    from gnnrec_utils.data import write_shop
    from gnnrec_utils.synthetic import generate_shop

    shop = tmp_path / "shop"
    write_shop(generate_shop("tiny", seed=0), shop)
    out = tmp_path / "overlap.json"
    printed = run("behavior_overlap.py", "--data", tmall_folder, shop, "--json", out)
    result = json.loads(printed.strip().splitlines()[-1])
    assert result == json.loads(out.read_text())
    assert list(result) == ["shop", "tmall", "run"]  # the shop first, whatever the order given
    assert result["run"]["command"].startswith("python benchmarks/behavior_overlap.py --data")
    assert str(tmp_path) not in json.dumps(result)  # folders by name, no path of this machine
    assert result["shop"]["held-out buy pairs"] > 0
    assert (
        "pv pairs per buy pair" in result["shop"]
        and "pv pairs per buy pair" not in (result["tmall"])
    )  # Tmall's files have no page views


def test_behavior_overlap_refuses_two_tmall_folders(tmall_folder):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "behavior_overlap.py"), "--data",
         str(tmall_folder), str(tmall_folder)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert done.returncode == 2 and "two tmall folders" in done.stderr


def test_favourite_signal_samples_tmall_down_and_sweeps_the_generator(tmall_folder):
    printed = run(
        "favourite_signal.py", "--data", tmall_folder, "--buys-per-user", 2.0,
        "--fav-taste", 0, 1, "--size", "tiny", "--max-epochs", 2, "--threads", 1,
    )  # fmt: skip
    result = json.loads(printed.strip().splitlines()[-1])
    rows = {row["task"]: row for row in result["rows"]}
    assert list(rows) == [
        "tmall_sparse buys/user=2 sample=0",
        "shop fav_taste=0 fav_buy_share=0 seed=0",
        "shop fav_taste=1 fav_buy_share=0 seed=0",
    ]
    for row in rows.values():
        assert row["gain"] == pytest.approx(row["buy+fav"] / row["buy"] - 1)
        assert 1 <= row["last_best_epoch"] <= 2


def test_favourite_signal_refuses_more_purchases_than_tmall_has(tmall_folder):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "favourite_signal.py"), "--data",
         str(tmall_folder), "--buys-per-user", "50"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert done.returncode == 2 and "buys_per_user=50 asks for 6,000 purchase pairs" in done.stderr
