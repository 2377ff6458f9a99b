"""Checkers for the notebooks' exercises: one module per notebook (``nb05`` for 05 ...).

A checker takes a learner's answer, recomputes what it should be from the same data,
prints one line, ``Right: ...`` or ``Not yet: ...`` saying what is off, and returns
whether the answer holds. The solution cells call them under ``assert``, so a solution
that stops being right fails the notebook's test run.
"""

__all__ = ["say", "say_either"]


def say(right: bool, message: str) -> bool:
    """Print ``Right: message`` or ``Not yet: message``; return ``right``."""
    print(("Right: " if right else "Not yet: ") + message)
    return right


def say_either(ok: bool, right: str, off: str) -> bool:
    """Print ``Right: right`` when ``ok``, else ``Not yet: off``; return ``ok``."""
    return say(ok, right if ok else off)
