"""The package's layout keeps its promises: folders that read as the pipeline, imports that
only go down it, small modules with a declared public API, one model interface, and the
names the notebooks use reachable from the top of the package."""

import ast
import inspect
import re
from pathlib import Path

import jupytext
import pytest

import gnnrec_utils

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "gnnrec_utils"
#: Bottom first: a module may import from its own layer or a lower one, never a higher one.
LAYERS = [
    {"io", "checks", "machine"},
    {"data"},
    {"datasets", "synthetic", "graph"},
    {"models"},
    {"evaluation"},
    {"training", "retrieval"},
    {"scenarios"},
    {"notebook"},
    {"exercises"},
]
MAX_LINES = 400


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def folder(path: Path) -> str:
    """The top-level folder (or module) of the package that ``path`` belongs to."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def layer(name: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if name in names)


def imported_folders(path: Path) -> set[str]:
    """The package folders a module imports from (absolute ``gnnrec_utils.X...`` imports)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "gnnrec_utils" and len(parts) > 1:
                found.add(parts[1])
    return found & set().union(*LAYERS)


def test_every_folder_has_a_layer():
    tops = {folder(p) for p in modules()} - {"__init__"}
    assert tops == set().union(*LAYERS)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_go_down_the_pipeline(path):
    if path.parent == PACKAGE and path.name == "__init__.py":
        return  # the top re-exports every folder, lazily
    own = layer(folder(path))
    above = {f for f in imported_folders(path) if layer(f) > own}
    assert not above, f"{path.relative_to(ROOT)} imports from a higher layer: {sorted(above)}"


def test_no_two_folders_import_each_other():
    edges = {}
    for path in modules():
        if path.parent == PACKAGE and path.name == "__init__.py":
            continue
        edges.setdefault(folder(path), set()).update(imported_folders(path) - {folder(path)})
    both = sorted((a, b) for a in edges for b in edges[a] if a in edges.get(b, ()) and a < b)
    assert not both, f"folders that import each other: {both}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_small_and_declare_their_api(path):
    lines = len(path.read_text().splitlines())
    if folder(path) != "exercises":
        assert lines <= MAX_LINES, f"{path.relative_to(ROOT)}: {lines} lines"
    if path.name != "__main__.py":
        tree = ast.parse(path.read_text())
        declared = any(
            isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets)
            for n in tree.body
        ) or re.search(r'name == "__all__"', path.read_text())
        assert declared, f"{path.relative_to(ROOT)} declares no __all__"


def test_no_caller_asks_a_model_what_it_can_do():
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in modules()
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"hasattr\((self\.)?model\b", line)
    ]
    assert not found, "hasattr dispatch on a model (declare the hook on Recommender): " + str(found)


def test_the_model_interface_declares_every_hook_with_a_default():
    from gnnrec_utils.models import Recommender

    hooks = ("get_embedding", "ego_embedding", "extra_loss", "scorer", "user_scores", "score")
    for hook in (*hooks, "recommend"):
        assert callable(getattr(Recommender, hook)), hook


def notebook_imports() -> set[str]:
    """Every name a notebook imports from the package (the checkers aside)."""
    names = set()
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        for cell in jupytext.read(path).cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(
                line
                for line in cell.source.splitlines()
                if not line.lstrip().startswith(("%", "!"))
            )
            for node in ast.walk(ast.parse(code)):
                if (
                    isinstance(node, ast.ImportFrom)
                    and (node.module or "").startswith("gnnrec_utils")
                    and "exercises" not in node.module
                ):
                    names.update(a.name for a in node.names)
    return names


def test_every_name_the_notebooks_import_is_at_the_top_of_the_package():
    names = notebook_imports()
    assert len(names) > 100  # the notebooks import the package, not a few names
    folders = {"metrics", "stats", "synthetic", "retrieval", "datasets"}  # whole modules
    missing = [n for n in sorted(names - folders) if not hasattr(gnnrec_utils, n)]
    assert not missing, f"not importable as gnnrec_utils.NAME: {missing}"


def test_every_name_the_guides_import_is_at_the_top_of_the_package():
    text = (ROOT / "README.md").read_text() + (ROOT / "TEACHING.md").read_text()
    imported = re.findall(r"from gnnrec_utils import ((?:\w+,\s*)*\w+)", text)
    names = {n.strip() for group in imported for n in group.split(",") if n.strip()}
    assert names, "the README shows no import"
    assert [n for n in sorted(names) if not hasattr(gnnrec_utils, n)] == []


def public_callables():
    for name in gnnrec_utils.__all__:
        obj = getattr(gnnrec_utils, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            yield name, obj


def test_num_users_always_comes_before_num_items():
    wrong = []
    for name, obj in public_callables():
        try:
            params = list(inspect.signature(obj).parameters)
        except (TypeError, ValueError):
            continue
        if "num_users" in params and "num_items" in params:
            if params.index("num_users") > params.index("num_items"):
                wrong.append(name)
    assert not wrong, f"(num_items, num_users) order: {wrong}"
