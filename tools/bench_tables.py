"""Write the benchmark tables of the documents from their records (STYLE rule 26).

A maintainer's script, not part of the package. Every table of a benchmark result in
``benchmarks/README.md`` stands between ``<!-- table: NAME -->`` and ``<!-- end -->``, and
the data card's tables that come from benchmarks (``data/README.md``) between
``<!-- BEGIN NAME -->`` and ``<!-- END NAME -->``; this script writes each one from the
JSON records in ``benchmarks/results/`` (what ``--json`` of each script wrote), so that no
figure of a table is pasted. ``python tools/bench_tables.py`` rewrites them;
``--check`` only says which are stale. ``tests/project/test_documents.py`` checks that the
documents hold what this script writes.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
BENCH_README = ROOT / "benchmarks" / "README.md"
DATA_CARD = ROOT / "data" / "README.md"


def record(name: str) -> dict:
    """The record ``benchmarks/results/NAME.json``."""
    return json.loads((RESULTS / f"{name}.json").read_text())


# ---------------------------------------------------------------- formatting


def table(head: list[str], rows: list[list]) -> str:
    """A GitHub markdown table; cells are printed as given (strings) or with ``str``."""
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def f(x: float | None, digits: int) -> str:
    """``x`` with ``digits`` decimals and a minus sign; an em dash for ``None``."""
    if x is None:
        return "—"
    return f"{x:,.{digits}f}".replace("-", "−")


def signed(x: float, digits: int = 4) -> str:
    """``x`` with its sign always shown (``+0.0017``, ``−0.0029``)."""
    return f"{x:+.{digits}f}".replace("-", "−")


def mean_sd(pair: list[float], digits: int = 4) -> str:
    """``[mean, sd]`` as ``mean ± sd``."""
    return f"{f(pair[0], digits)} ± {f(pair[1], digits)}"


def provenance(name: str, rec: dict, extra: str = "") -> str:
    """One line under a table: which record, what made it, when, how busy the machine was."""
    run = rec.get("run")
    if run is None:
        return f"Record: `benchmarks/results/{name}.json`{extra}."
    threads = (
        f", {run['threads']} torch thread{'s' * (run['threads'] != 1)}" if "threads" in run else ""
    )
    load = " / ".join(f"{x:.1f}" for x in run["load_average"])
    torch = f", torch {run['torch']}" if "torch" in run else ""
    return (
        f"Record: `benchmarks/results/{name}.json`, made {run['date']} by `{run['command']}` "
        f"in {f(run['seconds'], 0)} s{threads}{torch}, Python {run['python']}, "
        f"{run['cpus']} cores; load average as it ended (1 / 5 / 15 min) {load}{extra}."
    )


# ---------------------------------------------------------------- benchmarks/README.md


def propagation() -> str:
    rec = record("propagation")
    med, ours = rec["ms_per_batch"], rec["ms_per_batch"]["gnnrec"]
    rows = [
        [
            f"`{v}`",
            f(med[v], 1),
            f(rec["min_ms"][v], 1),
            f(rec["max_ms"][v], 1),
            f(med[v] / ours, 1),
        ]
        for v in med
    ]
    g = rec["graph"]
    return "\n\n".join(
        [
            table(["variant", "median ms", "min ms", "max ms", "× gnnrec"], rows),
            f"Graph: {g['users']:,} users, {g['items']:,} items, {g['interactions']:,} "
            f"interactions, {g['adj_nnz']:,} non-zero entries; {rec['warmup']} warm-up and "
            f"{rec['reps']} timed repetitions. `speedup_vs_edge_index` "
            f"{rec['speedup_vs_edge_index']}, `speedup_vs_pyg_csr` {rec['speedup_vs_pyg_csr']}.",
            provenance("propagation", rec),
        ]
    )


def cuda_check() -> str:
    rec = record("cuda_check")
    rows = []
    for key, r in rec["results"].items():
        model, sampler, device = key.split("/")
        rows.append(
            [f"{model} / {sampler}", device, f(r["recall@10"], 5), f(r["ndcg@10"], 5),
             f(r["seconds"], 1), "yes" if r["loss_fell"] else "no"]
        )  # fmt: skip
    cuda = (
        f"CUDA: {rec['cuda_device']}."
        if rec["cuda_available"]
        else f"CUDA: not run. Why: {rec['cuda_skipped']}."
    )
    return "\n\n".join(
        [
            table(
                ["model / sampler", "device", "Recall@10", "NDCG@10", "seconds", "loss fell"], rows
            ),
            cuda,
            provenance("cuda_check", rec),
        ]
    )


def movielens100k() -> str:
    rec = record("movielens100k")
    d = rec["data"]
    rows = [
        [f"`{name}`" + (" (best)" if name == rec["best_model"] else "")]
        + [f(m[f"{k}@10"], 4) for k in ("precision", "recall", "ndcg", "map")]
        + [f(m["train_seconds"], 1), m["note"]]
        for name, m in rec["models"].items()
    ]
    check = (
        "the metrics recomputed from the `--dump` files matched the table"
        if rec["dump_checked"]
        else "no `--dump` check"
    )
    return "\n\n".join(
        [
            table(["model", "P@10", "R@10", "NDCG@10", "MAP@10", "train s", "note"], rows),
            f"Data: {d['ratings']:,} ratings, {d['users']:,} users, {d['items']:,} items; train "
            f"{d['train']:,}, test {d['test']:,} ({d['test_users']:,} test users); seed "
            f"{d['seed']}; {check}.",
            provenance("movielens100k", rec),
        ]
    )


def retrieval() -> str:
    rec = record("retrieval")
    parts = []
    for catalogue in ("bundled", "generated"):
        if catalogue not in rec:
            continue
        rows = [
            [r["index"], r["params"], f(r["build_s"], 1), f(r["memory_bytes"] / 1e6, 1),
             f(r["recall@10"], 3), f(r["ms_per_query_batch"], 4), f(r["ms_per_query_single"], 3)]
            for r in rec[catalogue].values()
        ]  # fmt: skip
        parts.append(f"{catalogue.capitalize()} catalogue, {rec[f'{catalogue}_items']:,} items:")
        head = [
            "index",
            "params",
            "build s",
            "MB",
            f"recall@{rec['k']}",
            "ms/q batch",
            "ms/q single",
        ]
        parts.append(table(head, rows))
    parts.append(provenance("retrieval", rec, f"; faiss {rec['faiss']}"))
    return "\n\n".join(parts)


def big_file() -> str:
    """Every ``big_file*.json`` record: one row per load, then what each run says."""
    loaders = {"gnnrec": "gnnrec (`load_taobao_userbehavior`)", "naive": "naive `read_csv`"}
    rows, notes = [], []
    for path in sorted(RESULTS.glob("big_file*.json")):
        rec = json.loads(path.read_text())
        for key, label in loaders.items():
            r = rec[key]
            if r:
                rows.append(
                    [f"`{path.name}`", label, f"{r['rows']:,}", f(rec["file_mib"], 0),
                     f(r["seconds"], 1), f(r["peak_mib"], 0), f(r["after_imports_mib"], 0),
                     f(r["table_mib"], 0)]
                )  # fmt: skip
        note = f"`{path.name}`: file written in {f(rec['write_s'], 1)} s (seed {rec['seed']})."
        if rec["naive"]:
            ours, naive = rec["gnnrec"], rec["naive"]
            note += (
                f" gnnrec / naive: time × {ours['seconds'] / naive['seconds']:.2f}, peak memory × "
                f"{ours['peak_mib'] / naive['peak_mib']:.2f}, table × "
                f"{ours['table_mib'] / naive['table_mib']:.2f}."
            )
        if rec["full_log_is"] == "extrapolated":
            note += (
                f" Extrapolated (linear in the rows, not measured) to the full log's "
                f"100,150,807 rows: about {rec['full_log_gnnrec_minutes']} min and "
                f"{rec['full_log_gnnrec_peak_gib']} GiB at the peak."
            )
        notes.append(note + " " + provenance(path.stem, rec))
    head = ["record", "loader", "rows", "file MiB", "seconds", "peak RSS MiB",
            "RSS after imports MiB", "table MiB"]  # fmt: skip
    return "\n\n".join([table(head, rows), *notes])


def overlap_cell(key: str, value) -> str:
    """A figure of ``behavior_overlap.py`` as its script prints it."""
    if value is None:
        return "—"
    if key == "held-out buy pairs":
        return f"{value:,}"
    return f(value, 0) if key.startswith("lift") else f(value, 3)


def behavior_overlap() -> str:
    rec = record("behavior_overlap")
    names = [n for n in ("shop", "generated", "tmall") if n in rec]
    heads = {"shop": "shop (`data/shop`)", "tmall": "Tmall"}
    if "generated" in rec:
        s = rec["generated_settings"]
        heads["generated"] = (
            f"generated, fav_taste={s['fav_taste']:g} fav_buy_share={s['fav_buy_share']:g}"
        )
    keys = list(dict.fromkeys(k for n in names for k in rec[n]))
    rows = [[k] + [overlap_cell(k, rec[n].get(k)) for n in names] for k in keys]
    return "\n\n".join(
        [table(["figure"] + [heads[n] for n in names], rows), provenance("behavior_overlap", rec)]
    )


def spread(values: list[float]) -> float:
    """Standard deviation with ddof = 1 (0 for one value), as the scripts print it."""
    return statistics.stdev(values) if len(values) > 1 else 0.0


def settings_of(rows: list[dict], key: str) -> dict[str, list[float]]:
    """``{setting: [value of each shop or sample]}``; a task's setting is its label without
    its last word (the seed or sample)."""
    out: dict[str, list[float]] = {}
    for row in rows:
        out.setdefault(row["task"].rsplit(" ", 1)[0], []).append(row[key])
    return out


def favourite_signal() -> str:
    rec = record("favourite_signal")
    rows = [
        [r["task"], f(r["buy"], 4), f(r["buy+fav"], 4), signed(r["gain"], 2), f(r["lift"], 0),
         r["last_best_epoch"]]
        for r in rec["rows"]
    ]  # fmt: skip
    gains, lifts = settings_of(rec["rows"], "gain"), settings_of(rec["rows"], "lift")
    summary = [
        [name, len(g), f"{signed(statistics.mean(g), 2)} ± {f(spread(g), 2)}",
         f"{f(statistics.mean(lifts[name]), 0)} ± {f(spread(lifts[name]), 0)}"]
        for name, g in gains.items()
    ]  # fmt: skip
    s = rec["settings"]
    return "\n\n".join(
        [
            table(["task", "buy", "buy+fav", "gain", "fav lift", "last best epoch"], rows),
            table(
                ["setting", "shops or samples", "gain (mean ± sd)", "fav lift (mean ± sd)"], summary
            ),
            f"Training: at most {s['max_epochs']} epochs, batch {s['batch_size']:,}, learning "
            f"rate {s['lr']:g}, seeds {', '.join(map(str, s['seeds']))}; the training took "
            f"{f(rec['seconds'], 0)} s.",
            provenance("favourite_signal", rec),
        ]
    )


def favourite_signal_lifts() -> str:
    rec = record("favourite_signal_lifts")
    rows = [
        [name, ", ".join(f(v, 0) for v in lifts), f"{f(statistics.mean(lifts), 0)} ± {f(spread(lifts), 0)}"]
        for name, lifts in rec["lifts"].items()
    ]  # fmt: skip
    return "\n\n".join(
        [
            table(["setting", "fav lift of each shop or sample", "mean ± sd"], rows),
            provenance("favourite_signal_lifts", rec),
        ]
    )


METRICS = ("recall@10", "ndcg@10", "recall@20", "ndcg@20")
#: The multi-behaviour papers' protocol reports the hit rate instead of recall.
PAPERS_METRICS = ("hit@10", "ndcg@10", "hit@20", "ndcg@20")
#: ``TrainConfig.patience``, which ``multibehavior.py`` keeps: a run whose best epoch is
#: past ``max_epochs - PATIENCE`` could not stop early and ended at the epoch cap.
PATIENCE = 5


def multibehavior(name: str, task: str) -> str:
    """One task of ``multibehavior.py``: candidates, every protocol, the paired tests."""
    rec = record(name)
    t, s = rec[task], rec["settings"]
    d = t["data"]
    events = ", ".join(f"{b} {n:,}" for b, n in d["training_events"].items())
    protocols = list(d["test_users"])  # records before the papers' protocol have two
    users = ", ".join(f"{d['test_users'][p]:,} (`{p}`)" for p in protocols)
    parts = [
        f"`{task}`: {d['users']:,} users, {d['items']:,} items; training events {events}; "
        f"{d['positives']:,} positive pairs of {'+'.join(d['target'])}; test users: {users}.",
        table(
            ["candidate (seed " + str(s["seeds"][0]) + ")", "valid NDCG@10"],
            [[c, f(v, 4)] for c, v in t["selection_valid_ndcg@10"].items()],
        ),
    ]
    cap = s["max_epochs"]
    for protocol in protocols:
        metrics = PAPERS_METRICS if protocol == "papers" else METRICS
        rows = []
        for model, m in t["models"].items():
            epochs = m.get("best_epochs")
            shown = "" if epochs is None else ", ".join(map(str, epochs))
            capped = sum(e > cap - PATIENCE for e in epochs or [])
            if capped:  # no early stop was possible: the run went on to the cap
                shown += f" ({capped} of {len(epochs)} ran to the {cap}-epoch cap)"
            rows.append(
                [f"`{model}`", f(m["valid_ndcg@10"][0], 4)]
                + [mean_sd(m[protocol][k]) for k in metrics]
                + [f(m["train_seconds"], 1), shown, m["note"]]
            )
        names = [k.replace("recall", "Recall").replace("ndcg", "NDCG").replace("hit", "HR")
                 for k in metrics]  # fmt: skip
        head = ["model", "valid N@10", *names, "train s", "best epochs", "note"]
        parts.append(f"Protocol `{protocol}` (mean ± sd over seeds):")
        parts.append(table(head, rows))
    tests = [
        [f"`{p['a']}` − `{p['b']}`", p["protocol"], signed(p["diff"]), f(p["se"], 4),
         f(p["z"], 2), " ".join(signed(x) for x in p["per_seed"])]
        for p in t["paired_ndcg@10"]
    ]  # fmt: skip
    parts.append("Paired NDCG@10 differences (per-user values averaged over seeds):")
    parts.append(table(["a − b", "protocol", "diff", "se", "z", "per seed"], tests))
    return "\n\n".join(parts)


def multibehavior_settings(name: str) -> str:
    rec = record(name)
    s = rec["settings"]
    return (
        f"Record: `benchmarks/results/{name}.json`; at most {s['max_epochs']} epochs, batch "
        f"{s['batch_size']:,}, learning rate {s['lr']:g}, seeds "
        f"{', '.join(map(str, s['seeds']))}; total {f(rec['seconds'], 0)} s."
    )


def scaling() -> str:
    rows = record("scaling")["rows"] + record("scaling_100m")["rows"]
    gib = lambda x: f"{f(x, 1)} GiB"  # noqa: E731

    def full_step(r):
        if r["full_step_ms"] is None:
            return f"not run: estimated {gib(r['full_step_estimated_gib'])}"
        return f(r["full_step_ms"], 0)

    lines = {
        "events": lambda r: f"{r['events']:,}",
        "shoppers / items": lambda r: f"{r['users']:,} / {r['items']:,}",
        "graph nodes / distinct training pairs": lambda r: f"{r['nodes']:,} / {r['pairs']:,}",
        "generation (s) / its peak": lambda r: (
            f"{f(r['generate_s'], 1)} / {gib(r['generate_peak_gib'])}"
        ),
        "loading (s)": lambda r: f(r["load_s"], 1),
        "split, positives, graph (s)": lambda r: f(r["graph_s"], 1),
        "nodes a batch draws (share of the graph)": lambda r: (
            f"{r['subgraph_nodes']:,} ({100 * r['subgraph_nodes'] / r['nodes']:.0f} %)"
        ),
        "sampled step (ms)": lambda r: f(r["step_ms"], 0),
        "time per drawn node": lambda r: f(1e3 * r["step_ms"] / r["subgraph_nodes"], 1) + " µs",
        "full-graph step (ms)": full_step,
        "one epoch (s) / steps": lambda r: f"{f(r['epoch_s'], 1)} / {r['epoch_steps']:,}",
        "inference, every vector (s)": lambda r: f(
            r["inference_s"], 2 if r["inference_s"] < 0.1 else 1
        ),
        "evaluation, full ranking (s) / shoppers": lambda r: (
            f"{f(r['eval_s'], 1)} / {r['eval_users']:,}"
        ),
        "NDCG@10 after one epoch (± se)": lambda r: (
            f"{f(r['ndcg@10'], 4)} ± {f(r['ndcg@10_se'], 4)}"
        ),
        "peak resident memory (training child)": lambda r: gib(r["peak_gib"]),
    }
    head = [""] + [r["size"] for r in rows]
    body = [[label] + [fn(r) for r in rows] for label, fn in lines.items()]
    by = {r["size"]: r for r in rows}
    small, mid, full = by["taobao_1m"], by["taobao_10m"], by["taobao"]
    ratio = lambda key, a, b: f"{a[key] / b[key]:.2f}"  # noqa: E731
    return (
        table(head, body)
        + "\n\nRatios: sampled step 10 M / 1 M × "
        + ratio("step_ms", mid, small)
        + ", 100 M / 10 M × "
        + ratio("step_ms", full, mid)
        + "; graph nodes 100 M / 10 M × "
        + ratio("nodes", full, mid)
        + "; full-graph step 10 M / 1 M × "
        + f"{mid['full_step_ms'] / small['full_step_ms']:.1f}"
        + f"; the 100 M epoch's steps took {full['epoch_s'] / full['epoch_steps']:.2f} s on average."
        + "\n\nRecords: `benchmarks/results/scaling.json` (taobao_1m, taobao_10m) and "
        "`benchmarks/results/scaling_100m.json` (taobao)."
    )


def sampled_parity() -> str:
    rec = record("sampled_parity")
    rows = [
        [r["seed"], f(r["full_ndcg"], 4), f(r["sampled_ndcg"], 4), signed(r["diff"]),
         f(r["diff_se"], 4), signed(r["diff"] / r["diff_se"], 2), r["full_epochs"],
         r["sampled_epochs"]]
        for r in rec["rows"]
    ]  # fmt: skip
    head = ["seed", "full-graph", "sampled", "sampled − full", "paired s.e.", "z",
            "full: best epoch", "sampled: best epoch"]  # fmt: skip
    return table(head, rows) + (
        f"\n\nTest-day NDCG@10 over the {rec['users']:,} warm test shoppers of `{rec['data']}`. "
        "Record: `benchmarks/results/sampled_parity.json`."
    )


def distributed() -> str:
    rec = record("distributed")
    one_thread = next(r for r in rec["rows"] if r["variant"] == "1 process, 1 thread")["epoch_s"]
    rows = [
        [r["variant"], f(r["epoch_s"], 2), f(r["epoch_ratio"], 2),
         f(r["epoch_s"] / one_thread, 2), f(r["ndcg@10"], 4), r["steps"]]
        for r in rec["rows"]
    ]  # fmt: skip
    head = ["variant", "s / epoch", "ratio", "× 1 process, 1 thread", "test NDCG@10", "steps"]
    return table(head, rows) + (
        f"\n\n{rec['epochs']} epochs, global batch {rec['batch_size']:,}, {rec['cores']} cores. "
        "Record: `benchmarks/results/distributed.json`."
    )


def public() -> str:
    fitted, trained, short = (
        record("public_gowalla"),
        record("public_gowalla_trained"),
        record("public_gowalla_trained_4ep"),
    )
    names = {"popularity": "popularity", "itemknn": "item-kNN (200 neighbours)", "ease": "EASE^R",
             "gfcf": "GF-CF (alpha 0.3, rank 256)", "mf": "MF-BPR", "lightgcn": "LightGCN",
             "xsimgcl": "XSimGCL", "ngcf": "NGCF"}  # fmt: skip
    rows = []
    for rec_name, rec in (
        ("public_gowalla", fitted),
        ("public_gowalla_trained", trained),
        ("public_gowalla_trained_4ep", short),
    ):
        c = rec["config"]
        budget = "fitted" if rec is fitted else f"{c['epochs']} epochs, {c['seeds']} seeds"
        for model, m in rec["models"].items():
            if "skipped" in m:
                rows.append(
                    [names[model], budget, "skipped: " + m["skipped"], "", "", "", rec_name]
                )
                continue
            sd = lambda k: f" ± {f(m[k + '_sd'], 4)}" if k + "_sd" in m else ""  # noqa: B023, E731
            rows.append(
                [names[model], "fitted" if model in ("popularity", "itemknn", "gfcf") else budget,
                 f(m["recall@20"], 4) + sd("recall@20"), f(m["ndcg@20"], 4) + sd("ndcg@20"),
                 f(m["train_seconds"], 1), f(m["eval_seconds"], 1), f"`{rec_name}`"]
            )  # fmt: skip
    head = ["model", "budget", "Recall@20", "NDCG@20", "fit / train s", "scoring s", "record"]
    paired = []
    for rec in (trained, short):
        by_model: dict[str, dict] = {}
        for key, p in rec["paired_vs_lightgcn"].items():
            model, metric = key.replace(" - lightgcn", "").split(" ")
            by_model.setdefault(model, {})[metric] = p
        epochs = rec["config"]["epochs"]
        for model, p in by_model.items():
            cells = [
                f"{signed(p[m]['mean_diff'])} [{signed(p[m]['ci95'][0])}, {signed(p[m]['ci95'][1])}]"
                for m in ("recall@20", "ndcg@20")
            ]
            worst = max(p[m]["p_value"] for m in p)
            paired.append(
                [f"{names[model]} − LightGCN", epochs, *cells, f"{worst:.0e}" if worst else "0"]
            )
    return "\n\n".join(
        [
            table(head, rows),
            "(± is the standard deviation over seeds, ddof = 1; train and scoring seconds are "
            "means over seeds.)",
            table(
                [
                    "model − LightGCN",
                    "epochs",
                    "Recall@20 [95 % interval]",
                    "NDCG@20 [95 % interval]",
                    "largest p",
                ],
                paired,
            ),  # fmt: skip
        ]
    )


def public_paper() -> str:
    """Gowalla on the LightGCN paper's split (train + valid, settings chosen on valid)."""
    names = {"popularity": "popularity", "itemknn": "item-kNN", "ease": "EASE^R",
             "gfcf": "GF-CF", "bspm": "BSPM", "mf": "MF-BPR", "lightgcn": "LightGCN",
             "xsimgcl": "XSimGCL", "ngcf": "NGCF"}  # fmt: skip
    rows, paired = [], []
    for rec_name in PUBLIC_PAPER_RECORDS:
        rec = record(rec_name)
        for model, m in rec["models"].items():
            anchor = rec["anchors"].get(model)
            published = f"{f(anchor['recall@20'], 4)} / {f(anchor['ndcg@20'], 4)}" if anchor else ""
            if "skipped" in m:
                rows.append(
                    [
                        names[model],
                        "skipped: " + m["skipped"],
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        f"`{rec_name}`",
                    ]
                )
                continue
            settings = ", ".join(f"{k} {v}" for k, v in m.get("settings", {}).items())
            if model == "itemknn":
                settings = f"{rec['config']['knn_neighbours']} neighbours"
            sd = lambda k: f" ± {f(m[k + '_sd'], 4)}" if m.get(k + "_sd") is not None else ""  # noqa: B023, E731
            rows.append(
                [names[model], m["protocol"] + (f" ({settings})" if settings else ""),
                 f(m["recall@20"], 4) + sd("recall@20"), f(m["ndcg@20"], 4) + sd("ndcg@20"),
                 published, f(m["fit_s"], 1), f(m["score_s"], 1), f(m["peak_rss_gib"], 2),
                 f"`{rec_name}`"]
            )  # fmt: skip
        reference = names[rec["paired_reference"]]
        by_model: dict[str, dict] = {}
        for key, t in rec["paired"].items():
            model, metric = key.replace(f" - {rec['paired_reference']}", "").split(" ")
            by_model.setdefault(model, {})[metric] = t
        for model, t in by_model.items():
            cells = [
                f"{signed(t[m]['mean_diff'])} [{signed(t[m]['ci95'][0])}, {signed(t[m]['ci95'][1])}]"
                for m in ("recall@20", "ndcg@20")
            ]
            paired.append([f"{names[model]} − {reference}", *cells, f"`{rec_name}`"])
    head = ["model", "protocol (settings)", "Recall@20", "NDCG@20", "published R / N",
            "fit s", "scoring s", "peak GiB", "record"]  # fmt: skip
    out = [table(head, rows)]
    if paired:
        out.append(
            table(
                ["pair", "Recall@20 [95 % interval]", "NDCG@20 [95 % interval]", "record"], paired
            )
        )
    return "\n\n".join(out)


#: The records of the paper-split table, in the order of its rows.
PUBLIC_PAPER_RECORDS = (
    "public_gowalla_paper_baselines",
    "public_gowalla_paper_ease",
    "public_gowalla_paper",
)


def full_ranking() -> str:
    rec = record("full_ranking")
    rows = [[
        f"{rec['users']:,} x {rec['items']:,}", rec["chunk"], f(rec["kit_seconds"], 1),
        f(rec["kit_peak_rss_gib"], 2), f"{rec['reference_seconds']:.1f} ({rec['reference_users']:,} users)",
        f(rec["speedup_per_user"], 1), f"{rec['lists_that_differ']:,}",
        f(rec["reference_metrics"]["recall@20"], 4), f(rec["kit_metrics_on_reference_users"]["recall@20"], 4),
    ]]  # fmt: skip
    head = ["users x items", "chunk", "kit s", "kit peak GiB", "per-user loop s",
            "per-user speed-up", "lists that differ", "Recall@20 loop", "Recall@20 kit"]  # fmt: skip
    return table(head, rows) + (
        f"\n\nMachine load as it ended: {rec['run']['load_average']}; torch threads "
        f"{rec['run'].get('threads')}. Record: `benchmarks/results/full_ranking.json`."
    )


#: ``{name: writer}`` of the tables of ``benchmarks/README.md``.
BENCH_TABLES: dict[str, Callable[[], str]] = {
    "propagation": propagation,
    "cuda_check": cuda_check,
    "movielens100k": movielens100k,
    "retrieval": retrieval,
    "big_file": big_file,
    "multibehavior_tmall": lambda: (
        multibehavior("multibehavior_tmall", "tmall")
        + "\n\n"
        + multibehavior_settings("multibehavior_tmall")
    ),
    "multibehavior_tmall_unified": lambda: (
        multibehavior("multibehavior_tmall_unified", "tmall")
        + "\n\n"
        + multibehavior_settings("multibehavior_tmall_unified")
    ),
    "multibehavior_shop": lambda: multibehavior_settings("multibehavior_shop"),
    "multibehavior_shop_task": lambda: multibehavior("multibehavior_shop", "shop"),
    "multibehavior_shop_buy": lambda: multibehavior("multibehavior_shop", "shop_buy"),
    "multibehavior_shop_like_tmall": lambda: multibehavior("multibehavior_shop", "shop_like_tmall"),
    "behavior_overlap": behavior_overlap,
    "favourite_signal": favourite_signal,
    "favourite_signal_lifts": favourite_signal_lifts,
    "scaling": scaling,
    "sampled_parity": sampled_parity,
    "distributed": distributed,
    "public": public,
    "public_paper": public_paper,
    "full_ranking": full_ranking,
}


# ---------------------------------------------------------------- data/README.md

#: The data card's rows of ``behavior_overlap.py``'s figures: ``(card's label, key)``.
CARD_ROWS = (
    ("fav pairs per buy pair (training)", "fav pairs per buy pair"),
    ("held-out buys faved in training", "held-out buys faved in training"),
    ("training fav pairs bought later", "training fav pairs bought later"),
    ("lift of fav on a later buy", "lift of fav on a later buy"),
    ("cart pairs per buy pair (training)", "cart pairs per buy pair"),
    ("held-out buys carted in training", "held-out buys carted in training"),
    ("lift of cart on a later buy", "lift of cart on a later buy"),
    ("page-view pairs per buy pair (training)", "pv pairs per buy pair"),
    ("held-out buys bought in training (repeats)", "held-out buys bought in training"),
    ("held-out buys with no training fav, cart or buy", "held-out buys with no training fav, cart or buy"),
)  # fmt: skip
#: What the card says where Tmall's files have no such figure, or why one is what it is.
TMALL_NOTES = {
    "pv pairs per buy pair": "none in the files",
    "held-out buys bought in training": " (removed by its preparation)",
}


def coupling() -> str:
    """The data card's shop / shop before / Tmall table, from ``behavior_overlap.json``."""
    rec = record("behavior_overlap")
    s = rec["generated_settings"]
    head = [
        "figure",
        "shop",
        f"shop before (fav_taste={s['fav_taste']:g}, fav_buy_share={s['fav_buy_share']:g})",
        "Tmall",
    ]
    rows = []
    for label, key in CARD_ROWS:
        tmall = rec["tmall"].get(key)
        note = TMALL_NOTES.get(key, "")
        cell = note if tmall is None else overlap_cell(key, tmall) + note
        rows.append(
            [
                label,
                overlap_cell(key, rec["shop"][key]),
                overlap_cell(key, rec["generated"][key]),
                cell,
            ]
        )
    return table(head, rows)


def sizes() -> str:
    """The data card's size presets, from ``datacard_sizes.json`` (``tools/datacard.py --sizes``)."""
    rec = record("datacard_sizes")
    rows = [
        [size, f"{r['users']:,}", f"{r['items']:,}", f"{r['events']:,}", f(r["generation seconds"], 1),
         f"{r['peak memory (MiB)']:,}"]
        for size, r in rec["sizes"].items()
    ]  # fmt: skip
    return (
        table(["size", "users", "items", "events", "generation seconds", "peak memory (MiB)"], rows)
        + "\n\n"
        + provenance("datacard_sizes", rec)
    )


#: ``{name: writer}`` of the data card's tables that come from benchmark records.
CARD_TABLES: dict[str, Callable[[], str]] = {"coupling": coupling, "sizes": sizes}


# ---------------------------------------------------------------- writing


def bench_block(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- table: {name} -->\n)(.*?)(<!-- end -->)", re.S)


def card_block(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- BEGIN {name} -->\n)(.*?)(<!-- END {name} -->)", re.S)


def documents() -> dict[Path, tuple[dict[str, Callable[[], str]], Callable[[str], re.Pattern]]]:
    return {BENCH_README: (BENCH_TABLES, bench_block), DATA_CARD: (CARD_TABLES, card_block)}


def rewrite(text: str, writers: dict[str, Callable[[], str]], block) -> str:
    """``text`` with every named block replaced by what its writer makes.

    Raises:
        ValueError: a block is missing from ``text``.
    """
    for name, write in writers.items():
        pattern = block(name)
        if not pattern.search(text):
            raise ValueError(f"no block '{name}' (its markers are missing)")
        body = write()
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(3), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; list stale documents")
    args = parser.parse_args(argv)
    stale = []
    for path, (writers, block) in documents().items():
        text = path.read_text()
        new = rewrite(text, writers, block)
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new)
    verb = "stale" if args.check else "rewrote"
    print(f"{verb}: {', '.join(map(str, stale))}" if stale else "every table is its record's")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
