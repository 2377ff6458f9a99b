"""Tests for gnnrec_utils.data: the shop's loaders, their error messages, write/read round trips.

The files are read through gnnrec_utils.io, so these are also the reading layer's
tests on the kit's own format. Every fixture is a few hand-written lines, so each
expected line number can be checked by counting lines in the test itself (the header
is line 1).
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gnnrec_utils.data import (
    BEHAVIORS,
    EVENT_COLUMNS,
    ITEM_COLUMNS,
    USER_COLUMNS,
    Dataset,
    load_items,
    load_shop,
    load_users,
    write_shop,
)
from gnnrec_utils.data.tables import _EVENTS
from gnnrec_utils.io import delimited
from gnnrec_utils.io.delimited import read_blocks, read_table
from gnnrec_utils.io.errors import DataFormatError, MissingFileError

EVENTS_HEADER = "user_id,item_id,category_id,behavior,timestamp"
EVENT_ROWS = ["1,10,100,pv,1511544070", "1,11,101,buy,1511544071", "2,10,100,cart,1511544072"]
USERS_TEXT = "user_id,age_group,gender,city_tier\n1,3,0,2\n2,5,1,1\n"
ITEMS_TEXT = "item_id,category_id,brand_id,price\n10,100,7,19.90\n11,101,8,5.00\n"


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (gzip-compressed if it ends in .gz)."""
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def events_file(
    tmp_path: Path, rows: list[str], header: str = EVENTS_HEADER, name: str = "events.csv"
) -> Path:
    """An events file: optional header line, then ``rows``, newline-terminated."""
    lines = ([header] if header else []) + rows
    return write(tmp_path / name, "\n".join(lines) + "\n")


def load_events(path):
    """An events file read as load_shop reads its events (header optional)."""
    return read_table(path, _EVENTS)[0]


def expected_events() -> pd.DataFrame:
    """EVENT_ROWS as load_events should return them."""
    return pd.DataFrame(
        {
            "user_id": np.array([1, 1, 2], dtype="int64"),
            "item_id": np.array([10, 11, 10], dtype="int64"),
            "category_id": np.array([100, 101, 100], dtype="int64"),
            "behavior": pd.Series(["pv", "buy", "cart"], dtype=str),
            "timestamp": np.array([1511544070, 1511544071, 1511544072], dtype="int64"),
        }
    )


def assert_error(excinfo, name: str, line: int | None, *expected: str) -> None:
    """The error names the file, the line and each expected fragment."""
    error, message = excinfo.value, str(excinfo.value)
    assert error.path.name == name and error.line == line
    assert message.startswith(name if line is None else f"{name}, line {line}:")
    for fragment in expected:
        assert fragment in message, message


# ---------------------------------------------------------------- accepted events


def test_events_with_kit_header(tmp_path):
    events = load_events(events_file(tmp_path, EVENT_ROWS))
    pd.testing.assert_frame_equal(events, expected_events())
    assert tuple(events.columns) == EVENT_COLUMNS
    assert all(isinstance(b, str) for b in events["behavior"])


def test_events_without_header_as_in_userbehavior_csv(tmp_path):
    path = events_file(tmp_path, EVENT_ROWS, header="", name="UserBehavior.csv")
    pd.testing.assert_frame_equal(load_events(path), expected_events())


def test_events_with_behavior_type_header(tmp_path):
    header = "user_id,item_id,category_id,behavior_type,timestamp"
    pd.testing.assert_frame_equal(
        load_events(events_file(tmp_path, EVENT_ROWS, header)), expected_events()
    )


def test_events_gzip(tmp_path):
    path = events_file(tmp_path, EVENT_ROWS, name="events.csv.gz")
    pd.testing.assert_frame_equal(load_events(path), expected_events())


def test_events_crlf_line_ends(tmp_path):
    path = write(tmp_path / "events.csv", "\r\n".join([EVENTS_HEADER, *EVENT_ROWS]) + "\r\n")
    pd.testing.assert_frame_equal(load_events(path), expected_events())


def test_events_keep_file_order_and_duplicates(tmp_path):
    rows = ["2,10,100,pv,9", "1,10,100,pv,1", "1,10,100,pv,1"]  # unsorted, exact duplicate
    events = load_events(events_file(tmp_path, rows))
    assert events["user_id"].tolist() == [2, 1, 1]
    assert events["timestamp"].tolist() == [9, 1, 1]


def test_events_header_with_byte_order_mark(tmp_path):
    path = write(tmp_path / "events.csv", "\ufeff" + "\n".join([EVENTS_HEADER, *EVENT_ROWS]))
    pd.testing.assert_frame_equal(load_events(path), expected_events())


def random_events(seed: int, num_events: int) -> pd.DataFrame:
    """Valid events with random values, as load_events should return them."""
    rng = np.random.default_rng(seed)
    ids = {c: rng.integers(0, 10**12, num_events) for c in EVENT_COLUMNS[:3]}
    behavior = pd.Series(rng.choice(BEHAVIORS, num_events), dtype=str)
    stamps = rng.integers(-(2**40), 2**40, num_events)
    return pd.DataFrame({**ids, "behavior": behavior, "timestamp": stamps})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_and_careful_readers_agree(tmp_path, monkeypatch, seed):
    expected = random_events(seed, num_events=500)
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(expected.to_csv(index=False).encode()))
    block = gzip.decompress(path.read_bytes()).split(b"\n", 1)[1]  # the data lines
    assert delimited._fast(_EVENTS, block) is not None
    fast = load_events(path)
    monkeypatch.setattr(delimited, "_fast", lambda *args: None)  # force the careful parse
    careful = load_events(path)
    pd.testing.assert_frame_equal(fast, expected)
    pd.testing.assert_frame_equal(careful, expected)


def test_events_header_only_gives_empty_typed_frame(tmp_path):
    events = load_events(events_file(tmp_path, []))
    assert len(events) == 0 and tuple(events.columns) == EVENT_COLUMNS
    assert events["user_id"].dtype == np.int64 and events["timestamp"].dtype == np.int64


def test_events_accept_every_behavior(tmp_path):
    rows = [f"1,10,100,{b},{t}" for t, b in enumerate(BEHAVIORS)]
    assert load_events(events_file(tmp_path, rows))["behavior"].tolist() == list(BEHAVIORS)


# ---------------------------------------------------------------- rejected events


def test_missing_events_file(tmp_path):
    with pytest.raises(FileNotFoundError) as excinfo:
        load_events(tmp_path / "events.csv")
    message = str(excinfo.value)
    assert "events.csv" in message and "events" in message and EVENTS_HEADER in message


def test_empty_events_file(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_events(write(tmp_path / "events.csv", ""))
    assert_error(excinfo, "events.csv", None, EVENTS_HEADER, "an empty file")


def test_empty_gzip_events_file(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_events(write(tmp_path / "events.csv.gz", ""))
    assert_error(excinfo, "events.csv.gz", None, "an empty file")


def test_events_gz_name_on_a_plain_file(tmp_path):
    path = tmp_path / "events.csv.gz"
    path.write_text(EVENTS_HEADER + "\n")
    with pytest.raises(DataFormatError) as excinfo:
        load_events(path)
    assert_error(excinfo, "events.csv.gz", None, "a gzip-compressed CSV file", "not gzip")


def test_events_header_with_wrong_name(tmp_path):
    path = events_file(tmp_path, EVENT_ROWS, header="user,item_id,category_id,behavior,timestamp")
    with pytest.raises(DataFormatError) as excinfo:
        load_events(path)
    assert_error(
        excinfo,
        "events.csv",
        1,
        "a header naming " + EVENTS_HEADER,
        "missing user_id",
        "unexpected user",
    )


def test_events_row_with_too_many_fields(tmp_path):
    rows = EVENT_ROWS + ["1,10,100,pv,5", "1,10,100,pv,5", "1,10,100,pv,5,6"]
    with pytest.raises(DataFormatError) as excinfo:  # header + 5 good rows: bad one is line 7
        load_events(events_file(tmp_path, rows))
    assert_error(
        excinfo, "events.csv", 7, f"expected 5 comma-separated fields ({EVENTS_HEADER}), found 6"
    )


def test_events_first_row_with_too_many_fields(tmp_path):
    path = events_file(tmp_path, ["1,10,100,pv,5,6", *EVENT_ROWS], header="")
    with pytest.raises(DataFormatError) as excinfo:
        load_events(path)
    assert_error(excinfo, "events.csv", 1, "5 comma-separated fields", "found 6")


def test_events_row_with_too_few_fields(tmp_path):
    # pandas would pad "2,10,100,pv" with an empty timestamp; it must be an error
    with pytest.raises(DataFormatError) as excinfo:
        load_events(events_file(tmp_path, [EVENT_ROWS[0], "2,10,100,pv", EVENT_ROWS[1]]))
    assert_error(excinfo, "events.csv", 3, "5 comma-separated fields", "found 4")


def test_events_trailing_blank_line(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:  # header, 3 rows, then a blank line 5
        load_events(events_file(tmp_path, [*EVENT_ROWS, ""]))
    assert_error(excinfo, "events.csv", 5, "5 comma-separated fields", "an empty line")


def test_events_blank_line_in_the_middle(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_events(events_file(tmp_path, [EVENT_ROWS[0], "", EVENT_ROWS[1]]))
    assert_error(excinfo, "events.csv", 3, "5 comma-separated fields", "an empty line")


def test_events_unknown_behavior(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_events(events_file(tmp_path, [*EVENT_ROWS, "1,10,100,click,5"]))
    assert_error(excinfo, "events.csv", 5, "behavior as one of pv/fav/cart/buy", "'click'")


@pytest.mark.parametrize(
    "bad_id, found",
    [
        ("12a", "'12a'"),
        ("1.5", "'1.5'"),
        ("", "an empty field"),
        ("-3", "'-3'"),
        ("1.0", "'1.0'"),
        ("+1", "'+1'"),
        (" 1", "' 1'"),  # pandas alone would read these as 1
        ("99999999999999999999", "'99999999999999999999'"),  # beyond int64
    ],
)
def test_events_non_integer_item_id(tmp_path, bad_id, found):
    rows = [EVENT_ROWS[0], f"1,{bad_id},100,pv,5"]
    with pytest.raises(DataFormatError) as excinfo:
        load_events(events_file(tmp_path, rows, name="events.csv.gz"))
    assert_error(excinfo, "events.csv.gz", 3, "item_id as a non-negative integer", found)


def test_events_non_integer_id_without_header(tmp_path):
    path = events_file(tmp_path, [*EVENT_ROWS, "7,10,1e3,pv,5"], header="")
    with pytest.raises(DataFormatError) as excinfo:  # no header: 4th row is line 4
        load_events(path)
    assert_error(excinfo, "events.csv", 4, "category_id as a non-negative integer", "'1e3'")


@pytest.mark.parametrize("stamp", ["2017-11-25", "1511544070.5", ""])
def test_events_unparsable_timestamp(tmp_path, stamp):
    with pytest.raises(DataFormatError) as excinfo:
        load_events(events_file(tmp_path, [f"1,10,100,pv,{stamp}", *EVENT_ROWS]))
    assert_error(excinfo, "events.csv", 2, "timestamp as an integer")


def test_events_report_the_earliest_bad_line(tmp_path):
    rows = [EVENT_ROWS[0], "1,10,100,pv,x", "1,zz,100,pv,5"]  # timestamp on 3, id on 4
    with pytest.raises(DataFormatError) as excinfo:
        load_events(events_file(tmp_path, rows))
    assert_error(excinfo, "events.csv", 3, "timestamp")


def test_error_is_a_value_error_and_pickles(tmp_path):
    error = DataFormatError(tmp_path / "events.csv", 7, "5 fields", "6")
    assert isinstance(error, ValueError)
    assert str(error) == "events.csv, line 7: expected 5 fields, found 6"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.line, copy.expected, str(copy)) == (
        error.path,
        7,
        "5 fields",
        str(error),
    )


@pytest.mark.parametrize("order", [[4, 3, 0, 1, 2], [1, 0, 2, 4, 3]])
def test_events_columns_in_another_order(tmp_path, order):
    header = ",".join(np.array(EVENTS_HEADER.split(","))[order])
    rows = [",".join(np.array(row.split(","))[order]) for row in EVENT_ROWS]
    pd.testing.assert_frame_equal(
        load_events(events_file(tmp_path, rows, header)), expected_events()
    )


def test_events_without_header_but_with_byte_order_mark(tmp_path):
    path = write(tmp_path / "UserBehavior.csv", "\ufeff" + "\n".join(EVENT_ROWS) + "\n")
    pd.testing.assert_frame_equal(load_events(path), expected_events())


def test_events_line_with_another_separator_says_so(tmp_path):
    rows = [EVENT_ROWS[0], EVENT_ROWS[1].replace(",", ";")]
    with pytest.raises(DataFormatError) as excinfo:
        load_events(events_file(tmp_path, rows))
    assert_error(excinfo, "events.csv", 3, "found 1 fields (the line splits on ';' into 5)")


def test_line_numbers_count_the_whole_file_across_blocks(tmp_path):
    path = events_file(tmp_path, EVENT_ROWS * 5 + ["1,10,100,click,5"])
    with pytest.raises(DataFormatError) as excinfo:  # header + 15 rows: the bad one is line 17
        list(read_blocks(path, _EVENTS, block_bytes=30))
    assert_error(excinfo, "events.csv", 17, "behavior as one of pv/fav/cart/buy", "'click'")


def test_events_truncated_gzip(tmp_path):
    packed = gzip.compress(("\n".join([EVENTS_HEADER, *EVENT_ROWS * 300]) + "\n").encode())
    path = tmp_path / "events.csv.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataFormatError) as excinfo:
        load_events(path)
    assert "a complete gzip-compressed file" in excinfo.value.expected


def test_missing_file_is_both_a_data_format_and_a_file_not_found_error(tmp_path):
    with pytest.raises(MissingFileError) as excinfo:
        load_items(tmp_path / "items.csv")
    assert isinstance(excinfo.value, FileNotFoundError)
    assert_error(excinfo, "items.csv", None, "no such file", "item_id,category_id,brand_id,price")


# ---------------------------------------------------------------- users and items


def test_users_and_items_load(tmp_path):
    users = load_users(write(tmp_path / "users.csv", USERS_TEXT))
    items = load_items(write(tmp_path / "items.csv", ITEMS_TEXT))
    assert tuple(users.columns) == USER_COLUMNS and users.dtypes.eq(np.int64).all()
    assert users.values.tolist() == [[1, 3, 0, 2], [2, 5, 1, 1]]
    assert tuple(items.columns) == ITEM_COLUMNS and items["price"].dtype == np.float64
    assert items["price"].tolist() == [19.9, 5.0] and items["brand_id"].tolist() == [7, 8]


def test_users_columns_in_another_order(tmp_path):
    text = "gender,user_id,city_tier,age_group\n0,1,2,3\n"
    users = load_users(write(tmp_path / "users.csv", text))
    assert tuple(users.columns) == USER_COLUMNS and users.values.tolist() == [[1, 3, 0, 2]]


def test_missing_users_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="users.csv"):
        load_users(tmp_path / "users.csv")


def test_users_header_missing_and_extra_column(tmp_path):
    text = "user_id,age,gender,city_tier\n1,3,0,2\n"
    with pytest.raises(DataFormatError) as excinfo:
        load_users(write(tmp_path / "users.csv", text))
    assert_error(
        excinfo,
        "users.csv",
        1,
        "a header naming user_id,age_group,gender,city_tier",
        "missing age_group",
        "unexpected age",
    )


def test_items_header_with_extra_column(tmp_path):
    text = "item_id,category_id,brand_id,price,stock\n10,100,7,1.00,3\n"
    with pytest.raises(DataFormatError) as excinfo:
        load_items(write(tmp_path / "items.csv", text))
    assert_error(excinfo, "items.csv", 1, "unexpected stock")


def test_users_row_with_too_few_fields(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_users(write(tmp_path / "users.csv", USERS_TEXT + "3,1,0\n"))
    assert_error(excinfo, "users.csv", 4, "4 comma-separated fields", "found 3")


def test_users_non_integer_code(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_users(write(tmp_path / "users.csv", USERS_TEXT + "3,1,F,1\n"))
    assert_error(excinfo, "users.csv", 4, "gender as an integer", "'F'")


def test_users_duplicated_user_id(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_users(write(tmp_path / "users.csv", USERS_TEXT + "1,2,1,3\n"))
    assert_error(excinfo, "users.csv", 4, "each user_id once", "user_id 1 again (first on line 2)")


def test_items_duplicated_item_id(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_items(write(tmp_path / "items.csv", ITEMS_TEXT + "11,101,8,6.00\n"))
    assert_error(excinfo, "items.csv", 4, "each item_id once", "item_id 11 again (first on line 3)")


def test_items_non_integer_brand(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_items(write(tmp_path / "items.csv", ITEMS_TEXT + "12,101,b7,6.00\n"))
    assert_error(excinfo, "items.csv", 4, "brand_id as a non-negative integer", "'b7'")


@pytest.mark.parametrize("bad_id", ["1.0", "1e3", " 12", "+12"])
def test_items_ids_are_read_exactly(tmp_path, bad_id):  # pandas alone would read these
    with pytest.raises(DataFormatError) as excinfo:
        load_items(write(tmp_path / "items.csv", ITEMS_TEXT + f"{bad_id},101,8,6.00\n"))
    assert_error(excinfo, "items.csv", 4, "item_id as a non-negative integer", repr(bad_id))


@pytest.mark.parametrize("price", ["cheap", "-1.00", "", "inf", "nan"])
def test_items_bad_price(tmp_path, price):
    with pytest.raises(DataFormatError) as excinfo:
        load_items(write(tmp_path / "items.csv", ITEMS_TEXT + f"12,101,8,{price}\n"))
    assert_error(excinfo, "items.csv", 4, "price as a non-negative number")


# ---------------------------------------------------------------- shop


def tiny_shop() -> Dataset:
    """Two users, two items, three events, all consistent; prices with 2 decimals."""
    users = pd.DataFrame(
        {"user_id": [1, 2], "age_group": [3, 5], "gender": [0, 1], "city_tier": [2, 1]},
        dtype="int64",
    )
    items = pd.DataFrame(
        {"item_id": [10, 11], "category_id": [100, 101], "brand_id": [7, 8]}, dtype="int64"
    ).assign(price=[19.9, 5.0])
    return Dataset(users=users, items=items, events=expected_events())


def shop_folder(tmp_path: Path, events_rows: list[str]) -> Path:
    """A folder with USERS_TEXT, ITEMS_TEXT and a plain events.csv of ``events_rows``."""
    write(tmp_path / "users.csv", USERS_TEXT)
    write(tmp_path / "items.csv", ITEMS_TEXT)
    events_file(tmp_path, events_rows)
    return tmp_path


def test_write_then_load_round_trips(tmp_path):
    shop = tiny_shop()
    assert write_shop(shop, tmp_path / "shop") is None
    loaded = load_shop(tmp_path / "shop")
    pd.testing.assert_frame_equal(loaded.users, shop.users)
    pd.testing.assert_frame_equal(loaded.items, shop.items)
    pd.testing.assert_frame_equal(loaded.events, shop.events)
    assert (loaded.num_users, loaded.num_items) == (2, 2)


def test_write_shop_file_contents(tmp_path):
    write_shop(tiny_shop(), tmp_path)
    assert (tmp_path / "items.csv").read_text() == ITEMS_TEXT  # prices as %.2f
    assert (tmp_path / "users.csv").read_text() == USERS_TEXT
    events = gzip.decompress((tmp_path / "events.csv.gz").read_bytes()).decode()
    assert events == "\n".join([EVENTS_HEADER, *EVENT_ROWS]) + "\n"


def test_write_shop_is_byte_identical(tmp_path):
    write_shop(tiny_shop(), tmp_path / "a")
    write_shop(tiny_shop(), tmp_path / "other_name")
    for name in ("users.csv", "items.csv", "events.csv.gz"):
        first, second = tmp_path / "a" / name, tmp_path / "other_name" / name
        assert first.read_bytes() == second.read_bytes()
    assert (tmp_path / "a" / "events.csv.gz").read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime


def test_load_shop_reads_plain_events_csv(tmp_path):
    shop = load_shop(shop_folder(tmp_path, EVENT_ROWS))
    pd.testing.assert_frame_equal(shop.events, expected_events())


def test_load_shop_refuses_two_events_files(tmp_path):
    write_shop(tiny_shop(), tmp_path)
    events_file(tmp_path, EVENT_ROWS)
    with pytest.raises(DataFormatError, match="events.csv.gz or events.csv"):
        load_shop(tmp_path)


def test_load_shop_without_events_file(tmp_path):
    write(tmp_path / "users.csv", USERS_TEXT)
    write(tmp_path / "items.csv", ITEMS_TEXT)
    with pytest.raises(FileNotFoundError, match="events.csv"):
        load_shop(tmp_path)


def test_load_shop_unknown_user(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_shop(shop_folder(tmp_path, [*EVENT_ROWS, "9,10,100,pv,5"]))
    assert_error(excinfo, "events.csv", 5, "a known user_id (one listed in users.csv)", "user_id 9")


def test_load_shop_unknown_item(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:
        load_shop(shop_folder(tmp_path, [EVENT_ROWS[0], "2,99,100,pv,5", EVENT_ROWS[1]]))
    assert_error(
        excinfo, "events.csv", 3, "a known item_id (one listed in items.csv)", "item_id 99"
    )


def test_load_shop_category_mismatch(tmp_path):
    with pytest.raises(DataFormatError) as excinfo:  # item 11 is in category 101, not 100
        load_shop(shop_folder(tmp_path, [*EVENT_ROWS[:2], "2,11,100,fav,5"]))
    assert_error(
        excinfo,
        "events.csv",
        4,
        "category_id 101 (item 11's category in items.csv)",
        "found category_id 100",
    )


def test_load_shop_reports_earliest_inconsistent_event(tmp_path):
    rows = [EVENT_ROWS[0], "2,11,100,fav,5", "9,10,100,pv,5"]  # category on 3, user on 4
    with pytest.raises(DataFormatError) as excinfo:
        load_shop(shop_folder(tmp_path, rows))
    assert_error(excinfo, "events.csv", 3, "category_id 101")


# ---------------------------------------------------------------- the one result type


def test_load_shop_returns_a_dataset_with_the_files_ids(tmp_path):
    shop = load_shop(shop_folder(tmp_path, EVENT_ROWS))
    assert isinstance(shop, Dataset)
    assert list(shop.user_ids) == [1, 2] and list(shop.item_ids) == [10, 11]
    assert list(shop.categories) == [100, 101]
    assert shop.report.step.tolist() == ["users", "items", "events"]
    assert shop.report.rows.tolist() == [2, 2, 3]
    pd.testing.assert_frame_equal(shop.to_shop().events, shop.events)


def test_a_dataset_made_from_tables_fills_in_ids_and_report():
    shop = tiny_shop()
    assert shop.name == "shop" and shop.report.empty
    assert list(shop.user_ids) == [1, 2] and list(shop.categories) == [100, 101]
    assert repr(shop) == "Dataset('shop': 3 events, 2 users, 2 items, 2 categories)"
