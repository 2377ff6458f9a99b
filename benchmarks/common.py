"""The command line every benchmark shares, in one place.

Every script in ``benchmarks/`` is run from the repository root as
``python benchmarks/NAME.py [flags]`` and follows one convention:

* ``--data DIR``: the folder holding ONE dataset's files, in the format the script reads
  (a shop folder such as ``data/shop``, a Tmall folder, a folder of LightGCN's
  ``train.txt`` / ``test.txt``, a MovieLens release). A script that reads several
  datasets takes ``--data DIR [DIR ...]`` and tells each folder's format by its files
  (:data:`FORMATS`: a shop folder has ``users.csv``, a Tmall folder ``count.txt``).
* ``--seeds N [N ...]``: the seeds, a list (there is no ``--seed``). A script that makes
  one seeded run takes exactly one.
* ``--threads N``: torch's threads and, where faiss is importable, faiss's OpenMP
  threads (:func:`set_threads`); left out, both keep their own choice.
* ``--json PATH``: also write the result to ``PATH`` (written to a temporary name in the
  same folder, then renamed, so a reader never sees half a file).
* Epoch caps (training stops earlier on validation) are ``--max-epochs``; ``--epochs``
  is left only where every epoch runs (a fixed budget).
* The result is printed as one JSON object on the last line of stdout (:func:`emit`),
  and ``main(argv)`` returns it, so a script can be called from Python as
  ``main(["--data", "data/shop"])``.
* The result says how it was made under ``"run"`` (:func:`run_info`): the script, its
  arguments, the date, the seconds it took, the threads and the versions. A path outside
  the repository is written as its folder's name (``--data tmall``), one inside it
  relative to the root, so that a record holds no path of the machine it ran on.

A script has only the shared flags it can use: no ``--data`` where it generates its data,
no ``--seeds`` where nothing is seeded, no ``--threads`` where no torch work runs in it
(``behavior_overlap.py``, ``big_file.py``) or where each variant sets its own threads
(``distributed.py``). Flags that write other files (``--dump``, ``--plot``, ``--keep``) stay with their
scripts; the result JSON only goes through ``--json``. The scripts import this module as
``from common import ...``: run as ``python benchmarks/NAME.py``, a script's own folder is
on Python's import path, so none of them changes the path.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The file that tells each dataset format's folder apart, for ``--data DIR [DIR ...]``.
FORMATS = {"tmall": "count.txt", "shop": "users.csv"}
#: How the formats are named in messages.
FORMAT_NAMES = {"tmall": "a Tmall folder", "shop": "a shop folder"}


class _Seeds(argparse.Action):
    """``--seeds N [N ...]``; with ``one=True``, exactly one seed."""

    def __init__(self, *args, one: bool = False, **kwargs) -> None:
        self.one = one
        super().__init__(*args, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if self.one and len(values) != 1:
            parser.error(f"{option_string}: this benchmark makes one seeded run; give one seed")
        setattr(namespace, self.dest, list(values))


def benchmark_parser(
    doc: str | None,
    *,
    data: str | None = None,
    data_default: Path | None = None,
    data_required: bool = False,
    many_data: bool = False,
    seeds: Sequence[int] | None = None,
    one_seed: bool = False,
    threads: bool | str = True,
) -> argparse.ArgumentParser:
    """A parser with the shared flags; the script adds its own after.

    Args:
        doc: the script's docstring; its first line describes the script in ``--help``.
        data: what ``--data`` holds, for its help; ``None``: no ``--data``.
        data_default: the folder used when ``--data`` is not given.
        data_required: ``--data`` must be given.
        many_data: ``--data DIR [DIR ...]`` (a list of paths) instead of ``--data DIR``.
        seeds: the default seeds; ``None``: no ``--seeds``.
        one_seed: ``--seeds`` takes exactly one seed (a script that makes one run).
        threads: add ``--threads``; a string is its help, where the default one would mislead.

    ``--json`` is always there.
    """
    parser = argparse.ArgumentParser(description=(doc or "").strip().split("\n")[0])
    if data is not None:
        default = f" (default: {_shown(data_default)})" if data_default is not None else ""
        parser.add_argument(
            "--data",
            type=Path,
            nargs="+" if many_data else None,
            metavar="DIR",
            default=data_default,
            required=data_required,
            help=data + default,
        )
    if seeds is not None:
        parser.add_argument(
            "--seeds",
            type=int,
            nargs="+",
            metavar="N",
            default=list(seeds),
            action=_Seeds,
            one=one_seed,
            help=("one seed, for the run" if one_seed else "the seeds, one run each")
            + f" (default: {' '.join(map(str, seeds))})",
        )
    if threads:
        parser.add_argument(
            "--threads",
            type=int,
            metavar="N",
            help=threads
            if isinstance(threads, str)
            else "torch threads, and faiss's where faiss is installed (default: their own choice)",
        )
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the result JSON to this file"
    )
    return parser


def _shown(path: Path) -> str:
    """``path`` as help shows it: relative to the repository root when inside it."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def set_threads(threads: int | None) -> None:
    """Use ``threads`` threads in torch and, where faiss is importable, in faiss's OpenMP.

    ``None`` or 0 leaves both at their own choice. Worker processes call it too.
    """
    if not threads:
        return
    import torch

    torch.set_num_threads(threads)
    try:
        import faiss
    except ImportError:
        return
    faiss.omp_set_num_threads(threads)


def data_by_format(
    parser: argparse.ArgumentParser,
    folders: Sequence[Path] | None,
    formats: Sequence[str] = ("tmall", "shop"),
) -> dict[str, Path]:
    """``{format: folder}`` for the ``--data`` folders, each told by its files (:data:`FORMATS`).

    Stops with a usage error (exit status 2) when no folder is given, a folder is missing
    or of none of ``formats``, or two folders have the same format.
    """
    kinds = " or ".join(f"{FORMAT_NAMES[f]} ({FORMATS[f]})" for f in formats)
    if not folders:
        parser.error(f"give --data: {kinds}, or one of each")
    found: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            parser.error(f"--data {folder}: no such folder")
        kind = next((f for f in formats if (folder / FORMATS[f]).is_file()), None)
        if kind is None:
            parser.error(f"--data {folder}: not {kinds}")
        if kind in found:
            parser.error(f"--data: two {kind} folders, {found[kind]} and {folder}; give one")
        found[kind] = folder
    return found


def shown_argument(argument: str) -> str:
    """``argument`` as a record writes it: a path outside the repository as its last part
    (a dataset folder's name), a path inside it relative to the root, anything else as is."""
    if os.sep not in argument and not Path(argument).exists():
        return argument
    path = Path(argument).resolve()
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return path.name


def run_info(script: str, argv: Sequence[str] | None, start: float) -> dict:
    """How a result was made, for its ``"run"`` entry.

    Args:
        script: the script's file name, e.g. ``"propagation.py"``.
        argv: the arguments ``main`` was given (``None``: the command line's).
        start: ``time.perf_counter()`` when the script began.

    Returns:
        The command (paths as :func:`shown_argument` writes them), the date (UTC), the
        seconds since ``start``, torch's threads, the versions, the CPU count and the
        load averages as it ended (how shared the machine was).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    info = {
        "command": " ".join(
            ["python", f"benchmarks/{script}"] + [shown_argument(str(a)) for a in args]
        ),
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "seconds": round(time.perf_counter() - start, 1),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        # 1-, 5- and 15-minute load averages as the run ended: how busy the machine was
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        info |= {"torch": torch.__version__, "threads": torch.get_num_threads()}
    return info


def write_json(result: dict, path: Path) -> None:
    """Write ``result`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(result, indent=1) + "\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def emit(result: dict, path: Path | None = None) -> dict:
    """Print ``result`` as one JSON object on the last line of stdout; also write it to
    ``path`` (``--json``) when given. Returns ``result``."""
    if path is not None:
        write_json(result, path)
    print(json.dumps(result), flush=True)
    return result
