"""Shared pytest setup for the unit tests and the notebook runs.

- The tiers: every executed notebook is marked ``notebook``, and a ``notebook``,
  ``browser`` or ``subprocess`` test is also ``slow``, so that ``pytest -m "not slow"``
  is the quick tier (``pyproject.toml`` registers the marks).
- Session fixtures shared by the test folders: ``tiny_shop`` and ``tiny_split``, the
  generator's ``"tiny"`` shop (seed 0) and its temporal split, made once per run. Tests
  read them and never change them.
"""

from __future__ import annotations

import importlib.util
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import matplotlib
import pytest

# Unit tests draw off-screen. Set here, not through the MPLBACKEND variable: the notebook
# kernels that nbval starts inherit the environment and would lose their inline plots.
matplotlib.use("Agg")

REPORTED = ("torch", "torch_geometric", "numpy", "pandas", "nbval")


def pytest_report_header(config):
    """Print the versions that matter at the top of every run."""
    found = [f"python {platform.python_version()}"]
    for name in REPORTED:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} not installed")
    return "gnnrec: " + ", ".join(found)


ALWAYS_SLOW = ("notebook", "browser", "subprocess")


def pytest_collection_modifyitems(config, items):
    """Mark executed notebooks, and make every notebook, browser and subprocess test slow."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
        if any(item.get_closest_marker(name) for name in ALWAYS_SLOW):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tiny_shop():
    """The generator's ``"tiny"`` shop, seed 0 (read-only)."""
    from gnnrec_utils.synthetic import generate_shop

    return generate_shop("tiny", seed=0)


@pytest.fixture(scope="session")
def tiny_split(tiny_shop):
    """The temporal split of :func:`tiny_shop` (read-only)."""
    from gnnrec_utils.data import temporal_split

    return temporal_split(tiny_shop)


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="session")
def load_benchmark():
    """A function that imports ``benchmarks/NAME.py`` as the module ``NAME``.

    The scripts import their shared command line as ``from common import ...``, which works
    when they run as ``python benchmarks/NAME.py`` (their folder is then on ``sys.path``).
    Here the folder is put on ``sys.path`` while the module loads, and taken off again.
    """

    def load(name: str):
        path = BENCHMARKS / f"{name}.py"
        if getattr(sys.modules.get(name), "__file__", None) == str(path):
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(BENCHMARKS))
        try:
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        finally:
            sys.path.remove(str(BENCHMARKS))
        return module

    return load
