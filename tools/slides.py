"""Tag the notebooks' cells for slides, and build reveal.js decks with nbconvert.

One slide per section. The rule, applied to every cell of a notebook in order:

1. the opening cell (title, *What you will learn*, prerequisites, runtime): ``slide``;
2. a cell tagged ``solution``: ``skip`` (the answer key has them; a deck shows the
   exercises, not their answers);
3. a markdown cell whose first line is a ``## `` heading (``## 3 Negative sampling``,
   ``## Summary``): ``slide``, so a deck has one slide per section. Since nbconvert cannot
   start a slide inside a cell, tagging first splits a markdown cell before each ``## ``
   heading that is not its first line (the closing prose of one section and the heading
   of the next become two cells; no line of text changes);
4. any other cell of ``## 0 Setup`` (imports, the version check, the parameters): ``skip``;
5. any other markdown cell: ``subslide``, the section's prose one step down;
6. any other code cell: ``-``, on the slide of the prose above it, with its output
   (tables, figures, the printed checkpoint values).

The tags live in the cell headers of the jupytext sources
(``# %% [markdown] slideshow={"slide_type": "slide"}``) and in the paired notebooks'
cell metadata, which is what ``jupyter nbconvert --to slides`` reads. For a JupyterLab
save to keep them in the ``.py``, ``notebooks/jupytext.toml`` must list ``slideshow`` in
its ``cell_metadata_filter``; ``--check`` reports a pair whose tags have gone.

Usage, from the repository root::

    python tools/slides.py            # split and tag every pair by the rule (.py and .ipynb)
    python tools/slides.py --check    # exit 1, naming each cell, where a pair breaks the rule
    python tools/slides.py --build    # decks into notebooks/outputs/slides/ (git ignores it)
    python tools/slides.py --build --out DIR 03 05    # some decks, elsewhere

``--build`` runs ``jupyter nbconvert --to slides`` on the committed notebooks (outputs
included, code shown, long slides scrolling). Open ``NN_name.slides.html`` in a browser.
A deck loads reveal.js, require.js, jQuery and MathJax from the internet; with
``--offline`` it loads the first three from its own folder instead, where they must be
copied as ``reveal.js/`` (reveal.js 4, its npm package), ``require.js`` and
``jquery.min.js`` (formulas then show as TeX source).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DECKS = NOTEBOOKS / "outputs" / "slides"
# where an --offline deck finds its scripts, relative to the deck
OFFLINE = {
    "reveal_url_prefix": "reveal.js",
    "require_js_url": "require.js",
    "jquery_url": "jquery.min.js",
}
HEADING = re.compile(r"##\s+(\S.*)")
SETUP = re.compile(r"0\b")
FENCE = "```"


def heading(cell) -> str | None:
    """The ``## `` heading a markdown cell opens with, or ``None``."""
    if cell.cell_type != "markdown":
        return None
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    m = HEADING.fullmatch(first.strip())
    return m.group(1) if m else None


def parts(markdown: str) -> list[str]:
    """``markdown`` cut before each ``## `` heading that is not its first line (headings in
    fenced code left alone); a single part when there is none."""
    found, current, fenced = [], [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith(FENCE):
            fenced = not fenced
        elif not fenced and HEADING.fullmatch(line.strip()) and any(s.strip() for s in current):
            found.append("\n".join(current).rstrip())
            current = []
        current.append(line)
    return [*found, "\n".join(current)]


def split_at_headings(cells) -> list:
    """The cells, each markdown cell split so that every ``## `` heading starts a cell; the
    parts after the first are new cells with the same tags."""
    out = []
    for cell in cells:
        pieces = parts(cell.source) if cell.cell_type == "markdown" else [cell.source]
        cell.source = pieces[0]
        out.append(cell)
        for piece in pieces[1:]:
            tags = cell.metadata.get("tags")
            out.append(
                nbformat.v4.new_markdown_cell(piece, metadata={"tags": tags} if tags else {})
            )
    return out


def slide_types(cells) -> list[str]:
    """The slide type of each cell, by the rule in this module's docstring."""
    types, section = [], None
    for i, cell in enumerate(cells):
        title = heading(cell)
        section = title if title is not None else section
        if i == 0:
            types.append("slide")
        elif "solution" in cell.metadata.get("tags", []):
            types.append("skip")
        elif title is not None:
            types.append("slide")
        elif section is not None and SETUP.match(section):
            types.append("skip")
        else:
            types.append("subslide" if cell.cell_type == "markdown" else "-")
    return types


def tagged(cell, slide_type: str) -> dict:
    """The cell's metadata with ``slideshow`` set, keys in the order nbformat writes them
    (sorted), so that a save in JupyterLab writes the same header."""
    metadata = dict(cell.metadata) | {"slideshow": {"slide_type": slide_type}}
    return {key: metadata[key] for key in sorted(metadata)}


def differences(source: Path) -> list[str]:
    """Cells of ``source`` (a ``.py``) and of its paired ``.ipynb`` that break the rule: a
    ``## `` heading inside a cell, or a tag that is not the rule's."""
    found = []
    for path in (source, source.with_suffix(".ipynb")):
        if not path.exists():
            continue
        cells = jupytext.read(path).cells
        for i, cell in enumerate(cells):
            if cell.cell_type == "markdown" and len(parts(cell.source)) > 1:
                inside = parts(cell.source)[1].split("\n", 1)[0]
                found.append(f"{path.name} cell {i}: {inside!r} is not at the top of its cell")
        for i, (cell, want) in enumerate(zip(cells, slide_types(cells), strict=True)):
            have = cell.metadata.get("slideshow", {}).get("slide_type")
            if have != want:
                first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
                found.append(f"{path.name} cell {i} ({first!r}): {have!r}, the rule says {want!r}")
    return found


def tag(source: Path) -> bool:
    """Write the rule's tags into ``source`` (a ``.py``) and its paired ``.ipynb``; return
    whether anything changed. Only the ``# %%`` header lines of the ``.py`` change."""
    nb = jupytext.read(source)
    nb.cells = split_at_headings(nb.cells)
    types = slide_types(nb.cells)
    for cell, slide_type in zip(nb.cells, types, strict=True):
        cell.metadata = tagged(cell, slide_type)
    nb.metadata.setdefault("jupytext", {})["cell_metadata_filter"] = "slideshow,tags,-all"
    before = source.read_text()
    text = jupytext.writes(nb, fmt="py:percent")
    if _text_lines(before) != _text_lines(text):
        sys.exit(f"{source.name}: tagging would change more than cell boundaries; not written")
    source.write_text(text)
    paired = source.with_suffix(".ipynb")
    if paired.exists():
        notebook = nbformat.read(paired, as_version=4)
        notebook.cells = split_at_headings(notebook.cells)
        if [(c.cell_type, c.source.strip()) for c in notebook.cells] != [
            (c.cell_type, c.source.strip()) for c in nb.cells
        ]:
            sys.exit(f"{paired.name}: its cells differ from {source.name}'s; rerun it first")
        for cell, slide_type in zip(notebook.cells, types, strict=True):
            cell.metadata = tagged(cell, slide_type)
        nbformat.write(notebook, paired)
    return before != text


def _text_lines(script: str) -> list[str]:
    """The lines of a percent script that carry text: no cell header, no blank line."""
    return [
        s for s in script.splitlines() if s.strip() not in ("", "#") and not s.startswith("# %%")
    ]


def build(notebooks: list[Path], out: Path, offline: bool = False) -> list[Path]:
    """Decks of ``notebooks`` (``.ipynb``) in ``out``, by one ``jupyter nbconvert --to slides``."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "nbconvert", "--to", "slides", "--output-dir", str(out)]
    command += ["--SlidesExporter.reveal_scroll=True", "--log-level=WARN"]
    if offline:
        command += [f"--SlidesExporter.{name}={url}" for name, url in OFFLINE.items()]
    subprocess.run([*command, *map(str, notebooks)], check=True)
    return [out / f"{nb.stem}.slides.html" for nb in notebooks]


class _Slides(HTMLParser):
    """Counts the top-level ``<section>`` elements (reveal.js's horizontal slides)."""

    def __init__(self):
        super().__init__()
        self.depth, self.count = 0, 0

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.count += self.depth == 0
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1


def count_slides(html: str) -> int:
    """The number of horizontal slides in a deck nbconvert wrote."""
    parser = _Slides()
    parser.feed(html.split('<div class="slides">', 1)[-1])
    return parser.count


def pairs(folder: Path, names: list[str]) -> list[Path]:
    """The ``.py`` sources in ``folder`` named by number or stem (all when none is named)."""
    every = sorted(folder.glob("[0-9][0-9]_*.py"))
    chosen = [p for p in every if not names or p.stem in names or p.stem[:2] in names]
    if names and len(chosen) != len(names):
        sys.exit(f"not every one of {names} names a notebook source in {folder}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks by number or stem (default: all)")
    parser.add_argument("--check", action="store_true", help="compare with the rule, write nothing")
    parser.add_argument("--build", action="store_true", help="build decks with nbconvert")
    parser.add_argument("--out", type=Path, default=DECKS, help="where --build writes decks")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--offline", action="store_true", help="load reveal.js, require.js, jQuery beside the decks"
    )
    args = parser.parse_args(argv)
    sources = pairs(args.notebooks, args.names)
    if args.build:
        for deck in build([s.with_suffix(".ipynb") for s in sources], args.out, args.offline):
            print(f"{deck}: {count_slides(deck.read_text())} slides")
        return 0
    if args.check:
        found = [line for source in sources for line in differences(source)]
        if found:
            print(
                "slide tags differ from the rule (run `python tools/slides.py`):", file=sys.stderr
            )
            print("  " + "\n  ".join(found), file=sys.stderr)
            return 1
        return 0
    changed = [source.stem for source in sources if tag(source)]
    print(f"tagged {len(changed)} of {len(sources)} pairs for slides: {', '.join(changed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
