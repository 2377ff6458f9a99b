"""Write a notebook from a list of cells and execute it top to bottom.

Each ``tools/build_NN_*.py`` describes one notebook of the series as prose and code
cells; ``python tools/build_NN_*.py`` writes ``notebooks/NN_*.ipynb`` and runs it in
a fresh kernel from the notebooks folder, so the committed outputs come from one
clean run (execution counts 1, 2, 3 ...).
"""
from __future__ import annotations

import re
import sys
import textwrap
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def md(text: str) -> nbformat.NotebookNode:
    """A markdown cell; ``text`` is dedented."""
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip())


def code(text: str, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    """A code cell; ``text`` is dedented; ``tags`` go into the cell metadata."""
    cell = nbformat.v4.new_code_cell(textwrap.dedent(text).strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def build(name: str, cells: list, timeout: int = 600) -> None:
    """Write ``notebooks/<name>.ipynb``, execute it, and report the wall time."""
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    text = nbformat.writes(nb)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            shown = str(out)
            path = re.search(r"/(?:work|tmp|root|home|usr|opt)/[A-Za-z0-9_.-]+", shown)
            expected_error = out.get("output_type") == "error" and "raises-exception" in cell.metadata.get("tags", [])
            if path or out.get("name") == "stderr" or (out.get("output_type") == "error" and not expected_error):
                sys.exit(f"{name}: cell {i} writes {path.group(0) if path else 'stderr or an error'}: {shown[:300]}")
    (NOTEBOOKS / f"{name}.ipynb").write_text(text)
    print(f"{name}: executed in {seconds:.1f} s")
