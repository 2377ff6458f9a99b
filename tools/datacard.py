"""Build the bundled shop and the measured tables of its data card (``data/README.md``).

A maintainer's script, not part of the package. ``python tools/datacard.py --out data``
regenerates ``data/shop`` and rewrites the blocks between ``<!-- BEGIN name -->`` and
``<!-- END name -->`` in ``data/README.md``; ``--out`` names any folder that holds a
card with those blocks. ``--sizes`` also times every size preset in a fresh process
(slow: the large one writes ~10 M events) and writes what it measured as a record,
``benchmarks/results/datacard_sizes.json`` (``--json`` names another file); the card's
``sizes`` block is written from that record by ``tools/bench_tables.py``, as the
benchmark tables are. ``tests/data/test_datacard.py`` imports this file to check that the
card's tables are what the code measures.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.data import Dataset, ShopSplit, stats, temporal_split, write_shop
from gnnrec_utils.evaluation import recall_ndcg
from gnnrec_utils.models import topk_excluding
from gnnrec_utils.synthetic import (
    SIZES,
    START_TIMESTAMP,
    TAOBAO_SHARES,
    generate_shop,
    related_category_pairs,
)


def fmt(x) -> str:
    """Numbers as the card prints them: ints with separators, floats with 3 decimals.

    Args:
        x: an int (Python or numpy) or a float.

    Returns:
        The text of the number.
    """
    if isinstance(x, (int, np.integer)):
        return f"{x:,}"
    return f"{x:.3f}"


def markdown_table(df: pd.DataFrame) -> str:
    """A plain GitHub markdown table of ``df`` (index as the first column).

    Args:
        df: the table; numbers are printed with :func:`fmt`, strings as they are.

    Returns:
        The markdown lines, joined by newlines.
    """
    head = [df.index.name or ""] + [str(c) for c in df.columns]
    rows = [
        [str(i)] + [fmt(v) if not isinstance(v, str) else v for v in r]
        for i, r in zip(df.index, df.itertuples(index=False), strict=True)
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def shares_table(events: pd.DataFrame) -> pd.DataFrame:
    """Behaviour shares (%) of the log beside Taobao UserBehavior's."""
    ours = stats.behavior_shares(events) * 100
    ref = pd.Series(TAOBAO_SHARES).reindex(ours.index) * 100
    df = pd.DataFrame({"this log (%)": ours, "Taobao UserBehavior (%)": ref})
    df["difference (points)"] = df.iloc[:, 0] - df.iloc[:, 1]
    return df.rename_axis("behavior")


def shape_table(shop: Dataset, split: ShopSplit) -> pd.DataFrame:
    """Long tails, sessions, rhythm, funnel, related categories and cold start."""
    shares = {f"share {b}" for b in TAOBAO_SHARES}  # in the shares table already
    s = {k: v for k, v in stats.summary(shop.events).items() if k not in shares}
    related, other = stats.category_lift(shop.events, related_category_pairs("default"))
    s["co-engagement lift, related categories"] = related
    s["co-engagement lift, other category pairs"] = other
    for key in ("user_id", "item_id"):
        day = stats.first_seen_day(shop.events, key, START_TIMESTAMP)
        s[f"{key[:-3]}s first seen on the last 2 days"] = int((day >= day.max() - 1).sum())
    report = split.cold_report()
    s["test target users unseen in training"] = int(report.loc["cold users", "test"])
    s["test target pairs on items unseen in training"] = int(
        report.loc["pairs on cold items", "test"]
    )
    return pd.DataFrame({"value": [fmt(v) for v in s.values()]}, index=list(s)).rename_axis(
        "property"
    )


def signal_table(split: ShopSplit, k: int = 20) -> pd.DataFrame:
    """Recall/NDCG@k on validation targets of three scorers: what attributes and history carry."""
    train, users = split.train, split.targets("valid").user_id.unique()
    pop = torch.as_tensor(split.item_popularity(), dtype=torch.float64)
    segment = (split.users.age_group * 2 + split.users.gender).to_numpy()
    seg_pop = np.zeros((segment.max() + 1, split.num_items))
    np.add.at(seg_pop, (segment[train.user_id], train.item_id.to_numpy()), 1.0)
    seg_pop = torch.as_tensor(seg_pop / seg_pop.sum(1, keepdims=True))
    r = np.zeros((split.num_users, split.num_items))
    r[train.user_id.to_numpy(), train.item_id.to_numpy()] = 1.0
    norm = np.sqrt(r.sum(0)) + 1e-12
    sim = torch.as_tensor((r.T @ r) / norm[:, None] / norm[None, :])
    sim.fill_diagonal_(0.0)
    r = torch.as_tensor(r)
    scorers = {
        "popularity (no signal about the user)": lambda u: pop.expand(len(u), -1),
        "popularity in the user's age-gender segment (attributes)": lambda u: (
            seg_pop[segment[u]] + 1e-9 * pop
        ),
        "item-kNN over the user's history (history)": lambda u: r[u] @ sim + 1e-9 * pop,
    }
    rows = {}
    for name, fn in scorers.items():
        top = topk_excluding(fn, users, split.history("valid"), k)
        rows[name] = recall_ndcg(top, users, split.targets("valid"))
    return pd.DataFrame(rows).T.rename_axis("scorer (validation day)")


def measure_size(size: str, seed: int = 0) -> dict:
    """Generate ``size`` in this process; seconds and peak resident memory (MiB).

    Args:
        size: a preset of :data:`gnnrec_utils.synthetic.SIZES`.
        seed: the generator's seed.

    Returns:
        Users, items, events, generation seconds and peak memory.
    """
    import resource  # Unix only, and only needed here: importing this file works anywhere

    t = time.perf_counter()
    shop = generate_shop(size, seed)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "users": shop.num_users,
        "items": shop.num_items,
        "events": len(shop.events),
        "generation seconds": round(seconds, 1),
        "peak memory (MiB)": round(peak),
    }


def sizes_table() -> pd.DataFrame:
    """``measure_size`` for every preset, each in a fresh Python process (so that the
    peak memory is that preset's alone)."""
    rows = {}
    for size in SIZES:
        code = (
            f"import json, runpy; measure = runpy.run_path({str(Path(__file__).resolve())!r})"
            f"['measure_size']; print(json.dumps(measure({size!r})))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        )
        rows[size] = json.loads(out.stdout.strip().splitlines()[-1])
    table = pd.DataFrame(rows).T.rename_axis("size")
    return table.astype({c: int for c in ("users", "items", "events", "peak memory (MiB)")}).astype(
        object
    )


def sizes_record(argv: list[str], start: float) -> dict:
    """Every preset measured (:func:`sizes_table`), with how and when, as a JSON record.

    Args:
        argv: the command's arguments, as the record shows them.
        start: ``time.perf_counter()`` when the command began.
    """
    measured = sizes_table()
    plain = lambda v: v.item() if hasattr(v, "item") else v  # noqa: E731
    return {
        "sizes": {size: {k: plain(v) for k, v in row.items()} for size, row in measured.iterrows()},
        "run": {
            "command": "python tools/datacard.py " + " ".join(argv),
            "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
            "seconds": round(time.perf_counter() - start, 1),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 1) for x in os.getloadavg()],
        },
    }


def write_record(record: dict, path: Path) -> None:
    """Write ``record`` to ``path`` through a temporary file in the same folder, renamed
    when complete (as ``benchmarks/common.py`` writes a benchmark's ``--json``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(record, indent=1) + "\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def bench_tables():
    """``tools/bench_tables.py`` as a module (``tools`` is not a package)."""
    here = Path(__file__).resolve().parent / "bench_tables.py"
    spec = importlib.util.spec_from_file_location("bench_tables", here)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def card_blocks(shop: Dataset) -> dict[str, str]:
    """The generated blocks of the card, as markdown, keyed by block name."""
    split = temporal_split(shop)
    return {
        "shares": markdown_table(shares_table(shop.events)),
        "shape": markdown_table(shape_table(shop, split)),
        "signal": markdown_table(signal_table(split)),
    }


def replace_block(text: str, name: str, body: str) -> str:
    """Replace what stands between the BEGIN/END markers of block ``name``.

    Args:
        text: the card.
        name: the block's name.
        body: its new content, without the markers.

    Returns:
        The new text of the card.

    Raises:
        ValueError: the card has no such block.
    """
    pattern = re.compile(rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(
            f"the data card has no block '{name}' (<!-- BEGIN {name} --> ... <!-- END {name} -->)"
        )
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def main(argv: list[str] | None = None) -> None:
    """Regenerate ``OUT/shop`` and the generated blocks of ``OUT/README.md``.

    Args:
        argv: command-line arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(
        description="Regenerate the bundled shop and the data card's tables."
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder of the card (README.md with BEGIN/END blocks); shop/ is written there",
    )
    parser.add_argument("--sizes", action="store_true", help="also time every size preset (slow)")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(__file__).resolve().parents[1]
        / "benchmarks"
        / "results"
        / "datacard_sizes.json",
        help="with --sizes: the record to write (default: benchmarks/results/datacard_sizes.json)",
    )
    start = time.perf_counter()
    args = parser.parse_args(argv)
    card = args.out / "README.md"
    if not card.is_file():
        parser.error(f"{card} does not exist: --out must name a folder holding the data card")
    shop = generate_shop("default", seed=0)
    write_shop(shop, args.out / "shop")
    write_blocks(card, card_blocks(shop))
    if args.sizes:
        tables = bench_tables()
        shown = ["--out", args.out.name if args.out.is_absolute() else str(args.out), "--sizes"]
        record = sizes_record(shown, start)
        write_record(record, args.json)
        if args.json.resolve() == (tables.RESULTS / "datacard_sizes.json").resolve():
            write_blocks(card, {"sizes": tables.sizes()})
    print(f"wrote {args.out / 'shop'} and {card}")


def write_blocks(card: Path, blocks: dict[str, str]) -> None:
    """Rewrite the named generated blocks of the data card.

    Args:
        card: the card's path, e.g. ``data/README.md``.
        blocks: markdown of each block, keyed by block name.
    """
    text = card.read_text()
    for name, body in blocks.items():
        text = replace_block(text, name, body)
    card.write_text(text)


if __name__ == "__main__":
    main()
