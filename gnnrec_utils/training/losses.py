"""Training objectives for implicit-feedback recommenders.

* ``bpr_loss``: Bayesian Personalised Ranking, a positive should outscore a negative.
* ``bce_loss``: binary cross-entropy, positives are label 1 and negatives label 0.
* ``l2_reg``: the squared-norm penalty on the embeddings a batch used.

Scores are raw logits (e.g. dot products); no sigmoid is applied beforehand.
Every loss is written with ``softplus`` so that logits of any size give a finite
value and gradient: ``-log sigmoid(x) = softplus(-x)``.

Shapes: ``pos_scores`` is ``(B,)``; ``neg_scores`` is ``(B,)`` (one negative per
positive) or ``(B, m)`` (``m`` negatives per positive, the positive broadcast along
the row). Any other shape raises ``ValueError``: a ``(B,)`` against a ``(B, 1)``
would otherwise broadcast silently to ``(B, B)`` and compare every positive with
every row's negative.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "bce_loss",
    "bpr_loss",
    "l2_reg",
]


def _paired(pos_scores: torch.Tensor, neg_scores: torch.Tensor) -> torch.Tensor:
    """``pos_scores`` shaped to line up with ``neg_scores`` (a trailing axis added for (B, m))."""
    if neg_scores.shape == pos_scores.shape:
        return pos_scores
    if neg_scores.dim() == pos_scores.dim() + 1 and neg_scores.shape[:-1] == pos_scores.shape:
        return pos_scores.unsqueeze(-1)
    raise ValueError(
        f"neg_scores must have shape {tuple(pos_scores.shape)} or "
        f"{tuple(pos_scores.shape)} + (m,), got {tuple(neg_scores.shape)}"
    )


def bpr_loss(pos_scores: torch.Tensor, neg_scores: torch.Tensor) -> torch.Tensor:
    r"""Bayesian Personalised Ranking loss (Rendle et al., 2009, https://arxiv.org/abs/1205.2618).

    .. math::
        \mathcal{L} = \frac{1}{|P|} \sum_{(u, i, j) \in P} -\log \sigma(s_{ui} - s_{uj})
                    = \frac{1}{|P|} \sum \operatorname{softplus}(s_{uj} - s_{ui})

    Args:
        pos_scores: ``(B,)`` scores of the positive items.
        neg_scores: ``(B,)`` or ``(B, m)`` scores of the negatives; with ``(B, m)``
            each positive is compared with each of its ``m`` negatives.

    Returns:
        A scalar, the mean over all ``B`` (or ``B * m``) pairs; range ``(0, inf)``.
        ``log 2`` when positive and negative tie; tends to 0 as the positive pulls ahead.
        An empty batch gives ``nan`` (a mean of nothing), as ``torch.mean`` does.
    """
    return F.softplus(neg_scores - _paired(pos_scores, neg_scores)).mean()


def bce_loss(pos_scores: torch.Tensor, neg_scores: torch.Tensor) -> torch.Tensor:
    r"""Binary cross-entropy with logits: positives labelled 1, negatives labelled 0.

    .. math::
        \mathcal{L} = \operatorname{mean}_{i}\, \operatorname{softplus}(-s_i^{+})
                    + \operatorname{mean}_{j}\, \operatorname{softplus}(s_j^{-})

    This is the **positive term plus the negative term**, each averaged over its own
    scores, not one mean over all ``B + B*m`` labels: the positives keep the same
    weight however many negatives are drawn. With one negative per positive it is
    twice the mean over all pairs.

    Args:
        pos_scores: ``(B,)`` logits of the positive pairs.
        neg_scores: ``(B,)`` or ``(B, m)`` logits of the negative pairs.

    Returns:
        A scalar in ``(0, inf)``; ``2 log 2`` when every logit is 0.
    """
    _paired(pos_scores, neg_scores)  # shape check only
    return F.softplus(-pos_scores).mean() + F.softplus(neg_scores).mean()


def l2_reg(*tensors: torch.Tensor, batch_size: int | None = None) -> torch.Tensor:
    r"""Sum of squared L2 norms of ``tensors``, divided by the batch size.

    .. math::
        \frac{1}{B} \sum_{t} \lVert t \rVert_2^2

    LightGCN (He et al., 2020, https://arxiv.org/abs/2002.02126) applies this to the
    batch's *ego* (layer-0) embeddings of users, positives and negatives, rather than
    weight decay on the whole table, so that only the rows a batch used are shrunk.
    LightGCN's reference code also multiplies by 1/2; this function does not, so
    halve the weight to reproduce its numbers.

    Args:
        tensors: one or more tensors, e.g. ``user_emb[users], item_emb[pos], item_emb[neg]``.
        batch_size: the ``B`` to divide by; defaults to ``len(tensors[0])``.

    Returns:
        A scalar ``>= 0``; 0 only when every entry is 0.

    Raises:
        ValueError: when no tensor is given, or the batch size is 0.
    """
    if not tensors:
        raise ValueError("l2_reg needs at least one tensor")
    batch_size = len(tensors[0]) if batch_size is None else batch_size
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    return sum(t.pow(2).sum() for t in tensors) / batch_size
