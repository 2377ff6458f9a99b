"""Checkers for notebook 07 · Dynamic updates.

Each checker judges the answer to its exercise, not the learner's consistency: it replays
what the exercise asks for itself, from the split and the models of sections 3 and 5 (the
stream of days, the re-propagated models, the first day of a 100-step fine-tune), scores
every shopper-day with its own numpy code (not the notebook's helpers), accepts a figure
at the precision the notebook prints it, prints one line, ``Right: ...`` or
``Not yet: ...``, and returns whether the answer holds.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.data.constants import TARGET_BEHAVIORS
from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.exercises import close_to_printed, say
from gnnrec_utils.graph.build import normalized_adjacency
from gnnrec_utils.graph.propagation import compact_csr
from gnnrec_utils.models.multibehavior import MultiBehaviorGCN
from gnnrec_utils.scenarios import fit_steps
from gnnrec_utils.training.positives import intent_positives
from gnnrec_utils.training.trainer import TrainConfig

__all__ = [
    "ASKED_STEPS",
    "DAY",
    "DECIMALS",
    "attribute_only_users",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "check_exercise_4",
    "day_ndcg",
    "replayed_days",
]

DAY = 86_400
ASKED_STEPS = 100  # exercise 1: the long fine-tune
DEFAULT_STEPS, SHORT_STEPS = 20, 5  # the notebook's FINE_TUNE_STEPS, and the shorter run
WINDOW_DAYS = 2  # exercise 2: the days re-propagated over
DECIMALS = 4  # the notebook prints NDCG gains and standard errors to four decimals
CHUNK = 1024  # shoppers scored at once, as the kit's recommend() does


# --- shared: the replayed days, their scores, a model on another graph ---------------------


def replayed_days(split: ShopSplit) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """(every event known before the day, the day's events) for each replayed day: the
    test period of ``split`` cut at the local midnights from ``split.test_start`` on."""
    test = split.test
    day = ((test.timestamp - split.test_start) // DAY).to_numpy()
    known = pd.concat([split.train, split.valid], ignore_index=True)
    out = []
    for d in range(int(day.max()) + 1 if len(test) else 0):
        events = test[day == d].reset_index(drop=True)
        out.append((known, events))
        known = pd.concat([known, events], ignore_index=True)
    return out


def _targets(day: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """The day's fav, cart and buy (user, item) pairs with no earlier event on the pair."""
    pairs = day.loc[day.behavior.isin(TARGET_BEHAVIORS), ["user_id", "item_id"]]
    pairs = pairs.drop_duplicates()
    seen = set(zip(known.user_id.tolist(), known.item_id.tolist(), strict=True))
    fresh = [pair not in seen for pair in zip(pairs.user_id, pairs.item_id, strict=True)]
    return pairs[np.array(fresh, dtype=bool)]


def _ndcg(row, relevant: set) -> float:
    """NDCG of one list: gain 1 per relevant item, ideal DCG over min(|relevant|, k)."""
    dcg = sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(row) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(len(relevant), len(row))))
    return dcg / ideal


@torch.no_grad()
def day_ndcg(model, known: pd.DataFrame, day: pd.DataFrame, k: int = 10) -> np.ndarray:
    """NDCG@k of each shopper scored on ``day`` (a target that day and an event in
    ``known``), in ascending user id: every item ranked from the model's dot products,
    the known pairs excluded, equal scores to the lower item id."""
    targets = _targets(day, known)
    users = np.sort(targets.user_id.unique())
    users = users[np.isin(users, known.user_id.unique())]
    relevant = targets.groupby("user_id").item_id.apply(set)
    seen = known[known.user_id.isin(users)][["user_id", "item_id"]].drop_duplicates()
    row_of = pd.Series(np.arange(len(users)), index=users)
    seen_row, seen_item = np.array(row_of[seen.user_id]), seen.item_id.to_numpy()
    user_emb, item_emb = model.get_embedding()
    out = []
    for lo in range(0, len(users), CHUNK):
        chunk = users[lo : lo + CHUNK]
        scores = (user_emb[torch.as_tensor(chunk)] @ item_emb.T).double().numpy().copy()
        mine = (seen_row >= lo) & (seen_row < lo + CHUNK)
        scores[seen_row[mine] - lo, seen_item[mine]] = -np.inf
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        out += [
            _ndcg(row, relevant[u]) for u, row in zip(chunk.tolist(), top.tolist(), strict=True)
        ]
    return np.array(out)


def _on_graph(model: MultiBehaviorGCN, events: pd.DataFrame) -> MultiBehaviorGCN:
    """A copy of ``model`` (its weights copied) that propagates over the graph of
    ``events``, one normalised adjacency per behaviour; ``model`` is left as it is."""
    if not isinstance(model, MultiBehaviorGCN):
        raise TypeError(f"expected a MultiBehaviorGCN, got {type(model).__name__}")
    graphs = {id(b): b for b in model.buffers() if b.layout != torch.strided}
    twin = copy.deepcopy(model, graphs)  # the old graphs are shared, then replaced
    n_u, n_i = model.num_users, model.num_items
    for b in twin.behaviors:
        adj = normalized_adjacency(events[events.behavior == b], n_u, n_i)
        setattr(twin, f"adj_{b}", compact_csr(adj))
    return twin


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of the per-shopper differences a - b."""
    diff = a - b
    return float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(len(diff)))


def _close_pair(answer, mean: float, se: float) -> bool:
    got_mean, got_se = answer
    return close_to_printed(got_mean, mean, DECIMALS) and close_to_printed(got_se, se, DECIMALS)


def _same_scores(a, b) -> bool:
    """Whether two per-shopper arrays are the same run (all but 1 % of shoppers equal)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.mean(np.abs(a - b) < 1e-9) >= 0.99


# --- exercise 1: a longer fine-tune against the full retrain ------------------------------


def _fine_tuned_first_day(base, split: ShopSplit, config: TrainConfig, steps: int, k: int):
    """Per-shopper NDCG on the first replayed day of section 5's fine-tune with ``steps``
    steps: the base weights on the graph of every known event, ``steps`` Adam steps with
    half of each batch from the validation day's intent pairs (seed ``config.seed``)."""
    known, day = replayed_days(split)[0]
    model = _on_graph(base, known)
    n_u, n_i = model.num_users, model.num_items
    generator = torch.Generator().manual_seed(config.seed)
    recent = intent_positives(split.valid, n_u, n_i)
    fit_steps(model, intent_positives(known, n_u, n_i), steps, config, generator, recent)
    return day_ndcg(model, known, day, k)


def _steps_problem(fine_tune, per_user, base, split, config, k) -> str:
    """What is off with the per-shopper scores of the long fine-tune, or ''."""
    days = len(replayed_days(split))
    total = sum(len(per_user["full retrain", d]) for d in range(1, days + 1))
    if len(fine_tune) != total:
        return (
            f"your fine-tune has {len(fine_tune):,} per-shopper scores; the {days} replayed "
            f"days have {total:,} shopper-days, pooled day after day"
        )
    first = np.asarray(fine_tune, dtype=np.float64)[: len(per_user["full retrain", 1])]
    if _same_scores(first, _fine_tuned_first_day(base, split, config, ASKED_STEPS, k)):
        return ""
    known_runs = (
        (per_user["fine-tune", 1], f"section 5's fine-tune, {DEFAULT_STEPS} steps a day"),
        (per_user["re-propagate", 1], "re-propagation alone, no step at all"),
    )
    for scores, name in known_runs:
        if _same_scores(first, scores):
            return f"your scores are {name}; the exercise asks for {ASKED_STEPS} steps a day"
    if _same_scores(first, _fine_tuned_first_day(base, split, config, SHORT_STEPS, k)):
        return (
            f"your scores are the {SHORT_STEPS}-step fine-tune; the gap asked for is the "
            f"retrain's over the {ASKED_STEPS}-step one"
        )
    return (
        f"on the first replayed day your scores are not those of section 5's fine-tune "
        f"with {ASKED_STEPS} steps (same seeds, half of each batch from the new pairs)"
    )


def check_exercise_1(
    answer: tuple[float, float],
    fine_tune,
    per_user: dict,
    base: MultiBehaviorGCN,
    split: ShopSplit,
    config: TrainConfig,
    k: int = 10,
) -> bool:
    """Exercise 1: ``answer`` = (mean, standard error) of the full retrain's per-shopper
    NDCG@k minus the 100-step fine-tune's, over the same shopper-days, e.g.
    ``(0.0031, 0.0017)`` as the notebook prints them.

    Pass ``fine_tune``: the 100-step fine-tune's per-shopper NDCG, day after day in the
    order of section 5; ``per_user``, ``base``, ``split`` and ``config``: section 5's
    per-shopper results, the trained model of section 3, the split and the training
    recipe. The checker replays the first day of a 100-step fine-tune itself to confirm
    that ``fine_tune`` is that run, then pairs it with the full retrain of ``per_user``.
    The standard error is that of the per-shopper differences (paired), not of two means.
    """
    problem = _steps_problem(fine_tune, per_user, base, split, config, k)
    if problem:
        return say(False, problem)
    days = range(1, len(replayed_days(split)) + 1)
    retrain = np.concatenate([per_user["full retrain", d].to_numpy() for d in days])
    long = np.asarray(fine_tune, dtype=np.float64)
    mean, se = _paired(retrain, long)
    got_mean, got_se = answer
    if close_to_printed(-got_mean, mean, DECIMALS) and not close_to_printed(got_mean, mean, 4):
        return say(
            False,
            f"{got_mean:.4f} is the fine-tune minus the retrain; ask by how much "
            f"the retrain leads: {mean:.4f}",
        )
    if not close_to_printed(got_mean, mean, DECIMALS):
        return say(
            False,
            f"your gap is {got_mean:.4f}, but the mean per-shopper difference "
            f"(retrain minus the {ASKED_STEPS}-step fine-tune) over {len(long):,} "
            f"shopper-days is {mean:.4f}",
        )
    unpaired = math.sqrt(retrain.var(ddof=1) / len(retrain) + long.var(ddof=1) / len(long))
    if close_to_printed(got_se, unpaired, DECIMALS) and not close_to_printed(got_se, se, 4):
        return say(
            False,
            f"{got_se:.4f} is the standard error of two independent means; the "
            f"same shoppers are scored twice, so take the standard deviation of their "
            f"differences over the square root of their number: {se:.4f}",
        )
    if not close_to_printed(got_se, se, DECIMALS):
        return say(
            False, f"the standard error of the paired differences is {se:.4f}, not {got_se:.4f}"
        )
    return say(
        True,
        f"the full retrain leads the {ASKED_STEPS}-step fine-tune by {mean:.4f} ± {se:.4f} "
        f"({mean / se:.1f} standard errors) over {len(long):,} shopper-days",
    )


# --- exercise 2: re-propagating over the last two days only -------------------------------


def _window_problem(window: pd.DataFrame, expected: pd.DataFrame, day_start: int, d: int) -> str:
    """What is off with the window of replayed day ``d`` (starting at ``day_start``), or ''."""
    ts = window.timestamp
    if len(window) and ts.max() >= day_start:
        return (
            f"the window of replayed day {d + 1} holds {int((ts >= day_start).sum()):,} "
            f"events of that day or later: they are what it is scored on"
        )
    if len(window) and ts.min() < day_start - WINDOW_DAYS * DAY:
        return (
            f"the window of replayed day {d + 1} reaches back more than two days "
            f"({int((ts < day_start - WINDOW_DAYS * DAY).sum()):,} older events)"
        )
    columns = ["user_id", "item_id", "behavior", "timestamp"]
    mine, want = (t[columns].sort_values(columns).to_numpy() for t in (window, expected))
    if mine.shape != want.shape or not (mine == want).all():
        return (
            f"the window of replayed day {d + 1} holds {len(window):,} events; the two days "
            f"before it hold {len(expected):,}"
        )
    return ""


def _windows_problem(windows, split: ShopSplit) -> str:
    """What is off with the learner's windows, or ''."""
    days = len(replayed_days(split))
    if len(windows) != days:
        return (
            f"you have {len(windows)} windows; give one table of events per replayed day ({days})"
        )
    events = pd.concat([split.train, split.valid, split.test], ignore_index=True)
    for d, window in enumerate(windows):
        day_start = split.test_start + d * DAY
        ts = events.timestamp
        expected = events[(ts >= day_start - WINDOW_DAYS * DAY) & (ts < day_start)]
        problem = _window_problem(window, expected, day_start, d)
        if problem:
            return problem
    return ""


def check_exercise_2(
    answer: tuple[float, float], windows, base: MultiBehaviorGCN, split: ShopSplit, k: int = 10
) -> bool:
    """Exercise 2: ``answer`` = (mean, standard error) of the per-shopper NDCG@k of
    re-propagating over the two days before each replayed day minus that of
    re-propagating over every known event, paired over the shopper-days, e.g.
    ``(0.0021, 0.0019)``.

    Pass ``windows``: the events you re-propagated over, one table per replayed day
    (every event of the two local days before it, nothing else); ``base``: the trained
    model of section 3; ``split``: the split. The checker checks the windows against the
    log, then re-propagates copies of ``base`` over its own windows and over every known
    event and scores every replayed day itself, all known events excluded from the lists.
    """
    problem = _windows_problem(windows, split)
    if problem:
        return say(False, problem)
    short, full = [], []
    stream = replayed_days(split)
    for d, (known, day) in enumerate(stream):
        day_start, ts = split.test_start + d * DAY, known.timestamp
        window = known[ts >= day_start - WINDOW_DAYS * DAY]
        short.append(day_ndcg(_on_graph(base, window), known, day, k))
        full.append(day_ndcg(_on_graph(base, known), known, day, k))
    short, full = np.concatenate(short), np.concatenate(full)
    mean, se = _paired(short, full)
    if _close_pair(answer, mean, se):
        return say(
            True,
            f"two days of events score {mean:+.4f} ± {se:.4f} against every known event "
            f"({len(short):,} shopper-days; sizes of the windows: "
            f"{', '.join(f'{len(w):,}' for w in windows)})",
        )
    frozen = np.concatenate([day_ndcg(base, known, day, k) for known, day in stream])
    if _close_pair(answer, *_paired(short, frozen)):
        return say(
            False,
            "that is the gain over the frozen model; the exercise compares the two-day "
            f"window with re-propagating over every known event: {mean:+.4f} ± {se:.4f}",
        )
    if _close_pair((-answer[0], answer[1]), mean, se):
        return say(
            False, f"that is all known minus two days; two days minus all known: {mean:+.4f}"
        )
    return say(
        False,
        f"you have {answer[0]:+.4f} ± {answer[1]:.4f}; two days minus every known event, "
        f"paired over {len(short):,} shopper-days, gives {mean:+.4f} ± {se:.4f}",
    )


# --- exercise 3: retrain once, then re-propagate ------------------------------------------


def _share(hybrid, daily, frozen) -> float:
    return float((hybrid - frozen).mean() / (daily - frozen).mean())


def _close_share(answer, exact: float) -> bool:
    """Whether ``answer``, a fraction (0.53) or a percentage string ("53%"), is ``exact``
    as the notebook prints it, to a whole per cent."""
    if isinstance(answer, str):
        return close_to_printed(answer, exact, 0, percent=True)
    return close_to_printed(100 * float(answer), 100 * exact, 0)


def check_exercise_3(
    share: float, retrained: dict, base: MultiBehaviorGCN, split: ShopSplit, k: int = 10
) -> bool:
    """Exercise 3: ``share``, the part of the daily retrain's NDCG@k gain over the frozen
    model that the retrain made before day 1, re-propagated afterwards, keeps on the later
    days: (mean gain of that model over frozen) / (mean gain of the daily retrain over
    frozen), per shopper, days 2 on pooled. A fraction (``0.53``) or the printed
    percentage (``"53%"``).

    Pass ``retrained``: section 5's retrained model of each replayed day, ``{1: ..., 2:
    ..., 3: ...}``; ``base``: the trained model of section 3 (the frozen one); ``split``:
    the split. The checker re-propagates ``retrained[1]`` over every event known before
    each later day and scores all three strategies itself.
    """
    stream = replayed_days(split)
    if sorted(retrained) != list(range(1, len(stream) + 1)):
        return say(
            False, f"pass section 5's retrained models by day, 1 to {len(stream)}: `retrained`"
        )

    def scores(model_on) -> np.ndarray:
        """Per-shopper NDCG on days 2 on of ``model_on(day number, known events)``."""
        days = enumerate(stream[1:], start=2)
        return np.concatenate(
            [day_ndcg(model_on(d, known), known, day, k) for d, (known, day) in days]
        )

    hybrid = scores(lambda d, known: _on_graph(retrained[1], known))
    daily = scores(lambda d, known: retrained[d])
    frozen = scores(lambda d, known: base)
    expected = _share(hybrid, daily, frozen)
    if _close_share(share, expected):
        return say(
            True,
            f"the day-1 retrain, re-propagated, keeps {expected:.0%} of the daily "
            f"retrain's gain over the frozen model ({len(hybrid):,} shopper-days)",
        )
    others = (  # what a neighbouring answer holds, computed when it is needed
        (
            lambda: hybrid.mean() / daily.mean(),
            "the ratio of the two NDCGs; the share of the gain divides the gains over the "
            "frozen model",
        ),
        (
            lambda: _share(scores(lambda d, known: _on_graph(base, known)), daily, frozen),
            "the share that daily re-propagation of the base model keeps; the exercise "
            "re-propagates retrained[1]",
        ),
        (
            lambda: _share(scores(lambda d, known: retrained[1]), daily, frozen),
            "the share of retrained[1] on its own graph; re-propagate it over every event "
            "known before each day",
        ),
    )
    for value_of, why in others:
        value = value_of()
        if _close_share(share, value):
            return say(False, f"{value:.0%} is {why}: {expected:.0%}")
    if not isinstance(share, str) and _close_share(float(share) / 100, expected):
        return say(False, f'give the share as a fraction, {expected:.2f}, or as "{expected:.0%}"')
    return say(
        False,
        f"your share is {share}; the gains over the frozen model on days 2 on give"
        f" {(hybrid - frozen).mean():.4f} / {(daily - frozen).mean():.4f} = {expected:.0%}",
    )


# --- exercise 4: zero ID vectors for shoppers absent from training ------------------------


@torch.no_grad()
def attribute_only_users(model: MultiBehaviorGCN, trained_users) -> torch.Tensor:
    """``model``'s user vectors with the ID vector of every user not in ``trained_users``
    left out (attributes only at layer 0), the graph and every other weight as they are."""
    ids = model.user_encoder.ids.weight.clone()
    ids[~np.isin(np.arange(model.num_users), np.asarray(trained_users))] = 0
    x = torch.cat(
        [
            ids + model.user_encoder.attributes(model.user_codes),
            model.item_encoder(model.item_codes),
        ]
    )
    weights = torch.softmax(model.behavior_logits, -1).expand(model.num_layers, -1)
    adjs = [getattr(model, f"adj_{b}") for b in model.behaviors]
    out, layer = x, x
    for depth in range(model.num_layers):
        layer = sum(w * (adj @ layer) for w, adj in zip(weights[depth], adjs, strict=True))
        out = out + layer
    return (out / (model.num_layers + 1))[: model.num_users]


def check_exercise_4(user_emb: torch.Tensor, model: MultiBehaviorGCN, trained_users) -> bool:
    """Exercise 4: ``user_emb`` = the user vectors of ``model`` (the frozen one) once the ID
    vectors of the users absent from training are zero; ``trained_users`` lists the users
    with a training event. Only those absent shoppers' vectors may change.
    """
    with torch.no_grad():
        want, before = attribute_only_users(model, trained_users), model.get_embedding()[0]
    got = torch.as_tensor(user_emb).detach()
    if got.shape != want.shape:
        return say(
            False,
            f"expected the vectors of all {want.shape[0]:,} users, shape "
            f"{tuple(want.shape)}; got {tuple(got.shape)}",
        )
    late = ~np.isin(np.arange(model.num_users), np.asarray(trained_users))
    same = torch.isclose(got, want, atol=1e-6).all(1).numpy()
    if not same[~late].all():
        return say(
            False,
            f"{int((~same[~late]).sum()):,} shoppers who were in training have "
            f"other vectors now: zero only the ID vectors of those absent from it",
        )
    if same[late].all():
        return say(
            True,
            f"the {int(late.sum()):,} shoppers absent from training now have "
            f"attribute-only vectors; everyone else's are unchanged",
        )
    if torch.isclose(got[late], before[late], atol=1e-6).all():
        return say(
            False,
            "the shoppers absent from training still have their untrained ID "
            "vectors: set those rows of user_encoder.ids.weight to zero",
        )
    if (got[late] == 0).all():
        return say(
            False,
            "their whole vectors are zero, attributes included: zero only "
            "their ID vectors (user_encoder.ids.weight), then propagate",
        )
    return say(
        False,
        f"{int((~same[late]).sum()):,} of the {int(late.sum()):,} shoppers "
        f"absent from training do not have their attribute-only vectors",
    )
