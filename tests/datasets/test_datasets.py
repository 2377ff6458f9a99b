"""Tests for gnnrec_utils.datasets / io / download on hand-written fixtures.

The fixtures (``tests/fixtures/<dataset>/``) are invented files in each official
format; broken variants are written from them into ``tmp_path``. Lines are counted
from 1 as a text editor shows them, header included. No test uses the network.
"""

from __future__ import annotations

import gzip
import shutil
import urllib.error
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gnnrec_utils import datasets
from gnnrec_utils.data import BEHAVIORS, Dataset, temporal_split
from gnnrec_utils.datasets import (
    collector,
    download,
    load_amazon_reviews,
    load_movielens,
    load_retailrocket,
    load_taobao_userbehavior,
)
from gnnrec_utils.io.errors import DataFormatError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
QUIET = {"verbose": False}


def taobao_lines() -> list[str]:
    return (FIXTURES / "taobao" / "UserBehavior.csv").read_text().splitlines()


def write(folder: Path, name: str, lines: list[str] | str, gz: bool = False) -> Path:
    text = lines if isinstance(lines, str) else "".join(line + "\n" for line in lines)
    path = folder / name
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode("latin-1"))
    return path


def error_of(load, *args, **kwargs) -> DataFormatError:
    with pytest.raises(DataFormatError) as info:
        load(*args, verbose=False, **kwargs)
    return info.value


def check_schema(data: Dataset) -> None:
    """What every loader promises: compact ids, known behaviours, one table row per id."""
    assert isinstance(data, Dataset)
    ev = data.events
    assert list(ev.columns[:5]) == ["user_id", "item_id", "category_id", "behavior", "timestamp"]
    assert ev.user_id.dtype == np.int32 and ev.timestamp.dtype == np.int64
    assert list(ev.behavior.cat.categories) == list(BEHAVIORS)
    assert set(ev.user_id) == set(range(data.num_users)) == set(data.users.user_id)
    assert set(ev.item_id) == set(range(data.num_items)) == set(data.items.item_id)
    assert (data.users.user_id.to_numpy() == np.arange(data.num_users)).all()
    assert (data.items.item_id.to_numpy() == np.arange(data.num_items)).all()
    assert list(data.user_ids) == sorted(data.user_ids) and list(data.item_ids) == sorted(
        data.item_ids
    )
    assert (data.users.orig_user_id.to_numpy() == np.asarray(data.user_ids)).all()
    assert ev.category_id.between(0, len(data.categories) - 1).all()


# ---------------------------------------------------------------- Taobao


def test_taobao_fixture_in_the_kits_schema():
    data = load_taobao_userbehavior(FIXTURES / "taobao", **QUIET)
    check_schema(data)
    assert len(data.events) == 12 and data.num_users == 5 and data.num_items == 5
    assert list(data.user_ids) == [101, 102, 103, 104, 105]
    assert list(data.categories) == [900, 901, 902, 903]
    first = data.events.iloc[2]  # 101,5001,900,cart,1511544120
    assert (first.user_id, first.item_id, first.category_id, first.behavior, first.timestamp) == (
        0,
        0,
        0,
        "cart",
        1511544120,
    )
    assert data.items.category_id.tolist() == [0, 0, 1, 2, 3]


def test_taobao_gzip_and_small_blocks_give_the_same_events(tmp_path):
    whole = load_taobao_userbehavior(FIXTURES / "taobao", **QUIET)
    packed = write(tmp_path, "UserBehavior.csv.gz", taobao_lines(), gz=True)
    pieces = load_taobao_userbehavior(packed, block_bytes=40, **QUIET)  # one or two lines a block
    pd.testing.assert_frame_equal(whole.events, pieces.events)


def test_error_line_is_counted_over_the_whole_file_not_the_block(tmp_path):
    lines = taobao_lines()
    lines[9] = "105,5001,900,click,1511889600"
    path = write(tmp_path, "UserBehavior.csv", lines)
    for block_bytes in (40, 1 << 20):
        error = error_of(load_taobao_userbehavior, path, block_bytes=block_bytes)
        assert error.line == 10 and "pv/fav/cart/buy" in error.expected and "'click'" in error.found


def test_a_dataset_feeds_temporal_split():
    shop = load_taobao_userbehavior(FIXTURES / "taobao", **QUIET).to_shop()
    split = temporal_split(shop)
    assert shop.events.user_id.dtype == np.int64 and pd.api.types.is_string_dtype(
        shop.events.behavior
    )
    assert len(split.train) + len(split.valid) + len(split.test) == 12
    assert split.test.timestamp.min() >= split.test_start > split.valid.timestamp.max()


# ---------------------------------------------------------------- MovieLens


def test_movielens_1m_files():
    data = load_movielens(FIXTURES / "movielens-1m", **QUIET)
    check_schema(data)
    assert list(data.categories) == ["Animation", "Comedy", "Drama"]  # first listed genres
    assert data.items.title.tolist()[2] == "Invented Café Film (2000)"  # latin-1 decoded
    assert data.items.category_id.tolist() == [0, 2, 1]  # 661 Animation, 1193 Drama, 3408 Comedy
    assert data.users.gender.tolist() == ["F", "M", "M"]
    # the default rule: rating >= 4 is a buy
    assert data.events.behavior.tolist() == ["buy", "pv", "buy", "pv", "buy", "buy"]
    assert data.events.rating.tolist() == [5, 3, 4, 2, 5, 4]


def test_movielens_csv_files_with_quoted_titles_and_no_genres():
    data = load_movielens(FIXTURES / "movielens-latest" / "ratings.csv", **QUIET)
    check_schema(data)
    assert data.items.title.tolist()[1] == "Invented Men, Grumpier (1995)"
    assert list(data.categories) == ["(no genres listed)", "Adventure", "Comedy"]
    assert data.events.rating.tolist() == [4.0, 4.5, 2.5, 3.0, 5.0, 0.5]


def test_movielens_100k_goes_through_the_existing_reader():
    data = load_movielens(FIXTURES / "movielens-100k", **QUIET)
    check_schema(data)
    assert list(data.user_ids) == [3, 7, 12] and list(data.item_ids) == [20, 31, 50]
    assert list(data.categories) == ["Action", "Comedy", "Drama"]  # first flag set, in file order
    assert data.items.category_id.tolist() == [1, 2, 0]
    assert data.users.occupation.tolist() == ["writer", "engineer", "other"]
    assert data.events.behavior.tolist() == ["buy", "pv", "buy", "pv", "pv"]


def test_rating_rule_is_the_callers():
    def three_levels(r):
        return np.where(r >= 5, "buy", np.where(r >= 4, "fav", "pv"))

    data = load_movielens(FIXTURES / "movielens-1m", behavior_of=three_levels, **QUIET)
    assert data.events.behavior.tolist() == ["buy", "pv", "fav", "pv", "buy", "fav"]
    with pytest.raises(ValueError, match="behavior_of returned 'like'"):
        load_movielens(
            FIXTURES / "movielens-1m", behavior_of=lambda r: np.full(len(r), "like"), **QUIET
        )


def test_movielens_rating_out_of_range(tmp_path):
    shutil.copytree(FIXTURES / "movielens-latest", tmp_path / "ml")
    lines = (tmp_path / "ml" / "ratings.csv").read_text().splitlines()
    lines[4] = "2,1,7.0,1445714835"
    write(tmp_path / "ml", "ratings.csv", lines)
    error = error_of(load_movielens, tmp_path / "ml")
    assert error.line == 5 and "0.5 to 5" in error.expected


def test_movielens_rated_user_missing_from_users(tmp_path):
    shutil.copytree(FIXTURES / "movielens-1m", tmp_path / "ml")
    lines = (tmp_path / "ml" / "users.dat").read_bytes().decode("latin-1").splitlines()
    write(tmp_path / "ml", "users.dat", lines[1:])
    error = error_of(load_movielens, tmp_path / "ml")
    assert error.path.name == "users.dat" and error.found.startswith("no line for user_id ")


def test_movielens_1m_ratings_are_whole_stars(tmp_path):
    shutil.copytree(FIXTURES / "movielens-1m", tmp_path / "ml")
    lines = (tmp_path / "ml" / "ratings.dat").read_bytes().decode("latin-1").splitlines()
    lines[1] = lines[1].replace("::3::", "::3.5::")
    write(tmp_path / "ml", "ratings.dat", lines)
    error = error_of(load_movielens, tmp_path / "ml")
    assert (error.line, error.expected, error.found) == (
        2,
        "rating as an integer from 1 to 5",
        "'3.5'",
    )


def test_movielens_rated_movie_missing_from_movies(tmp_path):
    shutil.copytree(FIXTURES / "movielens-1m", tmp_path / "ml")
    lines = (tmp_path / "ml" / "movies.dat").read_bytes().decode("latin-1").splitlines()
    write(tmp_path / "ml", "movies.dat", [line for line in lines if not line.startswith("661::")])
    error = error_of(load_movielens, tmp_path / "ml")
    assert error.path.name == "movies.dat" and "no line for item_id 661" in error.found


# ---------------------------------------------------------------- Amazon


@pytest.mark.parametrize("name", ["ratings_2014.csv", "ratings_2018.csv", "reviews_2018.json"])
def test_amazon_releases_give_the_same_events(name):
    data = load_amazon_reviews(FIXTURES / "amazon" / name, **QUIET)
    check_schema(data)
    assert list(data.categories) == ["unknown"]
    assert data.events.timestamp.iloc[0] == 1355616000
    assert data.user_ids[data.events.user_id.iloc[0]] == "A2SUAM1J3GNN3B"
    assert data.item_ids[data.events.item_id.iloc[0]] == "0000013714"


@pytest.mark.parametrize(
    "name,release", [("ratings_2014.csv", "2014"), ("ratings_2018.csv", "2018")]
)
def test_amazon_csv_order_is_detected_and_reported(name, release):
    data = load_amazon_reviews(FIXTURES / "amazon" / name, **QUIET)
    detail = data.report.set_index("step").loc["column order", "detail"]
    assert f"assumed the {release} column order" in detail
    given = load_amazon_reviews(FIXTURES / "amazon" / name, release=release, **QUIET)
    pd.testing.assert_frame_equal(data.events, given.events)


def test_amazon_csv_order_that_cannot_be_told_apart(tmp_path):
    path = write(tmp_path, "ratings.csv", ["u1,i1,5.0,1355616000", "u2,i2,3.0,1355616000"])
    error = error_of(load_amazon_reviews, path)
    assert "pass release='2014' or '2018'" in error.found


def test_amazon_2023_milliseconds_become_seconds_and_parent_asin_is_the_item():
    data = load_amazon_reviews(FIXTURES / "amazon" / "reviews_2023.jsonl", **QUIET)
    check_schema(data)
    assert data.events.timestamp.tolist() == [1588687728, 1588615855, 1589665266]
    assert "B097R46CSY" in set(data.item_ids) and "B07PNNCSP9" not in set(data.item_ids)


def test_amazon_json_gzip(tmp_path):
    text = (FIXTURES / "amazon" / "reviews_2018.json").read_text()
    plain = load_amazon_reviews(FIXTURES / "amazon" / "reviews_2018.json", **QUIET)
    packed = load_amazon_reviews(write(tmp_path, "reviews.json.gz", text, gz=True), **QUIET)
    pd.testing.assert_frame_equal(plain.events, packed.events)


def test_amazon_json_errors_name_the_line(tmp_path):
    lines = (FIXTURES / "amazon" / "reviews_2018.json").read_text().splitlines()
    broken = write(tmp_path, "a.json", lines[:2] + ['{"overall": 5.0, "reviewerID": "X"'])
    assert error_of(load_amazon_reviews, broken).line == 3
    no_item = write(
        tmp_path, "b.json", lines[:1] + ['{"overall": 5.0, "reviewerID": "X", "unixReviewTime": 1}']
    )
    error = error_of(load_amazon_reviews, no_item)
    assert error.line == 2 and "parent_asin or asin" in error.expected
    bad_time = write(tmp_path, "c.json", [lines[0].replace("1355616000", '"soon"')])
    assert "timestamp" in error_of(load_amazon_reviews, bad_time).expected


# ---------------------------------------------------------------- RetailRocket


def test_retailrocket_events_and_latest_category():
    data = load_retailrocket(FIXTURES / "retailrocket", **QUIET)
    check_schema(data)
    assert data.events.timestamp.iloc[0] == 1433221332  # milliseconds to seconds
    assert data.events.behavior.tolist() == ["pv", "pv", "pv", "pv", "cart", "buy", "pv"]
    category = dict(
        zip(data.items.orig_item_id, data.categories[data.items.category_id], strict=True)
    )
    # 355908 was 1173, later 1338; 318965 and 253185 have no categoryid: -1
    assert category == {355908: 1338, 248676: 491, 318965: -1, 253185: -1}


def test_retailrocket_without_property_files(tmp_path):
    shutil.copy(FIXTURES / "retailrocket" / "events.csv", tmp_path)
    data = load_retailrocket(tmp_path / "events.csv", **QUIET)
    assert list(data.categories) == [-1]


def test_retailrocket_bad_category_value(tmp_path):
    shutil.copytree(FIXTURES / "retailrocket", tmp_path / "rr")
    lines = (tmp_path / "rr" / "item_properties_part1.csv").read_text().splitlines()
    lines[3] = "1433041200000,248676,categoryid,n491.000"
    write(tmp_path / "rr", "item_properties_part1.csv", lines)
    error = error_of(load_retailrocket, tmp_path / "rr")
    assert error.path.name == "item_properties_part1.csv" and error.line == 4


# ---------------------------------------------------------------- bad input, every format


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="UserBehavior.csv"):
        load_taobao_userbehavior(tmp_path, **QUIET)
    with pytest.raises(FileNotFoundError, match="nothing is there"):
        load_movielens(tmp_path / "nope", **QUIET)
    with pytest.raises(FileNotFoundError, match="reviews.json"):
        load_amazon_reviews(tmp_path / "reviews.json", **QUIET)


@pytest.mark.parametrize(
    "load,name,text",
    [
        (load_taobao_userbehavior, "UserBehavior.csv", ""),
        (load_retailrocket, "events.csv", ""),
        (load_amazon_reviews, "ratings.csv", ""),
        (load_amazon_reviews, "reviews.json", ""),
        (load_movielens, "ratings.csv", ""),
    ],
)
def test_empty_file(tmp_path, load, name, text):
    error = error_of(load, write(tmp_path, name, text))
    assert error.line is None and error.found == "an empty file" and error.path.name == name


def test_wrong_delimiter(tmp_path):
    path = write(tmp_path, "UserBehavior.csv", [line.replace(",", "\t") for line in taobao_lines()])
    error = error_of(load_taobao_userbehavior, path)
    assert error.line == 1 and "5 ','-separated fields" in error.expected
    assert error.found == "1 fields (the line splits on '\\t' into 5)"


@pytest.mark.parametrize(
    "folder,name,sep,line",
    [
        ("movielens-1m", "ratings.dat", ",", 1),
        ("movielens-latest", "ratings.csv", ";", 2),
        ("amazon", "ratings_2018.csv", "\t", 1),
        ("retailrocket", "events.csv", ";", 2),
    ],
)
def test_wrong_delimiter_in_each_format(tmp_path, folder, name, sep, line):
    original = (FIXTURES / folder / name).read_text(encoding="latin-1").splitlines()
    right = "::" if name.endswith(".dat") else ","
    lines = original[: line - 1] + [original[line - 1].replace(right, sep)] + original[line:]
    if line == 2:  # keep the header right, break the first data line
        lines = original[:1] + [original[1].replace(right, sep)] + original[2:]
    path = write(tmp_path, name, lines)
    load = {
        "movielens-1m": load_movielens,
        "movielens-latest": load_movielens,
        "amazon": load_amazon_reviews,
        "retailrocket": load_retailrocket,
    }[folder]
    error = error_of(load, path)
    assert error.line == line and f"splits on {sep!r}" in error.found


def test_truncated_gzip_json(tmp_path):
    text = (FIXTURES / "amazon" / "reviews_2018.json").read_text() * 40
    packed = gzip.compress(text.encode())
    path = tmp_path / "reviews.json.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    assert "a complete gzip-compressed file" in error_of(load_amazon_reviews, path).expected


@pytest.mark.parametrize(
    "row,found",
    [
        ("101,5001,900,pv", "4 fields"),
        ("101,5001,900,pv,1511544070,7", "6 fields"),
        ("", "an empty line"),
    ],
)
def test_missing_or_extra_columns(tmp_path, row, found):
    lines = taobao_lines()
    lines[4] = row
    error = error_of(load_taobao_userbehavior, write(tmp_path, "UserBehavior.csv", lines))
    assert (error.line, error.found) == (5, found)


def test_wrong_header(tmp_path):
    lines = (FIXTURES / "retailrocket" / "events.csv").read_text().splitlines()
    lines[0] = "timestamp,visitorid,event,itemid"
    error = error_of(load_retailrocket, write(tmp_path, "events.csv", lines))
    assert error.line == 1 and "missing transactionid" in error.found


@pytest.mark.parametrize("value", ["u101", "1.5", "-3", "1e3", " 7"])
def test_non_numeric_ids(tmp_path, value):
    lines = taobao_lines()
    lines[6] = f"{value},5004,902,pv,1511717000"
    error = error_of(load_taobao_userbehavior, write(tmp_path, "UserBehavior.csv", lines))
    assert error.line == 7 and error.expected == "user_id as a non-negative integer"
    assert error.found == repr(value)


def test_unknown_behavior_values(tmp_path):
    lines = (FIXTURES / "retailrocket" / "events.csv").read_text().splitlines()
    lines[2] = lines[2].replace("view", "click")
    error = error_of(load_retailrocket, write(tmp_path, "events.csv", lines))
    assert error.line == 3 and "view/addtocart/transaction" in error.expected


def test_truncated_gzip(tmp_path):
    packed = gzip.compress(("\n".join(taobao_lines() * 50) + "\n").encode())
    path = tmp_path / "UserBehavior.csv.gz"
    path.write_bytes(packed[: len(packed) // 2])
    error = error_of(load_taobao_userbehavior, path, block_bytes=64)
    assert "a complete gzip-compressed file" in error.expected and error.line >= 1


def test_not_gzip_at_all(tmp_path):
    path = write(tmp_path, "UserBehavior.csv.gz", taobao_lines())  # plain text, .gz name
    assert "gzip" in error_of(load_taobao_userbehavior, path).expected


def test_duplicated_rows_are_dropped_and_reported(tmp_path):
    lines = taobao_lines()
    path = write(tmp_path, "UserBehavior.csv", lines + lines[:3])
    data = load_taobao_userbehavior(path, **QUIET)
    assert len(data.events) == 12
    step = data.report.set_index("step").loc["drop duplicates"]
    assert step.rows == 12 and step.detail.startswith("3 repeated")
    kept = load_taobao_userbehavior(path, duplicates="keep", **QUIET)
    assert len(kept.events) == 15
    with pytest.raises(DataFormatError, match="3 repeated rows, e.g. user 101 item 5001 pv"):
        load_taobao_userbehavior(path, duplicates="error", **QUIET)


def test_milliseconds_where_seconds_are_expected_are_converted_and_reported(tmp_path):
    lines = taobao_lines()
    lines[3] = "102,5003,901,pv,1511630000123"
    data = load_taobao_userbehavior(write(tmp_path, "UserBehavior.csv", lines), **QUIET)
    assert data.events.timestamp.iloc[3] == 1511630000
    detail = data.report.set_index("step").loc["timestamps in milliseconds", "detail"]
    assert detail.startswith("1 timestamps looked like milliseconds") and "line 4" in detail


def test_seconds_where_milliseconds_are_expected(tmp_path):
    lines = (FIXTURES / "retailrocket" / "events.csv").read_text().splitlines()
    lines[2] = "1433224214,992329,view,248676,"
    shutil.copy(FIXTURES / "retailrocket" / "item_properties_part1.csv", tmp_path)
    data = load_retailrocket(write(tmp_path, "events.csv", lines), **QUIET)
    assert data.events.timestamp.iloc[1] == 1433224214
    assert "line 3" in data.report.set_index("step").loc["timestamps in seconds", "detail"]


# ---------------------------------------------------------------- options


def test_window_keeps_start_inclusive_end_exclusive():
    data = load_taobao_userbehavior(FIXTURES / "taobao", window=(1511630000, 1511803200), **QUIET)
    assert data.events.timestamp.min() == 1511630000 and data.events.timestamp.max() < 1511803200
    assert len(data.events) == 4
    assert data.report.set_index("step").loc["window", "rows"] == 4
    by_date = load_taobao_userbehavior(
        FIXTURES / "taobao", window=("2017-11-25 17:13:20", "2017-11-27 17:20:00"), **QUIET
    )
    pd.testing.assert_frame_equal(data.events, by_date.events)


def test_sample_users_is_seeded_and_independent_of_row_order(tmp_path):
    lines = taobao_lines()
    a = load_taobao_userbehavior(FIXTURES / "taobao", sample_users=0.5, seed=3, **QUIET)
    b = load_taobao_userbehavior(
        write(tmp_path, "UserBehavior.csv", lines[::-1]), sample_users=0.5, seed=3, **QUIET
    )
    assert set(a.user_ids) == set(b.user_ids) and 0 < a.num_users < 5
    full = load_taobao_userbehavior(FIXTURES / "taobao", **QUIET).events
    kept = full[np.isin(np.array([101, 102, 103, 104, 105])[full.user_id], a.user_ids)]
    assert len(a.events) == len(kept)
    picks = {
        tuple(
            load_taobao_userbehavior(
                FIXTURES / "taobao", sample_users=0.5, seed=s, **QUIET
            ).user_ids
        )
        for s in range(6)
    }
    assert len(picks) > 1


def test_k_core_matches_a_brute_force_peeling(tmp_path):
    rng = np.random.default_rng(0)
    rows = [
        f"{u},{i},1,pv,{1511544070 + n}"
        for n, (u, i) in enumerate(
            zip(rng.zipf(1.6, 400) % 60, rng.zipf(1.4, 400) % 80, strict=True)
        )
    ]
    write(tmp_path, "UserBehavior.csv", rows)
    data = load_taobao_userbehavior(tmp_path, k_core=3, duplicates="keep", **QUIET)
    events = pd.DataFrame([r.split(",")[:2] for r in rows], columns=["u", "i"]).astype(int)
    while True:  # the definition, applied literally
        small_u = events.u.map(events.u.value_counts()) < 3
        small_i = events.i.map(events.i.value_counts()) < 3
        if not (small_u | small_i).any():
            break
        events = events[~(small_u | small_i)]
    assert len(data.events) == len(events) > 0
    assert set(data.user_ids) == set(events.u) and set(data.item_ids) == set(events.i)
    assert (
        np.bincount(data.events.user_id).min() >= 3 and np.bincount(data.events.item_id).min() >= 3
    )


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="sample_users"):
        load_taobao_userbehavior(FIXTURES / "taobao", sample_users=2)
    with pytest.raises(ValueError, match="k_core"):
        load_taobao_userbehavior(FIXTURES / "taobao", k_core=0)
    with pytest.raises(ValueError, match="duplicates"):
        load_taobao_userbehavior(FIXTURES / "taobao", duplicates="ignore")


def test_report_is_printed(capsys):
    load_taobao_userbehavior(FIXTURES / "taobao", k_core=2)
    out = capsys.readouterr().out
    assert "read" in out and "2-core" in out and "drop duplicates" in out


# ---------------------------------------------------------------- download (no network)


def test_offline_download_fails_with_url_and_folder(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(download.urllib.request, "urlopen", offline)
    with pytest.raises(download.DownloadError) as info:
        load_movielens(None, download=True, release="ml-1m", root=tmp_path)
    message = str(info.value)
    assert "https://files.grouplens.org/datasets/movielens/ml-1m.zip" in message
    assert str(tmp_path / "ml-1m.zip") in message
    assert not list(tmp_path.iterdir())  # no half-written file left behind


@pytest.mark.parametrize("load", [load_taobao_userbehavior, load_retailrocket])
def test_login_only_datasets_say_where_to_get_them(tmp_path, load):
    with pytest.raises(download.DownloadError, match="requires a login") as info:
        load(None, download=True, root=tmp_path)
    assert str(tmp_path) in str(info.value) and "https://" in str(info.value)


def fake_archive(
    tmp_path: Path, name: str = "ml-latest-small", fixture: str = "movielens-latest"
) -> Path:
    """A zip in the layout of release ``name`` built from a fixture, as if downloaded."""
    build = tmp_path / "build" / name
    shutil.copytree(FIXTURES / fixture, build)
    archive = shutil.make_archive(str(tmp_path / "cache" / name), "zip", build.parent)
    return Path(archive)


def test_cached_archive_is_verified_then_unpacked_and_loaded(tmp_path, monkeypatch):
    archive = fake_archive(tmp_path)
    assert download.REGISTRY["ml-latest-small"].sha256 is None  # re-released: nothing pinned
    monkeypatch.setattr(download.urllib.request, "urlopen", lambda *a, **k: pytest.fail("network"))
    data = load_movielens(
        None, download=True, release="ml-latest-small", root=tmp_path / "cache", verbose=False
    )
    expected = load_movielens(FIXTURES / "movielens-latest", verbose=False)
    assert len(data.events) == len(expected.events) > 0
    record = archive.with_name("ml-latest-small.zip.sha256").read_text().split()[0]
    assert record == download.sha256_of(archive)  # trusted on first use, recorded
    archive.write_bytes(archive.read_bytes() + b"tampered")
    with pytest.raises(download.DownloadError, match="does not match"):
        download.fetch("ml-latest-small", root=tmp_path / "cache")


def test_a_given_sha256_is_checked(tmp_path):
    archive = fake_archive(tmp_path)
    with pytest.raises(download.DownloadError, match="does not match the expected 00"):
        download.fetch("ml-latest-small", root=archive.parent, sha256="00" * 32)
    assert download.fetch(
        "ml-latest-small", root=archive.parent, sha256=download.sha256_of(archive)
    ).is_dir()


def test_the_published_sha256_of_a_fixed_release_is_enforced(tmp_path):
    archive = fake_archive(tmp_path, "ml-1m", "movielens-1m")  # not the real ml-1m.zip
    pinned = download.REGISTRY["ml-1m"].sha256
    assert pinned == "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20"
    with pytest.raises(download.DownloadError, match=f"does not match the expected {pinned}"):
        download.fetch("ml-1m", root=archive.parent)
    assert not (archive.parent / "ml-1m").exists()  # a file that fails the check is not unpacked


def test_loaders_are_exported_from_the_top_level():
    import gnnrec_utils

    for name in (
        "load_movielens",
        "load_taobao_userbehavior",
        "load_amazon_reviews",
        "load_retailrocket",
    ):
        assert getattr(gnnrec_utils, name) is getattr(datasets, name)


def test_repeated_rows_agree_with_pandas_duplicated():
    rng = np.random.default_rng(1)
    n = 5000
    cols = {
        "user": rng.integers(0, 30, n).astype(np.int32),
        "item": rng.integers(0, 20, n).astype(np.int32),
        "cat": np.zeros(n, dtype=np.int32),
        "behavior": rng.integers(0, 4, n).astype(np.int8),
        "timestamp": rng.integers(0, 3, n).astype(np.int64),
        "rating": rng.choice([1.0, 4.5], n).astype(np.float32),
    }
    expected = pd.DataFrame(cols).duplicated().to_numpy()
    assert 0 < expected.sum() < n
    assert (collector._repeated_rows(cols) == expected).all()


def test_text_in_the_wrong_encoding_names_the_line(tmp_path):
    lines = (FIXTURES / "movielens-latest" / "movies.csv").read_text().splitlines()
    path = tmp_path / "movies.csv"
    path.write_bytes(
        ("\n".join(lines[:2]) + "\n").encode() + "3,Caf\xe9 (1995),Comedy\n".encode("latin-1")
    )
    shutil.copy(FIXTURES / "movielens-latest" / "ratings.csv", tmp_path)
    error = error_of(load_movielens, tmp_path)
    assert error.path.name == "movies.csv" and error.line == 3 and "utf-8" in error.expected
