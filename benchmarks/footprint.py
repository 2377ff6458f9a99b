"""Disk the kit takes on a seat: its own files, the bundled shop, the Python environment.

    python benchmarks/footprint.py [--json benchmarks/results/footprint.json]

For the workshop guide (TEACHING.md, "Memory and disk per notebook"): the repository's
files without ``.git``, virtual environments and caches; the shop log in ``data/shop/``;
and the environment this script runs in (``sys.prefix``, as installed by the README's
commands), with the largest packages named. Sizes are bytes on disk as the files hold
them (``stat().st_size``), reported in MiB and GiB. Prints a table, then the result as one
JSON object on the last line.
"""

from __future__ import annotations

import sys
import time
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from common import benchmark_parser, emit, run_info

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {".git", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", "build", "dist"}
PACKAGES = ("torch", "faiss-cpu", "playwright", "torch_geometric", "pandas", "numpy")
MIB = 1024**2


def folder_bytes(folder: Path, skip_venvs: bool = False) -> int:
    """Bytes of every file under ``folder``, without the skipped folders (and virtual
    environments, a folder holding ``pyvenv.cfg``, with ``skip_venvs``)."""
    total, stack = 0, [folder]
    while stack:
        for path in stack.pop().iterdir():
            if path.is_symlink():
                continue
            if path.is_dir():
                venv = skip_venvs and (path / "pyvenv.cfg").exists()
                if path.name not in SKIPPED and not path.name.endswith(".egg-info") and not venv:
                    stack.append(path)
            else:
                total += path.stat().st_size
    return total


def package_bytes(name: str) -> int | None:
    """Bytes of the files an installed distribution lists (``None``: not installed)."""
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        return None
    files = [dist.locate_file(f) for f in dist.files or ()]
    return sum(Path(f).stat().st_size for f in files if Path(f).is_file())


def main(argv: list[str] | None = None) -> dict:
    start = time.perf_counter()
    parser = benchmark_parser(__doc__, threads=False)
    args = parser.parse_args(argv)
    sizes = {
        "kit files (without .git and environments)": folder_bytes(ROOT, skip_venvs=True),
        "data/shop": folder_bytes(ROOT / "data" / "shop"),
        "python environment": folder_bytes(Path(sys.prefix)),
    }
    for name in PACKAGES:
        found = package_bytes(name)
        if found is not None:
            sizes[f"package {name}"] = found
    for name, size in sizes.items():
        print(f"{name:<45} {size / MIB:>10,.1f} MiB")
    result = {
        "mib": {name: round(size / MIB, 1) for name, size in sizes.items()},
        "gib": {name: round(size / 1024**3, 2) for name, size in sizes.items()},
        "run": run_info("footprint.py", argv, start),
    }
    return emit(result, args.json)


if __name__ == "__main__":
    main()
