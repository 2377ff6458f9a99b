"""The bundled data is what the generator makes, and the data card's tables are what the code
measures (``tools/datacard.py``, a maintainer's script outside the package)."""

import importlib.util
import shutil
from pathlib import Path

import pytest

from gnnrec_utils.data import load_shop, stats, write_shop
from gnnrec_utils.synthetic import TAOBAO_SHARES, generate_shop

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def load_datacard():
    """``tools/datacard.py`` as a module (``tools`` is not a package)."""
    spec = importlib.util.spec_from_file_location("datacard", ROOT / "tools" / "datacard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


datacard = load_datacard()


@pytest.fixture(scope="module")
def bundled():
    return load_shop(DATA / "shop")


@pytest.mark.slow
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
    for name, body in datacard.card_blocks(bundled).items():
        assert f"<!-- BEGIN {name} -->\n{body}\n<!-- END {name} -->" in text, (
            f"data/README.md block '{name}' is stale: run python tools/datacard.py --out data"
        )


@pytest.mark.slow
def test_the_script_writes_the_shop_and_the_card_into_its_out_folder(tmp_path):
    shutil.copy(DATA / "README.md", tmp_path / "README.md")
    datacard.main(["--out", str(tmp_path)])
    assert (tmp_path / "README.md").read_text() == (DATA / "README.md").read_text()
    for name in ("users.csv", "items.csv", "events.csv.gz"):
        assert (tmp_path / "shop" / name).read_bytes() == (DATA / "shop" / name).read_bytes(), name


def test_the_script_needs_a_card_in_its_out_folder(tmp_path):
    with pytest.raises(SystemExit):
        datacard.main(["--out", str(tmp_path)])
    assert not any(tmp_path.iterdir())
    with pytest.raises(ValueError, match="no block 'shares'"):
        datacard.replace_block("no markers here\n", "shares", "body")
