"""Checkers for notebook 02 · Encoders.

- Exercise 1: the wrapper must carry the model trained 200 steps more (its losses hold
  at least 200 steps, and the wrapper's vectors score the training pairs with the BPR loss
  those steps ended at); its validation NDCG@10 is then recomputed with a ranking written
  out in numpy (:func:`gnnrec_utils.exercises.nb03.dense_per_user_ndcg`), not the kit's
  evaluator.
- Exercise 2: the parameters concatenation adds, by formula (the MLP's two linear layers),
  not by building the kit's ``NodeEncoder``.
- Exercise 3: five bands of log price cut at its quintiles, written out with a sort and
  linear interpolation, not with the kit's ``price_bands``.

Each prints one line, ``Right: ...`` or ``Not yet: ...``, and returns whether the answer
holds.
"""

from __future__ import annotations

import numpy as np
import torch

from gnnrec_utils.exercises import close_to_printed
from gnnrec_utils.exercises import say as _say
from gnnrec_utils.exercises.nb03 import dense_per_user_ndcg
from gnnrec_utils.models.base import Recommender

__all__ = [
    "ASKED_BANDS",
    "ASKED_STEPS",
    "check_exercise_1",
    "check_exercise_2",
    "check_exercise_3",
    "concat_extra_parameters",
    "quantile_bands",
    "training_pair_loss",
]

ASKED_STEPS = 200  # exercise 1: BPR steps beyond section 3's
LOSS_TOLERANCE = 0.05  # BPR loss of the vectors against the last training steps' losses
ASKED_BANDS = 5  # exercise 3


# --- exercise 1: the wrapped GCN, trained -----------------------------------------------------


@torch.no_grad()
def training_pair_loss(user_emb, item_emb, train, seed: int = 0) -> float:
    """Mean BPR loss, softplus(negative − positive score), over every distinct training
    (user, item) pair, each against one item drawn uniformly with ``seed``."""
    pairs = train[["user_id", "item_id"]].drop_duplicates()
    users = torch.tensor(pairs.user_id.to_numpy())
    pos = torch.tensor(pairs.item_id.to_numpy())
    generator = torch.Generator().manual_seed(seed)
    neg = torch.randint(len(item_emb), (len(pairs),), generator=generator)
    u = user_emb[users]
    gap = (u * item_emb[neg]).sum(-1) - (u * item_emb[pos]).sum(-1)
    return float(torch.nn.functional.softplus(gap.double()).mean())


def _wrapper_off(wrapped, losses, split) -> str:
    """``""`` when ``wrapped`` is a Recommender with trained vectors; else what is off."""
    if not isinstance(wrapped, Recommender):
        return f"{type(wrapped).__name__} is not a subclass of gnnrec_utils.models.Recommender"
    with torch.no_grad():
        embedding = wrapped.get_embedding()
    shapes = [tuple(e.shape) for e in embedding]
    if len(shapes) != 2 or shapes[0][0] != split.num_users or shapes[1][0] != split.num_items:
        return (
            f"get_embedding() returns shapes {shapes}; it must return (user_emb, item_emb), "
            f"users first: ({split.num_users}, d) and ({split.num_items}, d)"
        )
    if len(losses) < ASKED_STEPS:
        return (
            f"your losses hold {len(losses)} steps; train for {ASKED_STEPS} more "
            f"(losses += [bpr_step() for _ in range({ASKED_STEPS})])"
        )
    loss = training_pair_loss(*embedding, split.train)
    last = float(np.mean(losses[-10:]))
    if abs(loss - last) > LOSS_TOLERANCE:
        return (
            f"the wrapper's vectors score the training pairs with a BPR loss of {loss:.3f}, "
            f"but your last training steps ended near {last:.3f}: wrap the model you trained, "
            "in eval mode, after training it"
        )
    return ""


def check_exercise_1(ndcg, wrapped, losses, split, k: int = 10) -> bool:
    """Exercise 1: the wrapped ``GCNRecommender``, trained 200 steps more, and its
    validation NDCG@10 (``ndcg``: what ``evaluate(wrapped, split, "valid")`` returns, or
    its ``"ndcg@10"``, as printed to four decimals or more).

    Pass the figure, the wrapper, the list of training losses (``losses``, section 3's
    steps and yours) and ``split``. The checker asks for a ``Recommender`` whose
    ``get_embedding()`` gives (user_emb, item_emb), at least 200 training steps, and
    vectors whose BPR loss on the training pairs is the one the last steps reached (so the
    wrapper holds the trained model); it then ranks every item for the validation day's
    warm shoppers itself.
    """
    off = _wrapper_off(wrapped, losses, split)
    if off:
        return _say(False, off)
    if isinstance(ndcg, dict):
        ndcg = ndcg[f"ndcg@{k}"]
    want = dense_per_user_ndcg(wrapped, split, "valid", k)[1].mean()
    if close_to_printed(ndcg, want, 4):
        return _say(
            True,
            f"the wrapper ranks with the trained vectors: validation NDCG@{k} {want:.4f} "
            f"after {len(losses)} steps.",
        )
    test = dense_per_user_ndcg(wrapped, split, "test", k)[1].mean()
    hint = " That is the test day; evaluate on 'valid'." if close_to_printed(ndcg, test, 4) else ""
    return _say(
        False,
        f"you report NDCG@{k} {float(ndcg):.4f}, but the wrapper's validation NDCG@{k} is "
        f"{want:.4f}.{hint}",
    )


# --- exercise 2: what concatenation costs -----------------------------------------------------


def concat_extra_parameters(dim: int) -> int:
    """Parameters of the MLP that maps the concatenated [id, attributes] (2·dim wide)
    back to ``dim``: Linear(2·dim, dim) then Linear(dim, dim), weights and biases. The
    tables are the same under "sum" and "concat", so this is all that concatenation adds,
    whatever the node count and attributes."""
    return (2 * dim * dim + dim) + (dim * dim + dim)


def _tables(num_nodes: int, cardinalities, dim: int) -> int:
    """Parameters of the id table and the attribute tables (one per attribute of two
    codes or more)."""
    return num_nodes * dim + sum(c * dim for c in cardinalities if c > 1)


def check_exercise_2(extra, num_items: int, item_cards, dim: int) -> bool:
    """Exercise 2: how many parameters ``combine="concat"`` adds over ``"sum"`` in the
    item encoder (``extra``: a count, as printed: ``1234`` or ``"1,234"``). Pass the count,
    ``num_items``, ``item_cards`` and ``EMBED_DIM``; the checker counts by formula."""
    extra = int(str(extra).replace(",", "")) if isinstance(extra, str) else extra
    want = concat_extra_parameters(dim)
    if extra == want:
        return _say(
            True,
            f"{want:,} more parameters, all in the MLP that maps the concatenation back to "
            f"{dim} (the same for users and items: it depends on the width alone)",
        )
    tables = _tables(num_items, item_cards, dim)
    hints = {
        tables + want: "That is the whole concat encoder; the question asks what it adds.",
        tables: "That is the whole sum encoder; the question asks what concat adds.",
        2 * dim * dim + dim: "That is the MLP's first layer only; it has two.",
        3 * dim * dim: "Count the biases too.",
    }
    return _say(
        False,
        f"you count {extra:,}, but concatenation adds {want:,} parameters. "
        + hints.get(extra, "Count the parameters of both item encoders and subtract."),
    )


# --- exercise 3: five price bands -------------------------------------------------------------


def quantile_bands(price, num_bands: int) -> np.ndarray:
    """Each price's band, 0..num_bands-1: log1p(price) cut at its ``num_bands``-quantiles,
    each quantile interpolated linearly between the sorted values; a value on a cut goes to
    the band above it."""
    x = np.log1p(np.asarray(price, dtype=np.float64))
    ordered = np.sort(x)
    position = (len(x) - 1) * np.arange(1, num_bands) / num_bands
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, len(x) - 1)
    cuts = ordered[below] + (position - below) * (ordered[above] - ordered[below])
    return (x[:, None] >= cuts[None, :]).sum(axis=1)


def check_exercise_3(bands, price) -> bool:
    """Exercise 3: every item's price band with five bands (``bands``, one per item:
    ``price_bands(shop.items.price, num_bands=5)``). Pass the bands and the prices,
    ``shop.items.price``; the checker cuts log price at its quintiles itself."""
    bands = np.asarray(bands)
    want = quantile_bands(price, ASKED_BANDS)
    if bands.shape != want.shape:
        return _say(False, f"give one band per item: {len(want):,} of them, not {bands.size:,}")
    if np.array_equal(bands, want):
        sizes = np.bincount(want, minlength=ASKED_BANDS)
        size = f"{sizes.min():,}" + (f" to {sizes.max():,}" if sizes.max() > sizes.min() else "")
        return _say(
            True, f"{ASKED_BANDS} bands of {size} items each, cut at the quintiles of log price."
        )
    count = int(bands.max()) + 1 if bands.size else 0
    hint = (
        f" Your bands run 0..{count - 1}, {count} bands: pass num_bands={ASKED_BANDS}."
        if count != ASKED_BANDS
        else ""
    )
    return _say(
        False,
        f"your bands differ from five quintile bands of log price for "
        f"{int((bands != want).sum()):,} items.{hint}",
    )
