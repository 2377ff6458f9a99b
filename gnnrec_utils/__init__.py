"""gnnrec_utils: the helper package behind the gnnrec notebook series.

One module per stage of the pipeline, in the order the notebooks teach them:
``io`` (the one reading layer: every file is read, checked and its errors located
there), ``data`` (the kit's tables: the ``Dataset`` every loader returns, the shop's
files), ``synthetic`` (the bundled shop, and an invented MovieLens-format stand-in),
``datasets`` (public datasets in their official formats, fetched by ``download``),
``stats`` (what a log looks like), ``split`` (temporal split and target, and the
stratified split of the MovieLens benchmark), ``graph`` (HeteroData and the normalised
adjacency), ``encoders``, ``propagation``, ``models``, ``losses``, ``sampling``,
``training``, ``metrics``, ``coldstart`` (new shoppers and products), ``retrieval``
(similar items, nearest-neighbour indexes) and ``dynamic`` (keeping a model current as
days go by).

The loaders, their one result type and their error are exported here::

    from gnnrec_utils import load_movielens, load_shop
    shop = load_shop("data/shop")      # a Dataset: users, items, events, report
    data = load_movielens("ml-100k")   # a Dataset too
"""

from gnnrec_utils.data import Dataset, load_shop
from gnnrec_utils.datasets import (
    load_amazon_reviews,
    load_movielens,
    load_retailrocket,
    load_taobao_userbehavior,
    load_tmall,
)
from gnnrec_utils.io.errors import DataFormatError, MissingFileError

__version__ = "0.1.0"
__all__ = [
    "DataFormatError",
    "Dataset",
    "MissingFileError",
    "load_amazon_reviews",
    "load_movielens",
    "load_retailrocket",
    "load_shop",
    "load_taobao_userbehavior",
    "load_tmall",
]
