"""Matrix factorisation (:class:`MatrixFactorization`), the non-graph baseline."""

from __future__ import annotations

from torch import Tensor, nn

from gnnrec_utils.models.base import Recommender

__all__ = ["MatrixFactorization"]


class MatrixFactorization(Recommender):
    r"""Matrix factorisation: :math:`\hat y_{ui} = e_u^\top e_i`, trained with BPR
    (Rendle et al., UAI 2009, https://arxiv.org/abs/1205.2618). The non-graph baseline.

    Args:
        num_users, num_items: catalogue sizes.
        embedding_dim: vector size. (default: 64)
    """

    def __init__(self, num_users: int, num_items: int, embedding_dim: int = 64):
        super().__init__(num_users, num_items)
        self.user = nn.Embedding(num_users, embedding_dim)
        self.item = nn.Embedding(num_items, embedding_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.user.weight, std=0.1)
        nn.init.normal_(self.item.weight, std=0.1)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        return self.user.weight, self.item.weight

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.user(users), self.item(items)]
