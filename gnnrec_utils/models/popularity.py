"""The popularity baseline: every user gets the most popular items."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from gnnrec_utils.models.base import Recommender

__all__ = ["Popularity"]


class Popularity(Recommender):
    """Every user gets the most popular items: score(u, i) = training events of i.

    No parameters; ``get_embedding`` returns a column of ones for users and the
    popularity column for items, so the dot product is the popularity.

    Args:
        popularity: training events per item, shape (num_items,).
        num_users: number of users.
    """

    def __init__(self, popularity, num_users: int):
        popularity = torch.as_tensor(np.asarray(popularity), dtype=torch.float)
        super().__init__(num_users, len(popularity))
        self.register_buffer("popularity", popularity.unsqueeze(1), persistent=False)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        return torch.ones(self.num_users, 1, device=self.popularity.device), self.popularity
