"""benchmarks/common.py: the command line and the JSON output every benchmark shares."""

import json

import pytest
import torch


@pytest.fixture(scope="module")
def common(load_benchmark):
    return load_benchmark("common")


def test_the_shared_flags(common, tmp_path):
    parser = common.benchmark_parser(
        "A benchmark.\n\nMore.", data="a shop folder", data_default=tmp_path, seeds=[0, 1]
    )
    args = parser.parse_args([])
    assert parser.description == "A benchmark."
    assert (args.data, args.seeds, args.threads, args.json) == (tmp_path, [0, 1], None, None)
    args = parser.parse_args(["--seeds", "3", "4", "5", "--threads", "1", "--json", "r.json"])
    assert args.seeds == [3, 4, 5] and args.threads == 1 and str(args.json) == "r.json"
    bare = common.benchmark_parser("A benchmark.", threads=False)
    assert vars(bare.parse_args([])) == {"json": None}  # --json is always there


def test_a_one_run_benchmark_takes_one_seed(common, capsys):
    parser = common.benchmark_parser("One run.", seeds=[42], one_seed=True)
    assert parser.parse_args(["--seeds", "7"]).seeds == [7]
    with pytest.raises(SystemExit) as stop:
        parser.parse_args(["--seeds", "1", "2"])
    assert stop.value.code == 2 and "give one seed" in capsys.readouterr().err


def test_folders_are_told_apart_by_their_files(common, tmp_path, capsys):
    tmall, shop, other = tmp_path / "t", tmp_path / "s", tmp_path / "o"
    for folder, marker in ((tmall, "count.txt"), (shop, "users.csv"), (other, "x.txt")):
        folder.mkdir()
        (folder / marker).write_text("")
    parser = common.benchmark_parser("Two datasets.", data="folders", many_data=True)
    found = common.data_by_format(parser, parser.parse_args(["--data", str(shop), str(tmall)]).data)
    assert found == {"shop": shop, "tmall": tmall}
    for folders, message in (
        ([], "give --data"),
        ([other], "not a Tmall folder (count.txt) or a shop folder (users.csv)"),
        ([shop, shop], "two shop folders"),
        ([tmp_path / "missing"], "no such folder"),
    ):
        with pytest.raises(SystemExit):
            common.data_by_format(parser, folders)
        assert message in capsys.readouterr().err


def test_emit_prints_the_result_last_and_writes_json(common, tmp_path, capsys):
    path = tmp_path / "deeper" / "result.json"
    result = {"models": {"a": 0.5}, "seeds": [0, 1]}
    assert common.emit(result, path) is result
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == result
    assert json.loads(path.read_text()) == result
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]  # no temporary left


def test_set_threads_sets_torch_and_faiss(common):
    try:
        import faiss
    except ImportError:
        faiss = None
    before = torch.get_num_threads()
    faiss_before = faiss.omp_get_max_threads() if faiss else None
    try:
        common.set_threads(None)  # leaves their own choice
        assert torch.get_num_threads() == before
        common.set_threads(1)
        assert torch.get_num_threads() == 1
        if faiss:
            assert faiss.omp_get_max_threads() == 1
    finally:
        torch.set_num_threads(before)
        if faiss:
            faiss.omp_set_num_threads(faiss_before)


def test_run_info_names_folders_and_holds_no_path_of_the_machine(common, tmp_path):
    outside = tmp_path / "datasets" / "tmall"
    outside.mkdir(parents=True)
    info = common.run_info(
        "favourite_signal.py",
        [
            "--data",
            str(outside),
            "data/shop",
            "--seeds",
            "0",
            "--json",
            "benchmarks/results/x.json",
        ],
        start=0.0,
    )
    assert info["command"] == (
        "python benchmarks/favourite_signal.py --data tmall data/shop --seeds 0 "
        "--json benchmarks/results/x.json"
    )
    assert str(tmp_path) not in json.dumps(info)
    assert set(info) >= {"date", "seconds", "python", "cpus", "load_average"}
