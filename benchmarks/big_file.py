"""Loading a big UserBehavior log: seconds and peak memory, against a naive pandas read.

    python benchmarks/big_file.py [--rows 10000000] [--seeds 0] [--keep FILE] [--skip-naive]
        [--json FILE]

1. Writes a UserBehavior-format CSV of ``--rows`` rows into a temporary folder
   (vectorised numpy, seeded with the one seed of ``--seeds``; ids drawn in the ranges
   of the real log: users up to 1,018,011, items up to 5,163,070, categories up to
   5,162,429, behaviours pv / cart / fav / buy at 89.6 / 5.5 / 2.9 / 2.0 %, timestamps
   in the 9 days).
2. Loads it twice, each in a fresh child process that reports its own peak resident
   memory during the load: after the imports the child resets Linux's high-water mark
   (``echo 5 > /proc/self/clear_refs``) and at the end reads ``VmHWM`` from
   ``/proc/self/status``. The peak counts the whole process (Python, numpy and pandas
   included); its RSS after imports is reported beside it. Linux only.
   * ``gnnrec``: ``load_taobao_userbehavior`` (block reader, validation, duplicate
     check, id remapping), ``verbose=False``;
   * ``naive``: ``pandas.read_csv(path, header=None, names=...)`` with pandas' default
     dtypes, no validation and no remapping.
3. Prints a table, an extrapolation to the real log's 100,150,807 rows (linear in the
   rows; an extrapolation, not a measurement), and the result as JSON on the last line.
   The temporary file is deleted unless ``--keep`` names where to keep it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import benchmark_parser, emit, run_info

FULL_ROWS = 100_150_807
BEHAVIORS = np.array(["pv", "cart", "fav", "buy"])
SHARES = [0.896, 0.055, 0.029, 0.020]

CHILD = r"""
import json, sys, time
kind, path = sys.argv[1], sys.argv[2]
import pandas as pd
from gnnrec_utils.datasets import load_taobao_userbehavior

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB -> MiB

with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS: the load alone is measured
base = status("VmRSS")
start = time.perf_counter()
if kind == "gnnrec":
    data = load_taobao_userbehavior(path, verbose=False)
    rows, held = len(data.events), int(data.events.memory_usage(deep=True).sum())
else:
    frame = pd.read_csv(path, header=None,
                        names=["user_id", "item_id", "category_id", "behavior", "timestamp"])
    rows, held = len(frame), int(frame.memory_usage(deep=True).sum())
seconds = time.perf_counter() - start
print(json.dumps({"rows": rows, "seconds": seconds, "peak_mib": status("VmHWM"),
                  "after_imports_mib": base, "table_mib": held / 2**20}))
"""


def generate(path: Path, rows: int, seed: int, piece: int = 2_000_000) -> None:
    """Write ``rows`` UserBehavior lines to ``path``, ``piece`` rows at a time."""
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as f:
        for start in range(0, rows, piece):
            n = min(piece, rows - start)
            frame = pd.DataFrame(
                {
                    "user_id": rng.integers(1, 1_018_012, n),
                    "item_id": rng.integers(1, 5_163_071, n),
                    "category_id": rng.integers(1, 5_162_430, n),
                    "behavior": BEHAVIORS[rng.choice(4, n, p=SHARES)],
                    "timestamp": rng.integers(1511539200, 1512316800, n),
                }
            )
            frame.to_csv(f, header=False, index=False, lineterminator="\n")


def measure(kind: str, path: Path) -> dict:
    """Run one load in a fresh child process; its JSON report."""
    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=repo,
        env={
            **__import__("os").environ,
            "PYTHONPATH": f"{repo}:{__import__('os').environ.get('PYTHONPATH', '')}",
        },
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    begin = time.perf_counter()
    parser = benchmark_parser(__doc__, seeds=[0], one_seed=True, threads=False)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated file here")
    parser.add_argument(
        "--skip-naive",
        action="store_true",
        help="measure the kit's loader only (the naive read of 100M rows needs ~10 GiB)",
    )
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="gnnrec-big-"))
    path = folder / "UserBehavior.csv"
    try:
        start = time.perf_counter()
        generate(path, args.rows, args.seeds[0])
        written = time.perf_counter() - start
        size = path.stat().st_size
        kinds = ("gnnrec",) if args.skip_naive else ("gnnrec", "naive")
        results = {kind: measure(kind, path) for kind in kinds}
        if args.keep:
            shutil.move(path, args.keep)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = report(args, size, written, results)
    return emit(result | {"run": run_info("big_file.py", argv, begin)}, args.json)


def report(args, size: int, written: float, results: dict) -> dict:
    """Print the table and the extrapolation; the result."""
    ours, naive = results["gnnrec"], results.get("naive")
    scale = FULL_ROWS / args.rows
    print(
        f"file: {args.rows:,} rows, {size / 2**20:,.0f} MiB, written in {written:.1f} s (seed {args.seeds[0]})"
    )
    table = pd.DataFrame(results).T[
        ["rows", "seconds", "peak_mib", "after_imports_mib", "table_mib"]
    ]
    print(table.round(1).to_string())
    if naive:
        print(
            f"gnnrec / naive: time x{ours['seconds'] / naive['seconds']:.2f}, "
            f"peak memory x{ours['peak_mib'] / naive['peak_mib']:.2f}"
        )
    extra = ours["peak_mib"] - ours["after_imports_mib"]
    full = ours["after_imports_mib"] + extra * scale
    if args.rows < FULL_ROWS:
        print(
            f"extrapolated (linear in the rows, not measured) to {FULL_ROWS:,} rows: gnnrec about "
            f"{ours['seconds'] * scale / 60:.1f} min and {full / 1024:.1f} GiB peak"
        )
    return {
        "rows": args.rows,
        "file_mib": round(size / 2**20, 1),
        "write_s": round(written, 1),
        "seed": args.seeds[0],
        "gnnrec": ours,
        "naive": naive,
        "full_log_gnnrec_peak_gib": round(full / 1024, 2),
        "full_log_gnnrec_minutes": round(ours["seconds"] * scale / 60, 1),
        "full_log_is": "measured" if args.rows >= FULL_ROWS else "extrapolated",
    }


if __name__ == "__main__":
    main()
