"""Encoders on cases computed by hand."""

import numpy as np
import pandas as pd
import pytest
import torch

from gnnrec_utils.models import (
    AttributeEncoder,
    NodeEncoder,
    attribute_codes,
    item_attribute_codes,
    price_bands,
    user_attribute_codes,
)


def test_price_bands_are_deciles_of_log_price():
    price = np.exp(np.arange(100)) - 1  # log1p(price) = 0, 1, ..., 99
    bands = price_bands(price, num_bands=10)
    assert np.bincount(bands).tolist() == [10] * 10
    assert (np.diff(bands) >= 0).all()


def test_attribute_codes_and_cardinalities():
    table = pd.DataFrame({"a": [0, 2, 1], "b": [5, 0, 0]})
    codes, cards = attribute_codes(table, ("a", "b"))
    assert codes.tolist() == [[0, 5], [2, 0], [1, 0]] and cards == [3, 6]


def test_user_and_item_codes_use_the_documented_columns():
    users = pd.DataFrame(
        {"user_id": [0, 1], "age_group": [1, 5], "gender": [0, 1], "city_tier": [1, 5]}
    )
    codes, cards = user_attribute_codes(users)
    assert codes.tolist() == [[1, 0, 1], [5, 1, 5]] and cards == [6, 2, 6]
    items = pd.DataFrame(
        {"item_id": [0, 1], "category_id": [3, 0], "brand_id": [1, 1], "price": [1.0, 100.0]}
    )
    codes, _ = item_attribute_codes(items, num_bands=2)
    assert codes[:, :2].tolist() == [[3, 1], [0, 1]] and codes[:, 2].tolist() == [0, 1]


def test_attribute_encoder_sums_one_row_per_attribute():
    enc = AttributeEncoder([3, 4], 2)
    codes = torch.tensor([[2, 1], [0, 3]])
    expected = enc.tables[0].weight[codes[:, 0]] + enc.tables[1].weight[codes[:, 1]]
    torch.testing.assert_close(enc(codes), expected)


def test_node_encoder_sum_concat_and_attributes_only():
    codes = torch.tensor([[0], [1], [1]])
    enc = NodeEncoder(3, [2], 4, combine="sum")
    torch.testing.assert_close(enc(codes), enc.ids.weight + enc.attributes(codes))
    torch.testing.assert_close(
        enc(codes[1:], torch.tensor([1, 2])), enc.ids.weight[1:] + enc.attributes(codes[1:])
    )
    assert NodeEncoder(3, [2], 4, combine="concat")(codes).shape == (3, 4)
    attrs_only = NodeEncoder(3, [2], 4, use_ids=False)(codes)
    torch.testing.assert_close(attrs_only[1], attrs_only[2])  # same attributes, same vector
    with pytest.raises(ValueError, match="combine"):
        NodeEncoder(3, [2], 4, combine="product")
