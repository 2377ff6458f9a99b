"""What every notebook does first: a friendly version check and seeding."""

from __future__ import annotations

import random
import warnings
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import torch

__all__ = ["TESTED_VERSIONS", "check_versions", "set_seed"]

#: Versions the notebooks were run with; older ones may work but are not tested.
TESTED_VERSIONS = {"torch": "2.13", "torch_geometric": "2.8", "pandas": "3.1", "numpy": "2.4"}


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seed Python's, NumPy's and PyTorch's global generators (for notebook code only:
    the package's own functions take an explicit ``seed`` or ``generator``).

    With ``deterministic`` (the default) it also calls
    ``torch.use_deterministic_algorithms(True)``: on a multi-core CPU some backward
    passes otherwise add floating-point numbers in a varying order, so two runs from
    the same seed can differ in their last bits, and after many steps in a printed digit.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(deterministic)


def check_versions(tested: dict[str, str] = TESTED_VERSIONS) -> dict[str, str]:
    """Return installed versions of the kit's main packages; warn (never fail) when a
    package is missing or its major.minor differs from the tested one."""
    found = {}
    for name, want in tested.items():
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            warnings.warn(
                f"{name} is not installed; the notebooks were tested with {want}", stacklevel=2
            )
            continue
        if ".".join(found[name].split("+")[0].split(".")[:2]) != want:
            warnings.warn(
                f"{name} {found[name]} is installed; the notebooks were tested with {want}.x",
                stacklevel=2,
            )
    return found
