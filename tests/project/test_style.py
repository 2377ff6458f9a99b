"""The code is linted and formatted by one configuration (``[tool.ruff]`` in pyproject.toml):
the package, the tests, the tools, the benchmarks and every notebook's ``.py`` source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess  # runs ruff

ROOT = Path(__file__).resolve().parents[2]


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.parametrize("args", [("check", "."), ("format", "--check", ".")], ids=" ".join)
def test_ruff_passes(args):
    result = ruff(*args)
    assert result.returncode == 0, f"ruff {' '.join(args)}:\n{result.stdout}{result.stderr}"


def test_ruff_finds_a_problem_when_there_is_one(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nx=1\n")
    assert ruff("check", "--config", str(ROOT / "pyproject.toml"), str(bad)).returncode == 1
    assert (
        ruff("format", "--check", "--config", str(ROOT / "pyproject.toml"), str(bad)).returncode
        == 1
    )
