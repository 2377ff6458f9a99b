"""The checkers of notebook 09's exercises accept a right answer, typed as the notebook
prints it, and reject the unchanged default and the neighbouring variant."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.data import ShopSplit, write_shop
from gnnrec_utils.evaluation import evaluate, warm_target_users
from gnnrec_utils.exercises import nb09
from gnnrec_utils.graph import BipartiteCSR, normalized_csr
from gnnrec_utils.models import Recommender, SampledLightGCN
from gnnrec_utils.retrieval import compression_table
from gnnrec_utils.synthetic import generate_shop
from gnnrec_utils.training import PositiveSet, SampledConfig, intent_positives, train_sampled


def says(capsys, start: str, words: str = "") -> None:
    out = capsys.readouterr().out
    assert out.startswith(start) and words in out, out


class Fixed(Recommender):
    """A recommender with given vectors."""

    def __init__(self, user_emb: torch.Tensor, item_emb: torch.Tensor):
        super().__init__(len(user_emb), len(item_emb))
        self.user_emb, self.item_emb = user_emb, item_emb

    def get_embedding(self):
        return self.user_emb, self.item_emb


def events(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "behavior"])
    return frame.astype({"user_id": "int64", "item_id": "int64"}).assign(timestamp=0, category_id=0)


@pytest.fixture
def hand_split() -> ShopSplit:
    """Three shoppers, four items; validation targets (0, 1) and (1, 3)."""
    return ShopSplit(
        users=pd.DataFrame({"user_id": range(3)}),
        items=pd.DataFrame({"item_id": range(4)}),
        train=events([(0, 0, "pv"), (1, 1, "pv"), (2, 2, "pv")]),
        valid=events([(0, 1, "cart"), (1, 1, "buy"), (1, 3, "fav"), (2, 3, "pv")]),
        test=events([]),
        valid_start=1,
        test_start=2,
    )


def test_period_ndcg_by_hand(hand_split):
    # every shopper ranks the items 0, 1, 2, 3 in that order; shopper 0 (item 0 seen)
    # finds item 1 first: 1; shopper 1 (item 1 seen) finds item 3 third: 1 / log2(4)
    model = Fixed(torch.ones(3, 1), torch.tensor([[4.0], [3.0], [2.0], [1.0]]))
    assert nb09.period_ndcg(model, hand_split, 3) == pytest.approx(0.75)
    assert nb09.period_ndcg(model, hand_split, 2) == pytest.approx(0.5)
    kit = evaluate(model, hand_split, "valid", 3)["ndcg@3"]
    assert nb09.period_ndcg(model, hand_split, 3) == pytest.approx(kit)


# --- exercises 1 and 2: sampled runs on the tiny shop ------------------------------------

# section 3's run, shrunk: one epoch of two steps
CONFIG = SampledConfig(num_epochs=1, batch_size=128, num_neighbors=[10, 5], max_steps=2)


@pytest.fixture(scope="module")
def tiny(tiny_split):
    n_u, n_i = tiny_split.num_users, tiny_split.num_items
    positives = intent_positives(tiny_split.train, n_u, n_i)
    seen = PositiveSet.from_events(tiny_split.train, num_users=n_u, num_items=n_i)
    return tiny_split, BipartiteCSR.from_positives(seen), positives


def sampled_run(tiny, cfg: SampledConfig) -> dict:
    """The solution's ``sampled_run``, without the step timings."""
    split, graph, positives = tiny
    torch.manual_seed(0)
    model = SampledLightGCN(graph.degree, split.num_users, split.num_items, 16, 2)
    model.attach(normalized_csr(graph))
    valid = lambda m: evaluate(m, split, "valid", 10)["ndcg@10"]  # noqa: E731
    history = train_sampled(model, graph, positives, cfg, validate=valid, progress=False)
    return {"model": model, "history": history, "config": cfg}


@pytest.fixture(scope="module")
def runs(tiny):
    variants = {
        "[10, 5]": CONFIG,
        "[5, 5]": replace(CONFIG, num_neighbors=[5, 5]),
        "[20, 10]": replace(CONFIG, num_neighbors=[20, 10]),
        "in_batch": replace(CONFIG, negatives="in_batch"),
        "in_batch [5, 5]": replace(CONFIG, negatives="in_batch", num_neighbors=[5, 5]),
    }
    return {name: sampled_run(tiny, cfg) for name, cfg in variants.items()}


def printed(run: dict) -> float:
    """The run's validation NDCG@10 as the solution's table prints it."""
    return round(float(run["history"]["valid"].max()), 4)


def test_exercise_1_accepts_the_printed_ndcgs(tiny, runs, capsys):
    answer = {key: printed(runs[key]) for key in ("[5, 5]", "[20, 10]")}
    assert nb09.check_exercise_1(answer, runs, CONFIG, tiny[0], 10)
    says(capsys, "Right: ", "with [5, 5] and")


def test_exercise_1_rejects_the_unchanged_fanout(tiny, runs, capsys):
    answer = {key: printed(runs["[10, 5]"]) for key in ("[5, 5]", "[20, 10]")}
    unchanged = {**runs, "[5, 5]": runs["[10, 5]"]}
    assert not nb09.check_exercise_1(answer, unchanged, CONFIG, tiny[0], 10)
    says(capsys, "Not yet: ", "num_neighbors=[10, 5]; the exercise asks for [5, 5]")


def test_exercise_1_rejects_the_section_3_value(tiny, runs, capsys):
    assert printed(runs["[10, 5]"]) != printed(runs["[5, 5]"])
    answer = {"[5, 5]": printed(runs["[10, 5]"]), "[20, 10]": printed(runs["[20, 10]"])}
    assert not nb09.check_exercise_1(answer, runs, CONFIG, tiny[0], 10)
    says(capsys, "Not yet: ", "for the [5, 5] run you give")


def test_exercise_1_rejects_a_model_its_history_did_not_train(tiny, runs, capsys):
    answer = {key: printed(runs[key]) for key in ("[5, 5]", "[20, 10]")}
    other = {**runs["[5, 5]"], "model": runs["[10, 5]"]["model"]}
    assert not nb09.check_exercise_1(answer, {**runs, "[5, 5]": other}, CONFIG, tiny[0], 10)
    says(capsys, "Not yet: ", "pass the model that history trained")


def test_exercise_1_wants_both_fanouts(tiny, runs, capsys):
    assert not nb09.check_exercise_1({"[5, 5]": 0.1}, runs, CONFIG, tiny[0], 10)
    says(capsys, "Not yet: ", "missing ['[20, 10]']")


def test_exercise_2_accepts_the_printed_ndcg(tiny, runs, capsys):
    run = runs["in_batch"]
    assert nb09.check_exercise_2(printed(run), run, CONFIG, tiny[0], 10)
    says(capsys, "Right: ", "with in-batch negatives")


def test_exercise_2_rejects_the_uniform_run(tiny, runs, capsys):
    run = runs["[10, 5]"]
    assert not nb09.check_exercise_2(printed(run), run, CONFIG, tiny[0], 10)
    says(capsys, "Not yet: ", "negatives='uniform'; the exercise asks for 'in_batch'")


def test_exercise_2_rejects_in_batch_with_another_fanout(tiny, runs, capsys):
    run = runs["in_batch [5, 5]"]
    assert not nb09.check_exercise_2(printed(run), run, CONFIG, tiny[0], 10)
    says(capsys, "Not yet: ", "num_neighbors=[5, 5]")


def test_exercise_2_rejects_the_uniform_runs_value(tiny, runs, capsys):
    assert printed(runs["[10, 5]"]) != printed(runs["in_batch"])
    value = printed(runs["[10, 5]"])
    assert not nb09.check_exercise_2(value, runs["in_batch"], CONFIG, tiny[0], 10)
    says(capsys, "Not yet: ", "its model scores")


# --- exercise 3 --------------------------------------------------------------------------

# section 4's command, shrunk to two steps an epoch
SHORT = ("--epochs", "2", "--batch-size", "128", "--dim", "8", "--max-steps", "2", "--no-validate")


@pytest.fixture(scope="module")
def solo(tmp_path_factory):
    """The one-process losses of the short command on the tiny shop, as printed."""
    folder = tmp_path_factory.mktemp("tiny")
    write_shop(generate_shop("tiny", seed=0), folder)
    return nb09.one_process_losses(["--data", str(folder), *SHORT])


def test_exercise_3_accepts_the_printed_losses(solo, capsys):
    state = torch.random.get_rng_state()
    assert nb09.check_exercise_3([round(x, 4) for x in solo], seed=0, args=SHORT)
    assert torch.equal(torch.random.get_rng_state(), state), "the checker restores the RNG"
    says(capsys, "Right: ", "one process trains to the losses")


def test_exercise_3_rejects_the_two_ranks_losses(solo, capsys):
    two_ranks = [round(x + 3e-4, 4) for x in solo]  # close, as the two ranks' are
    assert not nb09.check_exercise_3(two_ranks, two_ranks, seed=0, args=SHORT)
    says(capsys, "Not yet: ", "two ranks' losses")


def test_exercise_3_rejects_a_run_of_other_epochs(solo, capsys):
    assert not nb09.check_exercise_3([round(solo[0], 4)], seed=0, args=SHORT)
    says(capsys, "Not yet: ", "you give 1 losses; the run trains 2 epochs")


@pytest.mark.subprocess
def test_exercise_3_against_torchrun(tmp_path, capsys):
    """Section 4's command itself, under torchrun with one process and with two."""
    write_shop(generate_shop("tiny", seed=0), tmp_path)
    losses = {}
    for n in (1, 2):
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                   f"--nproc_per_node={n}", "-m", "gnnrec_utils.training", "--data",
                   str(tmp_path), *nb09.TORCHRUN_ARGS]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        line = next(x for x in done.stdout.splitlines() if x.startswith("{"))
        losses[n] = [round(h["loss"], 4) for h in json.loads(line)["history"]]
    assert nb09.check_exercise_3(losses[1], losses[2], seed=0)
    says(capsys, "Right: ")
    assert not nb09.check_exercise_3(losses[2], losses[2], seed=0)
    says(capsys, "Not yet: ", "two ranks' losses")


# --- exercise 4 --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clustered():
    """60 shoppers and 1,000 items in 100 tight clusters, where HNSW misses a few of the
    exact top 10 (about 0.95) and IVF more (about 0.83); a target and 3 training items
    each."""
    rng = np.random.default_rng(0)
    n_u, n_i = 60, 1000
    train_users, train_items = np.repeat(np.arange(n_u), 3), rng.integers(0, n_i, 3 * n_u)
    test_items = rng.integers(0, n_i, n_u)
    split = ShopSplit(
        users=pd.DataFrame({"user_id": range(n_u)}),
        items=pd.DataFrame({"item_id": range(n_i)}),
        train=events([(u, i, "pv") for u, i in zip(train_users, train_items, strict=True)]),
        valid=events([]),
        test=events([(u, i, "buy") for u, i in zip(range(n_u), test_items, strict=True)]),
        valid_start=1,
        test_start=2,
    )
    gen = torch.Generator().manual_seed(0)
    centres, user_emb = torch.randn(100, 16, generator=gen), torch.randn(n_u, 16, generator=gen)
    item_emb = centres[torch.randint(0, 100, (n_i,), generator=gen)]
    item_emb = item_emb + 0.01 * torch.randn(n_i, 16, generator=gen)
    users = warm_target_users(split.targets("test"), split.train)
    table = compression_table(
        user_emb, item_emb, users, split.targets("test"), split.history("test"),
        kinds=("float32", "ivf", "hnsw"), nbits=6,
    )  # fmt: skip
    recall = table.set_index("method").recall_vs_exact.round(4)
    return split, user_emb, item_emb, recall


def test_hnsw_recall_agrees_with_compression_table(clustered):
    split, user_emb, item_emb, recall = clustered
    users = warm_target_users(split.targets("test"), split.train)
    ours = nb09.hnsw_recall(user_emb, item_emb, users, split.targets("test"),
                            split.history("test"), 10)  # fmt: skip
    assert abs(ours - recall["hnsw"]) <= nb09.HNSW_TOLERANCE
    assert recall["ivf"] + 0.05 < recall["hnsw"] < 0.99


def test_exercise_4_accepts_the_printed_recall(clustered, capsys):
    split, user_emb, item_emb, recall = clustered
    assert nb09.check_exercise_4(recall["hnsw"], user_emb, item_emb, split, 10)
    says(capsys, "Right: ", "hnsw finds")


def test_exercise_4_rejects_exact_search(clustered, capsys):
    split, user_emb, item_emb, recall = clustered
    assert not nb09.check_exercise_4(recall["float32"], user_emb, item_emb, split, 10)
    says(capsys, "Not yet: ", "exact search's own recall")


def test_exercise_4_rejects_ivf(clustered, capsys):
    split, user_emb, item_emb, recall = clustered
    assert not nb09.check_exercise_4(recall["ivf"], user_emb, item_emb, split, 10)
    says(capsys, "Not yet: ", "read the hnsw row")
