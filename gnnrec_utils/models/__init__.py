"""Recommendation models with one interface: pipeline stage 3.

Every model is a :class:`Recommender`, whose base class declares every hook a caller may
use with its default (``get_embedding``, ``ego_embedding``, ``extra_loss``, ``scorer``,
``user_scores``, ``score``, ``recommend``): a trainer, an evaluator or a server calls
them on any model. ``recommend(users, k, exclude=...)`` ranks all items for each user
with :func:`topk_excluding`, which ranks any scorer's output the same way. The graph a
model propagates over is data, not a parameter: it is passed to the constructor and
kept as a non-persistent buffer — ``model.to(device)`` moves it, ``state_dict()`` leaves
it out, so a checkpoint holds weights only.

One file per model family:

* ``base.py``: :class:`Recommender` and ``NO_PAIRS``, the empty exclusion table;
  ``topk.py``: :func:`topk_excluding` and :func:`stable_topk`.
* ``encoders.py``: ID and attribute encoders (:class:`NodeEncoder`), the layer 0 of the
  attribute-aware models.
* ``popularity.py`` (:class:`Popularity`), ``itemknn.py`` (:class:`ItemKNN`, dense or
  blocked sparse), ``ease.py`` (:class:`EASE`, the closed-form EASE^R, with its memory
  check), ``mf.py`` (:class:`MatrixFactorization`): the baselines.
* ``lightgcn.py``: :class:`LightGCN` and its propagation :func:`lightgcn_embedding`;
  ``sampled_lightgcn.py``: :class:`SampledLightGCN`, trained on sampled subgraphs.
* ``multibehavior.py`` (:class:`MultiBehaviorGCN`, one graph per behaviour, mixed) and
  ``cascade.py`` (:class:`CascadeGCN`, behaviours in funnel order): multi-behaviour.
* Beyond LightGCN: ``gfcf.py`` (:class:`GFCF`, a training-free graph filter),
  ``bspm.py`` (:class:`BSPM`, GF-CF's filters then a sharpening step, training-free),
  ``ultragcn.py`` (:class:`UltraGCN`, matrix factorisation trained with LightGCN's
  infinite-layer limit as constraint losses, no message passing while training),
  ``xsimgcl.py`` (:class:`XSimGCL` and its contrastive loss :func:`info_nce`) and
  ``ngcf.py`` (:class:`NGCF`, the GNN LightGCN simplified).
"""

from __future__ import annotations

from gnnrec_utils.models.base import NO_PAIRS, Recommender
from gnnrec_utils.models.bspm import BSPM, sharpening_polynomial
from gnnrec_utils.models.cascade import CascadeGCN
from gnnrec_utils.models.ease import EASE, ease_memory_bytes
from gnnrec_utils.models.encoders import (
    ITEM_ATTRIBUTES,
    USER_ATTRIBUTES,
    AttributeEncoder,
    NodeEncoder,
    attribute_codes,
    check_codes,
    item_attribute_codes,
    price_bands,
    user_attribute_codes,
)
from gnnrec_utils.models.gfcf import GFCF
from gnnrec_utils.models.itemknn import ItemKNN
from gnnrec_utils.models.lightgcn import LightGCN, lightgcn_embedding
from gnnrec_utils.models.mf import MatrixFactorization
from gnnrec_utils.models.multibehavior import MultiBehaviorGCN
from gnnrec_utils.models.ngcf import NGCF
from gnnrec_utils.models.popularity import Popularity
from gnnrec_utils.models.sampled_lightgcn import SampledLightGCN
from gnnrec_utils.models.topk import stable_topk, topk_excluding
from gnnrec_utils.models.ultragcn import UltraGCN, constraint_neighbours
from gnnrec_utils.models.xsimgcl import XSimGCL, info_nce

__all__ = [
    "BSPM",
    "EASE",
    "GFCF",
    "ITEM_ATTRIBUTES",
    "NGCF",
    "NO_PAIRS",
    "USER_ATTRIBUTES",
    "attribute_codes",
    "AttributeEncoder",
    "CascadeGCN",
    "check_codes",
    "constraint_neighbours",
    "ease_memory_bytes",
    "info_nce",
    "item_attribute_codes",
    "ItemKNN",
    "LightGCN",
    "lightgcn_embedding",
    "MatrixFactorization",
    "MultiBehaviorGCN",
    "NodeEncoder",
    "Popularity",
    "price_bands",
    "Recommender",
    "SampledLightGCN",
    "sharpening_polynomial",
    "stable_topk",
    "topk_excluding",
    "UltraGCN",
    "user_attribute_codes",
    "XSimGCL",
]
