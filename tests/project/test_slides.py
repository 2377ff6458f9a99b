"""Slides (``tools/slides.py``): every pair tagged by the rule, and decks that build.

A deck is ``jupyter nbconvert --to slides`` of a committed notebook; it must have one
horizontal slide for the opening cell and one for each ``##`` section, counted here from
the notebook itself, not from the tags.
"""

import importlib.util
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def load_tool():
    path = ROOT / "tools" / "slides.py"
    spec = importlib.util.spec_from_file_location("slides", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()

SOURCE = """# %% [markdown]
# # 99 · A notebook
#
# **Runtime**: ~1 s

# %% [markdown]
# ## 0 Setup

# %% tags=["parameters"]
SEED = 0

# %% [markdown]
# ## 1 First
# Prose that opens the section.

# %%
print("first output")

# %% [markdown]
# More prose, then the next section in the same cell.
#
# ## 2 Second
# ```bash
# ## not a heading: fenced code
# ```

# %%
print("second output")

# %% [markdown]
# ## Summary
# - a point
#
# ## Exercises
# 1. Do it.

# %% [markdown] tags=["solution"]
# ### Solution 1
# The secret answer.

# %% tags=["solution"]
print("solution output")
"""


class Sections(HTMLParser):
    """The text of each top-level ``<section>`` of a reveal.js deck."""

    def __init__(self):
        super().__init__()
        self.depth, self.texts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            if self.depth == 0:
                self.texts.append("")
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.texts[-1] += data


def slides(deck: Path) -> list[str]:
    parser = Sections()
    parser.feed(deck.read_text().split('<div class="slides">', 1)[1])
    return parser.texts


def sections(notebook: Path) -> list[str]:
    """The ``##`` headings of a notebook's prose (solutions and fenced code left out)."""
    found = []
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "markdown" or "solution" in cell["metadata"].get("tags", []):
            continue
        fenced = False
        for line in "".join(cell["source"]).split("\n"):
            fenced ^= line.lstrip().startswith("```")
            if not fenced and re.match(r"##\s+\S", line):
                found.append(line)
    return found


@pytest.fixture
def pair(tmp_path):
    source = tmp_path / "99_a_notebook.py"
    source.write_text(SOURCE)
    nb = jupytext.read(source)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="shown\n")]
            cell.execution_count = 1
    jupytext.write(nb, source.with_suffix(".ipynb"))
    return source


def test_every_pair_is_tagged_by_the_rule():
    assert tool.main(["--check"]) == 0, "run `python tools/slides.py`"


def test_the_rule_on_a_small_notebook(pair):
    assert tool.differences(pair), "an untagged pair must be reported"
    assert tool.tag(pair)
    assert tool.differences(pair) == []
    assert not tool.tag(pair), "tagging twice changes nothing"
    cells = jupytext.read(pair).cells
    kinds = [(c.source.split("\n")[0], c.metadata["slideshow"]["slide_type"]) for c in cells]
    assert kinds == [
        ("# 99 · A notebook", "slide"),
        ("## 0 Setup", "slide"),
        ("SEED = 0", "skip"),
        ("## 1 First", "slide"),
        ('print("first output")', "-"),
        ("More prose, then the next section in the same cell.", "subslide"),
        ("## 2 Second", "slide"),  # split off the cell above
        ('print("second output")', "-"),
        ("## Summary", "slide"),
        ("## Exercises", "slide"),
        ("### Solution 1", "skip"),
        ('print("solution output")', "skip"),
    ]
    assert cells[2].metadata["tags"] == ["parameters"]
    notebook = jupytext.read(pair.with_suffix(".ipynb"))
    assert [c.metadata["slideshow"] for c in notebook.cells] == [
        c.metadata["slideshow"] for c in cells
    ]
    assert notebook.cells[1].get("outputs") is None and notebook.cells[4].outputs  # kept


def test_tagging_changes_only_cell_boundaries(pair):
    before = pair.read_text()
    tool.tag(pair)
    after = pair.read_text()
    assert tool._text_lines(before) == tool._text_lines(after)
    assert '# %% [markdown] slideshow={"slide_type": "slide"}\n# ## 2 Second' in after
    assert '# %% slideshow={"slide_type": "skip"} tags=["parameters"]' in after


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_small_deck_has_a_slide_per_section_and_no_solution(pair, tmp_path):
    tool.tag(pair)
    (deck,) = tool.build([pair.with_suffix(".ipynb")], tmp_path / "decks")
    texts = slides(deck)
    assert len(texts) == 1 + len(sections(pair.with_suffix(".ipynb"))) == 6
    assert "99 · A notebook" in texts[0] and "1 First" in texts[2]
    whole = "".join(texts)
    assert "The secret answer" not in whole and "SEED = 0" not in whole
    assert 'print("second output")' in whole and "shown" in whole  # code and output


@pytest.mark.slow
@pytest.mark.subprocess
def test_every_deck_has_a_slide_per_section(tmp_path):
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    decks = tool.build(notebooks, tmp_path)
    for notebook, deck in zip(notebooks, decks, strict=True):
        wanted = 1 + len(sections(notebook))
        assert len(slides(deck)) == wanted, (
            f"{deck.name}: {len(slides(deck))} slides for the opening and "
            f"{wanted - 1} sections; run `python tools/slides.py`"
        )
