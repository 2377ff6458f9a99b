"""gnnrec_utils: the helper package behind the gnnrec notebook series.

Its folders follow the pipeline the notebooks walk, in order:

============  ========================================================================
``io``        the one reading layer: every file is read, checked and its errors located
``data``      the kit's tables, shared constants, the temporal split, log statistics
``datasets``  public datasets in their official formats, and their download
``synthetic`` the generator of the bundled shop and of Taobao-sized logs
``graph``     the training graph: HeteroData, normalised adjacency, propagation, CSR
``models``    one file per model family, all behind one ``Recommender`` interface
``training``  positives, negatives, losses, the trainer, sampled and distributed runs
``evaluation`` the one full-ranking evaluator, metrics, significance
``retrieval`` similar items, faiss indexes, compressed vectors
``scenarios`` cold start, daily updates, a shop simulator, A/B tests and bandits
``notebook``  what the notebooks show: setup, figures, tables, an explorer
``exercises`` the checkers of the notebooks' exercises
============  ========================================================================

``checks`` (argument checks) and ``machine`` (memory readings) sit under them all.

Every public name of those folders can also be imported from here, as the README does::

    from gnnrec_utils import load_shop, temporal_split, LightGCN, train, evaluate
    shop = load_shop("data/shop")      # a Dataset: users, items, events, report

A name is looked up in the folders above the first time it is asked for, so importing
``gnnrec_utils`` itself stays quick (the generator's command line needs no torch).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: The folders whose ``__all__`` this package re-exports, in pipeline order.
SUBPACKAGES = (
    "io",
    "data",
    "datasets",
    "synthetic",
    "graph",
    "models",
    "training",
    "evaluation",
    "retrieval",
    "scenarios",
    "notebook",
)


def __getattr__(name: str):
    """``gnnrec_utils.NAME`` for any public name of a folder (PEP 562); ``__all__`` is
    every such name, so ``from gnnrec_utils import *`` imports them all."""
    if name == "__all__":
        return sorted(set().union(*(_folder(f).__all__ for f in SUBPACKAGES)))
    for folder in SUBPACKAGES:
        module = _folder(folder)
        if name in module.__all__:
            value = getattr(module, name)
            globals()[name] = value  # found once, then an ordinary attribute
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()).union(*(_folder(f).__all__ for f in SUBPACKAGES)))


def _folder(folder: str):
    return importlib.import_module(f"{__name__}.{folder}")
