"""``python -m gnnrec_utils.synthetic``: the generator's command line (``cli.main``)."""

from gnnrec_utils.synthetic.cli import main

main()
