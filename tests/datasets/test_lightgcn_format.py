"""``load_lightgcn_format`` on small files written in LightGCN's format in ``tmp_path``.

The fixture (user, then items; user 3 has a line of its own id only, item 6 appears only
in test.txt)::

    train.txt   0 1 2 / 1 0 / 2 2 3 5 / 3
    test.txt    0 4 / 2 0 6

and, where a test adds one, ``valid.txt`` ``0 3 / 1 5``.
"""

from __future__ import annotations

import numpy as np
import pytest

from gnnrec_utils.data import period_split
from gnnrec_utils.datasets import load_lightgcn_format
from gnnrec_utils.evaluation import evaluate, per_user_recall_ndcg, warm_target_users
from gnnrec_utils.io.errors import DataFormatError, MissingFileError
from gnnrec_utils.models import Popularity

TRAIN = "0 1 2\n1 0\n2 2 3 5\n3\n"
TEST = "0 4\n2 0 6\n"


VALID = "0 3\n1 5\n"


def write(folder, train=TRAIN, test=TEST, valid=None):
    folder.mkdir(exist_ok=True)
    for name, text in (("train.txt", train), ("test.txt", test), ("valid.txt", valid)):
        if text is not None:
            (folder / name).write_text(text)
    return folder


def pairs(frame):
    return list(zip(frame.user_id.tolist(), frame.item_id.tolist(), strict=True))


@pytest.fixture
def data(tmp_path):
    return load_lightgcn_format(write(tmp_path / "gowalla"), verbose=False)


def test_pairs_periods_and_ids_as_in_the_files(data):
    ev = data.events
    assert pairs(ev) == [(0, 1), (0, 2), (1, 0), (2, 2), (2, 3), (2, 5), (0, 4), (2, 0), (2, 6)]
    assert ev.period.tolist() == ["train"] * 6 + ["test"] * 3
    assert set(ev.behavior) == {"buy"} and set(ev.timestamp) == {0}
    assert data.num_users == 4 and data.num_items == 7  # largest ids + 1: user 3 kept
    assert data.users.user_id.tolist() == data.users.orig_user_id.tolist() == [0, 1, 2, 3]
    assert list(data.categories) == ["unknown"]
    assert data.report.step.tolist() == ["read train.txt", "read test.txt", "tables"]
    assert data.report.rows.tolist() == [6, 3, 9]
    assert data.report.detail.iloc[-1].endswith("no valid.txt")


def test_a_valid_file_gives_the_choose_then_refit_protocol(tmp_path):
    data = load_lightgcn_format(write(tmp_path / "v", valid=VALID), verbose=False)
    assert data.report.step.tolist() == [
        "read train.txt",
        "read valid.txt",
        "read test.txt",
        "tables",
    ]
    assert data.events.period.tolist() == ["train"] * 6 + ["valid"] * 2 + ["test"] * 3
    split = period_split(data)
    assert pairs(split.targets("valid")) == [(0, 3), (1, 5)]
    assert pairs(split.history("valid")) == pairs(split.train)  # choose: fit on train
    assert pairs(split.history("test")) == pairs(split.train) + [(0, 3), (1, 5)]  # refit
    assert pairs(split.targets("test")) == [(0, 4), (2, 0), (2, 6)]


def test_period_split_gives_the_lightgcn_protocol(data):
    split = period_split(data)
    assert len(split.train) == 6 and len(split.valid) == 0
    assert pairs(split.targets("test")) == [(0, 4), (2, 0), (2, 6)]
    assert pairs(split.history("test")) == pairs(split.train)  # train items are excluded
    users = warm_target_users(split.targets("test"), split.train)
    assert users.tolist() == [0, 2]
    # popularity (train counts: item 2 twice, items 0, 1, 3, 5 once) ranks for both users
    model = Popularity(split.item_popularity(), split.num_users)
    top = model.recommend(users, k=3, exclude=split.history("test"))
    assert top.tolist() == [[0, 3, 5], [0, 1, 4]]
    recall, ndcg = per_user_recall_ndcg(top, users, split.targets("test"))
    assert recall.tolist() == [0.0, 0.5]  # user 2 finds item 0 at rank 1 of {0, 6}
    assert ndcg[1] == pytest.approx(1 / (1 + 1 / np.log2(3)))
    assert evaluate(model, split, "test", k=3) == {"recall@3": 0.25, "ndcg@3": ndcg.mean()}


def test_a_file_path_finds_its_folder_and_repeated_items_count_once(tmp_path):
    folder = write(tmp_path / "d", train="0 1 1 2\n\n1 0\n")
    data = load_lightgcn_format(folder / "test.txt", verbose=False)
    assert pairs(data.events[data.events.period == "train"]) == [(0, 1), (0, 2), (1, 0)]
    assert "1 items repeated on a line dropped" in data.report.detail[0]


@pytest.mark.parametrize(
    ("train", "test", "file", "line", "found", "valid"),
    [
        ("0 1\n1 x\n", TEST, "train.txt", 2, "'x' (not an integer)", None),
        ("0 1\n1 2.5\n", TEST, "train.txt", 2, "'2.5' (not an integer)", None),
        ("0 1\n-1 2\n", TEST, "train.txt", 2, "'-1' (a negative id)", None),
        (TRAIN, "0 4\n0 3\n", "test.txt", 2, "user 0 again (first on line 1)", None),
        (TRAIN, "0 4\n\n2 6 5\n", "test.txt", 3, "user 2 item 5, also in train.txt", None),
        ("", TEST, "train.txt", None, "an empty file", None),
        (TRAIN, TEST, "valid.txt", 2, "user 1 item 0, also in train.txt", "0 3\n1 0\n"),
        (TRAIN, "0 4\n1 5\n", "test.txt", 2, "user 1 item 5, also in valid.txt", VALID),
        (TRAIN, TEST, "valid.txt", 1, "'v' (not an integer)", "0 v\n"),
    ],
)
def test_bad_files_name_the_file_the_line_and_the_expectation(
    tmp_path, train, test, file, line, found, valid
):
    with pytest.raises(DataFormatError) as error:
        load_lightgcn_format(write(tmp_path / "bad", train, test, valid), verbose=False)
    assert error.value.path.name == file and error.value.line == line
    assert error.value.found == found
    where = file if line is None else f"{file}, line {line}"
    assert str(error.value).startswith(f"{where}: expected ")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(MissingFileError, match="test.txt"):
        load_lightgcn_format(write(tmp_path / "m", test=None), verbose=False)
    with pytest.raises(MissingFileError):
        load_lightgcn_format(tmp_path / "nowhere", verbose=False)
