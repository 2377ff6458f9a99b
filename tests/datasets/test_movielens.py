"""Tests for MovieLens-100K through gnnrec_utils.datasets.load_movielens, and the
stratified split of the benchmark (gnnrec_utils.data.split.stratified_split).

MovieLens may not be redistributed, so every fixture below is invented (made-up ids,
titles and timestamps) and written in the files' format into ``tmp_path``. Lines are
counted from 1, as a text editor shows them (the files have no header).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gnnrec_utils.data import ML100K_GENRES as GENRES
from gnnrec_utils.data import Dataset, stratified_split
from gnnrec_utils.datasets import load_movielens
from gnnrec_utils.io.errors import DataFormatError, MissingFileError

# original user ids 7, 3, 12 and item ids 50, 20, 31: remapped in sorted order
RATINGS = [
    "7\t50\t4\t881250949",
    "3\t20\t1\t891717742",
    "12\t50\t5\t878887116",
    "7\t31\t3\t880606923",
    "3\t50\t2\t886397596",
]


def genre_flags(*on: str) -> str:
    return "|".join("1" if g in on else "0" for g in GENRES)


ITEMS = [
    f"20|Invented Film A (1990)|01-Jan-1990||http://example.org/a|{genre_flags('Comedy')}",
    f"31|Invented Film B (1991)|01-Jan-1991||http://example.org/b|{genre_flags('Drama', 'War')}",
    f"50|Invented Film C (1992)|01-Jan-1992||http://example.org/c|{genre_flags('Action')}",
    f"99|Never Rated (1993)|01-Jan-1993||http://example.org/d|{genre_flags('unknown')}",
]
USERS = ["3|25|F|writer|12345", "7|40|M|engineer|T8H1N", "12|33|M|other|55555"]


def write_folder(folder: Path, ratings=RATINGS, items=ITEMS, users=USERS) -> Path:
    """The three files, each line ending in a newline, latin-1 as in the release."""
    for name, lines in (("u.data", ratings), ("u.item", items), ("u.user", users)):
        if lines is not None:
            (folder / name).write_bytes("".join(line + "\n" for line in lines).encode("latin-1"))
    return folder


def load(folder: Path) -> Dataset:
    """The folder as the benchmark reads it: every rating kept, no report printed."""
    return load_movielens(folder, duplicates="keep", verbose=False)


def error_of(folder: Path) -> DataFormatError:
    with pytest.raises(DataFormatError) as info:
        load(folder)
    return info.value


# ---------------------------------------------------------------- happy path


def test_ratings_ids_are_remapped_in_sorted_order_and_originals_kept(tmp_path):
    data = load(write_folder(tmp_path))
    ratings = data.events
    assert list(ratings.columns) == [
        "user_id",
        "item_id",
        "category_id",
        "behavior",
        "timestamp",
        "rating",
    ]
    assert ratings.user_id.dtype == np.int32 and ratings.timestamp.dtype == np.int64
    shop = data.to_shop().events  # the int64 ids the benchmark and the pipeline take
    assert (shop[["user_id", "item_id", "category_id", "timestamp"]].dtypes == np.int64).all()
    # users 3, 7, 12 -> 0, 1, 2; items 20, 31, 50 -> 0, 1, 2; file order kept
    assert list(data.user_ids[ratings.user_id]) == [7, 3, 12, 7, 3]
    assert ratings.user_id.tolist() == [1, 0, 2, 1, 0]
    assert list(data.item_ids[ratings.item_id]) == [50, 20, 50, 31, 50]
    assert ratings.item_id.tolist() == [2, 0, 2, 1, 2]
    assert ratings.rating.tolist() == [4, 1, 5, 3, 2]
    assert ratings.timestamp.iloc[0] == 881250949


def test_items_and_users_line_up_with_the_new_ids(tmp_path):
    data = load(write_folder(tmp_path))
    items, users = data.items, data.users
    assert items.item_id.tolist() == [0, 1, 2] and items.orig_item_id.tolist() == [20, 31, 50]
    assert items.title.tolist() == [
        "Invented Film A (1990)",
        "Invented Film B (1991)",
        "Invented Film C (1992)",
    ]  # item 99 has no rating: left out
    assert list(items.columns[-len(GENRES) :]) == list(GENRES)
    assert items.loc[1, ["Drama", "War", "Comedy"]].tolist() == [1, 1, 0]
    assert items[list(GENRES)].to_numpy().sum() == 4
    assert users.user_id.tolist() == [0, 1, 2] and users.orig_user_id.tolist() == [3, 7, 12]
    assert users.age.tolist() == [25, 40, 33] and users.gender.tolist() == ["F", "M", "M"]
    assert users.occupation.tolist() == ["writer", "engineer", "other"]
    assert users.zip.tolist() == ["12345", "T8H1N", "55555"]  # zips are text


def test_latin1_titles_are_decoded(tmp_path):
    items = [ITEMS[0], ITEMS[1].replace("Invented Film B", "Café Crème"), ITEMS[2]]
    table = load(write_folder(tmp_path, items=items)).items
    assert table.title[1] == "Café Crème (1991)"


def test_item_and_user_files_are_optional(tmp_path):
    data = load(write_folder(tmp_path, items=None, users=None))
    assert len(data.events) == 5 and list(data.categories) == ["unknown"]
    assert list(data.items.columns) == ["item_id", "orig_item_id", "category_id"]
    assert list(data.users.columns) == ["user_id", "orig_user_id"]


def test_category_is_the_first_genre_flag_set(tmp_path):
    data = load(write_folder(tmp_path))
    assert list(data.categories[data.items.category_id]) == ["Comedy", "Drama", "Action"]


# ---------------------------------------------------------------- errors


def test_missing_ratings_file(tmp_path):
    with pytest.raises(MissingFileError) as info:
        load(tmp_path)
    error = info.value
    assert isinstance(error, FileNotFoundError) and isinstance(error, DataFormatError)
    assert error.path == tmp_path / "u.data" and error.line is None
    assert "u.data" in str(error) and "no such file" in str(error)
    assert pickle.loads(pickle.dumps(error)).path == error.path


@pytest.mark.parametrize(
    "line, found",
    [
        ("7\t50\t4", "3 fields"),
        ("7\t50\t4\t881250949\t9", "5 fields"),
        ("7 50 4 881250949", "1 fields (the line splits on ' ' into 4)"),
        ("", "an empty line"),
    ],
)
def test_wrong_field_count_names_the_line(tmp_path, line, found):
    error = error_of(write_folder(tmp_path, ratings=RATINGS[:2] + [line] + RATINGS[2:]))
    assert (error.path.name, error.line) == ("u.data", 3)
    assert "4 '\\t'-separated fields" in error.expected and error.found == found
    assert str(error).startswith("u.data, line 3: expected 4")


@pytest.mark.parametrize(
    "line, column, found",
    [
        ("7.5\t50\t4\t881250949", "user_id", "'7.5'"),
        ("7\tx50\t4\t881250949", "item_id", "'x50'"),
        ("-7\t50\t4\t881250949", "user_id", "'-7'"),
        ("\t50\t4\t881250949", "user_id", "an empty field"),
    ],
)
def test_non_integer_id(tmp_path, line, column, found):
    error = error_of(write_folder(tmp_path, ratings=RATINGS[:3] + [line]))
    assert error.line == 4 and error.expected == f"{column} as a non-negative integer"
    assert error.found == found


@pytest.mark.parametrize("rating", ["0", "6", "4.0", "-1", "five"])
def test_rating_outside_one_to_five(tmp_path, rating):
    error = error_of(write_folder(tmp_path, ratings=[RATINGS[0], f"3\t20\t{rating}\t891717742"]))
    assert error.line == 2 and error.expected == "rating as an integer from 1 to 5"
    assert error.found == repr(rating)


@pytest.mark.parametrize("timestamp", ["2020-01-01", "-5", "8.8e8", ""])
def test_bad_timestamp(tmp_path, timestamp):
    error = error_of(write_folder(tmp_path, ratings=[f"7\t50\t4\t{timestamp}"] + RATINGS[1:]))
    assert error.line == 1 and error.expected.startswith("timestamp as a Unix time")


def test_first_problem_in_file_order_is_reported(tmp_path):
    bad = ["7\t50\t4\t881250949", "3\t20\t9\t891717742", "x\t50\t4\t881250949"]
    error = error_of(write_folder(tmp_path, ratings=bad))
    assert error.line == 2 and "rating" in error.expected


def test_empty_ratings_file(tmp_path):
    error = error_of(write_folder(tmp_path, ratings=[]))
    assert error.path.name == "u.data" and error.line is None and error.found == "an empty file"


def test_item_file_errors(tmp_path):
    short = ITEMS[:1] + ["31|Only a title"] + ITEMS[2:]
    error = error_of(write_folder(tmp_path, items=short))
    assert (error.path.name, error.line, error.found) == ("u.item", 2, "2 fields")
    flag = ITEMS[:2] + [ITEMS[2][:-1] + "2"]
    error = error_of(write_folder(tmp_path, items=flag))
    assert (error.line, error.expected) == (3, "Western as a genre flag 0 or 1")
    error = error_of(write_folder(tmp_path, items=ITEMS[:2]))  # item 50 rated, not listed
    assert error.path.name == "u.item" and error.found == "no line for item_id 50"
    error = error_of(write_folder(tmp_path, items=ITEMS + [ITEMS[1]]))
    assert error.line == 5 and error.found == "item_id 31 again (first on line 2)"


def test_user_file_errors(tmp_path):
    error = error_of(write_folder(tmp_path, users=[USERS[0], "7|forty|M|engineer|T8H1N"]))
    assert (error.path.name, error.line) == ("u.user", 2) and error.found == "'forty'"
    error = error_of(write_folder(tmp_path, users=USERS[:2] + ["12|33|X|other|55555"]))
    assert (error.line, error.expected, error.found) == (3, "gender as M or F", "'X'")
    error = error_of(write_folder(tmp_path, users=USERS[:2]))
    assert error.found == "no line for user_id 12"


# ---------------------------------------------------------------- split


def ratings_with_counts(counts: dict[int, int]) -> pd.DataFrame:
    """``counts[u]`` ratings for each user ``u``, interleaved across users, items distinct."""
    users = np.concatenate([[u] * n for u, n in counts.items()])
    order = np.random.default_rng(0).permutation(len(users))
    return pd.DataFrame({"user_id": users[order], "item_id": np.arange(len(users)), "rating": 3})


@pytest.mark.parametrize(
    "n, n_train",
    [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (10, 8), (14, 10), (20, 15), (22, 16)],
)
def test_split_gives_each_user_round_of_75_percent(n, n_train):
    # Python's round: halves go to the even integer (1.5 -> 2, 4.5 -> 4, 7.5 -> 8, 10.5 -> 10)
    assert round(0.75 * n) == n_train
    ratings = ratings_with_counts({0: n, 1: 7})
    train, test = stratified_split(ratings, 0.75, seed=1)
    assert (train.user_id == 0).sum() == n_train and (test.user_id == 0).sum() == n - n_train
    assert (train.user_id == 1).sum() == 5  # round(5.25)


def test_split_is_a_partition_in_original_order():
    ratings = ratings_with_counts({3: 20, 5: 31, 8: 4})
    train, test = stratified_split(ratings, 0.75, seed=7)
    assert sorted(train.index.tolist() + test.index.tolist()) == ratings.index.tolist()
    assert train.index.is_monotonic_increasing and test.index.is_monotonic_increasing
    assert (train.columns == ratings.columns).all()


def test_split_is_deterministic_and_depends_on_the_seed():
    ratings = ratings_with_counts({0: 40, 1: 40})
    first, again = stratified_split(ratings, seed=42), stratified_split(ratings, seed=42)
    pd.testing.assert_frame_equal(first[0], again[0])
    pd.testing.assert_frame_equal(first[1], again[1])
    assert not stratified_split(ratings, seed=43)[1].index.equals(first[1].index)


def test_split_picks_each_rating_with_equal_chance():
    # user 0 has 4 ratings, 3 go to train: each should be in train in ~75 % of seeds
    ratings = ratings_with_counts({0: 4, 1: 8})
    in_train = np.zeros(len(ratings))
    for seed in range(400):
        in_train[stratified_split(ratings, seed=seed)[0].index] += 1
    share = in_train / 400
    assert np.all(np.abs(share - 0.75) < 0.08), share  # binomial sd ~ 0.022


def test_split_rejects_a_ratio_outside_zero_one():
    with pytest.raises(ValueError, match="ratio"):
        stratified_split(ratings_with_counts({0: 4}), ratio=1.0)
