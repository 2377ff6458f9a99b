"""The sampled trainer under torchrun: 2 CPU processes (gloo) against 1, on the tiny shop.

Each run is the documented command line, ``python -m gnnrec_utils.training``, in a fresh
process: alone, and under ``torchrun --nproc_per_node=2`` (``python -m
torch.distributed.run``). The pairs and negatives of each global step do not depend on
the number of processes (``epoch_pairs``), so with every neighbour drawn (fan-outs above
the largest degree) and the batch's edges kept in its subgraph, one process and two
compute the same gradients up to the order of float sums: their weights must agree to
1e-4 (measured: 1.6e-6 after 5 epochs, weights up to 1.6). With sampled neighbourhoods
and the batch's edges left out (the defaults) each rank draws its own neighbours, so the
runs differ; there the two ranks must still end with identical weights and the loss
must fall.
"""

import json
import os
import subprocess
import sys

import pytest
import torch

from gnnrec_utils.data import write_shop

pytestmark = pytest.mark.subprocess

COMMON = ["--epochs", "5", "--batch-size", "128", "--dim", "16", "--lr", "0.05", "--no-validate"]
EXACT = [*COMMON, "--fanout", "1000", "1000", "--keep-batch-edges"]
SAMPLED = [*COMMON, "--fanout", "5", "5"]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory, tiny_shop):
    folder = tmp_path_factory.mktemp("tiny_shop")
    write_shop(tiny_shop, folder)
    return folder


def run(command: list[str]) -> list[dict]:
    """Run a command; its JSON lines (one per rank), sorted by rank."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    return sorted(lines, key=lambda r: r["rank"])


def train(shop_dir, args, save, ranks):
    cli = ["-m", "gnnrec_utils.training", "--data", str(shop_dir), *args, "--save", str(save)]
    out = run(([sys.executable] if ranks == 1 else TORCHRUN) + cli)
    assert [r["rank"] for r in out] == list(range(ranks))
    assert all(r["world_size"] == ranks for r in out)
    return out, torch.load(save, weights_only=True)["embedding.weight"]


@pytest.fixture(scope="module")
def exact(shop_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exact")
    return train(shop_dir, EXACT, folder / "one.pt", 1), train(
        shop_dir, EXACT, folder / "two.pt", 2
    )


def test_two_ranks_end_with_identical_weights(exact):
    (_, _), (two, _) = exact
    assert two[0]["weights_sha256"] == two[1]["weights_sha256"]


def test_two_ranks_match_one_process_with_the_same_global_batch(exact):
    (one, w_one), (two, w_two) = exact
    assert [r["steps"] for r in one[0]["history"]] == [r["steps"] for r in two[0]["history"]]
    assert (w_one - w_two).abs().max() <= 1e-4
    for a, b in zip(one[0]["history"], two[0]["history"], strict=True):
        assert abs(a["loss"] - b["loss"]) <= 1e-4


def test_sampled_run_on_two_ranks(shop_dir, tmp_path):
    two, _ = train(shop_dir, SAMPLED, tmp_path / "two.pt", 2)
    assert two[0]["weights_sha256"] == two[1]["weights_sha256"]
    losses = [row["loss"] for row in two[0]["history"]]
    assert losses[-1] < 0.8 * losses[0]
    assert two[0]["test"]["recall@10"] > 0


def _disagree(rank, store, errors):
    import torch.distributed as dist

    from gnnrec_utils.graph import BipartiteCSR
    from gnnrec_utils.training import PositiveSet, check_ranks_agree

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    items = torch.tensor([0, 1, 2]) if rank == 0 else torch.tensor([0, 1, 3])  # rank 1 differs
    positives = PositiveSet(torch.tensor([0, 0, 1]), items, num_users=2, num_items=4)
    try:
        check_ranks_agree(positives, BipartiteCSR.from_positives(positives), batch_size=2)
    except ValueError as err:
        errors.put((rank, str(err)))
    finally:
        dist.destroy_process_group()


def test_ranks_holding_different_data_are_refused(tmp_path):
    ctx = torch.multiprocessing.get_context("spawn")
    errors = ctx.SimpleQueue()
    torch.multiprocessing.start_processes(
        _disagree, args=(tmp_path / "store", errors), nprocs=2, start_method="spawn"
    )
    found = sorted(errors.get() for _ in range(2))
    assert [rank for rank, _ in found] == [0, 1]
    assert all("rank 1 holds different data from rank 0" in message for _, message in found)
