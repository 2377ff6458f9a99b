"""A helper written out in a notebook (``# saved as gnnrec_utils.<module>.<name>``) is
the package's function: what a learner copies is what the tests exercise. The cells are
read from each notebook's ``.py`` source (tests/project/test_notebook_sources.py keeps the
``.ipynb`` in step with it)."""

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
MARK = re.compile(r"#\s*saved as gnnrec_utils\.([\w.]+)\.(\w+)")


def saved_cells():
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")):
        for cell in jupytext.read(path).cells:
            source = cell.source
            if cell.cell_type == "code" and (m := MARK.search(source)):
                yield pytest.param(source, m.group(1), m.group(2), id=f"{path.stem}:{m.group(2)}")


def without_docstring(source: str, name: str) -> str:
    """The AST of function ``name`` in ``source``, docstring removed, as a string."""
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                node.body = body[1:]
            node.returns = None
            for arg in node.args.args + node.args.kwonlyargs:
                arg.annotation = None  # the notebook may leave type hints out
            return ast.dump(node)
    raise AssertionError(f"no function {name} in the cell")


def test_some_notebook_teaches_a_saved_helper():
    assert list(saved_cells()), "no notebook cell is marked '# saved as gnnrec_utils...'"


@pytest.mark.parametrize("source, module, name", list(saved_cells()))
def test_saved_cell_matches_the_package(source, module, name):
    func = getattr(importlib.import_module(f"gnnrec_utils.{module}"), name)
    assert without_docstring(source, name) == without_docstring(inspect.getsource(func), name)
