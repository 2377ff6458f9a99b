"""XSimGCL (:class:`XSimGCL`), LightGCN with noisy layers and a cross-layer
contrastive loss, and that loss (:func:`info_nce`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gnnrec_utils.checks import check_adjacency, check_positive
from gnnrec_utils.graph.propagation import compact_csr, propagate
from gnnrec_utils.models.base import Recommender

__all__ = ["XSimGCL", "info_nce"]


def info_nce(view1: Tensor, view2: Tensor, temperature: float) -> Tensor:
    r"""InfoNCE between two views of the same nodes, row ``i`` of each a positive pair.

    .. math::
        \mathcal L = -\frac1n \sum_i \log
            \frac{\exp(z_i^\top z'_i / \tau)}{\sum_j \exp(z_i^\top z'_j / \tau)}

    with :math:`z, z'` the rows of ``view1`` and ``view2`` scaled to unit length: the
    other rows of the batch are the negatives. Two identical views of two orthogonal
    rows give :math:`\log(1 + e^{-1/\tau})`.
    """
    z1 = nn.functional.normalize(view1, dim=1)
    z2 = nn.functional.normalize(view2, dim=1)
    logits = z1 @ z2.T / temperature
    return -torch.diagonal(torch.log_softmax(logits, dim=1)).mean()


class XSimGCL(Recommender):
    r"""XSimGCL (Yu et al., "XSimGCL: Towards Extremely Simple Graph Contrastive Learning
    for Recommendation", TKDE 2023, https://arxiv.org/abs/2209.02544): LightGCN whose
    layers are perturbed by small random noise while training, plus a contrastive loss
    between two layers of the same pass.

    .. math::
        E^{(l+1)} = \hat{A} E^{(l)} + \Delta^{(l+1)}, \qquad
        \Delta = \epsilon \, \operatorname{sign}(\hat A E^{(l)}) \odot
            \frac{U}{\lVert U \rVert_2}, \ U \sim \mathcal U(0, 1)^{N \times d}

    row by row (each node's noise has length :math:`\epsilon` and keeps the signs of
    its embedding, so it turns the vector by a small angle), :math:`E = \frac{1}{L+1}
    \sum_{l=0}^{L} E^{(l)}` as in :class:`LightGCN`, and the loss adds
    :math:`\lambda (\mathrm{InfoNCE}(E_U, E^{(l^*)}_U) + \mathrm{InfoNCE}(E_I,
    E^{(l^*)}_I))` (:func:`info_nce`) over the batch's distinct users and positive items:
    the final embedding and layer :math:`l^*`'s of one noisy pass are the two views
    ("cross-layer"). SimGCL (Yu et al., SIGIR 2022, https://arxiv.org/abs/2112.08679)
    contrasts the final embeddings of two extra noisy passes instead: three
    propagations per step against XSimGCL's one, for the accuracy the XSimGCL paper
    reports as equal. Noise is drawn only in training mode; in ``eval()`` mode and with
    ``eps=0`` the model is :class:`LightGCN`. (The authors' code averages layers
    1..L, leaving :math:`E^{(0)}` out; here it stays in, as in LightGCN.)

    **Training hook.** In training mode :meth:`get_embedding` keeps the layer
    :math:`l^*` views of the pass it made, and :meth:`extra_loss` turns them into the
    contrastive term; ``gnnrec_utils.training.train_step`` adds ``model.extra_loss(users,
    pos)`` to the BPR loss of any model that has one.

    Args:
        adj: normalised adjacency from ``gnnrec_utils.graph.normalized_adjacency``.
        num_users, num_items: catalogue sizes.
        embedding_dim: vector size. (default: 64)
        num_layers: propagation layers :math:`L`. (default: 2)
        eps: noise magnitude :math:`\epsilon`. (default: 0.2)
        cl_layer: the layer :math:`l^*` contrasted with the final embedding, in
            ``1..num_layers``. (default: 1)
        cl_weight: :math:`\lambda`. (default: 0.2)
        temperature: :math:`\tau` of InfoNCE. (default: 0.15)
        seed: seed of the noise generator. (default: 0)
        cl_batch: at most this many of the batch's distinct users, and as many of its
            distinct items, enter InfoNCE, drawn with the model's generator: the loss
            costs ``cl_batch ** 2`` similarities instead of the square of the batch.
            (default: ``None``, all of them, as in the paper)

    The defaults are the authors' (SELFRec's ``XSimGCL.conf``: 2 layers, :math:`l^*=1`,
    :math:`\lambda = 0.2`, :math:`\epsilon = 0.2`, :math:`\tau = 0.15`).
    """

    def __init__(
        self,
        adj: Tensor,
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 2,
        eps: float = 0.2,
        cl_layer: int = 1,
        cl_weight: float = 0.2,
        temperature: float = 0.15,
        seed: int = 0,
        cl_batch: int | None = None,
    ):
        super().__init__(num_users, num_items)
        check_adjacency(adj, num_users, num_items)
        check_positive(num_layers, "num_layers")
        if cl_batch is not None:
            check_positive(cl_batch, "cl_batch")
        if not 1 <= cl_layer <= num_layers:
            raise ValueError(f"cl_layer must lie in 1..num_layers={num_layers}, got {cl_layer}")
        if eps < 0 or temperature <= 0 or cl_weight < 0:
            raise ValueError(
                f"need eps >= 0, temperature > 0 and cl_weight >= 0, got eps={eps}, "
                f"temperature={temperature}, cl_weight={cl_weight}"
            )
        self.register_buffer("adj", compact_csr(adj), persistent=False)
        self.num_layers, self.eps, self.cl_layer = num_layers, float(eps), cl_layer
        self.cl_weight, self.temperature, self.seed = float(cl_weight), float(temperature), seed
        self.cl_batch = cl_batch
        self.embedding = nn.Embedding(num_users + num_items, embedding_dim)
        self.generator = torch.Generator().manual_seed(seed)
        self._views: tuple[Tensor, Tensor] | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.embedding.weight, std=0.1)
        self.generator.manual_seed(self.seed)

    def _noise(self, x: Tensor) -> Tensor:
        u = torch.rand(x.shape, generator=self.generator, dtype=x.dtype).to(x.device)
        return self.eps * torch.sign(x) * nn.functional.normalize(u, dim=1)

    def get_embedding(self) -> tuple[Tensor, Tensor]:
        noisy = self.training and self.eps > 0
        x = self.embedding.weight
        out, cl_view = x, None
        for layer in range(1, self.num_layers + 1):
            x = propagate(self.adj, x)
            if noisy:
                x = x + self._noise(x)
            out = out + x
            if layer == self.cl_layer:
                cl_view = x
        out = out / (self.num_layers + 1)
        self._views = (out, cl_view) if self.training else None
        return out[: self.num_users], out[self.num_users :]

    def extra_loss(self, users: Tensor, items: Tensor) -> Tensor:
        """The contrastive term of the last training-mode :meth:`get_embedding`, over the
        distinct ``users`` and positive ``items`` of the batch (once per pass)."""
        if self._views is None:
            raise RuntimeError("extra_loss needs a get_embedding() call in training mode first")
        (final, cl_view), self._views = self._views, None
        u, i = self._some(torch.unique(users)), self._some(torch.unique(items)) + self.num_users
        loss = info_nce(final[u], cl_view[u], self.temperature)
        return self.cl_weight * (loss + info_nce(final[i], cl_view[i], self.temperature))

    def _some(self, ids: Tensor) -> Tensor:
        """``ids``, or ``cl_batch`` of them drawn without replacement."""
        if self.cl_batch is None or len(ids) <= self.cl_batch:
            return ids
        pick = torch.randperm(len(ids), generator=self.generator)[: self.cl_batch]
        return ids[pick.to(ids.device)]

    def ego_embedding(self, users: Tensor, items: Tensor) -> list[Tensor]:
        return [self.embedding(users), self.embedding(items + self.num_users)]

    def extra_repr(self) -> str:
        some = "" if self.cl_batch is None else f", cl_batch={self.cl_batch}"
        return (
            f"{super().extra_repr()}, embedding_dim={self.embedding.embedding_dim}, "
            f"num_layers={self.num_layers}, eps={self.eps}, cl_layer={self.cl_layer}, "
            f"cl_weight={self.cl_weight}, temperature={self.temperature}{some}"
        )
