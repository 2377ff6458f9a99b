"""Compare the outputs of two runs of the notebooks, cell by cell, timings aside.

A change that should not move any result (a refactoring, a renamed import) is checked by
running the notebooks again and comparing what every code cell showed with what was
committed before::

    python tools/run_notebook.py --all                        # rewrite the notebooks
    python tools/compare_outputs.py --before HEAD~1            # committed at HEAD~1 vs now
    python tools/compare_outputs.py --before REV --after DIR   # against notebooks in DIR

Code cells are matched by their outputs (a cell added or removed between the runs is
reported as such, not as a difference of every later cell). For each matched pair, the
text of every output (printed, returned as plain text or HTML, errors) must be equal once
timings are masked; images must be byte-identical, except in cells whose code times
something (``perf_counter``, ``time.time``, ``timeit`` or a ``seconds`` column), where an
image may plot a measured time. Timings masked: a number followed by a unit of time (``s``,
``ms``, ``µs``, ``min``, ``seconds``, ``it/s``), and every number of a table column or
printed field whose name says it is a time (``seconds``, ``ms``, ``time``). Nothing else is
masked, so a moved digit in any metric is reported.

Prints one line per notebook and the differing cells; exits 1 when a notebook differs.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = "notebooks"
UNIT = r"(?:s|ms|µs|us|sec|secs|seconds?|min|minutes?|it/s|s/it)"
TIMING = [
    # "12.3 s", "0.0146 ms", "3.1 seconds", "1.2 min", progress rates
    re.compile(rf"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:e-?\d+)?\s?{UNIT}(?![\w])"),
    # "seconds 12.3", "train seconds: 4.5", "ms per query=0.012": a named time, then a number
    re.compile(r"((?:seconds|secs|ms|time|elapsed)[\w ]*?['\"]?\s*[:=]?\s*)-?\d[\d,]*(?:\.\d+)?"),
    # a ratio of two timings: "8.3x faster", "2.1× slower", "sampled step x5.2"
    re.compile(r"\d[\d,]*(?:\.\d+)?\s?[x×](?=\s+(?:faster|slower|quicker|the time))"),
    re.compile(r"(?<=\bstep )[x×]\d[\d,]*(?:\.\d+)?"),
]
#: "seconds by sampler: {...}": every number after a time-named label on its line
TIMED_LINE = re.compile(r"^(.*?\b(?:seconds|secs|ms|timings?)\b[^:\n]*:)(.*)$", re.MULTILINE)
TIMED_CODE = re.compile(r"perf_counter|time\.time|timeit|seconds|ms_per_query|%%time")


def masked(text: str) -> str:
    """``text`` with every timing replaced by ``<t>``, and runs of spaces made one (a
    wider timing widens its column)."""
    text = TIMED_LINE.sub(lambda m: m.group(1) + re.sub(r"\d[\d.,e-]*", "<t>", m.group(2)), text)
    for pattern in TIMING:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "<t>", text)
    return re.sub(r"[ \t]+", " ", text)


def mask_time_columns(html_or_text: str) -> str:
    """A table's cells under a time-named column header replaced by ``<t>``.

    Works on pandas' HTML tables (``<th>`` headers) and on its plain-text tables (one
    header row, columns right-aligned under their names).
    """
    if "<table" in html_or_text:
        return _mask_html_columns(html_or_text)
    return _mask_text_columns(html_or_text)


def _is_time_name(name: str) -> bool:
    return bool(re.search(r"second|(?<![a-z])ms(?![a-z])|\btime\b|elapsed|\bs\b", name.lower()))


def _mask_html_columns(html: str) -> str:
    out = []
    for table in re.split(r"(<table.*?</table>)", html, flags=re.S):
        if not table.startswith("<table"):
            out.append(table)
            continue
        header = re.search(r"<thead>(.*?)</thead>", table, flags=re.S)
        first = re.search(r"<tr[^>]*>(.*?)</tr>", header.group(1), flags=re.S) if header else None
        names = []  # one per column: a header spanning three columns names all three
        for attrs, name in re.findall(
            r"<th([^>]*)>(.*?)</th>", first.group(1) if first else "", flags=re.S
        ):
            span = re.search(r'colspan="(\d+)"', attrs)
            names += [name] * (int(span.group(1)) if span else 1)
        # counted from the right: the index columns on the left may span several rows
        timed = {len(names) - k for k, name in enumerate(names) if _is_time_name(name)}
        if not timed:
            out.append(table)
            continue

        def row(m: re.Match, timed: set[int] = timed) -> str:
            cells = re.findall(r"<t[hd][^>]*>.*?</t[hd]>", m.group(0), flags=re.S)
            for k in timed:
                if k <= len(cells) and cells[-k].startswith("<td"):
                    cells[-k] = "<td><t></td>"
            return "<tr>" + "".join(cells) + "</tr>"

        body = re.sub(
            r"<tbody>.*?</tbody>",
            lambda b: re.sub(r"<tr>.*?</tr>", row, b.group(0), flags=re.S),
            table,
            flags=re.S,
        )
        out.append(body)
    return "".join(out)


def _mask_text_columns(text: str) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        headers = list(re.finditer(r"\S+(?: \S+)*", line))
        for m in reversed(headers):  # right to left: a masked cell may change a row's width
            if not _is_time_name(m.group(0)) or i + 1 >= len(lines):
                continue
            end = m.end()
            for j in range(i + 1, len(lines)):
                row = lines[j]
                if not row[m.start() : end].strip():
                    continue  # a second header row (index names) or a blank line
                cell = re.search(r"\S+$", row[:end]) if len(row) >= end else None
                if cell is None or not re.fullmatch(r"-?[\d.,e+-]+|NaN|nan|inf|-", cell.group(0)):
                    break
                lines[j] = row[: cell.start()] + "<t>" + row[end:]
    return "\n".join(lines)


def outputs(cell: dict) -> tuple[str, list[str]]:
    """What a code cell showed: its texts (masked) and the hashes of its images."""
    texts, images, stream = [], [], {}
    for out in cell.get("outputs", []):
        if "text" in out:  # a stream may arrive in pieces: compare what it printed in all
            stream[out.get("name")] = stream.get(out.get("name"), "") + _join(out["text"])
        data = out.get("data", {})
        for kind, value in data.items():
            if kind == "text/plain" and "text/html" in data:
                continue  # the same table twice: the HTML one has its column names
            if kind.startswith("image/"):
                images.append(hashlib.sha256(_join(value).encode()).hexdigest()[:12])
            elif kind in ("text/plain", "text/html", "text/markdown"):
                texts.append(mask_time_columns(_join(value)))
        if out.get("output_type") == "error":
            texts.append(f"{out.get('ename')}: {out.get('evalue')}")
    texts += [mask_time_columns(text) for text in stream.values()]
    return masked("\n".join(texts)), images


def _join(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def compare(before: dict, after: dict) -> list[str]:
    """The differences between two runs of one notebook, one line each."""
    a, b = code_cells(before), code_cells(after)
    shown_a, shown_b = [outputs(c) for c in a], [outputs(c) for c in b]
    found = []
    matcher = difflib.SequenceMatcher(
        a=[s[0] for s in shown_a], b=[s[0] for s in shown_b], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                if shown_a[i][1] != shown_b[j][1] and not _timed(a[i], b[j]):
                    found.append(f"cell {j + 1}: an image differs")
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                found.append(_text_difference(j, shown_a[i][0], shown_b[j][0]))
            continue
        if i2 > i1:
            found.append(f"before, code cells {i1 + 1}-{i2}: not matched (removed or changed)")
        if j2 > j1:
            found.append(f"after, code cells {j1 + 1}-{j2}: not matched (added or changed)")
    return found


def _timed(a: dict, b: dict) -> bool:
    return any(TIMED_CODE.search(_join(c["source"])) for c in (a, b))


def _text_difference(j: int, old: str, new: str) -> str:
    diff = [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return f"cell {j + 1}: output differs\n    " + "\n    ".join(diff[:6])


def committed(rev: str, path: str) -> dict | None:
    """The notebook ``path`` as committed at ``rev``; ``None`` when it did not exist."""
    shown = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True
    )
    return json.loads(shown.stdout) if shown.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="a git revision, e.g. HEAD~1")
    parser.add_argument("--after", type=Path, help="a folder of .ipynb (default: notebooks/)")
    args = parser.parse_args(argv)
    after_dir = args.after or ROOT / NOTEBOOKS
    differing = 0
    for path in sorted(after_dir.glob("[0-9][0-9]_*.ipynb")):
        before = committed(args.before, f"{NOTEBOOKS}/{path.name}")
        if before is None:
            print(f"{path.stem}: new, nothing to compare")
            continue
        found = compare(before, json.loads(path.read_text()))
        differing += bool(found)
        cells = len(code_cells(before))
        print(f"{path.stem}: {'identical' if not found else 'DIFFERS'} ({cells} code cells)")
        for line in found:
            print("  " + line)
    print(f"{differing} notebook(s) differ, timings aside")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
