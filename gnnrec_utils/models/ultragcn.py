"""UltraGCN (:class:`UltraGCN`): matrix factorisation trained toward the limit of
infinitely many LightGCN layers, with constraint losses instead of message passing
(``gnnrec_utils.training.ultragcn_epoch`` trains it)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnnrec_utils.checks import check_positive, check_range
from gnnrec_utils.graph.sparse import sparse_csr
from gnnrec_utils.models.base import Recommender
from gnnrec_utils.models.itemknn import top_item_neighbours

__all__ = ["UltraGCN", "constraint_neighbours"]


class UltraGCN(Recommender):
    r"""UltraGCN (Mao et al., CIKM 2021, https://arxiv.org/abs/2110.15114).

    Scores are dot products of free vectors, :math:`\hat y_{ui} = e_u^\top e_i`, as in
    matrix factorisation; the graph enters through the loss. At the limit of infinitely
    many LightGCN layers a user's vector is a weighted sum of its items' vectors, and
    that limit is met when each score :math:`e_u^\top e_i` is pushed up (or, for a
    negative, down) with the weight

    .. math::
        \beta_{u,i} = \frac{1}{d_u} \sqrt{\frac{d_u + 1}{d_i + 1}}

    (:math:`d` the training degrees). With :math:`\sigma` the logistic function, a batch
    of positive pairs :math:`(u, i)` and a set :math:`N` of sampled negative items, the
    loss is

    .. math::
        \mathcal L = -\sum_{(u,i)} \Big[(w_1 + w_2 \beta_{u,i}) \log\sigma(e_u^\top e_i)
            + \frac{\nu}{|N|} \sum_{j \in N} (w_3 + w_4 \beta_{u,j})
              \log\sigma(-e_u^\top e_j)
            + \lambda \sum_{k \in S(i)} \omega_{i,k} \log\sigma(e_u^\top e_k)\Big]
            + \frac{\gamma}{2} \lVert \Theta \rVert^2

    where the last sum is the item-item constraint: :math:`S(i)` are the ``neighbours``
    items with the largest weights in the item-item co-occurrence graph
    :math:`G = R^\top R`,

    .. math::
        \omega_{i,k} = \frac{G_{ik}}{g_i - G_{ii}} \sqrt{\frac{g_i}{g_k}}, \qquad
        g_i = \sum_k G_{ik},

    and :math:`\Theta` is every user and item vector. :math:`\nu` is
    ``negative_weight``, :math:`\lambda` ``item_weight`` and :math:`\gamma`
    ``norm_weight``. The defaults are the settings the paper's authors published for
    Gowalla. Negatives that are a user's own training items get weight zero.

    Args:
        interactions: binary (num_users, num_items) matrix of the training pairs, dense
            or sparse; the degrees and the item-item neighbours are built from it.
        embedding_dim: vector size. (default: 64)
        neighbours: :math:`|S(i)|`. (default: 10)
        w1, w2, w3, w4: the constraint weights. (default: 1e-6, 1, 1e-6, 1)
        negative_weight: :math:`\nu`. (default: 300.0)
        item_weight: :math:`\lambda`. (default: 5e-4)
        norm_weight: :math:`\gamma`. (default: 1e-4)
        init_std: standard deviation of the normal initial vectors. (default: 1e-4)
        block_size: items per block while the neighbours are built. (default: 2048)
    """

    def __init__(
        self,
        interactions: Tensor,
        embedding_dim: int = 64,
        neighbours: int = 10,
        *,
        w1: float = 1e-6,
        w2: float = 1.0,
        w3: float = 1e-6,
        w4: float = 1.0,
        negative_weight: float = 300.0,
        item_weight: float = 5e-4,
        norm_weight: float = 1e-4,
        init_std: float = 1e-4,
        block_size: int = 2048,
    ):
        for value, name in ((embedding_dim, "embedding_dim"), (neighbours, "neighbours")):
            check_positive(value, name)
        for value, name in (
            (w1, "w1"), (w2, "w2"), (w3, "w3"), (w4, "w4"),
            (negative_weight, "negative_weight"), (item_weight, "item_weight"),
            (norm_weight, "norm_weight"), (init_std, "init_std"),
        ):  # fmt: skip
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        x = sparse_csr(interactions, torch.float64)
        if x.values().numel() and not bool((x.values() == 1).all()):
            raise ValueError("interactions must be binary (each stored value 1)")
        super().__init__(*x.shape)
        self.weights = dict(w1=w1, w2=w2, w3=w3, w4=w4)
        self.negative_weight, self.item_weight, self.norm_weight = (
            negative_weight, item_weight, norm_weight,
        )  # fmt: skip
        self.init_std = init_std
        self.user = nn.Embedding(self.num_users, embedding_dim)
        self.item = nn.Embedding(self.num_items, embedding_dim)
        self.reset_parameters()

        user_degree = x.crow_indices().diff().double()
        item_degree = torch.bincount(x.col_indices(), minlength=self.num_items).double()
        beta_user = torch.where(
            user_degree > 0, (user_degree + 1).sqrt() / user_degree.clamp_min(1), 0.0
        )
        self.register_buffer("beta_user", beta_user.float(), persistent=False)
        self.register_buffer("beta_item", (item_degree + 1).rsqrt().float(), persistent=False)
        ids, weights = constraint_neighbours(x, neighbours, block_size)
        self.register_buffer("neighbour_ids", ids, persistent=False)
        self.register_buffer("neighbour_weights", weights, persistent=False)

    def reset_parameters(self) -> None:
        nn.init.normal_(self.user.weight, std=self.init_std)
        nn.init.normal_(self.item.weight, std=self.init_std)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        return self.user.weight, self.item.weight

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.user(users), self.item(items)]

    def loss(
        self, users: Tensor, items: Tensor, negatives: Tensor, exclude: Tensor | None = None
    ) -> Tensor:
        r"""The loss :math:`\mathcal L` above for a batch of positive pairs
        ``(users, items)`` and negatives shared by the batch.

        Args:
            users, items: ``(B,)`` the positive pairs.
            negatives: ``(N,)`` items every pair of the batch is contrasted with.
            exclude: ``(B, N)`` bool, ``True`` where a negative is the user's own
                training item (its term is dropped). (default: ``None``, none dropped)
        """
        check_range("users", users, self.num_users)
        check_range("items", items, self.num_items)
        check_range("negatives", negatives, self.num_items)
        u = self.user(users)
        pos_scores = (u * self.item(items)).sum(-1)
        neg_scores = u @ self.item(negatives).T  # (B, N)
        w = self.weights
        pos_weight = w["w1"] + w["w2"] * self.beta_user[users] * self.beta_item[items]
        neg_weight = w["w3"] + w["w4"] * self.beta_user[users, None] * self.beta_item[negatives]
        if exclude is not None:
            neg_weight = neg_weight.masked_fill(exclude, 0.0)
        constraint = (pos_weight * F.softplus(-pos_scores)).sum() + self.negative_weight * (
            neg_weight * F.softplus(neg_scores)
        ).mean(1).sum()
        near = self.item(self.neighbour_ids[items])  # (B, K, dim)
        near_scores = (u.unsqueeze(1) * near).sum(-1)
        item_item = (self.neighbour_weights[items] * F.softplus(-near_scores)).sum()
        norm = self.user.weight.pow(2).sum() + self.item.weight.pow(2).sum()
        return constraint + self.item_weight * item_item + self.norm_weight / 2 * norm

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, dim={self.user.embedding_dim}, "
            f"neighbours={self.neighbour_ids.shape[1]}, negative_weight={self.negative_weight}, "
            f"item_weight={self.item_weight}, norm_weight={self.norm_weight}"
        )


def constraint_neighbours(
    interactions: Tensor, neighbours: int, block_size: int = 2048
) -> tuple[Tensor, Tensor]:
    r"""Each item's ``neighbours`` heaviest items by :math:`\omega_{i,k}` (see
    :class:`UltraGCN`) in the binary ``interactions``, as ``(num_items, neighbours)``
    ids and weights; an item with fewer co-occurring items is padded with itself at
    weight zero."""
    x = sparse_csr(interactions, torch.float64)
    m = x.shape[1]
    rows = torch.repeat_interleave(torch.arange(x.shape[0]), x.crow_indices().diff())
    user_degree = x.crow_indices().diff().double()
    item_degree = torch.bincount(x.col_indices(), minlength=m).double()  # G_ii, binary R
    g = torch.zeros(m, dtype=torch.float64).index_add_(
        0, x.col_indices(), user_degree[rows]
    )  # row sums of G = R^T R

    def omega(counts, item, neighbour):
        return counts / (g[item] - item_degree[item]) * (g[item] / g[neighbour]).sqrt()

    item, neighbour, value = top_item_neighbours(x, neighbours, block_size, omega)
    ids = torch.arange(m).unsqueeze(1).repeat(1, neighbours)
    weights = torch.zeros(m, neighbours, dtype=torch.float32)
    rank = torch.arange(len(item)) - torch.searchsorted(item, item)
    ids[item, rank] = neighbour
    weights[item, rank] = value.float()
    return ids, weights
