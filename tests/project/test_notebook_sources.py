"""The notebooks as written: sources paired with their outputs, runtimes recorded once,
and every figure quoted in prose found in an output.

- Each ``notebooks/NN_name.ipynb`` has its jupytext source ``NN_name.py``, with the same
  cells (kind, text and tags), so what a linter, a diff or a teacher's editor sees is what
  runs.
- ``notebooks/runtimes.json``, written by ``tools/run_notebook.py``, is the one record of
  how long each notebook took; the notebook's opening cell and the README's table say the
  same, rounded to the second.
- A figure in a notebook's prose (a decimal, a percentage, a ratio, a count with a thousands
  separator) must be found in an output of the same notebook, or be listed with its reason
  in ``notebooks/prose_numbers.toml`` (constants, settings, figures from papers).
  The README's figures must be found in a notebook's outputs or in ``benchmarks/README.md``.
"""

from __future__ import annotations

import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
PAIRS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
RUNTIME = re.compile(r"\*\*Runtime\*\*: ~(\d+) s")
# A figure: digits with an optional thousands separator and decimals, then an optional
# per cent or times sign. Not a part of a word, a version, a date or an identifier.
FIGURE = re.compile(r"(?<![\w.@/-])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s?%|\s?×)?(?![\w/-])")
NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")


def cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    """What a reader sees of each cell: kind, text, tags."""
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def output_text(cell) -> str:
    """Every text a code cell showed: printed, returned (plain and HTML) and errors."""
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        data = out.get("data", {})
        parts += [data.get("text/plain", ""), data.get("text/html", "")]
        parts.append(out.get("evalue", ""))
    return "\n".join("".join(p) if isinstance(p, list) else p for p in parts)


def quoted_figures(text: str) -> list[str]:
    """Figures in prose worth checking: decimals, percentages, ratios, thousands."""
    text = re.sub(r"`[^`]*`", " ", text)  # code in prose: names and settings, not results
    text = re.sub(r"\$[^$]*\$", " ", text)  # formulas
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"^#+\s+[\d.]+", "#", text, flags=re.MULTILINE)  # section numbers
    found = []
    for m in FIGURE.finditer(text):
        whole, decimals, sign = m.group(1), m.group(2), m.group(3)
        if decimals or sign or "," in whole:
            found.append(m.group(0).replace(" ", ""))
    return found


def shown_values(text: str) -> set[Decimal]:
    """Every number an output shows, without its sign (prose writes a minus as "−")."""
    return {abs(Decimal(n.replace(",", ""))) for n in NUMBER.findall(text)}


def matches(figure: str, shown: set[Decimal]) -> bool:
    """Whether an output shows ``figure``, at the precision the prose gives it.

    ``0.0236`` matches 0.0236 or 0.02362; ``36 %`` matches 36, 36.2 or 0.362; ``29.7×``
    matches 29.7 or 29.71; ``414,000`` matches 414,000 or 413,612 rounded to thousands.
    """
    sign = figure[-1] if figure[-1] in "%×" else ""
    digits = figure.rstrip("%×").replace(",", "")
    value = Decimal(digits)
    places = Decimal(1).scaleb(-len(digits.split(".")[1])) if "." in digits else Decimal(1)
    if "," in figure and value % 1000 == 0:  # "414,000": a count rounded to thousands
        places = Decimal(1000)
    candidates = shown | ({v * 100 for v in shown} if sign == "%" else set())
    return any(abs(v - value) <= places / 2 for v in candidates)


def allowed() -> dict[str, dict[str, str]]:
    return tomllib.loads((NOTEBOOKS / "prose_numbers.toml").read_text())


def unmatched_figures(nb, allow: dict[str, str]) -> list[str]:
    """Figures in the notebook's prose that no output of it shows and no entry allows."""
    shown = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            shown |= shown_values(output_text(cell))
    missing = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        prose = RUNTIME.sub("", cell.source)
        for figure in quoted_figures(prose):
            if figure not in allow and not matches(figure, shown):
                missing.append(figure)
    return missing


@pytest.fixture(scope="module")
def runtimes() -> dict[str, float]:
    """Each notebook's recorded seconds (the record also holds sections, memory and disk)."""
    record = json.loads((NOTEBOOKS / "runtimes.json").read_text())
    return {stem: entry["seconds"] for stem, entry in record.items()}


def test_every_notebook_has_a_source_and_every_source_a_notebook():
    sources = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    assert PAIRS, "no numbered notebook in notebooks/"
    assert sources == PAIRS


def test_no_notebook_is_built_from_string_literals():
    assert not list((ROOT / "tools").glob("build_*.py"))


@pytest.mark.parametrize("stem", PAIRS)
def test_pair_in_sync(stem):
    source = jupytext.read(NOTEBOOKS / f"{stem}.py")
    notebook = jupytext.read(NOTEBOOKS / f"{stem}.ipynb")
    assert cells(source) == cells(notebook), (
        f"{stem}.py and {stem}.ipynb differ: run `python tools/run_notebook.py {stem[:2]}`"
    )


@pytest.mark.parametrize("stem", PAIRS)
def test_notebook_states_its_recorded_runtime(stem, runtimes):
    opening = jupytext.read(NOTEBOOKS / f"{stem}.ipynb").cells[0].source
    stated = RUNTIME.search(opening)
    assert stated, f"{stem}: the opening cell gives no '**Runtime**: ~N s'"
    assert int(stated.group(1)) == round(runtimes[stem])


def test_readme_runtime_column_is_the_record(runtimes):
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| \d\d \| \[`(\w+)`\].*\| ~(\d+) s \|$", readme, re.MULTILINE))
    assert sorted(rows) == sorted(runtimes) == PAIRS
    assert {stem: int(s) for stem, s in rows.items()} == {
        stem: round(s) for stem, s in runtimes.items()
    }


@pytest.mark.parametrize("stem", PAIRS)
def test_prose_figures_come_from_outputs(stem):
    nb = jupytext.read(NOTEBOOKS / f"{stem}.ipynb")
    missing = unmatched_figures(nb, allowed().get(stem, {}))
    assert not missing, (
        f"{stem}: figures in prose that no output shows: {missing}; "
        f"fix the prose, or list a constant in notebooks/prose_numbers.toml with its reason"
    )


def test_every_allowed_figure_is_still_in_its_prose():
    for stem, figures in allowed().items():
        if stem == "README":
            prose = (ROOT / "README.md").read_text()
        else:
            nb = jupytext.read(NOTEBOOKS / f"{stem}.ipynb")
            prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        stale = sorted(set(figures) - set(quoted_figures(prose)))
        assert not stale, f"{stem}: allowed figures no longer quoted: {stale}"


def test_readme_figures_come_from_notebooks_or_benchmarks():
    shown = shown_values((ROOT / "benchmarks" / "README.md").read_text())
    for stem in PAIRS:
        nb = jupytext.read(NOTEBOOKS / f"{stem}.ipynb")
        for cell in nb.cells:
            if cell.cell_type == "code":
                shown |= shown_values(output_text(cell))
    allow = allowed().get("README", {})
    readme = RUNTIME.sub("", (ROOT / "README.md").read_text())
    readme = re.sub(r"\| ~\d+ s \|", "|", readme)
    missing = [f for f in quoted_figures(readme) if f not in allow and not matches(f, shown)]
    assert not missing, f"README.md: figures found in no notebook output or benchmark: {missing}"


# The check itself must be able to fail.


def test_a_figure_not_in_the_outputs_is_reported():
    nb = jupytext.reads(
        "# %% [markdown]\n# NDCG@10 is 0.0236, 29.7× better, 36 % more.\n\n"
        "# %%\nprint(0.02361, 29.71)\n",
        fmt="py:percent",
    )
    nb.cells[1].outputs = [{"output_type": "stream", "name": "stdout", "text": "0.02361 29.71\n"}]
    assert unmatched_figures(nb, {}) == ["36%"]
    assert unmatched_figures(nb, {"36%": "a constant"}) == []


@pytest.mark.parametrize(
    "figure, shown, expected",
    [
        ("0.0236", "0.0236", True),
        ("0.0236", "0.02362", True),
        ("0.0236", "0.0237", False),
        ("36%", "0.362", True),
        ("36%", "0.38", False),
        ("29.7×", "29.7", True),
        ("several", "29.7", None),
        ("414,000", "413,612", True),
        ("414,000", "412,012", False),
    ],
)
def test_matching_respects_the_quoted_precision(figure, shown, expected):
    if expected is None:
        assert quoted_figures(figure) == []
    else:
        assert matches(figure, shown_values(shown)) is expected


def test_figures_in_code_formulas_and_links_are_not_prose():
    text = "`lr=0.01`, $\\alpha = 0.5$, [x](a/0.5.html), v2.8.1, NDCG@10 and 1.5 SE"
    assert quoted_figures(text) == ["1.5"]
