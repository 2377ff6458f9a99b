"""The answer key (``tools/answer_key.py``): current, and built as promised."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def load_tool():
    path = ROOT / "tools" / "answer_key.py"
    spec = importlib.util.spec_from_file_location("answer_key", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()

SOURCE = """# %% [markdown]
# # 99 · A notebook

# %%
x = 1

# %% [markdown]
# ## Summary
# - a point
#
# ## Exercises
# 1. Count the shoppers,
#    then the items.
# 2. Count again.
#
# Solutions follow below.

# %% [markdown] tags=["solution"]
# ### Solution 1
# Count them with `len`.

# %% tags=["solution"]
from gnnrec_utils.exercises.nb99 import check_exercise_1

answer = 41 + 1
assert check_exercise_1(answer)

# %% [markdown] tags=["solution"]
# And a remark after the code.

# %% [markdown] tags=["solution"]
# ### Solution 2

# %% tags=["solution"]
again = answer

# %%
not_a_solution = True
"""


def test_the_key_is_current():
    assert tool.main(["--check"]) == 0, "run `python tools/answer_key.py`"


def test_every_solution_of_the_series_is_in_the_key():
    key = (NOTEBOOKS / "answer_key.md").read_text()
    for source in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")):
        text = source.read_text()
        numbers = re.findall(r"^# ### Solution (\d+)", text, re.MULTILINE)
        if not numbers:
            continue
        part = key.split(f"From `notebooks/{source.name}`", 1)[1].split("\n## ", 1)[0]
        assert re.findall(r"^### Exercise (\d+)", part, re.MULTILINE) == numbers, source.name
        assert part.count("assert ") >= len(numbers), f"{source.name}: a checker call is missing"


def test_a_section_holds_exercise_text_then_prose_and_code(tmp_path):
    source = tmp_path / "99_a_notebook.py"
    source.write_text(SOURCE)
    text = tool.section(source)
    assert text.startswith("## 99 · A notebook\n")
    one = text.split("### Exercise 1", 1)[1].split("### Exercise 2", 1)[0]
    assert "> Count the shoppers,\n> then the items." in one
    assert one.index("Count them with `len`.") < one.index("```python")
    assert one.index("assert check_exercise_1(answer)") < one.index("And a remark after the code.")
    assert "### Solution" not in text and "Solutions follow below" not in text
    assert "> Count again." in text and "again = answer" in text
    assert "not_a_solution" not in text and "x = 1" not in text


def test_a_notebook_without_solutions_has_no_section(tmp_path):
    source = tmp_path / "98_no_exercises.py"
    source.write_text("# %% [markdown]\n# # 98 · Nothing to solve\n\n# %%\nx = 1\n")
    assert tool.section(source) == ""
    assert tool.answer_key(tmp_path) == tool.HEADER
