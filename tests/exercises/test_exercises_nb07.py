"""The checkers of notebook 07's exercises accept a right answer as a learner types it (at
the four decimals the notebook prints) and reject the unchanged default and the
neighbouring variant. The replay here is the notebook's, written with the kit's functions
(refresh_graph, fit_steps, recommend, per_user_recall_ndcg) on the tiny shop; the
checkers replay with their own code. The long fine-tune of exercise 1 is shortened (a few
steps stand for 100) so that a test takes a second or two."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.data import BEHAVIORS, DAY, temporal_split
from gnnrec_utils.data.split import new_intent_pairs
from gnnrec_utils.evaluation import metrics, warm_target_users
from gnnrec_utils.exercises import nb07
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import MultiBehaviorGCN, item_attribute_codes, user_attribute_codes
from gnnrec_utils.scenarios import cut_days, fit_steps, refresh_graph
from gnnrec_utils.training import TrainConfig, intent_positives

CONFIG = TrainConfig(lr=0.01, batch_size=64, seed=0)
ASKED, DEFAULT, SHORT = 4, 2, 1  # steps standing for 100, FINE_TUNE_STEPS = 20, and 5


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Torch on one thread here: on a busy two-core machine the second thread of each small
    sparse product mostly waits, and these replays make thousands of them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def said(capsys) -> str:
    return capsys.readouterr().out


class Replay:
    """The tiny shop replayed as notebook 07 does: split, base model, days, scores."""

    def __init__(self, shop):
        self.shop = shop
        self.split = split = temporal_split(shop, valid_days=1, test_days=3)
        self.n_u, self.n_i = split.num_users, split.num_items
        self.codes = user_attribute_codes(shop.users), item_attribute_codes(shop.items)
        self.days = cut_days(shop.events, split.test_start)
        self.base = self.make_model(split.train, seed=0)
        fit_steps(self.base, self.positives(split.train), 5, CONFIG, torch.Generator())
        self.before, known = [], pd.concat([split.train, split.valid], ignore_index=True)
        for day in self.days:
            targets = new_intent_pairs(day, known)
            self.before.append((known, targets, warm_target_users(targets, known)))
            known = pd.concat([known, day], ignore_index=True)

    def positives(self, events):
        return intent_positives(events, self.n_u, self.n_i)

    def make_model(self, events, seed=None):
        if seed is not None:
            torch.manual_seed(seed)
        (uc, u_cards), (ic, i_cards) = self.codes
        adjs = {
            b: normalized_adjacency(events[events.behavior == b], self.n_u, self.n_i)
            for b in BEHAVIORS
        }
        return MultiBehaviorGCN(adjs, uc, ic, u_cards, i_cards, embedding_dim=8)

    def clone(self, model, events):
        twin = self.make_model(events)
        twin.load_state_dict(model.state_dict())
        return twin

    def day_ndcg(self, model, d):
        known, targets, users = self.before[d]
        top = model.recommend(users, 10, exclude=known)
        return pd.Series(metrics.per_user_recall_ndcg(top, users, targets)[1], index=users)

    def fine_tune(self, steps):
        """Section 5's daily fine-tune with ``steps`` steps: per-shopper NDCG by day."""
        model, scores = self.clone(self.base, self.split.train), []
        for d in range(len(self.days)):
            known, new = self.before[d][0], self.split.valid if d == 0 else self.days[d - 1]
            refresh_graph(model, known)
            generator = torch.Generator().manual_seed(CONFIG.seed + d)
            recent = self.positives(new)
            fit_steps(model, self.positives(known), steps, CONFIG, generator, recent)
            scores.append(self.day_ndcg(model, d))
        return scores


@pytest.fixture(scope="module")
def replay(tiny_shop):
    return Replay(tiny_shop)


@pytest.fixture(scope="module")
def retrained(replay):
    """A retrained model for each replayed day, on every event known before it."""
    out = {}
    for d in range(len(replay.days)):
        known = replay.before[d][0]
        model = replay.make_model(known, seed=10 + d)
        fit_steps(model, replay.positives(known), 8, CONFIG, torch.Generator().manual_seed(d))
        out[d + 1] = model
    return out


@pytest.fixture(scope="module")
def per_user(replay, retrained):
    """Section 5's per-shopper results of the strategies the checkers read."""
    out = {}
    runs = {"fine-tune": replay.fine_tune(DEFAULT), "re-propagate": replay.fine_tune(0)}
    for d in range(len(replay.days)):
        out["full retrain", d + 1] = replay.day_ndcg(retrained[d + 1], d)
        for name, scores in runs.items():
            out[name, d + 1] = scores[d]
    return out


def pooled(runs) -> np.ndarray:
    return np.concatenate([s.to_numpy() for s in runs])


def paired(a, b) -> tuple[float, float]:
    diff = np.asarray(a) - np.asarray(b)
    return diff.mean(), diff.std(ddof=1) / math.sqrt(len(diff))


def printed(pair) -> tuple[float, float]:
    return round(pair[0], 4), round(pair[1], 4)


def test_day_ndcg_matches_the_notebooks_scoring(replay):
    for d, (known, day) in enumerate(nb07.replayed_days(replay.split)):
        ours = nb07.day_ndcg(replay.base, known, day)
        np.testing.assert_array_equal(ours, replay.day_ndcg(replay.base, d).to_numpy())


# --- exercise 1: a longer fine-tune against the full retrain ------------------------------


@pytest.fixture
def shortened(monkeypatch):
    """The checker's step counts, shortened as the replays here are."""
    for name, value in (("ASKED_STEPS", ASKED), ("DEFAULT_STEPS", DEFAULT), ("SHORT_STEPS", SHORT)):
        monkeypatch.setattr(nb07, name, value)


@pytest.fixture(scope="module")
def long_run(replay):
    return pooled(replay.fine_tune(ASKED))


def check_1(answer, fine_tune, replay, per_user):
    return nb07.check_exercise_1(answer, fine_tune, per_user, replay.base, replay.split, CONFIG)


def test_exercise_1_accepts_the_printed_gap(shortened, replay, per_user, long_run, capsys):
    retrain = pooled(per_user["full retrain", d] for d in (1, 2, 3))
    assert check_1(printed(paired(retrain, long_run)), long_run, replay, per_user)
    assert said(capsys).startswith("Right: the full retrain leads the 4-step fine-tune")


def test_exercise_1_rejects_the_unchanged_fine_tune(shortened, replay, per_user, capsys):
    default = pooled(per_user["fine-tune", d] for d in (1, 2, 3))
    retrain = pooled(per_user["full retrain", d] for d in (1, 2, 3))
    assert not check_1(printed(paired(retrain, default)), default, replay, per_user)
    assert "section 5's fine-tune, 2 steps a day" in said(capsys)


def test_exercise_1_rejects_the_shorter_fine_tune(shortened, replay, per_user, capsys):
    short = pooled(replay.fine_tune(SHORT))
    retrain = pooled(per_user["full retrain", d] for d in (1, 2, 3))
    assert not check_1(printed(paired(retrain, short)), short, replay, per_user)
    assert "your scores are the 1-step fine-tune" in said(capsys)


def test_exercise_1_rejects_an_unpaired_standard_error_and_the_gap_reversed(
    shortened, replay, per_user, long_run, capsys
):
    retrain = pooled(per_user["full retrain", d] for d in (1, 2, 3))
    mean, se = paired(retrain, long_run)
    unpaired = math.sqrt(retrain.var(ddof=1) / len(retrain) + long_run.var(ddof=1) / len(long_run))
    assert round(unpaired, 4) != round(se, 4)
    assert not check_1((mean, unpaired), long_run, replay, per_user)
    assert "independent means" in said(capsys)
    assert not check_1((-mean, se), long_run, replay, per_user)
    assert "is the fine-tune minus the retrain" in said(capsys)


# --- exercise 2: re-propagating over the last two days only -------------------------------


def windows_of(replay, days_back=2, shift=0):
    ts, out = replay.shop.events.timestamp, []
    for d in range(len(replay.days)):
        end = replay.split.test_start + d * DAY + shift
        out.append(replay.shop.events[(ts >= end - days_back * DAY) & (ts < end)])
    return out


@pytest.fixture(scope="module")
def short_memory(replay, per_user):
    """The two-day windows, and their per-shopper NDCG as the notebook's solution has it."""
    windows, model, scores = windows_of(replay), replay.clone(replay.base, replay.split.train), []
    for d, window in enumerate(windows):
        refresh_graph(model, window)
        scores.append(replay.day_ndcg(model, d))
    return windows, pooled(scores)


def test_exercise_2_accepts_the_printed_paired_difference(replay, per_user, short_memory, capsys):
    windows, short = short_memory
    answer = printed(paired(short, pooled(per_user["re-propagate", d] for d in (1, 2, 3))))
    assert nb07.check_exercise_2(answer, windows, replay.base, replay.split)
    assert said(capsys).startswith("Right: two days of events score ")


def test_exercise_2_rejects_every_known_event(replay, capsys):
    known = [before[0] for before in replay.before]  # the unchanged re-propagation
    assert not nb07.check_exercise_2((0.0, 0.0), known, replay.base, replay.split)
    assert "reaches back more than two days" in said(capsys)


def test_exercise_2_rejects_one_day_and_windows_that_hold_their_day(replay, capsys):
    assert not nb07.check_exercise_2((0.0, 0.0), windows_of(replay, 1), replay.base, replay.split)
    assert "the two days before it hold" in said(capsys)
    late = windows_of(replay, shift=DAY // 2)
    assert not nb07.check_exercise_2((0.0, 0.0), late, replay.base, replay.split)
    assert "events of that day or later" in said(capsys)


def test_exercise_2_rejects_the_gain_over_the_frozen_model(replay, short_memory, capsys):
    windows, short = short_memory
    frozen = pooled(replay.day_ndcg(replay.base, d) for d in range(3))
    answer = printed(paired(short, frozen))
    assert not nb07.check_exercise_2(answer, windows, replay.base, replay.split)
    assert "that is the gain over the frozen model" in said(capsys)


# --- exercise 3: retrain once, then re-propagate ------------------------------------------


@pytest.fixture(scope="module")
def shares(replay, retrained, per_user):
    """The share asked for, and those of the neighbouring variants, as the notebook has it."""
    later = (2, 3)
    frozen = pooled(replay.day_ndcg(replay.base, d - 1) for d in later)
    daily = pooled(per_user["full retrain", d] for d in later)
    share = lambda scores: (scores - frozen).mean() / (daily - frozen).mean()  # noqa: E731
    hybrid = pooled(
        replay.day_ndcg(replay.clone(retrained[1], replay.before[d - 1][0]), d - 1) for d in later
    )
    return {
        "asked": share(hybrid),
        "re-propagate": share(pooled(per_user["re-propagate", d] for d in later)),
        "stale": share(pooled(replay.day_ndcg(retrained[1], d - 1) for d in later)),
        "ratio": hybrid.mean() / daily.mean(),
    }


def test_exercise_3_accepts_the_share_as_printed(replay, retrained, shares, capsys):
    share = shares["asked"]
    assert nb07.check_exercise_3(share, retrained, replay.base, replay.split)
    assert said(capsys).startswith("Right: the day-1 retrain, re-propagated, keeps")
    assert nb07.check_exercise_3(f"{share:.0%}", retrained, replay.base, replay.split)
    assert nb07.check_exercise_3(round(share, 2), retrained, replay.base, replay.split)


def test_exercise_3_rejects_daily_re_propagation_of_the_base_model(
    replay, retrained, shares, capsys
):
    assert round(100 * shares["re-propagate"]) != round(100 * shares["asked"])
    assert not nb07.check_exercise_3(shares["re-propagate"], retrained, replay.base, replay.split)
    assert "daily re-propagation of the base model" in said(capsys)


def test_exercise_3_rejects_the_retrain_left_on_its_graph(replay, retrained, shares, capsys):
    assert round(100 * shares["stale"]) != round(100 * shares["asked"])
    assert not nb07.check_exercise_3(shares["stale"], retrained, replay.base, replay.split)
    assert "on its own graph" in said(capsys)


def test_exercise_3_rejects_a_ratio_of_ndcgs_and_a_bare_percentage(
    replay, retrained, shares, capsys
):
    assert not nb07.check_exercise_3(shares["ratio"], retrained, replay.base, replay.split)
    assert "the ratio of the two NDCGs" in said(capsys)
    percentage = round(100 * shares["asked"])
    assert not nb07.check_exercise_3(percentage, retrained, replay.base, replay.split)
    assert "give the share as a fraction" in said(capsys)


# --- exercise 4 --------------------------------------------------------------------------


@pytest.fixture
def frozen_model() -> MultiBehaviorGCN:
    """Users 0-2 on items 0-1; users 3 and 4 have no training event."""
    events = pd.DataFrame(
        {
            "user_id": [0, 0, 1, 2, 2],
            "item_id": [0, 1, 1, 0, 1],
            "behavior": ["pv", "buy", "pv", "fav", "pv"],
        }
    )
    adjs = {b: normalized_adjacency(events[events.behavior == b], 5, 2) for b in BEHAVIORS}
    torch.manual_seed(0)
    user_codes, item_codes = torch.tensor([[0], [1], [0], [1], [1]]), torch.tensor([[0], [1]])
    return MultiBehaviorGCN(adjs, user_codes, item_codes, [2], [2], embedding_dim=4)


def zeroed_copy(model: MultiBehaviorGCN, rows: list[int]) -> torch.Tensor:
    twin = MultiBehaviorGCN(
        {b: getattr(model, f"adj_{b}") for b in model.behaviors},
        model.user_codes,
        model.item_codes,
        [2],
        [2],
        embedding_dim=4,
    )
    twin.load_state_dict(model.state_dict())
    with torch.no_grad():
        twin.user_encoder.ids.weight[rows] = 0
        return twin.get_embedding()[0]


def test_exercise_4_accepts_zeroed_id_vectors(frozen_model, capsys):
    assert nb07.check_exercise_4(zeroed_copy(frozen_model, [3, 4]), frozen_model, [0, 1, 2])
    assert capsys.readouterr().out.startswith("Right: ")


def test_exercise_4_agrees_with_the_models_own_cold_start_route(frozen_model):
    known = torch.tensor([True, True, True, False, False])
    with torch.no_grad():
        want = frozen_model.embed(known_users=known)[0]
    assert torch.allclose(nb07.attribute_only_users(frozen_model, [0, 1, 2]), want, atol=1e-6)


def test_exercise_4_rejects_zeroing_trained_shoppers(frozen_model, capsys):
    assert not nb07.check_exercise_4(zeroed_copy(frozen_model, [0, 3, 4]), frozen_model, [0, 1, 2])
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "were in training" in out


def test_exercise_4_rejects_the_untouched_model(frozen_model, capsys):
    with torch.no_grad():
        untouched = frozen_model.get_embedding()[0]
    assert not nb07.check_exercise_4(untouched, frozen_model, [0, 1, 2])
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "untrained ID" in out


def test_exercise_4_rejects_whole_vectors_set_to_zero(frozen_model, capsys):
    with torch.no_grad():
        emb = frozen_model.get_embedding()[0].clone()
    emb[[3, 4]] = 0
    assert not nb07.check_exercise_4(emb, frozen_model, [0, 1, 2])
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "attributes included" in out
