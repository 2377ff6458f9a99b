"""TEACHING.md's checkpoint values and runtimes are the notebooks' own, and it has what a
teacher needs to run a workshop cold (issue 24, section 5)."""

import importlib.util
import json
import re
import sys
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


# ---- section 5 of issue 24: a guide a teacher can run cold ---------------------------------


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # a dataclass in it looks its module up
    spec.loader.exec_module(module)
    return module


def _section(title: str) -> str:
    """The text of the guide's ``## title`` section, up to the next ``## ``."""
    assert f"\n## {title}\n" in GUIDE, f"TEACHING.md has no section '## {title}'"
    return GUIDE.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _rows(text: str) -> list[list[str]]:
    """The body rows of the markdown tables in ``text``, as lists of cells."""
    rows = [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in text.splitlines()]
    return [r for r in rows if len(r) > 1 and not r[0].startswith("---")]


def _numbers(cell: str) -> set[int]:
    """Section numbers written as ``1–4`` or ``2, 5``."""
    found = set()
    for part in cell.split(","):
        low, _, high = part.strip().partition("–")
        found |= set(range(int(low), int(high or low) + 1))
    return found


def _notebook_sections(number: str) -> set[int]:
    """The numbered ``## N`` sections (N >= 1) of committed notebook ``number``."""
    (path,) = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    cells = json.loads(path.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return {int(n) for n in re.findall(r"^## (\d+) ", text, re.MULTILINE)} - {0}


SECTION_5 = [
    "Time per section",
    "In a short slot",
    "Exercises for each agenda",
    "Slides",
    "Memory and disk per notebook",
    "macOS and Windows: faiss and torchrun",
    "The source article",
]


@pytest.mark.parametrize("title", SECTION_5)
def test_the_guide_has_each_section_a_teacher_needs(title):
    assert _section(title).strip()


def test_the_exercise_section_says_how_to_check_and_where_the_key_is():
    text = _section("Exercises for each agenda")
    assert "### How a learner checks an answer" in text and "### The answer key" in text
    assert re.search(r"assert check_exercise_\d\(", text), "no example of a checker call"
    assert "](notebooks/answer_key.md)" in text


def test_the_tables_of_sections_memory_and_disk_are_the_record():
    tool = _load_tool("run_notebook")
    assert tool.guide_tables(GUIDE, tool.load_record()) == GUIDE, (
        "TEACHING.md's tables differ from notebooks/runtimes.json: "
        "run `python tools/run_notebook.py --tables`"
    )


def test_a_short_slot_keeps_or_skips_each_section_of_each_notebook():
    rows = [r for r in _rows(_section("In a short slot")) if re.fullmatch(r"\d\d", r[0])]
    notebooks = {p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert {r[0] for r in rows} == notebooks
    for number, keep, skip, lost in rows:
        keep, skip = _numbers(keep), _numbers(skip)
        assert not keep & skip, f"{number}: kept and skipped {keep & skip}"
        assert keep | skip == _notebook_sections(number), f"{number}: sections differ"
        assert lost, f"{number}: say what skipping loses"


def test_each_assigned_exercise_has_a_worked_solution():
    text = _section("Exercises for each agenda")
    assigned = re.findall(r"\b(\d\d) ex\. (\d+)", text)
    assert {agenda for agenda, *_ in _rows(text)} >= {"Half day", "Full day", "Second day"}
    assert assigned
    for number, exercise in assigned:
        (path,) = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
        assert f"### Solution {exercise}" in path.read_text(), f"{number} ex. {exercise}"


def test_each_macos_and_windows_fix_cites_its_source():
    rows = _rows(_section("macOS and Windows: faiss and torchrun"))[1:]
    assert any("faiss" in r[0] for r in rows) and any("torchrun" in " ".join(r) for r in rows)
    for row in rows:
        assert len(row) == 4 and "](https://" in row[3], f"no source for: {row[0]}"
    intro = _section("macOS and Windows: faiss and torchrun").split("|", 1)[0]
    assert "Nothing in this section was tried" in " ".join(intro.split()), "say what was not tried"


def test_the_guide_says_the_article_is_chinese_and_the_prose_the_kits():
    text = _section("The source article")
    assert "in Chinese" in text and "its own" in text


@pytest.mark.parametrize(
    "topic", ["KGAT", "DGL", "Spektral", "Search and ads", "User satisfaction", "beyond bandits"]
)
def test_the_article_map_places_each_topic_or_points_elsewhere(topic):
    rows = [r for r in _rows(_section("From the article to the kit")) if topic in r[0]]
    assert len(rows) == 1, f"the map has no single row for {topic}"
    where, status = rows[0][1], rows[0][2]
    assert status.startswith(("taught", "not covered")), status
    if status.startswith("not covered"):
        assert "](https://" in where, f"{topic}: not covered, but no pointer to public material"
