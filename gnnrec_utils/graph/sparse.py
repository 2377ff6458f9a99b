"""Sparse CSR helpers: conversion, transpose, row slices, row ids and inverse
square-root degrees, for propagation in row blocks and for the models that keep their
matrices sparse (:class:`~gnnrec_utils.models.itemknn.ItemKNN`,
:class:`~gnnrec_utils.models.gfcf.GFCF`).
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

__all__ = [
    "csr_row_block",
    "csr_row_ids",
    "csr_rows_as_columns",
    "inv_sqrt",
    "sparse_csr",
    "transpose_csr",
]


def sparse_csr(x: Tensor, dtype: torch.dtype) -> Tensor:
    """``x`` (dense, COO or CSR) as a sparse CSR matrix of ``dtype``, duplicates summed."""
    with warnings.catch_warnings():  # torch marks sparse CSR as beta; it is what we want here
        warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
        if x.layout != torch.sparse_csr:
            x = x.coalesce() if x.layout == torch.sparse_coo else x.to_sparse_coo().coalesce()
            x = x.to_sparse_csr()
        return x.to(dtype)


def transpose_csr(x: Tensor) -> Tensor:
    """The transpose of a sparse CSR matrix, itself CSR (rows of the result are columns)."""
    coo = x.to_sparse_coo()
    flipped = torch.sparse_coo_tensor(
        coo.indices().flip(0), coo.values(), (x.shape[1], x.shape[0]), check_invariants=False
    )
    return flipped.coalesce().to_sparse_csr()


def csr_row_block(x: Tensor, lo: int, hi: int) -> Tensor:
    """Rows ``lo:hi`` of a sparse CSR matrix, as a CSR matrix sharing its storage."""
    crow = x.crow_indices()
    a, b = int(crow[lo]), int(crow[hi])
    return torch.sparse_csr_tensor(
        crow[lo : hi + 1] - a,
        x.col_indices()[a:b],
        x.values()[a:b],
        (hi - lo, x.shape[1]),
        check_invariants=False,
    )


def csr_rows_as_columns(x: Tensor, rows: Tensor) -> Tensor:
    """The ``rows`` of a sparse CSR matrix as the columns of a (x.shape[1], len(rows))
    CSR matrix: a chunk of users' histories, ready to multiply by an item-item matrix."""
    crow = x.crow_indices()
    start, length = crow[rows], crow[rows + 1] - crow[rows]
    column = torch.repeat_interleave(torch.arange(len(rows), device=x.device), length)
    offset = torch.arange(len(column), device=x.device) - torch.repeat_interleave(
        length.cumsum(0) - length, length
    )
    at = start[column] + offset
    coo = torch.sparse_coo_tensor(
        torch.stack([x.col_indices()[at], column]),
        x.values()[at],
        (x.shape[1], len(rows)),
        check_invariants=False,
    )
    return coo.coalesce().to_sparse_csr()


def csr_row_ids(x: Tensor) -> Tensor:
    """The row of every stored entry of a sparse CSR matrix."""
    counts = x.crow_indices().diff()
    return torch.repeat_interleave(torch.arange(x.shape[0], device=x.device), counts)


def inv_sqrt(degree: Tensor) -> Tensor:
    """``degree ** -0.5``, 0 where the degree is 0."""
    return degree.pow(-0.5).masked_fill(degree == 0, 0.0)
