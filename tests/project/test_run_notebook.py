"""``tools/run_notebook.py``'s record: seconds per section and per solution, memory and disk,
and the guide's tables written from it."""

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_tool():
    path = ROOT / "tools" / "run_notebook.py"
    spec = importlib.util.spec_from_file_location("run_notebook", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # a dataclass in it looks its module up
    spec.loader.exec_module(module)
    return module


tool = load_tool()


def timed(source: str, start: float, seconds: float, tags=()) -> nbformat.NotebookNode:
    """A code cell that nbclient timed at ``start`` .. ``start + seconds`` (s after 12:00)."""
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})
    stamp = lambda s: f"2026-01-01T12:{int(s) // 60:02d}:{s % 60:09.6f}Z"  # noqa: E731
    cell.metadata["execution"] = {
        "iopub.execute_input": stamp(start),
        "shell.execute_reply": stamp(start + seconds),
    }
    return cell


def markdown(source: str, tags=()) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source, metadata={"tags": list(tags)} if tags else {})


def test_seconds_are_summed_per_section_and_per_solution():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        markdown("# 99 · Title"),
        markdown("## 0 Setup"),
        timed("import x", 0, 2.0),
        markdown("## 1 First\nprose\n```bash\n## not a heading\n```"),
        timed("a", 10, 1.25),
        markdown("more prose\n\n## 2 Second"),
        timed("b", 20, 0.5),
        timed("c", 30, 0.25),
        markdown("## Summary\n- point\n\n## Exercises\n1. Do it."),
        markdown("### Solution 1\nprose", tags=["solution"]),
        timed("s1", 40, 3.0, tags=["solution"]),
        markdown("a remark", tags=["solution"]),
        timed("s1 again", 50, 1.0, tags=["solution"]),
        markdown("### Solution 2", tags=["solution"]),
        timed("s2", 60, 0.5, tags=["solution"]),
    ]
    sections, solutions = tool.section_seconds(nb)
    assert sections == {
        "0 Setup": 2.0,
        "1 First": 1.2,  # 1.25 rounded half to even
        "2 Second": 0.8,
        "Summary": 0.0,
        "Exercises": 4.5,
    }
    assert solutions == {"1": 4.0, "2": 0.5}


def test_a_cell_without_timestamps_counts_nothing():
    assert tool.cell_seconds(nbformat.v4.new_code_cell("x")) == 0.0


def test_the_older_record_is_read_as_seconds(tmp_path):
    path = tmp_path / "runtimes.json"
    path.write_text('{"00_a": 9.1, "01_b": {"seconds": 8.0, "peak_memory_mib": 512}}')
    assert tool.load_record(path) == {
        "00_a": {"seconds": 9.1},
        "01_b": {"seconds": 8.0, "peak_memory_mib": 512},
    }


RECORD = {
    "00_a": {"seconds": 9.1},
    "01_b": {
        "seconds": 20.4,
        "sections": {"0 Setup": 3.0, "1 Data": 0.2, "2 Model": 15.6, "Exercises": 1.4},
        "solutions": {"1": 0.9, "2": 0.5},
        "peak_memory_mib": 612,
        "subprocess_peak_memory_mib": 0,
        "outputs_written_mib": 2.5,
        "temp_left_mib": 0.0,
    },
}


def test_the_guide_tables_are_written_from_the_record():
    guide = (
        "intro\n<!-- BEGIN sections: written -->\nSTALE\n<!-- END sections -->\n"
        "<!-- BEGIN solutions: written -->\n<!-- END solutions -->\n"
        "<!-- BEGIN resources: written -->\nSTALE\nrows\n<!-- END resources -->\ntail\n"
    )
    text = tool.guide_tables(guide, RECORD)
    assert text.startswith("intro\n<!-- BEGIN sections: written -->\n") and text.endswith("tail\n")
    assert "| 01 | 3 | <1 | 16 | 1 | ~20 s |" in text
    assert "| 00 |  |  |  |  | ~9 s |" in text and "Not yet measured per section: 00" in text
    assert "| Notebook | Ex. 1 | Ex. 2 |\n| --- | --- | --- |\n| 01 | <1 | <1 |" in text
    assert "| 01 | 612 | 0.0 | 2.5 | 0.0 |" in text and "| 00 | — | — | — | — |" in text
    assert "STALE" not in text
    assert tool.guide_tables(text, RECORD) == text


def test_scratch_targets_copy_the_repository_files_once(tmp_path):
    targets = tool.Targets.scratch(tmp_path / "out")
    assert targets.guide.read_text() == tool.GUIDE.read_text()
    targets.guide.write_text("changed")
    assert tool.Targets.scratch(tmp_path / "out").guide.read_text() == "changed"


@pytest.mark.slow
@pytest.mark.subprocess  # a kernel
def test_a_run_measures_sections_memory_and_temp_files(tmp_path):
    source = tmp_path / "99_measured.py"
    source.write_text(
        "# %% [markdown]\n# # 99 · Measured\n\n# %% [markdown]\n# ## 0 Setup\n\n"
        "# %%\nimport tempfile, time\n\n# %% [markdown]\n# ## 1 Work\n\n"
        "# %%\ntime.sleep(0.3)\nblock = bytearray(64 * 2**20)\n\n"
        "# %%\nleft = tempfile.NamedTemporaryFile(delete=False)\n"
        "left.write(bytes(2**20))\nleft.close()\n"
    )
    nb, seconds, cost = tool.execute(source, timeout=60)
    assert len(nb.cells) == 6, "the measuring cell is not kept"
    assert cost["sections"]["1 Work"] >= 0.3 and seconds >= cost["sections"]["1 Work"]
    assert cost["peak_memory_mib"] >= 64
    assert cost["temp_left_mib"] == 1.0
    assert cost["solutions"] == {}
