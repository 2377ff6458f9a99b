"""TEACHING.md's checkpoint values and runtimes are the notebooks' own."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "TEACHING.md").read_text()


def _outputs(number: str) -> str:
    """Every text output of notebook ``number``, runs of whitespace made one space."""
    (path,) = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    texts = []
    for cell in json.loads(path.read_text())["cells"]:
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain") or ""
            texts.append("".join(text) if isinstance(text, list) else text)
            if out.get("output_type") == "error":
                texts.append(f"{out['ename']}: {out['evalue']}")
    return re.sub(r"\s+", " ", "\n".join(texts))


def _values(cell: str) -> list[str]:
    """The `code` spans of a table cell, leaving out those inside a (remark)."""
    parts, depth, values = cell.split("`"), 0, []
    for k, part in enumerate(parts):
        if k % 2 == 0:
            depth += part.count("(") - part.count(")")
        elif depth == 0:
            values.append(part)
    return values


def _checkpoints() -> list[tuple[str, str]]:
    section = GUIDE.split("## Checkpoint values", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in section.splitlines() if re.match(r"\| \d\d \|", line)]
    return [(cells[0].strip(), value) for cells in rows for value in _values(cells[2])]


def test_the_guide_lists_checkpoints_for_every_notebook():
    notebooks = {p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert {n for n, _ in _checkpoints()} == notebooks


@pytest.mark.parametrize(("number", "value"), _checkpoints())
def test_each_checkpoint_value_is_printed_by_its_notebook(number, value):
    outputs = _outputs(number)
    for part in re.sub(r"\s+", " ", value).split("…"):  # "…" stands for text left out
        assert part.strip(" ,") in outputs, f"{number}: {part!r} is not in its outputs"


def test_runtimes_are_the_readme_ones():
    readme = (ROOT / "README.md").read_text()
    measured = dict(re.findall(r"\| (\d\d) \| \[`\d\d_\w+`\].*\| (~\d+ s) \|", readme))
    lines = GUIDE.split("## Runtimes", 1)[1].splitlines()
    header = next(line for line in lines if line.startswith("| 00 |"))
    values = lines[lines.index(header) + 2]
    guide = dict(zip(re.findall(r"\d\d", header), re.findall(r"~\d+ s", values), strict=True))
    assert guide == measured
