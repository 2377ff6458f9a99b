"""Items for items, fast: "you may also like" and nearest-neighbour search (notebooks 06, 09).

* ``similar.py``: similar items from item vectors or co-occurrence counts, judged on
  held-out co-engagement without leakage.
* ``index.py``: faiss indexes (flat, IVF, HNSW, SQ8, IVF-PQ) and how to measure them
  against exact search.
* ``compression.py``: int8 and product-quantised item vectors, with the NDCG they cost.
"""

from __future__ import annotations

from gnnrec_utils.retrieval.compression import (
    TABLE_KINDS,
    compression_table,
    dequantize_int8,
    quantize_int8,
    recommend_with_index,
)
from gnnrec_utils.retrieval.index import (
    INDEX_KINDS,
    exact_top_k,
    faiss_index,
    index_bytes,
    ms_per_query,
    recall_against_exact,
    search_excluding_self,
)
from gnnrec_utils.retrieval.similar import (
    METRICS,
    co_engagement_targets,
    cooccurrence_counts,
    cosine_from_counts,
    evaluate_similar,
    follow_up_targets,
    similar_by_scores,
    similar_items,
)

__all__ = [
    "INDEX_KINDS",
    "METRICS",
    "TABLE_KINDS",
    "co_engagement_targets",
    "compression_table",
    "cooccurrence_counts",
    "cosine_from_counts",
    "dequantize_int8",
    "evaluate_similar",
    "exact_top_k",
    "faiss_index",
    "follow_up_targets",
    "index_bytes",
    "ms_per_query",
    "quantize_int8",
    "recall_against_exact",
    "recommend_with_index",
    "search_excluding_self",
    "similar_by_scores",
    "similar_items",
]
