"""The bundled data is what the generator makes, and the data card's tables are what the code measures."""
from pathlib import Path

import pytest

from gnnrec_utils import stats
from gnnrec_utils.data import load_shop, write_shop
from gnnrec_utils.datacard import card_blocks
from gnnrec_utils.synthetic import TAOBAO_SHARES, generate_shop

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def bundled():
    return load_shop(DATA / "shop")


def test_bundled_files_are_byte_identical_to_a_fresh_generation(tmp_path):
    write_shop(generate_shop("default", seed=0), tmp_path)
    for name in ("users.csv", "items.csv", "events.csv.gz"):
        assert (tmp_path / name).read_bytes() == (DATA / "shop" / name).read_bytes(), name


def test_behavior_shares_are_within_1_5_points_of_taobao(bundled):
    shares = stats.behavior_shares(bundled.events)
    for behavior, reference in TAOBAO_SHARES.items():
        assert abs(shares[behavior] - reference) * 100 < 1.5, behavior


def test_data_card_tables_match_the_code(bundled):
    text = (DATA / "README.md").read_text()
    for name, body in card_blocks(bundled).items():
        assert f"<!-- BEGIN {name} -->\n{body}\n<!-- END {name} -->" in text, \
            f"data/README.md block '{name}' is stale: run python -m gnnrec_utils.datacard"
