"""The generator: deterministic, in schema, and shaped like a shop log."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gnnrec_utils.data import BEHAVIORS, DAY, EVENT_COLUMNS, stats
from gnnrec_utils.synthetic import (
    NUM_DAYS,
    SIZES,
    START_TIMESTAMP,
    TAOBAO_SHARES,
    funnel_events,
    generate_shop,
)


@pytest.fixture(scope="module")
def tiny(tiny_shop):
    return tiny_shop


def test_same_seed_same_shop_other_seed_other_shop(tiny):
    again = generate_shop("tiny", seed=0)
    pd.testing.assert_frame_equal(tiny.events, again.events)
    pd.testing.assert_frame_equal(tiny.items, again.items)
    other = generate_shop("tiny", seed=1)
    assert not tiny.events.equals(other.events)


def test_events_follow_the_userbehavior_schema(tiny):
    ev = tiny.events
    assert tuple(ev.columns) == EVENT_COLUMNS
    assert set(ev.behavior.unique()) == set(BEHAVIORS)
    assert ev.user_id.between(0, tiny.num_users - 1).all()
    assert ev.item_id.between(0, tiny.num_items - 1).all()
    assert (ev.category_id.to_numpy() == tiny.items.category_id.to_numpy()[ev.item_id]).all()
    assert ev.timestamp.between(START_TIMESTAMP, START_TIMESTAMP + NUM_DAYS * DAY - 1).all()
    key = ev.user_id.to_numpy() * 10**10 + ev.timestamp.to_numpy()
    assert (np.diff(key) >= 0).all(), "rows are sorted by user, then time"


def test_every_buy_follows_a_view_of_the_same_item(tiny):
    assert stats.preceded_share(tiny.events, "buy", "pv") == 1.0


def test_late_users_and_late_items_exist(tiny):
    user_day = stats.first_seen_day(tiny.events, "user_id", START_TIMESTAMP)
    item_day = stats.first_seen_day(tiny.events, "item_id", START_TIMESTAMP)
    assert (user_day >= NUM_DAYS - 2).sum() > 0
    assert (item_day >= 1).sum() > 0


def test_items_are_never_seen_before_launch_day_zero_or_later(tiny):
    # every item's first event lies inside the window, none before the log starts
    first = tiny.events.groupby("item_id").timestamp.min()
    assert (first >= START_TIMESTAMP).all()


def funnel_on(cfg, n=200_000, seed=0):
    """The funnel on ``n`` first views spread over the window, with standard-normal tastes."""
    rng = np.random.default_rng(seed)
    views = pd.DataFrame({"timestamp": START_TIMESTAMP + rng.integers(0, NUM_DAYS * DAY, n)})
    z = rng.normal(size=n)
    return views, z, funnel_events(cfg, views, z, np.ones(n, dtype=bool), rng)


@pytest.mark.parametrize("slope", [0.0, 1.0])
def test_fav_taste_sets_how_much_taste_favourites_follow(slope):
    views, z, follow = funnel_on(dataclasses.replace(SIZES["tiny"], fav_taste=slope))
    faved = np.zeros(len(z), dtype=bool)
    faved[follow.view[follow.behavior == "fav"]] = True
    gap = z[faved].mean() - z[~faved].mean()
    se = z.std() * np.sqrt(1 / faved.sum() + 1 / (~faved).sum())
    if slope == 0:
        assert abs(gap) < 4 * se, "favourites should ignore taste"
    else:
        assert gap > 0.5, "favourites should follow taste"


def late_buys_of_favourites(follow: pd.DataFrame) -> pd.DataFrame:
    """Purchases made 10 minutes or more after a favourite of the same view."""
    buys = follow[follow.behavior == "buy"]
    favs = follow[follow.behavior == "fav"]
    late = buys.merge(favs, on="view", suffixes=("", "_fav"))
    return late[late.timestamp - late.timestamp_fav >= 600]


def test_fav_buy_share_brings_shoppers_back_to_their_favourites_later():
    views, _, follow = funnel_on(dataclasses.replace(SIZES["tiny"], fav_buy_share=0.3))
    want = len(views) * TAOBAO_SHARES["buy"] / TAOBAO_SHARES["pv"]
    buys = follow[follow.behavior == "buy"]
    assert abs(len(buys) - want) < 0.05 * want, "direct purchases make up the count"
    late = late_buys_of_favourites(follow)
    assert (late.timestamp <= START_TIMESTAMP + NUM_DAYS * DAY - 1).all()
    # without the knob, the only late purchases of a faved view come from its cart
    without = dataclasses.replace(SIZES["tiny"], fav_buy_share=0.0)
    baseline = late_buys_of_favourites(funnel_on(without)[2])
    extra = (len(late) - len(baseline)) / want
    # 0.3 asked, less the ones that would fall after the window (about a fifth)
    assert 0.2 < extra < 0.3, extra
