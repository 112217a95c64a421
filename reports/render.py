"""Write a run's report: HTML (jinja2), Markdown and CSV from the same tables, plus figures.

Renders the :class:`RunData` it is given (loaded and scored by :func:`harness.reporting.load_run`:
``run.json``, ``records.jsonl``, the case metadata, :func:`harness.scoring.score`) plus the
units' ``history.json`` and the cases' patches; never runs anything and imports nothing from the
harness. Scores are recomputed from the records, so re-rendering after a scoring fix needs no
re-run.

The HTML is self-contained: CSS and SVG figures are inline, case pages link with relative paths,
so ``report/index.html`` opens from disk without a server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reports import plots
from reports.cells import Table, table_markdown, to_csv
from reports.summary import SUMMARY_CSV_COLUMNS, summary_csv_rows
from reports.tables import build_tables, load_paper_headline
from reports.views import case_facts, case_verdicts, paper_table, run_metadata, unit_table

FORMATS = ("html", "md", "csv")
#: Run-level figures (``reports/plots.py``); a figure with nothing to show is ``None``.
FIGURES = ("rates", "time_to_detection", "overhead")
RUN_FILE = "run.json"
HISTORY_FILE = "history.json"


@dataclass(frozen=True)
class RunData:
    """A run as the report sees it: metadata, latest records, its cases and their scores.

    Attributes:
        run_dir: The run folder (``history.json`` files are read from its unit folders).
        info: ``run.json`` (``{}`` when absent).
        latest: Unit key -> the latest record of that unit.
        cases: Case id -> the case (``harness.cases.Case``: ``title``, ``meta``, ``separates``,
            ``patch_path``, ... are read).
        scores: :func:`harness.scoring.score` of the records.
        control_tool: The ``tool`` of a no-tool control run's records.
        paper_tools: The columns of the paper's result tables (a case's ``paper`` table).
    """

    run_dir: Path
    info: dict[str, Any]
    latest: dict[str, dict[str, Any]]
    cases: Mapping[str, Any]
    scores: dict[str, Any]
    control_tool: str
    paper_tools: tuple[str, ...]


def parse_formats(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"html,md"`` → ``("html", "md")``; an unknown format is an error naming the known ones."""
    items = [v.strip() for v in (value.split(",") if isinstance(value, str) else value)]
    items = [v for v in items if v]
    bad = [v for v in items if v not in FORMATS]
    if bad or not items:
        raise ValueError(f"unknown report format(s) {bad or items}; choose from {list(FORMATS)}")
    return tuple(f for f in FORMATS if f in items)


def environment() -> Environment:
    """Templates from ``reports/templates``; autoescaped, and a missing field is an error."""
    return Environment(loader=PackageLoader("reports"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def load_histories(run_dir: Path, unit_records: Iterable[Mapping[str, Any]]
                   ) -> dict[str, list[dict[str, Any]]]:
    """``history.json`` per unit folder (``log_dir``); units without one (failed) are absent."""
    out = {}
    for record in unit_records:
        log_dir = record.get("log_dir")
        if not log_dir or log_dir in out:
            continue
        path = run_dir / log_dir / HISTORY_FILE
        if path.exists():
            try:
                out[log_dir] = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not valid JSON: {exc}") from exc
    return out


def curve_runs(case_records: Sequence[Mapping[str, Any]],
               histories: Mapping[str, list[dict[str, Any]]],
               control_tool: str) -> list[dict[str, Any]]:
    """The training runs to plot for one case: the no-tool controls (``tool ==
    control_tool``) when the run has them, otherwise every unit (one training run per unit
    folder), in a stable order."""
    with_history = [r for r in case_records if r.get("log_dir") in histories]
    controls = [r for r in with_history if r["tool"] == control_tool]
    chosen = sorted(controls or with_history,
                    key=lambda r: (r["variant"], r["log_dir"], r["tool"]))
    runs, seen = [], set()
    for r in chosen:
        if r["log_dir"] in seen:
            continue
        seen.add(r["log_dir"])
        runs.append({"variant": r["variant"], "label": r["log_dir"],
                     "fits": histories[r["log_dir"]]})
    return runs


def _svg(fig: Any, salt: str) -> Markup | None:
    # Our own matplotlib output: safe to embed unescaped.
    return Markup(plots.to_svg(fig, salt)) if fig is not None else None


def _figures(scores: Mapping[str, Any]) -> dict[str, Any]:
    makers = {"rates": plots.detection_rates, "time_to_detection": plots.time_to_detection,
              "overhead": plots.overhead}
    return {name: makers[name](scores) for name in FIGURES}


def _write_csv(out: Path, tables: Mapping[str, Any], scores: Mapping[str, Any]) -> list[Path]:
    paths = [out / "summary.csv"]
    paths[0].write_text(to_csv(SUMMARY_CSV_COLUMNS, summary_csv_rows(scores)), encoding="utf-8")
    for key, table in tables.items():
        if key in ("summary", "reproduction_differences"):  # the latter: rows of another CSV
            continue
        path = out / f"{table.name}.csv"
        path.write_text(to_csv(table.columns, table.rows), encoding="utf-8")
        paths.append(path)
    return paths


def _write_markdown(out: Path, data: RunData, tables: Mapping[str, Any],
                    meta: list[tuple[str, str]], figures: Mapping[str, Any]) -> list[Path]:
    (out / "plots").mkdir(exist_ok=True)
    pngs = {name: plots.to_png(fig, out / "plots" / f"{name}.png")
            for name, fig in figures.items() if fig is not None}
    header = "\n".join(f"- **{k}**: {v}" for k, v in meta)
    parts = [f"# DeepLocalize Bench: run `{data.run_dir.name}`", header, "## Per tool"]
    parts += [table_markdown(t) for t in tables["summary"]]
    if "rates" in pngs:
        parts.append("![rates](plots/rates.png)")
    parts += ["## Against the paper", table_markdown(tables["paper_totals"]),
              table_markdown(tables["paper_headline"]), "## Per case",
              table_markdown(tables["matrix"]), table_markdown(tables["paper_cases"]),
              "## Reproduction of the paper", table_markdown(tables["reproduction_columns"]),
              table_markdown(tables["reproduction_differences"]),
              table_markdown(tables["reproduction_non_separating"]),
              "## Per fault category", table_markdown(tables["categories"])]
    if tables["operators"].rows:
        parts += ["## Per mutation operator", table_markdown(tables["operators"])]
    parts += ["## Time and overhead", table_markdown(tables["time"])]
    if "time_to_detection" in pngs:
        parts.append("![time to detection](plots/time_to_detection.png)")
    parts.append(table_markdown(tables["overhead"]))
    if "overhead" in pngs:
        parts.append("![overhead](plots/overhead.png)")
    parts += ["## Failures", table_markdown(tables["failures"])]
    path = out / "report.md"
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return [path, *pngs.values()]


def index_context(data: RunData, tables: Mapping[str, Any], meta: list[tuple[str, str]],
                  figures: Mapping[str, Any]) -> dict[str, Any]:
    """The view model of ``index.html`` (``run.html.j2``)."""
    return {
        "run_id": data.run_dir.name, "meta": meta, "tables": tables,
        "svg": {name: _svg(figures.get(name), name) for name in FIGURES},
        "case_links": [{"id": c, "href": f"cases/{c}.html", "title": data.cases[c].title}
                       for c in data.scores["cases"]],
    }


def case_context(data: RunData, case_id: str, comparison: Table,
                 histories: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The view model of ``cases/<id>.html`` (``case.html.j2``)."""
    case = data.cases[case_id]
    case_records = [r for r in data.latest.values() if r["case_id"] == case_id]
    patch = case.patch_path.read_text(encoding="utf-8") if case.patch_path.exists() else None
    control = data.control_tool
    curves = plots.training_curves(curve_runs(case_records, histories, control))
    return {
        "run_id": data.run_dir.name, "case": {"id": case.id, "title": case.title},
        "separates": case.separates, "facts": case_facts(case),
        "verdicts": case_verdicts(case_id, comparison),
        "units": unit_table(case_id, data.scores, case_records),
        "paper": paper_table(case, data.paper_tools),
        "patch": patch, "curves": _svg(curves, f"curves-{case_id}"),
        "curve_source": "no-tool control runs" if any(
            r["tool"] == control for r in case_records) else "every unit's own training run",
    }


def write_report(data: RunData, *, formats: Sequence[str] = FORMATS,
                 out: Path | None = None) -> list[Path]:
    """Write the report files for ``formats`` into ``out`` (default ``<run>/report``)."""
    out = out or data.run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    tables = build_tables(data.scores, data.latest, load_paper_headline())
    meta = run_metadata(data.info, data.latest)
    figures = _figures(data.scores) if {"html", "md"} & set(formats) else {}
    paths: list[Path] = []
    if "csv" in formats:
        paths += _write_csv(out, tables, data.scores)
    if "md" in formats:
        paths += _write_markdown(out, data, tables, meta, figures)
    if "html" in formats:
        env = environment()
        index = out / "index.html"
        index.write_text(env.get_template("run.html.j2").render(
            index_context(data, tables, meta, figures)), encoding="utf-8")
        paths.append(index)
        (out / "cases").mkdir(exist_ok=True)
        histories = load_histories(data.run_dir, data.latest.values())
        for case_id in data.scores["cases"]:
            page = out / "cases" / f"{case_id}.html"
            context = case_context(data, case_id, tables["paper_cases"], histories)
            page.write_text(env.get_template("case.html.j2").render(context), encoding="utf-8")
            paths.append(page)
    return paths
