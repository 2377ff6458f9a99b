"""Execute notebooks from their sources and record how long each took.

Each notebook of the series is written as a jupytext percent script,
``notebooks/NN_name.py``, paired with ``notebooks/NN_name.ipynb`` (``notebooks/jupytext.toml``).
This script runs the script's cells top to bottom in a fresh kernel, from the notebooks
folder, and then:

- refuses outputs a learner should not see (an unexpected error, text on stderr, a path
  of this machine);
- writes the measured runtime into the notebook's opening cell (``**Runtime**: ~N s``),
  in both files of the pair, into ``notebooks/runtimes.json`` and into the README's table;
- writes the ``.ipynb`` without widget state or execution timestamps, so that a rebuild
  changes only what the run changed, and without widget views such as progress bars,
  whose stored text is their first frame (in JupyterLab they still show live).

Usage, from the repository root::

    python tools/run_notebook.py 03            # one notebook, by number, name or path
    python tools/run_notebook.py --all         # the whole series, in order
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
RECORD = NOTEBOOKS / "runtimes.json"
README = ROOT / "README.md"
GUIDE = ROOT / "TEACHING.md"
RUNTIME = re.compile(r"(\*\*Runtime\*\*: ~)(\d+)( s)")
MACHINE_PATH = re.compile(r"/(?:work|tmp|root|home|usr|opt)/[A-Za-z0-9_.-]+")
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def sources(names: list[str]) -> list[Path]:
    """The ``.py`` source of each notebook named by number (``03``), stem or path."""
    every = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    if not names:
        return every
    found = []
    for name in names:
        stem = Path(name).stem
        match = [p for p in every if p.stem == stem or p.stem.split("_")[0] == stem]
        if len(match) != 1:
            sys.exit(f"no single notebook source matches {name!r} in {NOTEBOOKS.name}/")
        found += match
    return found


def execute(source: Path, timeout: int) -> tuple[nbformat.NotebookNode, float]:
    """The notebook of ``source``, executed in a fresh kernel; and the wall seconds it took."""
    nb = jupytext.read(source)
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL["name"],
        store_widget_state=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """Outputs that must not be committed: stray errors, stderr, machine paths."""
    found = []
    for i, cell in enumerate(nb.cells):
        expected_error = "raises-exception" in cell.metadata.get("tags", [])
        for out in cell.get("outputs", []):
            shown = json.dumps(out)
            if out.get("output_type") == "error" and not expected_error:
                found.append(f"cell {i}: an error ({out.get('ename')}: {out.get('evalue')})")
            if out.get("name") == "stderr":
                found.append(f"cell {i}: text on stderr: {out.get('text', '')[:200]!r}")
            if path := MACHINE_PATH.search(shown):
                found.append(f"cell {i}: a path of this machine, {path.group(0)}")
    return found


WIDGET = "application/vnd.jupyter.widget-view+json"


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop what changes from run to run without changing what a reader sees, and widget
    views: without their state (not stored) a static render shows only a widget's first
    frame, for a progress bar "0/50" beside a run that stopped after 13 epochs."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if WIDGET not in out.get("data", {})]


def set_runtime(text: str, seconds: int, where: Path) -> str:
    """``text`` with its ``**Runtime**: ~N s`` line set to ``seconds``."""
    if not RUNTIME.search(text):
        sys.exit(f"{where.name}: the opening cell has no '**Runtime**: ~N s' line")
    return RUNTIME.sub(rf"\g<1>{seconds}\g<3>", text, count=1)


def record(stem: str, seconds: float) -> None:
    """Store the measured runtime in ``notebooks/runtimes.json`` and the README's table."""
    runtimes = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    runtimes[stem] = round(seconds, 1)
    RECORD.write_text(json.dumps(dict(sorted(runtimes.items())), indent=2) + "\n")
    row = re.compile(rf"^(\| {stem[:2]} \| \[`{stem}`\].*\| ~)\d+( s \|)$", re.MULTILINE)
    readme = README.read_text()
    if not row.search(readme):
        sys.exit(f"README.md: no row of the series table for {stem}")
    README.write_text(row.sub(rf"\g<1>{round(seconds)}\g<2>", readme))


def teaching(stem: str, seconds: float) -> None:
    """Set the runtime of notebook ``stem`` in TEACHING.md: its column of the runtimes
    table (added when missing) and every agenda entry ``NN Name (~N s)``."""
    if not GUIDE.exists():
        return
    number, shown = stem[:2], f"~{round(seconds)} s"
    lines = GUIDE.read_text().split("\n")
    head = next((k for k, line in enumerate(lines) if line.startswith("| 00 |")), None)
    if head is None:
        sys.exit("TEACHING.md: no runtimes table (a row starting '| 00 |')")
    cells = [c.strip() for c in lines[head].strip("|").split("|")]
    values = [c.strip() for c in lines[head + 2].strip("|").split("|")]
    table = dict(zip(cells, values, strict=True)) | {number: shown}
    cells, values = sorted(table), [table[c] for c in sorted(table)]
    lines[head] = "| " + " | ".join(cells) + " |"
    lines[head + 1] = "|" + " --- |" * len(cells)
    lines[head + 2] = "| " + " | ".join(values) + " |"
    agenda = re.compile(rf"(\b{number} [A-Z][^|(]*?\(~)\d+( s\))")
    GUIDE.write_text(agenda.sub(rf"\g<1>{round(seconds)}\g<2>", "\n".join(lines)))


def run(source: Path, timeout: int) -> None:
    """Execute one notebook and write its pair, its runtime record and the README row."""
    nb, seconds = execute(source, timeout)
    seconds = round(seconds, 1)  # as recorded, so that every place rounds the same value
    if found := problems(nb):
        sys.exit(f"{source.stem}: not written, because of\n  " + "\n  ".join(found))
    clean(nb)
    nb.cells[0].source = set_runtime(nb.cells[0].source, round(seconds), source)
    source.write_text(set_runtime(source.read_text(), round(seconds), source))
    nbformat.write(nb, source.with_suffix(".ipynb"))
    record(source.stem, seconds)
    teaching(source.stem, seconds)
    print(f"{source.stem}: executed in {seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks by number, name or path")
    parser.add_argument("--all", action="store_true", help="every notebook of the series")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    if not args.names and not args.all:
        parser.error("name a notebook, or pass --all")
    for source in sources(args.names):
        run(source, args.timeout)


if __name__ == "__main__":
    main()
