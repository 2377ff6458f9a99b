"""Checkers for the notebooks' exercises: one module per notebook (``nb05`` for 05 ...).

A checker judges the answer, not the learner's consistency: it rebuilds the variant the
exercise asks for from the data (or checks that the learner's object is that variant),
computes the reference itself, independently of the kit function the exercise is about
where it can, and accepts a figure at the precision the notebook prints it
(:func:`close_to_printed`), so that a learner who types the printed ``0.0291`` or
``43.6 %`` passes. It prints one line, ``Right: ...`` or ``Not yet: ...`` saying what is
off, and returns whether the answer holds. The solution cells call them under
``assert``, so a solution that stops being right fails the notebook's test run, and the
learner copies carry the same call for the learner to run.
"""

from __future__ import annotations

import math

__all__ = ["close_to_printed", "say", "say_either"]


def say(right: bool, message: str) -> bool:
    """Print ``Right: message`` or ``Not yet: message``; return ``right``."""
    print(("Right: " if right else "Not yet: ") + message)
    return right


def say_either(ok: bool, right: str, off: str) -> bool:
    """Print ``Right: right`` when ``ok``, else ``Not yet: off``; return ``ok``."""
    return say(ok, right if ok else off)


def close_to_printed(answer, exact: float, decimals: int, percent: bool = False) -> bool:
    """Whether ``answer`` is ``exact`` as the notebook prints it, to ``decimals`` places.

    A learner may type the printed figure (``0.0291``), more digits of it, or the full
    value; any of these passes when it rounds to the same ``decimals`` places as
    ``exact``, within half a unit of the last place. With ``percent``, ``exact`` is a
    share (0.436) printed as a percentage (``43.6%``) with ``decimals`` places, and
    ``answer`` may be the share (0.436), the percentage (43.6) or a string (``"43.6%"``).
    """
    if isinstance(answer, str):
        text = answer.strip()
        is_percent = text.endswith("%")
        answer = float(text.rstrip("%").strip())
        if percent and not is_percent and answer <= 1:
            answer *= 100
    elif percent and abs(answer) <= 1 and abs(exact) <= 1:
        answer = answer * 100
    if percent:
        exact = exact * 100
    if not (math.isfinite(answer) and math.isfinite(exact)):
        return False
    tolerance = 0.5 * 10.0**-decimals + 1e-12
    return abs(answer - exact) <= tolerance
