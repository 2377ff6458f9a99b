"""Every figure in the documents comes from a recorded result (STYLE rule 26).

- Each benchmark table in ``benchmarks/README.md`` (between ``<!-- table: NAME -->`` and
  ``<!-- end -->``) and each data-card table made from a benchmark (``data/README.md``,
  between ``<!-- BEGIN NAME -->`` and ``<!-- END NAME -->``) is what ``tools/bench_tables.py``
  writes from the records in ``benchmarks/results/``.
- Every figure in the prose of ``README.md``, ``TEACHING.md``, ``benchmarks/README.md`` and
  ``data/README.md`` (a decimal, a percentage, a ratio, a count with a thousands separator,
  as ``test_notebook_sources.py`` finds them, and a whole number of seconds, minutes or
  bytes) is found, at the precision the document gives it, in a record
  (``benchmarks/results/*.json``, with seconds also as minutes and hours, MiB also as GiB
  and bytes also as MB, MiB and GiB), in a notebook's outputs, in ``notebooks/runtimes.json``,
  or in a table written by code (the generated blocks above and ``tools/datacard.py``'s
  blocks, which their own tests recompute). In a section (``## ``) that names records
  (``NAME.json``), its figures must be in those records or its own tables: a figure of the
  MovieLens section is looked for in ``movielens100k.json``, not in every record. A figure that is not a result (a published
  figure, with its source; a constant, a setting, a target, the size of a public data set)
  is listed with its reason in ``benchmarks/quoted_figures.toml``, per document.
- Records hold no path of the machine that made them, and every record made with a
  ``"run"`` entry has its command in ``benchmarks/README.md``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
ALLOWED = ROOT / "benchmarks" / "quoted_figures.toml"
DOCUMENTS = ("README", "TEACHING", "benchmarks/README", "data/README")


def load(path: Path, name: str):
    """A module from a file outside any package."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sources = load(Path(__file__).with_name("test_notebook_sources.py"), "notebook_sources_rules")
tables = load(ROOT / "tools" / "bench_tables.py", "bench_tables")
quoted_figures, matches, shown_values = (
    sources.quoted_figures,
    sources.matches,
    sources.shown_values,
)

#: Units of time and memory, and the one each is compared in.
UNITS = {
    "µs": "µs", "ms": "ms", "s": "s", "second": "s", "seconds": "s", "min": "min",
    "minute": "min", "minutes": "min", "hour": "h", "hours": "h", "KiB": "KiB",
    "MiB": "MiB", "GiB": "GiB", "kB": "kB", "MB": "MB", "GB": "GB",
}  # fmt: skip
UNIT = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
#: After a figure: its unit, directly or after the second figure of a range ("18–20 s").
UNIT_AFTER = re.compile(rf"^(?:\s?[–-]\s?[\d.,]+)?\s?({UNIT})(?![\w/-])")
#: A number an output or a table shows with its unit ("94.3 s", "5.0 GiB").
NUMBER_WITH_UNIT = re.compile(rf"(-?\d+(?:,\d{{3}})*(?:\.\d+)?)\s?({UNIT})(?![\w/-])")
#: Fenced blocks of commands or settings: not results. Other fenced blocks are read.
COMMANDS = re.compile(r"^```(?:bash|sh|console|shell|python|toml|yaml)\n.*?^```$", re.M | re.S)
#: Tables written by code, read as sources and not as prose.
GENERATED = re.compile(
    r"<!-- (?:table: [\w-]+|BEGIN ([\w-]+)(?::[^>]*)?) -->\n.*?<!-- (?:end|END \1) -->", re.S
)
VERSION = re.compile(r"(?<![\w.])\d+\.\d+\.\d+(?:[\w.+-]*)")  # 2.13.0+cpu: a version
ARXIV = re.compile(r"arXiv:\s?\d{4}\.\d{4,5}(?:v\d+)?")  # an identifier, not a figure
RUNTIME = re.compile(r"\| ~\d+ s \|")  # the README's runtime column: test_notebook_sources.py


def text_of(document: str) -> str:
    return (ROOT / f"{document}.md").read_text()


def blank(match: re.Match) -> str:
    """What is cut out of the prose, kept as its line breaks so lines keep their numbers."""
    return "\n" * match.group(0).count("\n")


def prose(text: str) -> str:
    """The text whose figures must be found: no commands, no generated tables, no versions."""
    for pattern in (COMMANDS, GENERATED, VERSION, ARXIV, RUNTIME):
        text = pattern.sub(blank, text)
    return text.replace("```", "")


def line_figures(line: str) -> list[str]:
    """The figures of one line of prose: ``quoted_figures``'s, each with the unit that
    follows it ("94.3 s"), and whole numbers that have a unit ("41 s", "5 GiB")."""
    text = line
    for pattern, by in ((r"`[^`]*`", " "), (r"\$[^$]*\$", " "), (r"\]\([^)]*\)", "]")):
        text = re.sub(pattern, by, text)  # as quoted_figures: code, formulas, link targets
    found = []
    for m in sources.FIGURE.finditer(text):
        whole, decimals, sign = m.group(1), m.group(2), m.group(3)
        unit = None if sign else UNIT_AFTER.match(text[m.end() :])
        if decimals or sign or "," in whole:
            figure = m.group(0).replace(" ", "")
            found.append(f"{figure} {unit.group(1)}" if unit else figure)
        elif unit:
            found.append(f"{whole} {unit.group(1)}")
    assert [f.split(" ")[0] for f in found if not f.split(" ")[0].isdigit()] == [
        f for f in quoted_figures(line)
    ], line  # the same figures as the notebooks' rule finds, and whole numbers with units
    return found


def document_figures(text: str) -> list[tuple[int, str]]:
    """``(line number, figure)`` for every figure in the prose of ``text``."""
    return [
        (number, figure)
        for number, line in enumerate(prose(text).splitlines(), start=1)
        for figure in line_figures(line)
    ]


Shown = dict[str, set[Decimal]]  # "" for every number, else a unit: the numbers in it


def number(value: float) -> Decimal:
    return abs(Decimal(repr(float(value))))


def typed(path: str, value: float) -> Shown:
    """``value`` of the record entry at ``path`` in each unit a document may write it in."""
    path, out = path.lower(), {}
    parts = re.split(r"[^a-z]+", path)
    if "ms" in parts:
        out = {"ms": value, "s": value / 1e3}
    elif path.endswith("_s") or "_s." in path or "second" in path or "s" in parts:
        out = {"s": value, "ms": value * 1e3, "min": value / 60, "h": value / 3600}
    elif "minutes" in parts:
        out = {"min": value, "s": value * 60}
    if "mib" in parts or path.endswith("_mib"):
        out = {"MiB": value, "GiB": value / 1024}
    elif "gib" in parts or path.endswith("_gib"):
        out = {"GiB": value, "MiB": value * 1024}
    elif "bytes" in parts or path.endswith("_bytes"):
        out = {"MB": value / 1e6, "GB": value / 1e9, "MiB": value / 2**20, "GiB": value / 2**30}
    return {unit: {number(v)} for unit, v in out.items()}


def merge(into: Shown, more: Shown) -> Shown:
    for unit, values in more.items():
        into.setdefault(unit, set()).update(values)
    return into


def text_values(text: str) -> Shown:
    """Every number ``text`` shows, and those with a unit beside it under that unit."""
    found: Shown = {"": shown_values(text)}
    for value, unit in NUMBER_WITH_UNIT.findall(text):
        merge(found, {UNITS[unit]: {abs(Decimal(value.replace(",", "")))}})
    return found


def record_values(value, path: str = "") -> Shown:
    """Every number a record holds (its strings and keys included), each also in the units
    its key gives it (``eval_seconds``: seconds, minutes, hours; ``peak_mib``: MiB, GiB)."""
    found: Shown = {"": set()}
    if isinstance(value, dict):
        merge(found, text_values(" ".join(value)))
        for key, item in value.items():
            merge(found, record_values(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for item in value:
            merge(found, record_values(item, path))
    elif isinstance(value, str):
        merge(found, text_values(value))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if value == value and abs(value) != float("inf"):
            merge(found, {"": {number(value)}} | typed(path, value))
    return found


@cache
def shown() -> Shown:
    """Every number a record, a notebook output or a table written by code shows."""
    found: Shown = {"": set()}
    for path in sorted(RESULTS.glob("*.json")):
        merge(found, record_values(json.loads(path.read_text()), path.stem))
    runtimes = json.loads((ROOT / "notebooks" / "runtimes.json").read_text())
    merge(found, record_values(runtimes, "runtime_seconds"))
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in jupytext.read(path).cells:
            if cell.cell_type == "code":
                merge(found, text_values(sources.output_text(cell)))
    for document in DOCUMENTS:
        for block in GENERATED.finditer(text_of(document)):
            merge(found, text_values(block.group(0)))
    return found


RECORD_NAME = re.compile(r"([\w-]+)\.json\b")


def section_sources(section: str) -> Shown | None:
    """What a section's figures are checked against: the records it names
    (``benchmarks/results/NAME.json`` or ``NAME.json``), the tables written in it and the
    tables written from those records anywhere, or ``None`` where it names no record (then
    every source counts)."""
    names = sorted({n for n in RECORD_NAME.findall(section) if (RESULTS / f"{n}.json").is_file()})
    if not names:
        return None
    found: Shown = {"": set()}
    for name in names:
        merge(found, record_values(json.loads((RESULTS / f"{name}.json").read_text()), name))
    blocks = [b.group(0) for d in DOCUMENTS for b in GENERATED.finditer(text_of(d))]
    for block in [b.group(0) for b in GENERATED.finditer(section)] + blocks:
        if block in section or set(RECORD_NAME.findall(block)) & set(names):
            merge(found, text_values(block))  # its own tables, and those made from its records
    return found


def sections(text: str) -> list[tuple[int, Shown | None]]:
    """``(first line, sources)`` of each ``## `` section of ``text``, in order."""
    starts = [0] + [n for n, line in enumerate(text.splitlines()) if line.startswith("## ")]
    lines = text.splitlines()
    bounds = list(zip(starts, starts[1:] + [len(lines)], strict=True))
    return [(a + 1, section_sources("\n".join(lines[a:b]))) for a, b in bounds]


def backed(figure: str, sources: Shown | None = None) -> bool:
    """Whether ``sources`` (by default: every record, notebook output and generated table)
    show ``figure``; one with a unit must be shown in that unit (a time among times, a
    memory among memories)."""
    value, _, unit = figure.partition(" ")
    pool = shown() if sources is None else sources
    return matches(value, pool.get(UNITS[unit] if unit else "", set()))


@cache
def allowed() -> dict[str, dict[str, str]]:
    return tomllib.loads(ALLOWED.read_text())


def unbacked(document: str) -> list[str]:
    """``line N: figure`` for each figure of ``document`` with no record and no allowance.

    A figure in a section that names records must be in those records (or the tables
    written in that section); elsewhere, in any record or notebook output.
    """
    text, allow = text_of(document), allowed().get(document, {})
    lines, parts = text.splitlines(), sections(text)
    missing = []
    for n, figure in document_figures(text):
        sources = next(src for first, src in reversed(parts) if first <= n)
        if figure not in allow and not backed(figure, sources):
            missing.append(f"line {n}: {figure}   | {lines[n - 1].strip()[:110]}")
    return missing


# ---------------------------------------------------------------- the checks


def test_the_tables_are_what_their_records_make():
    for path, (writers, block) in tables.documents().items():
        text = path.read_text()
        stale = [
            name for name in writers if tables.rewrite(text, {name: writers[name]}, block) != text
        ]
        assert not stale, (
            f"{path.relative_to(ROOT)}: tables that differ from their records: {stale}; "
            "run python tools/bench_tables.py"
        )


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_figure_has_a_record(document):
    missing = unbacked(document)
    assert not missing, (
        f"{document}.md: {len(missing)} figures found in no record, notebook output or table "
        f"written by code (restate them from a record, or list a figure that is not a result "
        f"in benchmarks/quoted_figures.toml with its reason):\n" + "\n".join(missing)
    )


def test_every_allowed_figure_is_still_quoted():
    for document, figures in allowed().items():
        assert document in DOCUMENTS, f"benchmarks/quoted_figures.toml: unknown [{document}]"
        quoted = {figure for _, figure in document_figures(text_of(document))}
        stale = sorted(set(figures) - quoted)
        assert not stale, f"{document}.md no longer quotes {stale}: drop them from the allowlist"


def test_records_hold_no_path_of_the_machine():
    for path in RESULTS.glob("*.json"):
        text = path.read_text()
        for marker in ("/work/", "/home/", "/tmp/", "/Users/", "/root/", "C:\\\\"):
            assert marker not in text, f"{path.name} holds a path ({marker}...)"


def test_every_benchmark_has_a_record_and_its_command_is_documented():
    readme = text_of("benchmarks/README") + text_of("data/README")  # tools/datacard.py's there
    scripts = {p.stem for p in (ROOT / "benchmarks").glob("*.py")} - {"common"}
    records = {p.stem: json.loads(p.read_text()) for p in RESULTS.glob("*.json")}
    without = sorted(s for s in scripts if not any(name.startswith(s) for name in records))
    assert not without, f"benchmarks with no record in benchmarks/results/: {without}"
    for name, rec in records.items():
        if isinstance(rec, dict) and "run" in rec:
            assert rec["run"]["command"] in readme, (
                f"{name}.json was made by `{rec['run']['command']}`, which neither "
                "benchmarks/README.md nor data/README.md gives"
            )


# ---------------------------------------------------------------- the check itself


def test_figures_are_found_with_their_lines_units_and_ranges():
    text = (
        "LightGCN reaches 0.466 after 41 s.\n"
        "```bash\npython x.py --lr 0.005 --max 60\n```\n"
        "Scoring takes 18–20 s, `0.5` is code, torch 2.13.0+cpu, 1,035 shoppers, 36 %.\n"
        "KGAT ([arXiv:1905.07854](https://arxiv.org/abs/1905.07854)).\n"
        "<!-- table: x -->\n| 0.1234 |\n<!-- end -->\n"
        "about 5 GiB at peak"
    )
    assert document_figures(text) == [
        (1, "0.466"),
        (1, "41 s"),
        (5, "18 s"),
        (5, "20 s"),
        (5, "1,035"),
        (5, "36%"),
        (10, "5 GiB"),
    ]


def test_record_values_carry_their_units():
    values = record_values(
        {"gnnrec": {"peak_mib": 5120.0}, "eval_seconds": 380.0, "memory_bytes": 24_100_000}
    )
    assert matches("5.0", values["GiB"]) and matches("6.3", values["min"])
    assert matches("24.1", values["MB"]) and matches("380", values["s"])
    assert not matches("380", values["GiB"]) and not matches("4.1", values[""])


def test_a_time_must_be_a_recorded_time():
    assert text_values("LightGCN 94.3 s, 41 epochs")["s"] == {Decimal("94.3")}
    assert UNITS["minutes"] == "min" and not matches("41", text_values("41 epochs").get("s", set()))
