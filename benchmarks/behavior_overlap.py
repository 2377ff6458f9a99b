"""How much do favourites and carts say about later purchases? The bundled shop against Tmall.

A multi-behaviour model can only gain from a favourite or a cart graph as far as those
behaviours tell something about purchases. This script measures that on both data sets
with the same definitions, over the same three periods the benchmark
``benchmarks/multibehavior.py`` uses (Tmall: the periods its files come in; shop:
``temporal_split``, training days, validation day, test day):

* ``pairs per buy pair``: distinct (user, item) pairs of each behaviour in the training
  period per distinct training purchase pair;
* ``held-out buys <behaviour>ed in training``: of the distinct (user, item) purchases of
  the validation and test periods, the share whose pair had that behaviour in training
  (the signal a favourite graph hands a model on the same item);
* ``training <behaviour> pairs bought later``: of the distinct training pairs of that
  behaviour not bought in training, the share bought in validation or test;
* ``lift of <behaviour> on a later buy``: for the users with a held-out purchase, the
  chance that a pair they had that behaviour on in training is bought in validation or
  test, over the chance for any (user, item) pair of theirs. The two periods differ in
  length between the data sets (the shop holds out two days of nine; Tmall's periods are
  longer and have no dates), and a ratio to the base rate cancels much of that, where
  the shares above do not;
* ``held-out buys bought in training``: repeat purchases (none on Tmall, whose files
  hold no pair in two of buy, validation and test);
* ``held-out buys with no training fav, cart or buy`` and ``... no training event``: the
  share of held-out purchase pairs the user had no such event on (page views counted
  only in the second; Tmall's files have none).

Usage::

    python benchmarks/behavior_overlap.py --data ../shared/datasets/tmall data/shop [--json FILE]
    python benchmarks/behavior_overlap.py --data data/shop        # the shop alone
    python benchmarks/behavior_overlap.py --data ../shared/datasets/tmall data/shop \
        --generated 1 0      # beside them, the default shop with other favourite knobs

``--generated FAV_TASTE FAV_BUY_SHARE`` also measures the ``default`` shop generated here
(seed 0) with those values of ``ShopConfig.fav_taste`` and ``fav_buy_share`` (``1 0``: the
generator's favourites before 2026-12-01), under the result key ``generated``.

``--data`` takes a Tmall folder (``count.txt`` ...), a shop folder (``users.csv`` ...) or
one of each, told apart by their files. The last line printed is one JSON object: the
figures of each data set under its format's name, and how the run was made under
``"run"``.
"""

from __future__ import annotations

import dataclasses
import time

import pandas as pd
from common import benchmark_parser, data_by_format, emit, run_info

from gnnrec_utils.data import BEHAVIORS, ShopSplit, load_shop, period_split, temporal_split
from gnnrec_utils.datasets import load_tmall
from gnnrec_utils.synthetic import SIZES, generate_shop


def pair_keys(events: pd.DataFrame, num_items: int) -> pd.Index:
    """Distinct (user, item) pairs as one int64 key each."""
    return pd.Index(events.user_id.to_numpy() * num_items + events.item_id.to_numpy()).unique()


def overlap(split: ShopSplit) -> dict[str, float]:
    """The figures of the module docstring for one split."""
    n_i, train = split.num_items, split.train
    held_out = pd.concat([split.valid, split.test])
    later_buys = pair_keys(held_out[held_out.behavior == "buy"], n_i)
    buys = pair_keys(train[train.behavior == "buy"], n_i)
    every = pair_keys(train, n_i)
    buyers = held_out.user_id[held_out.behavior == "buy"].unique()
    base_rate = len(later_buys) / (len(buyers) * n_i)
    out = {}
    for b in BEHAVIORS:
        pairs = pair_keys(train[train.behavior == b], n_i)
        if b == "buy" or len(pairs) == 0:
            continue
        out[f"{b} pairs per buy pair"] = len(pairs) / len(buys)
        out[f"held-out buys {b}ed in training"] = float(later_buys.isin(pairs).mean())
        open_pairs = pairs[~pairs.isin(buys)]
        out[f"training {b} pairs bought later"] = float(open_pairs.isin(later_buys).mean())
        theirs = pair_keys(train[(train.behavior == b) & train.user_id.isin(buyers)], n_i)
        out[f"lift of {b} on a later buy"] = float(theirs.isin(later_buys).mean()) / base_rate
    intent = pair_keys(train[train.behavior != "pv"], n_i)
    out["held-out buys bought in training"] = float(later_buys.isin(buys).mean())
    out["held-out buys with no training fav, cart or buy"] = float(
        (~later_buys.isin(intent)).mean()
    )
    out["held-out buys with no training event"] = float((~later_buys.isin(every)).mean())
    out["held-out buy pairs"] = len(later_buys)
    return out


def main(argv: list[str] | None = None) -> dict:
    start = time.perf_counter()
    parser = benchmark_parser(
        __doc__,
        data="a Tmall folder (count.txt ...), a shop folder (users.csv ...) or one of each",
        many_data=True,
        threads=False,
    )
    parser.add_argument(
        "--generated",
        type=float,
        nargs=2,
        metavar=("FAV_TASTE", "FAV_BUY_SHARE"),
        help="also the default shop generated (seed 0) with these favourite settings",
    )
    args = parser.parse_args(argv)
    folders = data_by_format(parser, args.data)
    found = {}
    if "shop" in folders:
        found["shop"] = overlap(temporal_split(load_shop(folders["shop"])))
    if args.generated:
        fav_taste, fav_buy_share = args.generated
        config = dataclasses.replace(
            SIZES["default"], fav_taste=fav_taste, fav_buy_share=fav_buy_share
        )
        found["generated"] = overlap(temporal_split(generate_shop(config, seed=0)))
    if "tmall" in folders:
        found["tmall"] = overlap(
            period_split(load_tmall(folders["tmall"], verbose=False).to_shop())
        )
    names = list(dict.fromkeys(k for figures in found.values() for k in figures))
    print(f"{'figure':<44}" + "".join(f"{name:>12}" for name in found))
    for key in names:
        cells = []
        for figures in found.values():
            value = figures.get(key)
            cells.append(
                "—"
                if value is None
                else f"{value:,}"
                if isinstance(value, int)
                else f"{value:.0f}"
                if key.startswith("lift")
                else f"{value:.3f}"
            )
        print(f"{key:<44}" + "".join(f"{c:>12}" for c in cells))
    out = {k: {n: round(v, 5) for n, v in f.items()} for k, f in found.items()}
    if args.generated:
        out["generated_settings"] = {
            "size": "default",
            "seed": 0,
            "fav_taste": args.generated[0],
            "fav_buy_share": args.generated[1],
        }
    return emit(out | {"run": run_info("behavior_overlap.py", argv, start)}, args.json)


if __name__ == "__main__":
    main()
