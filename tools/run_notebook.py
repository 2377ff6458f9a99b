"""Execute notebooks from their sources and record what each run cost.

Each notebook of the series is written as a jupytext percent script,
``notebooks/NN_name.py``, paired with ``notebooks/NN_name.ipynb`` (``notebooks/jupytext.toml``).
This script runs the script's cells top to bottom in a fresh kernel, from the notebooks
folder, and then:

- refuses outputs a learner should not see (an unexpected error, text on stderr, a path
  of this machine);
- writes the measured runtime into the notebook's opening cell (``**Runtime**: ~N s``),
  in both files of the pair, into ``notebooks/runtimes.json`` and into the README's table;
- records in ``notebooks/runtimes.json``, beside the runtime, what a facilitator plans a
  room with: the seconds of each ``## `` section and of each exercise's solution (the sum
  of its code cells' execution times, from nbclient's per-cell timestamps, read before
  they are stripped), the kernel's peak resident memory and that of its largest
  subprocess (read in the kernel after the last cell, by a cell that is not kept), the
  bytes the run wrote under ``notebooks/outputs/`` and the bytes it left in its temp
  folder (the kernel gets a temp folder of its own, removed after the run);
- writes TEACHING.md's tables from that record: the runtimes row, the agendas'
  ``NN Name (~N s)`` entries, and the blocks between ``<!-- BEGIN sections -->`` /
  ``<!-- BEGIN resources -->`` and their ``END`` markers;
- writes the ``.ipynb`` without widget state or execution timestamps, so that a rebuild
  changes only what the run changed, and without widget views such as progress bars,
  whose stored text is their first frame (in JupyterLab they still show live).

Usage, from the repository root::

    python tools/run_notebook.py 03            # one notebook, by number, name or path
    python tools/run_notebook.py --all         # the whole series, in order
    python tools/run_notebook.py 00 --out DIR  # write the pair, the record, README and
                                               # TEACHING copies into DIR, not the repository
    python tools/run_notebook.py --tables      # rewrite TEACHING.md's tables from the record
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUTPUTS = NOTEBOOKS / "outputs"
RECORD = NOTEBOOKS / "runtimes.json"
README = ROOT / "README.md"
GUIDE = ROOT / "TEACHING.md"
RUNTIME = re.compile(r"(\*\*Runtime\*\*: ~)(\d+)( s)")
MACHINE_PATH = re.compile(r"/(?:work|tmp|root|home|usr|opt)/[A-Za-z0-9_.-]+")
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
HEADING = re.compile(r"^## +(\S.*?)\s*$")
SOLUTION = re.compile(r"^###\s+Solution\s+(\d+)", re.MULTILINE)
MIB = 2**20
# Run in the kernel after the last cell, and dropped before the notebook is written.
# ru_maxrss is the peak resident set: in KiB on Linux, in bytes on macOS; for
# RUSAGE_CHILDREN it is that of the largest finished subprocess (torchrun's workers).
PEAK_MEMORY = """\
import json as _json, sys as _sys
try:
    import resource as _resource
except ImportError:  # Windows has no resource module
    _peaks = None
else:
    _unit = 1 if _sys.platform == "darwin" else 1024
    _peaks = [_resource.getrusage(w).ru_maxrss * _unit
              for w in (_resource.RUSAGE_SELF, _resource.RUSAGE_CHILDREN)]
print(_json.dumps(_peaks))"""


@dataclass(frozen=True)
class Targets:
    """Where a run writes: the repository's files, or copies of them in a scratch folder."""

    notebooks: Path
    record: Path
    readme: Path
    guide: Path

    @classmethod
    def scratch(cls, out: Path) -> Targets:
        """Targets in ``out``, starting from copies of the repository's record, README and
        guide (copied once, so that several runs into ``out`` add up)."""
        out.mkdir(parents=True, exist_ok=True)
        for original in (RECORD, README, GUIDE):
            if original.exists() and not (out / original.name).exists():
                shutil.copyfile(original, out / original.name)
        return cls(out, out / RECORD.name, out / README.name, out / GUIDE.name)


REPOSITORY = Targets(NOTEBOOKS, RECORD, README, GUIDE)


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


def headings(markdown: str) -> list[str]:
    """The ``## `` headings of a markdown cell, in order, leaving out fenced code."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and (m := HEADING.match(line)):
            found.append(m.group(1))
    return found


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    """Seconds a code cell ran: nbclient's ``execute_input`` to ``execute_reply``."""
    timing = cell.metadata.get("execution", {})
    start = timing.get("iopub.execute_input") or timing.get("iopub.status.busy")
    end = timing.get("shell.execute_reply") or timing.get("iopub.status.idle")
    if not (start and end):
        return 0.0
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def section_seconds(nb: nbformat.NotebookNode) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds of each ``## `` section (the last heading of a cell opens the section its
    next cells belong to) and of each solution (``### Solution N`` and the solution cells
    after it), each the sum of its code cells' times, in the notebook's order."""
    sections: dict[str, float] = {}
    solutions: dict[str, float] = {}
    section = solution = None
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "markdown":
            for section in headings(cell.source):  # the cell's last heading stays open
                sections.setdefault(section, 0.0)
            if "solution" in tags and (m := SOLUTION.search(cell.source)):
                solution = m.group(1)
                solutions.setdefault(solution, 0.0)
            continue
        if cell.cell_type != "code":
            continue
        seconds = cell_seconds(cell)
        if section is not None:
            sections[section] += seconds
        if "solution" in tags and solution is not None:
            solutions[solution] += seconds
        elif "solution" not in tags:
            solution = None
    return _rounded(sections), _rounded(solutions)


def _rounded(seconds: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 1) for key, value in seconds.items()}


def files(folder: Path) -> dict[Path, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    if not folder.exists():
        return {}
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def written(before: dict[Path, tuple[int, int]], after: dict[Path, tuple[int, int]]) -> int:
    """Bytes of the files that are new or changed between two ``files`` snapshots."""
    return sum(size for path, (size, mtime) in after.items() if before.get(path) != (size, mtime))


def peak_memory(cell: nbformat.NotebookNode) -> list[int] | None:
    """The kernel's and its largest subprocess's peak resident bytes, as printed by the
    ``PEAK_MEMORY`` cell (``None`` where the kernel could not tell, e.g. on Windows)."""
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")
    return json.loads(text.strip() or "null")


def execute(source: Path, timeout: int) -> tuple[nbformat.NotebookNode, float, dict]:
    """The notebook of ``source``, executed in a fresh kernel; the wall seconds it took;
    and what it cost: memory, disk, and seconds per section and per solution."""
    nb = jupytext.read(source)
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY))
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL["name"],
        store_widget_state=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    outputs_before = files(OUTPUTS)
    with tempfile.TemporaryDirectory(prefix="run_notebook-") as tmp:
        env = {**os.environ, "TMPDIR": tmp, "TEMP": tmp, "TMP": tmp}
        start = time.perf_counter()
        client.execute(env=env)
        seconds = time.perf_counter() - start
        temp_left = written({}, files(Path(tmp)))
    peaks = peak_memory(nb.cells.pop())
    sections, solutions = section_seconds(nb)
    cost = {
        "sections": sections,
        "solutions": solutions,
        "peak_memory_mib": None if peaks is None else round(peaks[0] / MIB),
        "subprocess_peak_memory_mib": None if peaks is None else round(peaks[1] / MIB),
        "outputs_written_mib": round(written(outputs_before, files(OUTPUTS)) / MIB, 1),
        "temp_left_mib": round(temp_left / MIB, 1),
    }
    return nb, seconds, cost


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


def load_record(path: Path = RECORD) -> dict[str, dict]:
    """``notebooks/runtimes.json``: for each notebook stem, ``seconds`` and, once a run of
    this script has measured them, ``sections``, ``solutions``, memory and disk. A bare
    number (the record's older form) is read as ``{"seconds": number}``."""
    raw = json.loads(path.read_text()) if path.exists() else {}
    return {stem: v if isinstance(v, dict) else {"seconds": v} for stem, v in raw.items()}


def record(stem: str, seconds: float, cost: dict, targets: Targets = REPOSITORY) -> dict:
    """Store the run in ``notebooks/runtimes.json`` and the README's table; return the record."""
    runtimes = load_record(targets.record)
    runtimes[stem] = {"seconds": round(seconds, 1), **cost}
    targets.record.write_text(json.dumps(dict(sorted(runtimes.items())), indent=2) + "\n")
    row = re.compile(rf"^(\| {stem[:2]} \| \[`{stem}`\].*\| ~)\d+( s \|)$", re.MULTILINE)
    readme = targets.readme.read_text()
    if not row.search(readme):
        sys.exit(f"README.md: no row of the series table for {stem}")
    targets.readme.write_text(row.sub(rf"\g<1>{round(seconds)}\g<2>", readme))
    return runtimes


def teaching(stem: str, seconds: float, runtimes: dict, targets: Targets = REPOSITORY) -> None:
    """Set the runtime of notebook ``stem`` in TEACHING.md: its column of the runtimes
    table (added when missing) and every agenda entry ``NN Name (~N s)``; and rewrite the
    guide's tables of sections, memory and disk from the record."""
    if not targets.guide.exists():
        return
    number, shown = stem[:2], f"~{round(seconds)} s"
    lines = targets.guide.read_text().split("\n")
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
    text = agenda.sub(rf"\g<1>{round(seconds)}\g<2>", "\n".join(lines))
    targets.guide.write_text(guide_tables(text, runtimes))


# ---- TEACHING.md's tables, written from the record ---------------------------------------


def _block(text: str, name: str, body: str) -> str:
    """``text`` with the lines between ``<!-- BEGIN name`` and ``<!-- END name -->`` set to
    ``body``."""
    block = re.compile(rf"(<!-- BEGIN {name}\b[^\n]*-->\n).*?(<!-- END {name} -->)", re.DOTALL)
    if not block.search(text):
        sys.exit(f"TEACHING.md: no '<!-- BEGIN {name} ... -->' ... '<!-- END {name} -->' block")
    return block.sub(lambda m: m.group(1) + body + m.group(2), text, count=1)


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    return "<1" if value < 1 else f"{value:.0f}"


def _numbered(sections: dict[str, float]) -> dict[int, float]:
    """Seconds of the numbered sections (``3 Negative sampling`` is 3); ``3.1`` counts to 3."""
    found: dict[int, float] = {}
    for name, value in sections.items():
        if m := re.match(r"(\d+)\b", name):
            found[int(m.group(1))] = found.get(int(m.group(1)), 0.0) + value
    return found


def sections_table(runtimes: dict[str, dict]) -> str:
    """The guide's table of seconds per numbered section, per solution total and per run."""
    numbered = {stem: _numbered(r.get("sections", {})) for stem, r in runtimes.items()}
    if not any(numbered.values()):
        return "Not yet measured: the next `python tools/run_notebook.py --all` fills it.\n"
    width = 1 + max(max(n, default=0) for n in numbered.values())
    head = ["Notebook", *map(str, range(width)), "Solutions", "Whole run"]
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    missing = []
    for stem, entry in sorted(runtimes.items()):
        if "sections" not in entry:
            missing.append(stem[:2])
        solutions = entry.get("solutions")
        cells = [_seconds(numbered[stem].get(k)) for k in range(width)]
        total = _seconds(sum(solutions.values())) if solutions else ""
        row = [stem[:2], *cells, total, f"~{round(entry['seconds'])} s"]
        rows.append("| " + " | ".join(row) + " |")
    if missing:
        rows += [
            "",
            f"Not yet measured per section: {', '.join(missing)} (the record holds only their "
            "whole runs; the next `python tools/run_notebook.py` run of each fills its row).",
        ]
    return "\n".join(rows) + "\n"


def solutions_table(runtimes: dict[str, dict]) -> str:
    """The guide's table of seconds per exercise solution, a row per notebook."""
    measured = {s: r["solutions"] for s, r in sorted(runtimes.items()) if r.get("solutions")}
    if not measured:
        return "Not yet measured: the next `python tools/run_notebook.py --all` fills it.\n"
    width = max(int(n) for solutions in measured.values() for n in solutions)
    head = ["Notebook", *(f"Ex. {n}" for n in range(1, width + 1))]
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for stem, solutions in measured.items():
        cells = [_seconds(solutions.get(str(n))) for n in range(1, width + 1)]
        rows.append("| " + " | ".join([stem[:2], *cells]) + " |")
    return "\n".join(rows) + "\n"


def _mib(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def resources_table(runtimes: dict[str, dict]) -> str:
    """The guide's table of peak memory and disk written, a row per notebook."""
    head = [
        "Notebook",
        "Peak memory, kernel (MiB)",
        "Peak memory, largest subprocess (MiB)",
        "Written to `notebooks/outputs/` (MiB)",
        "Left in the temp folder (MiB)",
    ]
    keys = ["peak_memory_mib", "subprocess_peak_memory_mib", "outputs_written_mib"]
    if not any("peak_memory_mib" in entry for entry in runtimes.values()):
        return "Not yet measured: the next `python tools/run_notebook.py --all` fills it.\n"
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    missing = []
    for stem, entry in sorted(runtimes.items()):
        if "peak_memory_mib" not in entry:
            missing.append(stem[:2])
        values = [_mib(entry.get(k)) for k in [*keys, "temp_left_mib"]]
        rows.append("| " + " | ".join([stem[:2], *values]) + " |")
    if missing:
        rows += ["", f"Not yet measured: {', '.join(missing)} (—)."]
    return "\n".join(rows) + "\n"


def guide_tables(text: str, runtimes: dict[str, dict]) -> str:
    """TEACHING.md's text with its generated tables written from ``runtimes``."""
    text = _block(text, "sections", sections_table(runtimes))
    text = _block(text, "solutions", solutions_table(runtimes))
    return _block(text, "resources", resources_table(runtimes))


def run(source: Path, timeout: int, targets: Targets = REPOSITORY) -> None:
    """Execute one notebook and write its pair, its record, the README row and the guide."""
    nb, seconds, cost = execute(source, timeout)
    seconds = round(seconds, 1)  # as recorded, so that every place rounds the same value
    if found := problems(nb):
        sys.exit(f"{source.stem}: not written, because of\n  " + "\n  ".join(found))
    clean(nb)
    nb.cells[0].source = set_runtime(nb.cells[0].source, round(seconds), source)
    target = targets.notebooks / source.name
    target.write_text(set_runtime(source.read_text(), round(seconds), source))
    nbformat.write(nb, target.with_suffix(".ipynb"))
    runtimes = record(source.stem, seconds, cost, targets)
    teaching(source.stem, seconds, runtimes, targets)
    print(
        f"{source.stem}: executed in {seconds:.1f} s, peak memory "
        f"{cost['peak_memory_mib']} MiB, {cost['outputs_written_mib']} MiB written to outputs/"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks by number, name or path")
    parser.add_argument("--all", action="store_true", help="every notebook of the series")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument(
        "--out", type=Path, help="write the pair, the record, README and TEACHING copies here"
    )
    parser.add_argument(
        "--tables", action="store_true", help="only rewrite TEACHING.md's tables from the record"
    )
    args = parser.parse_args()
    targets = Targets.scratch(args.out.resolve()) if args.out else REPOSITORY
    if args.tables:
        targets.guide.write_text(
            guide_tables(targets.guide.read_text(), load_record(targets.record))
        )
        return
    if not args.names and not args.all:
        parser.error("name a notebook, or pass --all")
    for source in sources(args.names):
        run(source, args.timeout, targets)


if __name__ == "__main__":
    main()
