"""Gather the exercises of the series and their worked solutions into ``notebooks/answer_key.md``.

For each notebook with solutions, in the series' order: its title, then for each exercise
the exercise as the notebook's ``## Exercises`` list words it, and the solution as the
cells tagged ``solution`` give it, prose and code in the notebook's order (the
``### Solution N`` heading dropped). Built from the ``.py`` sources, so it holds no
outputs: the full notebooks show what each solution prints.

Usage, from the repository root::

    python tools/answer_key.py            # write notebooks/answer_key.md
    python tools/answer_key.py --check    # exit 1 if it differs from the sources

``tests/project/test_answer_key.py`` runs the check.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KEY = NOTEBOOKS / "answer_key.md"
SOLUTION = re.compile(r"^###\s+Solution\s+(\d+)\s*\n?", re.MULTILINE)
ITEM = re.compile(r"(\d+)\.\s+(.*)")
HEADER = """\
# Answer key: the exercises of the series and their worked solutions

Written by `python tools/answer_key.py` from the cells tagged `solution` in the notebooks'
sources (`notebooks/NN_name.py`); do not edit it by hand. Each solution ends with the call
a learner's own answer goes through, `assert check_exercise_N(...)`, which prints
`Right: ...` or `Not yet: ...`. What each solution prints is in the full notebook
(`notebooks/NN_name.ipynb`); the learner copies in `notebooks/learner/` leave the solutions out.
"""


def exercises(cells) -> dict[str, str]:
    """Each exercise's text, by number, from the numbered list under ``## Exercises``."""
    found: dict[str, list[str]] = {}
    for cell in cells:
        if cell.cell_type != "markdown" or "## Exercises" not in cell.source:
            continue
        number, listing = None, False
        for line in cell.source.split("## Exercises", 1)[1].split("\n")[1:]:
            if line.startswith("## "):
                break
            if m := ITEM.fullmatch(line.rstrip()):
                number, listing = m.group(1), True
                found[number] = [m.group(2)]
            elif listing and number and line.startswith((" ", "\t")) and line.strip():
                found[number].append(line.strip())
            else:
                listing = False
    return {n: "\n".join(lines) for n, lines in found.items()}


def solutions(cells) -> dict[str, list]:
    """The cells of each solution, by number: ``### Solution N`` and the solution cells
    after it (the heading line removed from its cell)."""
    found: dict[str, list] = {}
    number = None
    for cell in cells:
        if "solution" not in cell.metadata.get("tags", []):
            number = None
            continue
        if cell.cell_type == "markdown" and (m := SOLUTION.search(cell.source)):
            number = m.group(1)
            found[number] = []
            source = SOLUTION.sub("", cell.source, count=1).strip()
        else:
            source = cell.source.strip()
        if number is not None and source:
            found[number].append((cell.cell_type, source))
    return found


def section(source: Path) -> str:
    """The answer key's section for one notebook source, or ``""`` if it has no solutions."""
    nb = jupytext.read(source)
    worked = solutions(nb.cells)
    if not worked:
        return ""
    title = nb.cells[0].source.strip().split("\n", 1)[0].lstrip("# ").strip()
    asked = exercises(nb.cells)
    lines = [
        f"## {title}",
        "",
        f"From `notebooks/{source.name}`; what the solutions print is in `{source.stem}.ipynb`.",
    ]
    for number in sorted(set(asked) | set(worked), key=int):
        lines += ["", f"### Exercise {number}", ""]
        text = asked.get(number, "(not in the notebook's list of exercises)")
        lines += ["> " + line for line in text.split("\n")]
        lines.append("")
        if number not in worked:
            lines.append("*No worked solution.*")
            continue
        lines.append("**Solution.**")
        for kind, body in worked[number]:
            lines.append("")
            lines += [body] if kind == "markdown" else ["```python", body, "```"]
    return "\n".join(lines) + "\n"


def answer_key(folder: Path = NOTEBOOKS) -> str:
    """The whole answer key for the notebook sources in ``folder``."""
    parts = [section(source) for source in sorted(folder.glob("[0-9][0-9]_*.py"))]
    return "\n".join([HEADER, *filter(None, parts)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    target, wanted = args.notebooks / KEY.name, answer_key(args.notebooks)
    if args.check:
        if not target.exists() or target.read_text() != wanted:
            print(
                f"{KEY.name} is behind the sources: run `python tools/answer_key.py`",
                file=sys.stderr,
            )
            return 1
        return 0
    target.write_text(wanted)
    print(f"wrote {target.relative_to(args.notebooks.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
