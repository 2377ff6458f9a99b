"""Shared pytest setup for the unit tests and the notebook runs."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

import matplotlib

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
