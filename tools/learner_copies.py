"""Write the learner copies of the series into ``notebooks/learner/``.

A learner copy is a notebook of the series as a learner starts it in a workshop:

- no outputs (it is built from the ``.py`` source, which holds none);
- no solutions: every run of cells tagged ``solution`` becomes one code cell,
  ``# Exercise N: your answer here``, then the import of the exercise's checker and its
  call, commented (the learner first builds what it takes), as the solution makes it:
  a top-to-bottom run still passes, and the learner knows how to check an answer;
- paths one folder deeper: the copies sit in ``notebooks/learner/``, so ``"../data/shop"``
  becomes ``"../../data/shop"`` and the notebooks' own ``outputs/`` folder is
  ``"../outputs/"``;
- no ``nbval-check-output`` tags, since a copy has no outputs to compare with.

Usage, from the repository root::

    python tools/learner_copies.py            # write every copy
    python tools/learner_copies.py --check    # exit 1 if a copy differs from its source

``tests/project/test_learner_copies.py`` runs the check, and pytest executes the copies like the
notebooks themselves.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LEARNER = NOTEBOOKS / "learner"
SOLUTION_HEADING = re.compile(r"^###\s+Solution\s+(\d+)", re.MULTILINE)
# string literals that name a path relative to notebooks/
PATHS = [
    (re.compile(r"""(["'])\.\./"""), r"\g<1>../../"),
    (re.compile(r"""Path\((["'])\.\.(["'])\)"""), r"Path(\g<1>../..\g<2>)"),
    (re.compile(r"""(["'])outputs/"""), r"\g<1>../outputs/"),
]
DROPPED_TAGS = {"solution", "nbval-check-output"}
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


CHECKER = re.compile(r"check_exercise_\d+$")


def parse(code: str) -> ast.Module:
    return ast.parse("\n".join(line for line in code.splitlines() if not line.startswith("%")))


def checker_modules(code: str) -> dict[str, tuple[str, str]]:
    """Each name the code imports from ``gnnrec_utils.exercises``: the checkers' module
    and the name imported (``("nb04", "nb04")`` for the module itself, ``("nb04",
    "check_exercise_2")`` for a checker, whatever alias it was given)."""
    modules = {}
    for node in ast.walk(parse(code)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "gnnrec_utils.exercises"
        ):
            for alias in node.names:
                module = node.module.rsplit(".", 1)[-1]
                module = alias.name if module == "exercises" else module
                modules[alias.asname or alias.name] = (module, alias.name)
    return modules


def checker_calls(code: str, modules: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """``(module, call)`` of each exercise checker a solution calls: ``("nb04",
    "check_exercise_2(coverage50, split)")``; ``modules`` from :func:`checker_modules`
    of every solution of the notebook (one may import what the next ones use)."""
    found = []
    for node in ast.walk(parse(code)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and CHECKER.match(modules.get(func.id, ("", ""))[1]):
            module, name = modules[func.id]
        elif (
            isinstance(func, ast.Attribute)
            and CHECKER.match(func.attr)
            and isinstance(func.value, ast.Name)
            and func.value.id in modules
        ):
            module, name = modules[func.value.id][0], func.attr
        else:
            continue
        args = [ast.unparse(a) for a in node.args]
        args += [f"{k.arg}={ast.unparse(k.value)}" for k in node.keywords]
        found.append((module, f"{name}({', '.join(args)})"))
    return found


def placeholder(
    number: str | None, solution_code: str = "", modules: dict | None = None
) -> nbformat.NotebookNode:
    """The cell that stands for one exercise's solution: where to answer, and the call
    that checks the answer (commented: the learner builds its arguments first)."""
    what = f"Exercise {number}" if number else "Exercise"
    lines = [f"# {what}: your answer here"]
    calls = checker_calls(solution_code, modules or {})
    if calls:
        lines.append("")
        lines.append("# When your answer is ready, check it (uncomment the last line):")
        for module in dict.fromkeys(m for m, _ in calls):
            names = ", ".join(dict.fromkeys(c.split("(")[0] for m, c in calls if m == module))
            lines.append(f"from gnnrec_utils.exercises.{module} import {names}")
        lines += [f"# {call}" for _, call in calls]
    return nbformat.v4.new_code_cell("\n".join(lines))


def relocate(source: str) -> str:
    """``source`` with its paths relative to ``notebooks/`` made relative to the copy."""
    for pattern, replacement in PATHS:
        source = pattern.sub(replacement, source)
    return source


def learner_copy(source: Path) -> nbformat.NotebookNode:
    """The learner copy of one notebook source (``notebooks/NN_name.py``)."""
    nb = jupytext.read(source)
    solutions = "\n".join(
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])
    )
    modules = checker_modules(solutions)
    cells, in_solution, pending = [], False, None  # pending: [number, its solutions' code]
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        if "solution" in tags:
            heading = SOLUTION_HEADING.search(cell.source) if cell.cell_type == "markdown" else None
            if heading or not in_solution:
                if pending:
                    cells.append(placeholder(*pending, modules))
                pending = [heading.group(1) if heading else None, ""]
            if cell.cell_type == "code":
                pending[1] += cell.source + "\n"
            in_solution = True
            continue
        if pending:
            cells.append(placeholder(*pending, modules))
            pending = None
        in_solution = False
        kept = [t for t in tags if t not in DROPPED_TAGS]
        if kept:
            cell.metadata["tags"] = kept
        else:
            cell.metadata.pop("tags", None)
        if cell.cell_type == "code":
            cell.source = relocate(cell.source)
        cells.append(cell)
    if pending:
        cells.append(placeholder(*pending, modules))
    banner = (
        f"*Learner copy of `{source.stem}`: no outputs and no solutions. The full notebook, "
        f"with every output and the worked solutions, is `../{source.stem}.ipynb`.*"
    )
    cells[0].source = f"{cells[0].source}\n\n{banner}"  # the opening cell keeps its runtime
    nb.cells = cells
    for i, cell in enumerate(nb.cells):  # stable ids, so an unchanged source gives the same file
        cell.id = f"cell-{i}"
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    return nb


def text(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    sources = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    stale = []
    if not args.check:
        LEARNER.mkdir(exist_ok=True)
    for source in sources:
        target = LEARNER / f"{source.stem}.ipynb"
        wanted = text(learner_copy(source))
        if args.check:
            if not target.exists() or target.read_text() != wanted:
                stale.append(target.name)
        else:
            target.write_text(wanted)
    extra = {p.name for p in LEARNER.glob("*.ipynb")} - {f"{s.stem}.ipynb" for s in sources}
    if args.check and (stale or extra):
        print(
            f"learner copies behind their sources: {sorted(stale)}; without a source: "
            f"{sorted(extra)}; run `python tools/learner_copies.py`",
            file=sys.stderr,
        )
        return 1
    for name in sorted(extra):
        (LEARNER / name).unlink()
    if not args.check:
        print(f"wrote {len(sources)} learner copies to {LEARNER.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
