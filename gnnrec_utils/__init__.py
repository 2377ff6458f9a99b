"""gnnrec_utils: the helper package behind the gnnrec notebook series.

One module per stage of the pipeline, in the order the notebooks teach them:
``data`` (tables, loading, validation), ``synthetic`` (the bundled shop),
``datasets`` (public datasets in their official formats, read by ``readers``,
fetched by ``download``), ``stats`` (what a log looks like), ``split`` (temporal
split and target), ``graph`` (HeteroData and the normalised adjacency), ``encoders``,
``propagation``, ``models``, ``losses``, ``sampling``, ``training``, ``metrics``,
``coldstart`` (new shoppers and products), ``retrieval`` (similar items, nearest-neighbour
indexes) and ``dynamic`` (keeping a model current as days go by).

The dataset loaders are exported here::

    from gnnrec_utils import load_movielens
    data = load_movielens("ml-100k")   # a Dataset: events, users, items, report
"""
from gnnrec_utils.datasets import (Dataset, load_amazon_reviews, load_movielens,
                                   load_retailrocket, load_taobao_userbehavior)

__version__ = "0.1.0"
__all__ = ["Dataset", "load_amazon_reviews", "load_movielens", "load_retailrocket",
           "load_taobao_userbehavior"]
