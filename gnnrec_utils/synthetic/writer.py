"""Writing a streamed shop to files (``write_taobao``), with its memory estimated first.

``peak_bytes`` estimates the most memory a streamed shop holds, ``check_memory`` refuses
one that would not fit before anything is drawn, ``gnnrec_utils.machine.peak_rss_bytes`` measures what it took;
``write_blocks`` appends the events of each block of users to ``UserBehavior.csv``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gnnrec_utils.data.constants import BEHAVIORS, ITEM_COLUMNS, USER_COLUMNS
from gnnrec_utils.io.errors import PathLike
from gnnrec_utils.machine import available_memory_bytes, peak_rss_bytes
from gnnrec_utils.synthetic.config import NUM_DAYS, STREAMED_SIZES, TAOBAO_SHARES, ShopConfig
from gnnrec_utils.synthetic.stream import Catalogue, build_catalogue, shop_block

__all__ = [
    "check_memory",
    "events_per_user",
    "peak_bytes",
    "write_blocks",
    "write_taobao",
]


def events_per_user(cfg: ShopConfig) -> float:
    """Expected events per user: sessions x views per session / pv share.

    Sessions per user: ``sessions_per_user_day`` x mean of lognormal(-0.6, 1.1) x mean
    active days (late users join on days 1-8). Ignores that everyone has one session
    at least, which adds one or two events per user.
    """
    days = NUM_DAYS - cfg.late_user_share * NUM_DAYS / 2
    sessions = cfg.sessions_per_user_day * np.exp(-0.6 + 1.1**2 / 2) * days
    return float(sessions * cfg.mean_session_views / TAOBAO_SHARES["pv"])


def peak_bytes(cfg: ShopConfig, block_users: int, cells: int = 250_000) -> int:
    """About the most memory ``write_taobao`` holds, in bytes (an upper estimate).

    Python and its libraries (100 MiB); the catalogue, about 300 bytes per item plus
    the float64 pieces its vectors are drawn in; one block's events at 440 bytes each
    (about 350 measured on ``taobao_10m``, whose peak was 0.88 GiB against 1.3 GiB
    estimated); one chunk of candidate scores.
    """
    catalogue = cfg.num_items * 300 + min(cfg.num_items, 1 << 20) * cfg.dim * 24
    block = min(block_users, cfg.num_users) * (events_per_user(cfg) + 2) * 440
    scores = cells * (4 * cfg.dim + 60)
    return int(100 * 2**20 + catalogue + block + scores)


def check_memory(cfg: ShopConfig, block_users: int, max_bytes: int | None = None) -> int:
    """Refuse, before anything is drawn, a shop whose estimated peak exceeds the memory.

    Args:
        cfg: the shop.
        block_users: users per block.
        max_bytes: the memory to fit in; the machine's available memory if ``None``
            (no check where that cannot be read).

    Returns:
        The estimated peak, in bytes.

    Raises:
        MemoryError: saying how much is needed and how much is available.
    """
    need = peak_bytes(cfg, block_users)
    have = available_memory_bytes() if max_bytes is None else max_bytes
    if have is not None and need > have:
        raise MemoryError(
            f"this shop needs about {need / 2**30:.2f} GiB of memory ({cfg.num_items:,} items, "
            f"blocks of {block_users:,} users) and {have / 2**30:.2f} GiB is available; "
            "free memory or pass a smaller block_users (which changes the draw)"
        )
    return need


def write_blocks(
    cfg: ShopConfig,
    catalogue: Catalogue,
    folder: Path,
    seed: int,
    block_users: int,
    progress: Callable[[dict], None] | None,
    began: float,
) -> dict[str, int]:
    """Write ``users.csv`` and ``UserBehavior.csv.part`` block by block (``write_taobao``).

    Returns the number of events of each behaviour.
    """
    counts = dict.fromkeys(BEHAVIORS, 0)
    blocks = -(-cfg.num_users // block_users)
    part = folder / "UserBehavior.csv.part"
    with open(folder / "users.csv", "w", newline="") as fu, open(part, "w", newline="") as fe:
        fu.write(",".join(USER_COLUMNS) + "\n")
        for b in range(blocks):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, b)))
            lo = b * block_users
            users, events = shop_block(
                cfg, catalogue, lo, min(block_users, cfg.num_users - lo), rng
            )
            users[list(USER_COLUMNS)].to_csv(fu, header=False, index=False, lineterminator="\n")
            events.to_csv(fe, header=False, index=False, lineterminator="\n")
            for behavior, count in events.behavior.value_counts().items():
                counts[behavior] += int(count)
            if progress is not None:
                progress(
                    {
                        "block": b + 1,
                        "blocks": blocks,
                        "users": lo + len(users),
                        "events": sum(counts.values()),
                        "seconds": time.perf_counter() - began,
                    }
                )
    return counts


def write_taobao(
    folder: PathLike,
    size: str | ShopConfig = "taobao",
    seed: int = 0,
    block_users: int = 20_000,
    progress: Callable[[dict], None] | None = None,
    max_bytes: int | None = None,
) -> dict:
    """Write a Taobao-scale shop in blocks of users, with bounded memory.

    Writes ``users.csv`` and ``items.csv`` (as ``write_shop``; ``load_users`` and
    ``load_items`` read them) and ``UserBehavior.csv``: the events in the real log's
    format, no header, ``user_id,item_id,category_id,behavior_type,timestamp``, sorted
    by user then time; ``load_taobao_userbehavior(folder)`` reads it (and, as for the
    real log, renumbers ids from 0 in order, keeping these as ``orig_user_id`` /
    ``orig_item_id``). The catalogue is drawn once; then each block of ``block_users``
    users is drawn, its events are appended, and it is freed.

    Randomness: the catalogue draws from ``SeedSequence(seed, spawn_key=(0,))`` and
    block ``b`` from ``SeedSequence(seed, spawn_key=(1, b))``, so the same ``size``,
    ``seed`` and ``block_users`` give byte-identical files; ``block_users`` is part of
    the seed (another block size draws another, equally distributed shop).

    Args:
        folder: where to write the three files; created if needed.
        size: a key of ``STREAMED_SIZES`` (``"taobao"``, ``"taobao_10m"``,
            ``"taobao_1m"``) or a ``ShopConfig``.
        seed: the seed.
        block_users: users per block; memory grows with it (``peak_bytes``).
        progress: called after each block with ``block``, ``blocks``, ``users``,
            ``events`` (so far) and ``seconds``.
        max_bytes: memory to fit in (default: the machine's available memory).

    Returns:
        ``users``, ``items``, ``categories``, ``events``, the count of each behaviour,
        ``seconds``, ``peak_rss_bytes`` (this call's peak resident memory, Linux only)
        and ``estimated_peak_bytes``.

    Raises:
        MemoryError: the estimated peak exceeds the memory, before anything is written.
    """
    cfg = STREAMED_SIZES[size] if isinstance(size, str) else size
    estimate = check_memory(cfg, block_users, max_bytes)
    peak_rss_bytes(reset=True)
    began = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    catalogue, items = build_catalogue(
        cfg, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    )
    items[list(ITEM_COLUMNS)].to_csv(
        folder / "items.csv", index=False, lineterminator="\n", float_format="%.2f"
    )
    del items
    counts = write_blocks(cfg, catalogue, folder, seed, block_users, progress, began)
    (folder / "UserBehavior.csv.part").replace(folder / "UserBehavior.csv")
    return {
        "users": cfg.num_users,
        "items": cfg.num_items,
        "categories": int((np.diff(catalogue.start) > 0).sum()),
        "events": sum(counts.values()),
        **counts,
        "seconds": time.perf_counter() - began,
        "peak_rss_bytes": peak_rss_bytes(),
        "estimated_peak_bytes": estimate,
    }
