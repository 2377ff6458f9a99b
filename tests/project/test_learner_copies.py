"""The learner copies (``tools/learner_copies.py``): current, and built as promised.

pytest runs the copies themselves with the notebooks (they sit in ``notebooks/learner/``),
so a copy whose placeholder or relocated path breaks a top-to-bottom run fails there.
"""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_tool():
    path = ROOT / "tools" / "learner_copies.py"
    spec = importlib.util.spec_from_file_location("learner_copies", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()

SOURCE = """# %% [markdown]
# # 99 · A notebook

# %% tags=["parameters"]
DATA = "../data/shop"
CHECKPOINT = "outputs/model.pt"

# %% tags=["nbval-check-output"]
print(len(DATA))

# %% [markdown]
# ## Exercises
# 1. Count. 2. Count again.

# %% [markdown] tags=["solution"]
# ### Solution 1
# The answer.

# %% tags=["solution"]
answer = 41 + 1

# %% [markdown] tags=["solution"]
# ### Solution 2

# %% tags=["solution"]
again = answer
"""


def test_every_copy_is_current():
    assert tool.main(["--check"]) == 0, "run `python tools/learner_copies.py`"
    sources = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    copies = sorted(p.stem for p in (ROOT / "notebooks" / "learner").glob("*.ipynb"))
    assert copies == sources


def test_a_copy_drops_solutions_and_outputs_and_moves_paths(tmp_path):
    source = tmp_path / "99_a_notebook.py"
    source.write_text(SOURCE)
    nb = tool.learner_copy(source)
    text = json.dumps(nb)
    assert "answer = 41" not in text and "The answer." not in text
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[-2:] == ["# Exercise 1: your answer here", "# Exercise 2: your answer here"]
    assert 'DATA = "../../data/shop"' in code[0] and '"../outputs/model.pt"' in code[0]
    assert all("outputs" not in c or not c.outputs for c in nb.cells if c.cell_type == "code")
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    assert tags == ["parameters"]  # nbval-check-output and solution are gone
    assert nb.cells[0].source.startswith("# 99 · A notebook")
    assert "*Learner copy of `99_a_notebook`" in nb.cells[0].source


def test_the_same_source_gives_the_same_copy(tmp_path):
    source = tmp_path / "99_a_notebook.py"
    source.write_text(SOURCE)
    assert tool.text(tool.learner_copy(source)) == tool.text(tool.learner_copy(source))


CHECKED = """# %% [markdown]
# # 98 · Checked
# **Runtime**: ~1 s on a 2-core CPU (measured).

# %%
split = "a split"

# %% [markdown] tags=["solution"]
# ### Solution 1

# %% tags=["solution"]
from gnnrec_utils.exercises import nb04

coverage = 0.5
assert nb04.check_exercise_2(coverage,
                             split)

# %% [markdown] tags=["solution"]
# ### Solution 2

# %% tags=["solution"]
from gnnrec_utils.exercises.nb11 import check_exercise_3 as check

assert check(1, k=10)
"""


def test_a_placeholder_carries_the_call_that_checks_its_exercise(tmp_path):
    source = tmp_path / "98_checked.py"
    source.write_text(CHECKED)
    code = [c.source.splitlines() for c in tool.learner_copy(source).cells if c.cell_type == "code"]
    first, second = code[-2:]
    assert first[0] == "# Exercise 1: your answer here"
    assert "from gnnrec_utils.exercises.nb04 import check_exercise_2" in first
    assert first[-1] == "# check_exercise_2(coverage, split)"  # commented: build it first
    assert "coverage = 0.5" not in "\n".join(first)  # the answer itself stays out
    assert second[0] == "# Exercise 2: your answer here"
    assert "from gnnrec_utils.exercises.nb11 import check_exercise_3" in second
    assert second[-1] == "# check_exercise_3(1, k=10)"  # the checker's own name, not the alias
