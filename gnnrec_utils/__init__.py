"""gnnrec_utils: the helper package behind the gnnrec notebook series.

One module per stage of the pipeline, in the order the notebooks teach them:
``data`` (tables, loading, validation), ``synthetic`` (the bundled shop),
``stats`` (what a log looks like), ``split`` (temporal split and target),
``graph`` (HeteroData and the normalised adjacency), ``metrics``.
"""
__version__ = "0.1.0"
