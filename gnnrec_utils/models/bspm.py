"""BSPM (:class:`BSPM`), GF-CF's filters followed by a sharpening step: training-free,
scored a chunk of users at a time.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from gnnrec_utils.checks import check_positive
from gnnrec_utils.models.gfcf import GFCF

__all__ = ["BSPM", "sharpening_polynomial"]


def sharpening_polynomial(step: float) -> list[float]:
    r"""Coefficients :math:`c_j` of one classical Runge-Kutta (RK4) step of
    :math:`ds/dt = -P s` with step ``step`` (:math:`h`): for a linear equation the step is
    exactly :math:`s \leftarrow \sum_{j=0}^{4} c_j P^j s` with
    :math:`c_j = (-h)^j / j!`, the Taylor polynomial of :math:`e^{-hP}` of degree 4."""
    return [(-step) ** j / math.factorial(j) for j in range(5)]


class BSPM(GFCF):
    r"""BSPM, the blurring-sharpening process model (Choi et al., "Blurring-Sharpening
    Process Models for Collaborative Filtering", SIGIR 2023,
    https://arxiv.org/abs/2211.09324), training-free.

    With :math:`R`, :math:`\tilde R = D_U^{-1/2} R D_I^{-1/2}`, :math:`V` (the top-``rank``
    right singular vectors of :math:`\tilde R`) and :math:`P = \tilde R^\top \tilde R` as
    in :class:`GFCF`, a user's interaction row :math:`r` (a column here) goes through

    1. **blurring**: one Euler step of the heat equation :math:`ds/dt = (P - I)s` over
       time 1 from :math:`s = r`, which is :math:`P r`, plus the ideal low-pass filter
       weighted by ``beta``:
       :math:`s_0 = P r + \beta\, D_I^{1/2} V V^\top D_I^{-1/2} r`
       (GF-CF's score with :math:`\alpha = \beta`);
    2. **sharpening**: :math:`ds/dt = -P s` from :math:`s_0` over
       time ``sharpen_time`` (:math:`T_s`), in ``sharpen_steps`` (:math:`K`) RK4 steps of
       :math:`h = T_s / K`; each step is exactly
       :math:`s \leftarrow (I - hP + \tfrac{h^2}{2}P^2 - \tfrac{h^3}{6}P^3
       + \tfrac{h^4}{24}P^4)\, s` (:func:`sharpening_polynomial`). The exact reverse
       of the heat equation would be :math:`ds/dt = (I - P)s`; dropping :math:`I` only
       scales every score by :math:`e^{-T_s}`, which leaves each ranking as it is.

    The scores are the final :math:`s`. Blurring spreads a user's items to their
    neighbours (what GF-CF does); sharpening runs the heat equation backwards: the exact
    :math:`e^{-T_s P}` scales an eigenvector of :math:`P` with eigenvalue
    :math:`\lambda` by :math:`e^{-T_s \lambda}`, damping the smoothest signals most,
    and the RK4 steps approximate it. Nothing is trained; each :math:`P` costs two sparse products over a chunk's columns
    (:meth:`GFCF.linear`), so scoring costs ``1 + 4 * sharpen_steps`` of them.

    Args:
        interactions, num_users, num_items, rank, oversample, niter, seed, dtype: as for
            :class:`GFCF`.
        beta: weight :math:`\beta` of the ideal low-pass term in the blurred signal.
            (default: 0.3)
        sharpen_time: :math:`T_s`, how far the sharpening runs. (default: 2.0)
        sharpen_steps: RK4 steps over :math:`T_s`. (default: 1)

    The defaults of ``beta`` and ``sharpen_time`` are the ones chosen on Gowalla's
    ``valid.txt`` (models fitted on ``train.txt``; grid beta in {0.1, 0.2, 0.3} x
    :math:`T_s` in {1, 1.5, 2, 2.5, 3}, rank 256; ``benchmarks/public.py`` records every
    point). The authors' Gowalla settings (beta 0.2, :math:`T_s` 2.5; they used rank 448,
    scored here at 256) were 0.0002 Recall@20 below them there; :math:`T_s = 3` scored below :math:`T_s = 2.5` at every
    beta, so sharpening further is the risky direction on data not seen.
    """

    def __init__(
        self,
        interactions: Tensor,
        num_users: int,
        num_items: int,
        beta: float = 0.3,
        sharpen_time: float = 2.0,
        sharpen_steps: int = 1,
        rank: int = 256,
        oversample: int = 16,
        niter: int = 4,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ):
        check_positive(sharpen_steps, "sharpen_steps")
        if not math.isfinite(sharpen_time) or sharpen_time < 0:
            raise ValueError(f"sharpen_time must be a finite number >= 0, got {sharpen_time}")
        super().__init__(
            interactions,
            num_users,
            num_items,
            alpha=beta,
            rank=rank,
            oversample=oversample,
            niter=niter,
            seed=seed,
            dtype=dtype,
        )
        self.sharpen_time, self.sharpen_steps = float(sharpen_time), sharpen_steps

    @property
    def beta(self) -> float:
        """Weight of the ideal low-pass term (GF-CF's ``alpha``)."""
        return self.alpha

    @torch.no_grad()
    def user_scores(self, users) -> Tensor:
        """Dense (len(users), num_items) BSPM scores of every item for ``users``."""
        x = self.history_columns(users)
        s = self.linear(x) + self.alpha * self.ideal(x)
        coefficients = sharpening_polynomial(self.sharpen_time / self.sharpen_steps)
        for _ in range(self.sharpen_steps):
            s = self.polynomial(s, coefficients)
        return s.T

    def polynomial(self, s: Tensor, coefficients: list[float]) -> Tensor:
        r""":math:`\sum_j c_j P^j s` on columns, one :meth:`linear` per power (Horner's
        order would need the same products; this keeps the powers' sum in place)."""
        out = coefficients[0] * s
        power = s
        for c in coefficients[1:]:
            power = self.linear(power)
            out.add_(power, alpha=c)
        return out

    def extra_repr(self) -> str:
        return (
            f"num_users={self.num_users}, num_items={self.num_items}, beta={self.alpha}, "
            f"sharpen_time={self.sharpen_time}, sharpen_steps={self.sharpen_steps}, "
            f"rank={self.rank}"
        )
