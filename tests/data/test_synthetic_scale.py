"""The streamed, Taobao-scale generator: files the loaders read, sorted, seeded, in shape."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gnnrec_utils import synthetic
from gnnrec_utils.data import BEHAVIORS, EVENT_COLUMNS, load_items, load_users
from gnnrec_utils.datasets import TAOBAO_WINDOW, load_taobao_userbehavior
from gnnrec_utils.synthetic import (
    STREAMED_SIZES,
    TAOBAO_SHARES,
    build_catalogue,
    generate_shop,
    peak_bytes,
    propose_in_category,
    related_categories,
    related_lists,
    taobao_config,
    write_taobao,
)

# taobao_1m's catalogue shape (94 categories, ~440 items each), fewer users and items
SMALL = dataclasses.replace(taobao_config(0.01), num_users=600, num_items=8_000)
BLOCK = 160  # four blocks, the last one short


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("taobao_small")
    return folder, write_taobao(folder, SMALL, seed=0, block_users=BLOCK)


@pytest.fixture(scope="module")
def raw(written):
    """The events file as written, original ids."""
    return pd.read_csv(written[0] / "UserBehavior.csv", header=None, names=list(EVENT_COLUMNS))


def test_the_presets_have_the_real_logs_counts_and_one_tenth_and_one_hundredth():
    full, tenth, hundredth = (STREAMED_SIZES[k] for k in ("taobao", "taobao_10m", "taobao_1m"))
    assert (full.num_users, full.num_items) == (987_994, 4_162_024)
    assert (tenth.num_users, tenth.num_items) == (98_799, 416_202)
    assert (hundredth.num_users, hundredth.num_items) == (9_880, 41_620)
    for cfg, categories in ((full, 9_400), (tenth, 940), (hundredth, 94)):
        assert cfg.num_departments * cfg.categories_per_department == categories
        assert 95 < synthetic.events_per_user(cfg) < 105  # the real log: 101.4
    with pytest.raises(ValueError, match="write_taobao"):
        generate_shop("taobao_1m")


def test_the_loaders_read_the_files(written, raw):
    folder, done = written
    users, items = load_users(folder / "users.csv"), load_items(folder / "items.csv")
    assert users.user_id.tolist() == list(range(SMALL.num_users))
    assert items.item_id.tolist() == list(range(SMALL.num_items))
    assert len(raw) == done["events"] == sum(done[b] for b in BEHAVIORS)
    data = load_taobao_userbehavior(folder, window=TAOBAO_WINDOW, verbose=False)
    repeated = int(raw.duplicated().sum())  # rare same-second repeats, dropped by the loader
    assert len(data.events) == len(raw) - repeated and repeated < 1e-3 * len(raw)
    assert set(data.users.orig_user_id) == set(users.user_id)  # everyone shows up
    assert set(data.items.orig_item_id) <= set(items.item_id)
    assert set(data.events.behavior.unique()) == set(BEHAVIORS)


def test_events_are_sorted_by_user_then_time_across_blocks(raw):
    key = raw.user_id.to_numpy() * 10**10 + raw.timestamp.to_numpy()
    assert (np.diff(key) >= 0).all()
    assert raw.timestamp.between(*TAOBAO_WINDOW, inclusive="left").all()


def test_each_event_names_its_items_category(written, raw):
    items = load_items(written[0] / "items.csv")
    assert (raw.category_id.to_numpy() == items.category_id.to_numpy()[raw.item_id]).all()


def test_behaviour_shares_are_taobaos(raw):
    shares = raw.behavior.value_counts(normalize=True)
    for behavior, reference in TAOBAO_SHARES.items():
        assert abs(shares[behavior] - reference) < 0.006, behavior


def test_same_seed_same_bytes_other_seed_other_events(written, tmp_path):
    folder, _ = written
    write_taobao(tmp_path / "again", SMALL, seed=0, block_users=BLOCK)
    for name in ("users.csv", "items.csv", "UserBehavior.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (folder / name).read_bytes(), name
    other = dataclasses.replace(SMALL, num_users=100)
    write_taobao(tmp_path / "other", other, seed=1, block_users=BLOCK)
    head = (folder / "UserBehavior.csv").read_bytes()[:5_000]
    assert (tmp_path / "other" / "UserBehavior.csv").read_bytes()[:5_000] != head


def test_too_little_memory_is_refused_before_anything_is_written(tmp_path):
    need = peak_bytes(STREAMED_SIZES["taobao"], 20_000)
    assert need > 2**30  # the catalogue alone is over a GiB
    with pytest.raises(MemoryError) as caught:
        write_taobao(tmp_path / "out", "taobao", max_bytes=2**29)
    assert f"{need / 2**30:.2f} GiB" in str(caught.value)
    assert "0.50 GiB is available" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_related_lists_are_the_dense_related_categories():
    cfg = dataclasses.replace(taobao_config(0.01), num_departments=5, categories_per_department=4)
    dense = related_categories(cfg, np.random.default_rng(3))
    ptr, idx = related_lists(cfg, np.random.default_rng(3), np.ones(20, dtype=bool))
    for c in range(20):
        assert idx[ptr[c] : ptr[c + 1]].tolist() == np.flatnonzero(dense[c]).tolist()
    stocked = np.arange(20) % 3 > 0
    ptr, idx = related_lists(cfg, np.random.default_rng(3), stocked)
    assert stocked[idx].all()


def test_proposals_follow_exp_appeal_within_the_category():
    cfg = dataclasses.replace(SMALL, num_items=2_000)
    catalogue, items = build_catalogue(cfg, np.random.default_rng(0))
    c = int(np.argmax(np.diff(catalogue.start) > 20))  # a category of a few dozen items
    lo, hi = catalogue.start[c], catalogue.start[c + 1]
    pos = propose_in_category(catalogue, np.full(2_000, c), 100, np.random.default_rng(1))
    assert ((pos >= lo) & (pos < hi)).all()
    # reference: exp(appeal) share of each item, from the catalogue's cumulative shares
    want = np.diff(np.r_[0.0, catalogue.mass[lo:hi]])
    got = np.bincount(pos.ravel() - lo, minlength=hi - lo) / pos.size
    assert np.abs(got - want).max() < 4 * np.sqrt(want.max() / pos.size)
    assert (items.category_id.to_numpy()[catalogue.item_id[lo:hi]] == c).all()


def test_the_command_line_streams_the_taobao_presets(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(STREAMED_SIZES, "taobao_1m", dataclasses.replace(SMALL, num_users=100))
    synthetic.main(["--size", "taobao_1m", "--out", str(tmp_path), "--block-users", "40"])
    assert "100 users" in capsys.readouterr().out
    assert len(load_users(tmp_path / "users.csv")) == 100
    assert (tmp_path / "UserBehavior.csv").stat().st_size > 0
