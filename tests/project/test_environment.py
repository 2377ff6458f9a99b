"""environment.yml and pyproject.toml list the same packages (STYLE rule 18).

The checks are plain functions that return a list of problems, each naming the package,
so a failure says what to fix; the last tests feed them broken inputs to show they can fail.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement  # packaging comes with pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]

# conda-forge name -> PyPI name, only where the two differ.
CONDA_TO_PYPI = {"pytorch": "torch", "pytorch_geometric": "torch_geometric"}
# In environment.yml only: the interpreter and the installer, not packages the kit uses.
CONDA_ONLY = {"python", "pip"}
# pyproject.toml lower bounds kept below the pinned minor on purpose, and why.
LOOSE_LOWER_BOUNDS = {
    "torch": "keep a learner's existing torch rather than fetch a new build of several GB",
}
CONDA_PIN = re.compile(r"(?P<name>[A-Za-z0-9][\w.-]*)\s*=\s*(?P<minor>\d+\.\d+)")
PIP_MINOR_PIN = re.compile(r"==(?P<minor>\d+\.\d+)\.\*")


def pypi_name(conda_name: str) -> str:
    return canonicalize_name(CONDA_TO_PYPI.get(conda_name, conda_name))


def pyproject_specs(pyproject: dict) -> dict[str, SpecifierSet]:
    """Every requirement of the project and its extras: PyPI name -> specifier."""
    project = pyproject["project"]
    own_name = canonicalize_name(project["name"])
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    specs: dict[str, SpecifierSet] = {}
    for line in lines:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if name == own_name:  # an extra that includes another, e.g. gnnrec-utils[notebooks]
            continue
        if name in specs and specs[name] != req.specifier:
            raise ValueError(f"{name} is listed twice, as {specs[name]} and {req.specifier}")
        specs[name] = req.specifier
    return specs


def conda_pins(environment: dict) -> dict[str, str | None]:
    """Every package of environment.yml, pip: list included: PyPI name -> pinned minor."""
    pins: dict[str, str | None] = {}
    for dep in environment["dependencies"]:
        if isinstance(dep, dict):
            for line in dep.get("pip", []):
                if line.startswith("-e"):
                    continue
                req = Requirement(line)
                pin = PIP_MINOR_PIN.fullmatch(str(req.specifier))
                pins[canonicalize_name(req.name)] = pin["minor"] if pin else None
            continue
        pin = CONDA_PIN.fullmatch(dep.strip())
        name = pin["name"] if pin else re.match(r"[\w.-]+", dep)[0]
        pins[pypi_name(name)] = pin["minor"] if pin else None
    return pins


def package_differences(specs: dict, pins: dict) -> list[str]:
    in_conda = set(pins) - CONDA_ONLY
    problems = []
    if only := sorted(set(specs) - in_conda):
        problems.append(f"in pyproject.toml but not environment.yml: {', '.join(only)}")
    if only := sorted(in_conda - set(specs)):
        problems.append(f"in environment.yml but not pyproject.toml: {', '.join(only)}")
    return problems


def lower_bound(spec: SpecifierSet) -> Version | None:
    bounds = [
        Version(s.version.removesuffix(".*")) for s in spec if s.operator in (">=", "~=", "==")
    ]
    return max(bounds, default=None)


def version_disagreements(specs: dict, pins: dict) -> list[str]:
    """Where both files give a version: same minor, or at least a compatible one."""
    problems = []
    for name in sorted(set(specs) & set(pins)):
        spec, minor = specs[name], pins[name]
        if minor is None or not spec:
            continue
        if Version(minor) not in spec:
            problems.append(
                f"{name}: environment.yml pins {minor}, pyproject.toml excludes it ({spec})"
            )
            continue
        low = lower_bound(spec)
        if name not in LOOSE_LOWER_BOUNDS and (low is None or f"{low.major}.{low.minor}" != minor):
            problems.append(f"{name}: environment.yml pins {minor}, pyproject.toml says {spec}")
    return problems


def uncommented_dependency_lines(text: str) -> tuple[list[str], int]:
    """Lines of the dependencies: list (its pip: list too) lacking a '# ...' comment, and
    how many list lines there are in all."""
    bad, count, inside = [], 0, False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line[0].isspace():  # a top-level key starts or ends the block
            inside = stripped.startswith("dependencies:")
            continue
        if inside and stripped.startswith("- "):
            count += 1
            if not stripped.partition("#")[2].strip():
                bad.append(f"line {number}: {stripped}")
    return bad, count


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def environment_text() -> str:
    return (ROOT / "environment.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def environment(environment_text) -> dict:
    return yaml.safe_load(environment_text)


def test_environment_uses_conda_forge_only(environment):
    assert environment["name"] == "gnnrec"
    assert environment["channels"] == ["conda-forge"]


def test_same_packages_in_both_files(pyproject, environment):
    problems = package_differences(pyproject_specs(pyproject), conda_pins(environment))
    assert not problems, "\n".join(problems)


def test_every_dependency_line_has_a_comment(environment_text, environment):
    bad, count = uncommented_dependency_lines(environment_text)
    assert not bad, "add a comment naming the notebook(s) that need it:\n" + "\n".join(bad)
    entries = environment["dependencies"]
    pip_lines = sum(len(dep["pip"]) for dep in entries if isinstance(dep, dict))
    assert count == len(entries) + pip_lines, "a dependency is not on a '- ' line of its own"


def test_environment_pins_every_package_to_a_minor(environment):
    unpinned = [
        name for name, minor in conda_pins(environment).items() if minor is None and name != "pip"
    ]
    assert not unpinned, f"pin to a minor version (conda: name=X.Y, pip: name==X.Y.*): {unpinned}"


def test_environment_installs_the_kit(environment):
    pip_lists = [dep["pip"] for dep in environment["dependencies"] if isinstance(dep, dict)]
    assert any("-e ." in lines for lines in pip_lists)


def test_pyproject_gives_every_package_a_lower_bound(pyproject):
    missing = [
        name for name, spec in pyproject_specs(pyproject).items() if lower_bound(spec) is None
    ]
    assert not missing, f"no lower bound in pyproject.toml for: {missing}"


def test_versions_agree_at_minor_level(pyproject, environment):
    problems = version_disagreements(pyproject_specs(pyproject), conda_pins(environment))
    assert not problems, "\n".join(problems)


def test_python_versions_are_compatible(pyproject, environment):
    python = conda_pins(environment)["python"]
    requires = SpecifierSet(pyproject["project"]["requires-python"])
    assert python is not None and Version(python) in requires, (python, str(requires))


# The checks above can fail: broken inputs, and the package each problem must name.


def test_a_package_missing_from_one_side_is_named():
    specs = pyproject_specs(
        {
            "project": {
                "name": "kit",
                "dependencies": ["numpy>=2.4", "faiss-cpu>=1.15"],
                "optional-dependencies": {"test": ["kit[notebooks]"]},
            }
        }
    )
    pins = conda_pins({"dependencies": ["python=3.11", "numpy=2.4", "pytorch=2.13"]})
    assert package_differences(specs, pins) == [
        "in pyproject.toml but not environment.yml: faiss-cpu",
        "in environment.yml but not pyproject.toml: torch",
    ]


def test_a_minor_mismatch_is_named():
    specs = {
        "pandas": SpecifierSet(">=2.2"),
        "torch": SpecifierSet(">=2.3"),
        "numpy": SpecifierSet(">=2.4,<2.4"),
    }
    pins = {"pandas": "3.1", "torch": "2.13", "numpy": "2.4"}
    problems = version_disagreements(specs, pins)
    assert [p.split(":")[0] for p in problems] == ["numpy", "pandas"]


def test_the_conda_to_pypi_table_maps_names():
    pins = conda_pins(
        {
            "dependencies": [
                "pytorch=2.13",
                "pytorch_geometric=2.8",
                {"pip": ["torch_geometric==2.8.*", "-e ."]},
            ]
        }
    )
    assert pins == {"torch": "2.13", "torch-geometric": "2.8"}


def test_an_uncommented_line_is_named():
    text = "name: x\ndependencies:\n  - numpy=2.4  # all\n  - pandas=3.1\n  - pip:  # pip\n      - -e .\n"
    assert uncommented_dependency_lines(text) == (["line 4: - pandas=3.1", "line 6: - -e ."], 4)
