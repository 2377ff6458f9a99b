"""The checkers of notebook 08's exercises accept a right answer and reject a wrong one."""

from __future__ import annotations

import pandas as pd
import pytest

from gnnrec_utils.exercises import nb08

DAY = 86_400
MIDNIGHT = 1_511_712_000 - 8 * 3600  # a local (UTC+8) midnight


def check_says(capsys, start: str, words: str = "") -> None:
    out = capsys.readouterr().out
    assert out.startswith(start) and words in out, out


# --- exercise 1 --------------------------------------------------------------------------


@pytest.fixture
def ratings() -> pd.DataFrame:
    """Ratings before and after the test start; on paper, 2 new pairs are rated 5 after it:
    (0, 1) and (2, 2). (1, 0) was rated before; (0, 3) is a 4; (2, 2) is rated 5 twice."""
    rows = [
        (1, 0, 3, MIDNIGHT - DAY),  # before the test start
        (1, 0, 5, MIDNIGHT + 10),  # rated before: not new
        (0, 1, 5, MIDNIGHT + 20),
        (0, 3, 4, MIDNIGHT + 30),  # a 4: a fav, not a buy
        (2, 2, 5, MIDNIGHT + 40),
        (2, 2, 5, MIDNIGHT + 50),  # the same pair again
    ]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


def test_exercise_1_accepts_the_new_pairs_rated_five(ratings, capsys):
    assert nb08.check_exercise_1(2, ratings, MIDNIGHT)
    check_says(capsys, "Right: ")


def test_exercise_1_rejects_counting_the_fours(ratings, capsys):
    assert not nb08.check_exercise_1(3, ratings, MIDNIGHT)
    check_says(capsys, "Not yet: ", "ratings of 4")


def test_exercise_1_rejects_pairs_rated_before(ratings, capsys):
    ratings = ratings[ratings.rating != 4]  # so that the two mistakes give other counts
    assert not nb08.check_exercise_1(3, ratings, MIDNIGHT)
    check_says(capsys, "Not yet: ", "rated before")


# --- exercise 2 --------------------------------------------------------------------------


@pytest.fixture
def chain() -> pd.DataFrame:
    """Users 0-2 each rate items 0-1; user 3 rates item 2 alone. The 2-core drops user 3
    and item 2 in one round: 3 users, 2 items. The 3-core peels everything."""
    pairs = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (3, 2)]
    return pd.DataFrame(pairs, columns=["user_id", "item_id"])


def test_exercise_2_accepts_the_core(chain, capsys):
    assert nb08.check_exercise_2((3, 2), chain, k=2)
    check_says(capsys, "Right: ")


def test_exercise_2_peels_until_nothing_changes(chain):
    assert nb08.k_core_sizes(chain, 1) == (4, 3)
    assert nb08.k_core_sizes(chain, 3) == (0, 0)  # items keep 3 users, users only 2 items


def test_exercise_2_rejects_the_unfiltered_sizes(chain, capsys):
    assert not nb08.check_exercise_2((4, 3), chain, k=2)
    check_says(capsys, "Not yet: ", "before filtering")


def test_exercise_2_rejects_swapped_sizes(chain, capsys):
    assert not nb08.check_exercise_2((2, 3), chain, k=2)
    check_says(capsys, "Not yet: ", "users first")


# --- exercise 3 --------------------------------------------------------------------------


def cold_counts_by_hand(split) -> tuple[int, int]:
    """Cold test target users (no training event), by whether they had a validation event."""
    targets = split.targets("test")
    cold = set(targets.user_id) - set(split.train.user_id)
    in_valid = sum(u in set(split.valid.user_id) for u in cold)
    return in_valid, len(cold) - in_valid


def test_exercise_3_accepts_the_counts(tiny_split, capsys):
    counts = cold_counts_by_hand(tiny_split)
    assert sum(counts) > 0
    assert nb08.check_exercise_3(counts, tiny_split)
    check_says(capsys, "Right: ")


def test_exercise_3_rejects_a_total_that_is_off(tiny_split, capsys):
    in_valid, in_test = cold_counts_by_hand(tiny_split)
    assert not nb08.check_exercise_3((in_valid + 1, in_test), tiny_split)
    check_says(capsys, "Not yet: ", "add up to")


# --- exercise 4 --------------------------------------------------------------------------


def history(scores: list[float]) -> pd.DataFrame:
    """A training history with the validation NDCG of each epoch, epoch 1 first."""
    index = pd.Index(range(1, len(scores) + 1), name="epoch")
    return pd.DataFrame({"loss": 0.5, "ndcg@10": scores}, index=index)


def test_exercise_4_accepts_stop_and_best_epoch(capsys):
    # best at epoch 2; epochs 3, 4, 5 fail to beat it; patience 3 stops after epoch 5
    scores = [0.10, 0.20, 0.15, 0.20, 0.12, 0.30]
    assert nb08.check_exercise_4((5, 2), history(scores[:5]), patience=3)
    check_says(capsys, "Right: ")


def test_exercise_4_without_a_stop_runs_every_epoch():
    assert nb08.stopping_epochs([0.1, 0.2, 0.3], patience=2) == (3, 3)


def test_exercise_4_rejects_the_stop_epoch_as_the_kept_one(capsys):
    scores = [0.10, 0.20, 0.15, 0.20, 0.12]
    assert not nb08.check_exercise_4((5, 5), history(scores), patience=3)
    check_says(capsys, "Not yet: ", "kept the weights of epoch 2")
