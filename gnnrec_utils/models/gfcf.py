"""GF-CF (:class:`GFCF`), a training-free graph filter scored a chunk of users at a
time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from gnnrec_utils.checks import check_positive
from gnnrec_utils.graph.sparse import (
    csr_row_ids,
    csr_rows_as_columns,
    inv_sqrt,
    sparse_csr,
    transpose_csr,
)
from gnnrec_utils.models.base import Recommender

__all__ = ["GFCF"]


class GFCF(Recommender):
    r"""GF-CF, a training-free graph filter (Shen et al., "How Powerful is Graph
    Convolution for Recommendation?", CIKM 2021, https://arxiv.org/abs/2108.07567).

    With :math:`R` the binary user-item matrix, :math:`D_U, D_I` its user and item
    degrees, :math:`\tilde R = D_U^{-1/2} R D_I^{-1/2}` and :math:`V` the top-``rank``
    right singular vectors of :math:`\tilde R`, user :math:`u`'s scores are

    .. math::
        s_u = r_u \tilde R^\top \tilde R
            + \alpha \, r_u D_I^{-1/2} V V^\top D_I^{1/2}

    a linear low-pass filter (the normalised item-item co-occurrence) plus an ideal
    low-pass filter that keeps only the ``rank`` smoothest item signals. Nothing is
    trained; items and users without any interaction score 0 from both terms.

    **At scale.** :math:`V` comes from ``torch.svd_lowrank`` (randomised SVD: a random
    range finder of ``rank + oversample`` columns, ``niter`` power iterations) on the
    sparse :math:`\tilde R`, seeded by ``seed`` without touching the global generator;
    when ``rank`` equals the smaller side of :math:`R` the range is the whole space and
    the result is exact. The item-item matrix :math:`\tilde R^\top \tilde R` is never
    formed (41k items would need 6.7 GB in float32): scores are computed for a block of
    ``chunk`` users at a time (:math:`X_b`, their rows of :math:`R`), as
    :math:`(\tilde R^\top (\tilde R X_b^\top))^\top` with sparse products and
    :math:`(X_b D_I^{-1/2} V)(V^\top D_I^{1/2})` with dense ones (:meth:`linear` and
    :meth:`ideal` act on the block's columns), so memory is a few ``chunk * num_items``
    blocks plus :math:`V`. ``benchmarks/public.py`` records the fit and scoring seconds
    and the peak memory on Gowalla.

    Args:
        interactions: (num_users, num_items) interaction matrix, dense or sparse; any
            non-zero entry counts as an interaction.
        num_users, num_items: catalogue sizes, checked against the matrix.
        alpha: weight :math:`\alpha` of the ideal low-pass term. (default: 0.2, chosen on
            Gowalla's ``valid.txt`` from {0.1, 0.2, 0.3, 0.5}; the paper uses 0.3, which
            scored 0.0001 Recall@20 below it there, ``benchmarks/public.py``)
        rank: singular vectors kept. (default: 256, as in the paper)
        oversample: extra columns of the randomised range finder. (default: 16)
        niter: power iterations of the randomised SVD. (default: 4)
        seed: seed of the randomised SVD. (default: 0)
        dtype: precision of the stored matrices. (default: ``torch.float32``)
    """

    def __init__(
        self,
        interactions: Tensor,
        num_users: int,
        num_items: int,
        alpha: float = 0.2,
        rank: int = 256,
        oversample: int = 16,
        niter: int = 4,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ):
        super().__init__(num_users, num_items)
        if tuple(interactions.shape) != (num_users, num_items):
            raise ValueError(
                f"interactions: expected a (num_users, num_items) = ({num_users}, "
                f"{num_items}) matrix, got {tuple(interactions.shape)}"
            )
        check_positive(rank, "rank")
        if rank > min(num_users, num_items):
            raise ValueError(
                f"rank={rank} is larger than min(num_users, num_items) = "
                f"{min(num_users, num_items)}: a {num_users} x {num_items} matrix has no more "
                "singular vectors"
            )
        r = sparse_csr(interactions, dtype)
        r = torch.sparse_csr_tensor(
            r.crow_indices(),
            r.col_indices(),
            (r.values() != 0).to(dtype),
            r.shape,
            check_invariants=False,
        )
        if not bool(r.values().any()):
            raise ValueError("interactions: the matrix has no interaction; GF-CF needs one")
        self.alpha, self.rank, self.oversample, self.niter, self.seed = (
            float(alpha),
            rank,
            oversample,
            niter,
            seed,
        )
        self.register_buffer("interactions", r, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Recompute the filter from the interactions (nothing is learned)."""
        r = self.interactions
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
            user_deg = torch.zeros(self.num_users, dtype=r.dtype).index_add_(
                0, csr_row_ids(r), r.values()
            )
            item_deg = torch.zeros(self.num_items, dtype=r.dtype).index_add_(
                0, r.col_indices(), r.values()
            )
            d_u, d_i = inv_sqrt(user_deg), inv_sqrt(item_deg)
            values = d_u[csr_row_ids(r)] * r.values() * d_i[r.col_indices()]
            norm = torch.sparse_csr_tensor(
                r.crow_indices(), r.col_indices(), values, r.shape, check_invariants=False
            )
            v = self._right_singular_vectors(norm)
        self.register_buffer("norm", norm, persistent=False)
        self.register_buffer("norm_t", transpose_csr(norm), persistent=False)
        self.register_buffer("item_inv_sqrt", d_i, persistent=False)
        self.register_buffer("item_sqrt", item_deg.sqrt(), persistent=False)
        self.register_buffer("vectors", v, persistent=False)

    def _right_singular_vectors(self, norm: Tensor) -> Tensor:
        """(num_items, rank) top right singular vectors of ``norm``, randomised SVD."""
        q = min(self.rank + self.oversample, *norm.shape)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            _, _, v = torch.svd_lowrank(norm.to_sparse_coo(), q=q, niter=self.niter)
        return v[:, : self.rank].contiguous()

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        raise NotImplementedError(
            "GFCF has no embeddings (a user's scores need its whole row of R); use "
            "user_scores(), score() or recommend()"
        )

    @torch.no_grad()
    def user_scores(self, users) -> Tensor:
        """Dense (len(users), num_items) GF-CF scores of every item for ``users``."""
        x = self.history_columns(users)
        return (self.linear(x) + self.alpha * self.ideal(x)).T

    def history_columns(self, users) -> Tensor:
        """The ``users``' rows of :math:`R` as the columns of a dense (num_items,
        len(users)) block: the filters below act on columns, so every sparse product
        reads a contiguous row of the block for each stored entry."""
        users = torch.as_tensor(users, dtype=torch.long, device=self.norm.device)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
            return csr_rows_as_columns(self.interactions, users).to_dense()

    def linear(self, x: Tensor) -> Tensor:
        r"""The linear filter on columns: :math:`\tilde R^\top \tilde R x`, two sparse
        products, the (num_items, num_items) matrix never formed."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
            return self.norm_t @ (self.norm @ x)

    def ideal(self, x: Tensor) -> Tensor:
        r"""The ideal low-pass filter on columns: :math:`D_I^{1/2} V V^\top D_I^{-1/2} x`."""
        low = self.vectors.T @ (x * self.item_inv_sqrt[:, None])
        return (self.vectors @ low) * self.item_sqrt[:, None]

    def score(self, users: Tensor, items: Tensor) -> Tensor:
        """Scores of (user, item) pairs; each of ``users`` costs a row of ``num_items``."""
        rows = self.user_scores(users)
        return rows.gather(1, items) if items.dim() == 2 else rows.gather(1, items[:, None])[:, 0]

    def scorer(self) -> Callable[[np.ndarray], Tensor]:
        """:meth:`user_scores` itself: a chunk of users is scored from their rows of the
        interaction matrix, never from dense embeddings."""
        return self.user_scores

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, alpha={self.alpha}, rank={self.rank}"
