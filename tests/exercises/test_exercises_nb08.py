"""The checkers of notebook 08's exercises accept a right answer, typed as the notebook
prints it, and reject the unchanged default and the neighbouring variant."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils import load_movielens
from gnnrec_utils.data import ShopSplit, temporal_split
from gnnrec_utils.evaluation import per_user_recall_ndcg, warm_target_users
from gnnrec_utils.exercises import nb08
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import LightGCN
from gnnrec_utils.synthetic import write_movielens_sample
from gnnrec_utils.training import TrainConfig, intent_positives, train

DAY = 86_400
TEST = 1_511_712_000 - 8 * 3600  # a local (UTC+8) midnight: the test weeks start here
VALID = TEST - 7 * DAY  # the validation week starts here


def says(capsys, start: str, words: str = "") -> None:
    out = capsys.readouterr().out
    assert out.startswith(start) and words in out, out


# --- exercise 1 --------------------------------------------------------------------------


@pytest.fixture
def ratings() -> pd.DataFrame:
    """On paper, 2 new pairs are rated 5 in the test weeks: (0, 1) and (2, 2). Counting the
    4s too gives 4; counting (1, 0), rated before, gives 3; the validation week has 1."""
    rows = [
        (1, 0, 3, VALID - DAY),  # before the validation week
        (3, 4, 5, VALID + 10),  # a 5 in the validation week
        (1, 0, 5, TEST + 10),  # rated before: not new
        (0, 1, 5, TEST + 20),
        (0, 3, 4, TEST + 30),  # a 4: a fav, not a buy
        (4, 5, 4, TEST + 35),  # another 4
        (2, 2, 5, TEST + 40),
        (2, 2, 5, TEST + 50),  # the same pair again
    ]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


WEEKS = SimpleNamespace(valid_start=VALID, test_start=TEST)


def test_exercise_1_accepts_the_new_pairs_rated_five(ratings, capsys):
    assert nb08.check_exercise_1(2, SimpleNamespace(events=ratings), WEEKS)
    says(capsys, "Right: ", "2 (user, movie) pairs")


def test_exercise_1_rejects_the_default_rule_that_counts_the_fours(ratings, capsys):
    assert not nb08.check_exercise_1(4, ratings, WEEKS)
    says(capsys, "Not yet: ", "ratings of 4")


def test_exercise_1_rejects_pairs_rated_before(ratings, capsys):
    assert not nb08.check_exercise_1(3, ratings, WEEKS)
    says(capsys, "Not yet: ", "rated before")


def test_exercise_1_rejects_the_validation_weeks(ratings, capsys):
    assert not nb08.check_exercise_1(1, ratings, WEEKS)
    says(capsys, "Not yet: ", "validation weeks")


@pytest.fixture(scope="module")
def movielens_folder(tmp_path_factory):
    """A small stand-in in MovieLens's format (80 users, 120 movies)."""
    return write_movielens_sample(tmp_path_factory.mktemp("ml"), num_users=80, num_items=120)


def five_is_buy(ratings):
    ratings = np.asarray(ratings)
    return np.where(ratings >= 5, "buy", np.where(ratings >= 4, "fav", "pv"))


def weeks_split(data):
    return temporal_split(data.to_shop(), valid_days=14, test_days=14)


def test_exercise_1_agrees_with_the_kits_targets(movielens_folder, capsys):
    data = load_movielens(movielens_folder, verbose=False)
    split_5 = weeks_split(load_movielens(movielens_folder, behavior_of=five_is_buy, verbose=False))
    fives = split_5.targets("test", behaviors=("buy",))
    assert 0 < len(fives) < len(split_5.targets("test"))
    assert nb08.check_exercise_1(len(fives), data, weeks_split(data))
    says(capsys, "Right: ")
    assert not nb08.check_exercise_1(len(split_5.targets("test")), data, weeks_split(data))
    says(capsys, "Not yet: ", "ratings of 4")


# --- exercise 2 --------------------------------------------------------------------------


@pytest.fixture
def chain() -> pd.DataFrame:
    """Users 0-2 rate items 0 and 1, user 3 items 0 and 2, user 4 item 2 alone. For the
    2-core, round 1 drops user 4; item 2 is then left with 1 event and goes in round 2,
    and user 3 with it in round 3: 3 users and 2 items. One round alone leaves (4, 3)."""
    pairs = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 2), (4, 2)]
    return pd.DataFrame(pairs, columns=["user_id", "item_id"])


def test_k_core_sizes_by_hand(chain):
    assert nb08.k_core_sizes(chain, 2) == (3, 2)
    assert nb08.k_core_sizes(chain, 2, rounds=1) == (4, 3)
    assert nb08.k_core_sizes(chain, 1) == (5, 3)
    assert nb08.k_core_sizes(chain, 3) == (0, 0)  # no user has 3 items


def test_exercise_2_accepts_the_core(chain, capsys):
    assert nb08.check_exercise_2((3, 2), SimpleNamespace(events=chain), k=2)
    says(capsys, "Right: ", "keeps 3 users and 2 items")


def test_exercise_2_rejects_the_unfiltered_sizes(chain, capsys):
    assert not nb08.check_exercise_2((5, 3), chain, k=2)
    says(capsys, "Not yet: ", "before filtering")


def test_exercise_2_rejects_a_single_round(chain, capsys):
    assert not nb08.check_exercise_2((4, 3), chain, k=2)
    says(capsys, "Not yet: ", "one round")


def test_exercise_2_rejects_swapped_sizes(chain, capsys):
    assert not nb08.check_exercise_2((2, 3), chain, k=2)
    says(capsys, "Not yet: ", "users first")


def test_exercise_2_agrees_with_the_loader(movielens_folder, capsys):
    data = load_movielens(movielens_folder, verbose=False)
    core = load_movielens(movielens_folder, k_core=10, verbose=False)
    assert (core.num_users, core.num_items) != (data.num_users, data.num_items)
    assert nb08.check_exercise_2((core.num_users, core.num_items), data)
    says(capsys, "Right: ", "the 10-core keeps")
    assert not nb08.check_exercise_2((data.num_users, data.num_items), data)
    says(capsys, "Not yet: ", "before filtering")


# --- exercise 3 --------------------------------------------------------------------------


def events(rows: list[tuple[int, int, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "behavior"])
    return frame.assign(timestamp=0, category_id=0)


@pytest.fixture
def weeks() -> ShopSplit:
    """User 0 is warm. Users 1 and 5 rate first in the validation weeks, user 2 in the
    test weeks, each with a new target there: (2, 1). User 3 has only a pv in the test
    weeks and user 4 a buy on an item rated in validation, no target: counting every user
    with a test event gives (3, 2)."""
    return ShopSplit(
        users=pd.DataFrame({"user_id": range(6)}),
        items=pd.DataFrame({"item_id": range(8)}),
        train=events([(0, 0, "pv")]),
        valid=events([(1, 1, "pv"), (4, 5, "pv"), (5, 6, "pv")]),
        test=events(
            [
                (0, 2, "buy"),
                (1, 3, "buy"),
                (2, 4, "cart"),
                (3, 4, "pv"),
                (4, 5, "buy"),
                (5, 7, "fav"),
            ]
        ),  # fmt: skip
        valid_start=1,
        test_start=2,
    )


def test_exercise_3_accepts_the_counts(weeks, capsys):
    assert nb08.check_exercise_3((2, 1), weeks)
    says(capsys, "Right: ", "2 first rated in the validation weeks, 1 in the test weeks")


def test_exercise_3_agrees_with_the_kits_targets(tiny_split, capsys):
    cold = set(tiny_split.targets("test").user_id) - set(tiny_split.train.user_id)
    in_valid = len(cold & set(tiny_split.valid.user_id))
    assert nb08.check_exercise_3((in_valid, len(cold) - in_valid), tiny_split)
    says(capsys, "Right: ")


def test_exercise_3_rejects_every_user_of_the_test_weeks(weeks, capsys):
    assert not nb08.check_exercise_3((3, 2), weeks)
    says(capsys, "Not yet: ", "every user who rated in the test weeks")


def test_exercise_3_rejects_swapped_counts(weeks, capsys):
    assert not nb08.check_exercise_3((1, 2), weeks)
    says(capsys, "Not yet: ", "validation first")


def test_exercise_3_rejects_a_total_that_is_off(weeks, capsys):
    assert not nb08.check_exercise_3((3, 1), weeks)
    says(capsys, "Not yet: ", "add up to")


# --- exercise 4 --------------------------------------------------------------------------


def test_stopping_epochs_by_hand():
    # best at epoch 2; epochs 3, 4, 5 fail to beat it; patience 3 stops after epoch 5
    assert nb08.stopping_epochs([0.10, 0.20, 0.15, 0.20, 0.12, 0.30], patience=3) == (5, 2)
    assert nb08.stopping_epochs([0.1, 0.2, 0.3], patience=2) == (3, 3)


CONFIG = TrainConfig(lr=0.01, patience=1, batch_size=512, top_k=10, seed=0, num_epochs=2)


def kit_run(split, batch_size: int) -> tuple[int, int, float, float]:
    """(epochs run, best epoch, test NDCG@10, best validation NDCG@10) of section 2's
    LightGCN with ``batch_size``, with the kit's trainer and metrics."""
    n_u, n_i = split.num_users, split.num_items
    torch.manual_seed(CONFIG.seed)
    model = LightGCN(normalized_adjacency(split.train, n_u, n_i), n_u, n_i)
    positives = intent_positives(split.train, n_u, n_i)
    history = train(model, split, positives, replace(CONFIG, batch_size=batch_size), False)
    users = warm_target_users(split.targets("test"), split.train)
    top = model.recommend(users, 10, exclude=split.history("test"))
    ndcg = per_user_recall_ndcg(top, users, split.targets("test"))[1].mean()
    return len(history), int(history["ndcg@10"].idxmax()), ndcg, history["ndcg@10"].max()


@pytest.fixture(scope="module")
def runs(tiny_split):
    return {size: kit_run(tiny_split, size) for size in (2048, CONFIG.batch_size)}


def test_the_checkers_test_ndcg_is_the_kits(tiny_split, runs):
    model, _ = nb08._batch_run(tiny_split, CONFIG, 2048)
    ndcg = nb08.ndcg_on_test(*model.get_embedding(), tiny_split, 10)
    assert ndcg == pytest.approx(runs[2048][2], abs=1e-9)


def test_exercise_4_accepts_the_printed_figures(tiny_split, runs, capsys):
    epochs, best, ndcg, _ = runs[2048]
    assert nb08.check_exercise_4((epochs, best, round(ndcg, 4)), tiny_split, CONFIG)
    says(capsys, "Right: ", "with a batch of 2048")


def test_exercise_4_rejects_the_run_with_the_notebooks_batch(tiny_split, runs, capsys):
    epochs, best, ndcg, _ = runs[CONFIG.batch_size]
    assert round(ndcg, 4) != round(runs[2048][2], 4)
    assert not nb08.check_exercise_4((epochs, best, round(ndcg, 4)), tiny_split, CONFIG)
    says(capsys, "Not yet: ")


def test_exercise_4_rejects_the_validation_ndcg(tiny_split, runs, capsys):
    epochs, best, _, valid = runs[2048]
    assert not nb08.check_exercise_4((epochs, best, round(valid, 4)), tiny_split, CONFIG)
    says(capsys, "Not yet: ", "best validation")


def test_exercise_4_rejects_the_last_epoch_as_the_kept_one(tiny_split, runs, capsys):
    epochs, best, ndcg, _ = runs[2048]
    wrong = epochs if best != epochs else best + 1
    assert not nb08.check_exercise_4((epochs, wrong, round(ndcg, 4)), tiny_split, CONFIG)
    says(capsys, "Not yet: ")
