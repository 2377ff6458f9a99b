"""What this machine has, read from Linux's ``/proc``: the one home for memory readings.

* :func:`available_memory_bytes`: ``MemAvailable``, what a new allocation may take
  before the kernel starts to swap or kill; the generator and EASE check it before they
  allocate, and refuse with the reason instead of being killed.
* :func:`peak_rss_bytes`: this process's peak resident memory (``VmHWM``), optionally
  reset first, so that the benchmarks measure one stage at a time.
* :func:`rss_bytes`: this process's resident memory now (``VmRSS``).

Each returns ``None`` where ``/proc`` cannot be read (not Linux).
"""

from __future__ import annotations

__all__ = ["available_memory_bytes", "peak_rss_bytes", "rss_bytes"]


def _field(path: str, name: str) -> int | None:
    """The ``name:`` line of a ``/proc`` file, in bytes (its value is in kB)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory_bytes() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes; ``None`` where it cannot be read."""
    return _field("/proc/meminfo", "MemAvailable")


def peak_rss_bytes(reset: bool = False) -> int | None:
    """This process's peak resident memory (``VmHWM``) in bytes; ``None`` where unreadable.

    ``reset=True`` first sets the peak to the current resident memory (``echo 5 >
    /proc/self/clear_refs``), so that a later reading measures what came after.
    """
    if reset:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            return None
    return _field("/proc/self/status", "VmHWM")


def rss_bytes() -> int | None:
    """This process's resident memory now (``VmRSS``) in bytes; ``None`` where unreadable."""
    return _field("/proc/self/status", "VmRSS")
