"""Tests for ``load_tmall`` and ``period_split`` on the hand-written files in
``tests/fixtures/tmall/`` (invented ids; broken variants are written into ``tmp_path``).

The fixture, in original ids (``count.txt``: 6 users, 7 items; user 6 and items 3 and 6
have no event, so the kit's ids are users 1..5 -> 0..4, items 1, 2, 4, 5, 7 -> 0..4)::

    buy.txt         1 2 / 1 5 / 3 2 / 4 7
    collect.txt     1 4 / 2 5 / 5 1
    cart.txt        2 4
    validation.txt  1 1 / 3 5
    test.txt        1 4 / 2 7 / 4 2     (user 1 favourited item 4 before)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gnnrec_utils
from gnnrec_utils.data import Dataset, period_split
from gnnrec_utils.datasets import load_tmall
from gnnrec_utils.io.errors import DataFormatError, MissingFileError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tmall"
USER = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4}
ITEM = {1: 0, 2: 1, 4: 2, 5: 3, 7: 4}


def pairs(frame: pd.DataFrame) -> list[tuple[int, int]]:
    return list(zip(frame.user_id.tolist(), frame.item_id.tolist(), strict=True))


def mapped(original: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(USER[u], ITEM[i]) for u, i in original]


@pytest.fixture(scope="module")
def tmall():
    return load_tmall(FIXTURE, verbose=False)


def test_events_in_file_order_with_behaviour_and_period(tmall):
    ev = tmall.events
    assert list(ev.columns) == [
        "user_id",
        "item_id",
        "category_id",
        "behavior",
        "timestamp",
        "period",
    ]
    assert pairs(ev) == mapped(
        [(1, 2), (1, 5), (3, 2), (4, 7)]  # buy.txt
        + [(1, 4), (2, 5), (5, 1)]  # collect.txt
        + [(2, 4)]  # cart.txt
        + [(1, 1), (3, 5)]  # validation.txt
        + [(1, 4), (2, 7), (4, 2)]  # test.txt
    )
    assert ev.behavior.astype(str).tolist() == ["buy"] * 4 + ["fav"] * 3 + ["cart"] + ["buy"] * 5
    assert ev.period.astype(str).tolist() == ["train"] * 8 + ["valid"] * 2 + ["test"] * 3
    assert (ev.timestamp == 0).all() and ev.timestamp.dtype == np.int64
    assert (ev.category_id == 0).all() and list(tmall.categories) == ["unknown"]


def test_ids_are_remapped_over_the_ids_with_an_event(tmall):
    assert list(tmall.user_ids) == [1, 2, 3, 4, 5]  # user 6 of count.txt has no event
    assert list(tmall.item_ids) == [1, 2, 4, 5, 7]  # nor have items 3 and 6
    assert list(tmall.users.columns) == ["user_id", "orig_user_id"]
    assert list(tmall.items.columns) == ["item_id", "orig_item_id", "category_id"]
    assert tmall.users.orig_user_id.tolist() == [1, 2, 3, 4, 5]
    assert tmall.items.orig_item_id.tolist() == [1, 2, 4, 5, 7]
    assert (tmall.items.category_id == 0).all()
    assert tmall.user_ids.get_indexer([4]).tolist() == [3]
    detail = tmall.report.set_index("step").loc["count.txt", "detail"]
    assert "5 of its 6 users and 5 of its 7 items" in detail


def test_a_file_in_the_folder_finds_the_folder(tmall):
    again = load_tmall(FIXTURE / "buy.txt", verbose=False)
    pd.testing.assert_frame_equal(again.events, tmall.events)


def test_loader_is_exported_from_the_top_level():
    assert gnnrec_utils.load_tmall is load_tmall


def test_period_split_tables_history_and_targets(tmall):
    split = period_split(tmall.to_shop())
    assert (split.valid_start, split.test_start) == (1, 2)
    assert len(split.train) == 8 and len(split.valid) == 2 and len(split.test) == 3
    assert set(split.train.timestamp) == {0} and set(split.valid.timestamp) == {1}
    assert set(split.test.timestamp) == {2}
    assert (split.train.timestamp < split.valid_start).all()
    assert pairs(split.history("valid")) == pairs(split.train)
    assert pairs(split.history("test")) == pairs(split.train) + pairs(split.valid)
    # validation: (1,1) and (3,5) are new to their users
    assert pairs(split.targets("valid")) == sorted(mapped([(1, 1), (3, 5)]))
    # test: (1,4) was favourited in training, so it is not a new pair
    assert pairs(split.targets("test")) == sorted(mapped([(2, 7), (4, 2)]))
    assert split.num_users == 5 and split.num_items == 5


def test_period_split_needs_a_known_period(tmall):
    with pytest.raises(ValueError, match="'period' column"):
        period_split(Dataset(tmall.users, tmall.items, tmall.events.drop(columns="period")))
    bad = tmall.events.assign(period=tmall.events.period.astype(str).replace("test", "later"))
    with pytest.raises(ValueError, match="found 'later'"):
        period_split(Dataset(tmall.users, tmall.items, bad))


# ---------------------------------------------------------------- bad files


def broken(tmp_path: Path, name: str, text: str) -> Path:
    """A copy of the fixture folder with ``name`` replaced by ``text``."""
    folder = tmp_path / "tmall"
    shutil.copytree(FIXTURE, folder)
    (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("name", "text", "line", "expected", "found"),
    [
        ("buy.txt", "1 2\n1 5\n3\n", 3, "2 space-separated fields (user_id,item_id)", "1 fields"),
        ("collect.txt", "1 4\n2 x5\n", 2, "item_id as an item id from 1 to 7", "'x5'"),
        ("validation.txt", "1 1\n3 5.0\n", 2, "item_id as an item id from 1 to 7", "'5.0'"),
        ("test.txt", "1 4\n7 7\n", 2, "user_id as a user id from 1 to 6 (count.txt)", "'7'"),
        ("cart.txt", "2 8\n", 1, "item_id as an item id from 1 to 7 (count.txt)", "'8'"),
        ("buy.txt", "0 2\n", 1, "user_id as a user id from 1 to 6", "'0'"),
        ("collect.txt", "1,4\n", 1, "2 space-separated fields", "splits on ','"),
    ],
    ids=["one field", "letters", "decimal", "user past count", "item past count", "id 0", "comma"],
)
def test_bad_line_names_file_line_and_expectation(tmp_path, name, text, line, expected, found):
    with pytest.raises(DataFormatError) as info:
        load_tmall(broken(tmp_path, name, text), verbose=False)
    error = info.value
    assert (error.path.name, error.line) == (name, line)
    assert expected in error.expected and found in error.found
    assert str(error).startswith(f"{name}, line {line}: expected ")


@pytest.mark.parametrize("name", ["buy.txt", "cart.txt", "test.txt"])
def test_empty_file(tmp_path, name):
    with pytest.raises(DataFormatError) as info:
        load_tmall(broken(tmp_path, name, ""), verbose=False)
    error = info.value
    assert error.path.name == name and error.line is None  # an empty file has no line
    assert error.found == "an empty file" and "(user, item) pairs" in error.expected


@pytest.mark.parametrize("text", ['{"user": 6}', '{"user": 6, "item": "7"}', "6 7", ""])
def test_bad_count_file(tmp_path, text):
    with pytest.raises(DataFormatError) as info:
        load_tmall(broken(tmp_path, "count.txt", text), verbose=False)
    assert info.value.path.name == "count.txt" and '{"user": ' in info.value.expected


def test_missing_file_is_named(tmp_path):
    folder = broken(tmp_path, "buy.txt", "1 2\n")
    (folder / "validation.txt").unlink()
    with pytest.raises(MissingFileError) as info:
        load_tmall(folder, verbose=False)
    assert info.value.path.name == "validation.txt"
    with pytest.raises(MissingFileError) as info:
        load_tmall(tmp_path / "nowhere", verbose=False)
