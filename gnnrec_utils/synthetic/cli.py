"""The command line: ``python -m gnnrec_utils.synthetic --size tiny --out DIR``.

The presets of ``SIZES`` are drawn in memory by ``generate_shop`` and written by
``write_shop``; those of ``STREAMED_SIZES`` are written in blocks by ``write_taobao``.
"""

from __future__ import annotations

import argparse

from gnnrec_utils.synthetic.config import SIZES, STREAMED_SIZES
from gnnrec_utils.synthetic.shop import generate_shop
from gnnrec_utils.synthetic.writer import write_taobao

__all__ = ["main"]

#: The first line of the generator's description, shown by ``--help``.
_DESCRIPTION = "A seeded, vectorised generator of a shop log in Taobao's UserBehavior schema."


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m gnnrec_utils.synthetic --size default --out data/shop``.

    The presets of ``STREAMED_SIZES`` (``--size taobao_10m``) are written in blocks by
    ``write_taobao``, with a line of progress per tenth of the users.
    """
    parser = argparse.ArgumentParser(
        prog="python -m gnnrec_utils.synthetic", description=_DESCRIPTION
    )
    parser.add_argument("--size", default="default", choices=sorted(SIZES) + sorted(STREAMED_SIZES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out",
        required=True,
        help="folder to write users.csv, items.csv and events.csv.gz (streamed presets: "
        "UserBehavior.csv)",
    )
    parser.add_argument(
        "--block-users", type=int, default=20_000, help="streamed presets: users per block"
    )
    args = parser.parse_args(argv)
    if args.size in STREAMED_SIZES:
        done = write_taobao(args.out, args.size, args.seed, args.block_users, _report_progress)
        print(
            f"{args.out}: {done['users']:,} users, {done['items']:,} items, "
            f"{done['events']:,} events in {done['seconds']:.0f} s, "
            f"peak memory {(done['peak_rss_bytes'] or 0) / 2**20:,.0f} MiB"
        )
        return
    from gnnrec_utils.data.tables import write_shop

    shop = generate_shop(args.size, args.seed)
    write_shop(shop, args.out)
    print(
        f"{args.out}: {shop.num_users:,} users, {shop.num_items:,} items, {len(shop.events):,} events"
    )


def _report_progress(done: dict) -> None:
    """Print a line when a block crosses a tenth of the users."""
    if done["block"] * 10 // done["blocks"] > (done["block"] - 1) * 10 // done["blocks"]:
        print(
            f"block {done['block']}/{done['blocks']}: {done['users']:,} users, "
            f"{done['events']:,} events, {done['seconds']:.0f} s",
            flush=True,
        )
