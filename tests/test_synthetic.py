"""The generator: deterministic, in schema, and shaped like a shop log."""

import numpy as np
import pandas as pd
import pytest

from gnnrec_utils import stats
from gnnrec_utils.data import BEHAVIORS, EVENT_COLUMNS
from gnnrec_utils.synthetic import DAY, NUM_DAYS, START_TIMESTAMP, generate_shop


@pytest.fixture(scope="module")
def tiny():
    return generate_shop("tiny", seed=0)


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
