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
    unified = ["mbgcn_unified", "mbgcn_unified_L3", "mbgcn_unified_aux"]
    assert set(selection) == {
        "lightgcn_target_L2", "lightgcn_target_L3", "lightgcn_all_L2", "lightgcn_all_L3",
        "mbgcn", "mbgcn_L3", "mbgcn_layer_weights", "mbgcn_aux", "cascade", *unified,
    }  # fmt: skip
    multi = ["mbgcn", "mbgcn_L3", "mbgcn_layer_weights", "mbgcn_aux", "cascade"]
    assert tmall["chosen"]["multi_best"] == max(multi, key=selection.get)
    assert tmall["chosen"]["unified_best"] == max(unified, key=selection.get)
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
    assert ("unified_best", "lightgcn_all", "papers") in tests
    # the papers' protocol: every test user; validation purchases stay candidates
    test_users = {
        line.split()[0] for line in (tmall_folder / "test.txt").read_text().split("\n") if line
    }
    assert tmall["data"]["test_users"]["papers"] == len(test_users)
    assert models["popularity"]["papers"]["hit@10"][0] == pytest.approx(
        popularity_hit_rate(tmall_folder, 10), abs=1e-5
    )
    for row in models.values():  # a hit in the list whenever recall is positive
        for protocol in ("all", "new", "papers"):
            assert row[protocol]["hit@10"][0] >= row[protocol]["recall@10"][0]


def pairs_of(path: Path) -> list[tuple[int, int]]:
    return [tuple(map(int, line.split())) for line in path.read_text().splitlines() if line]


def popularity_hit_rate(folder: Path, k: int) -> float:
    """HR@k of popularity (buyers per item in buy.txt, ties to the lower id) with only
    each user's buy.txt items excluded, over every user of test.txt: by hand."""
    buys = pairs_of(folder / "buy.txt")
    buyers: dict[int, set] = {}
    for u, i in buys:
        buyers.setdefault(i, set()).add(u)
    events = [*buys, *pairs_of(folder / "collect.txt"), *pairs_of(folder / "cart.txt"),
              *pairs_of(folder / "validation.txt"), *pairs_of(folder / "test.txt")]  # fmt: skip
    catalogue = sorted({i for _, i in events})
    ranked = sorted(catalogue, key=lambda i: (-len(buyers.get(i, ())), i))
    bought = {}
    for u, i in buys:
        bought.setdefault(u, set()).add(i)
    wanted = {}
    for u, i in pairs_of(folder / "test.txt"):
        wanted.setdefault(u, set()).add(i)
    hits = [
        bool(set([i for i in ranked if i not in bought.get(u, set())][:k]) & items)
        for u, items in wanted.items()
    ]
    return sum(hits) / len(hits)


def test_multibehavior_runs_only_the_named_models_in_spawned_workers(tmall_folder, tmp_path):
    out = tmp_path / "only.json"
    run(
        "multibehavior.py", "--data", tmall_folder, "--seeds", 0, 1, "--max-epochs", 2,
        "--threads", 1, "--jobs", 2, "--only", "lightgcn_all_L2", "mbgcn_unified", "popularity",
        "--json", out,
    )  # fmt: skip
    tmall = json.loads(out.read_text())["tmall"]
    assert set(tmall["selection_valid_ndcg@10"]) == {"lightgcn_all_L2", "mbgcn_unified"}
    assert set(tmall["models"]) == {"popularity", "lightgcn_all", "unified_best"}
    assert len(tmall["models"]["unified_best"]["best_epochs"]) == 2
    tests = {(t["a"], t["b"]) for t in tmall["paired_ndcg@10"]}
    assert tests == {("unified_best", "lightgcn_all"), ("unified_best", "popularity")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "multibehavior.py"), "--data", tmall_folder,
         "--only", "lightgcn", "ease"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 2 and "--only: unknown lightgcn" in done.stderr


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
