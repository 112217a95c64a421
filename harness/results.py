"""A run's results as pandas DataFrames: its records, flat, and its scores, as tables.

The records of a run (``runs/<run-id>/records.jsonl``) are nested JSON, one line per attempt.
This module reads them into flat tables for analysis in a notebook or a script, next to the
figures ``deeplocalize score`` prints (the same :func:`harness.scoring.score`, never a second
scoring). It only reads: nothing is run, nothing is written.

Example:

```python
from harness import results

df = results.load_run("20261203-085526")   # or "runs/20261203-085526", or any path
df.groupby(["tool", "variant"])["detected"].mean()
s = results.scores("20261203-085526")
s.headline[["tool", "detection", "detection_low", "detection_high", "false_alarm"]]
```

Why a harness module and not a wiring one: it needs only :mod:`harness.records`,
:mod:`harness.cases` and :mod:`harness.scoring`, so it stays in the harness layer
(``docs/architecture.md``). Any harness module, notebook or script can import it without
loading :mod:`reports` (Jinja, matplotlib), and it hands back DataFrames, not the report's
view models. :func:`harness.reporting.load_run` reads a run through :func:`read_run` too.

Columns of :func:`load_run`, one row per record (every column: ``docs/results.md``). One
rule flattens a record: ``verdict.X`` becomes ``X`` (``detected``, ``category``),
``verdict.stop.X`` ``stop_X``, ``verdict.findings[0].X`` ``finding_X`` (``finding_layer_index``,
``finding_code``, ...), ``training.X`` ``X`` (``epochs_run``, ``stopped_early``, ``train_s``),
``training.metrics.X`` ``final_X`` (the last epoch's logs: ``final_loss``, ``final_accuracy``,
``final_val_loss``, ``final_eval_loss``, ...), ``timing.X`` ``X`` (``wall_s``, ``peak_rss_mb``),
``params.X`` ``param_X`` and ``error.X`` ``error_X``. Added: ``latest`` (the unit's last
attempt), ``verdict_source`` (``"verdict"``; ``"partial"``: the findings streamed before a unit
failed; ``None``: the ``none`` control or a unit killed before the tool said anything),
``n_findings``, ``detect_s``/``detect_epoch``/``detect_iteration`` (the stop request if the tool
asked to stop, else its first finding: the point scoring times; ``None`` when not detected),
``datasets`` and ``data_origin`` (comma-separated, same order). Kept nested (JSON-able, their
shape is the tool's): ``findings`` (all of them), ``stops`` and ``verdict_raw``.

Integer columns with gaps are ``Int64`` and flags ``boolean`` (pandas' nullable types), so
``df["detected"].mean()`` skips the controls. ``detected`` is what the record says; how
scoring counted it (a failed unit without a partial verdict is not a detection) is in
:attr:`Scores.units`.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness import records, reference
from harness.cases import Case, load_cases
from harness.envinfo import bench_root
from harness.runner import RUN_FILE
from harness.scoring import DENOMINATORS, HEADLINE, score

__all__ = ["RECORD_COLUMNS", "Scores", "bench_root", "case_table", "flatten", "load_run",
           "read_run", "resolve_run", "scores", "tables", "tool_table", "unit_table"]

_STOP = ("early", "epoch", "batch", "iteration", "samples", "wall_s", "hook", "fit_index")
_FINDING = ("code", "target", "layer_index", "layer_name", "layer_class", "phase", "quantity",
            "hint", "epoch", "batch", "iteration", "wall_s", "message")
_TRAINING = ("fits", "epochs_configured", "epochs_run", "stopped_early", "any_nonfinite_loss")
#: The columns every :func:`load_run` frame has, in order (``final_*`` and ``param_*`` follow).
RECORD_COLUMNS = (
    "key", "run_id", "case_id", "variant", "tool", "tool_version", "seed", "attempt", "latest",
    "unit", "profile", "semantics", "shared", "status", "error_type", "error_message",
    "exit_code", "executor", "verdict_source", "detected", "category", "n_findings",
    "detect_s", "detect_epoch", "detect_iteration", *(f"stop_{k}" for k in _STOP),
    *(f"finding_{k}" for k in _FINDING), *_TRAINING, "train_s", "wall_s", "worker_s",
    "peak_rss_mb", "started_at", "finished_at", "datasets", "data_origin", "schema_version",
    "code_revision", "case_digest", "log_dir", "findings", "stops", "verdict_raw",
)
#: :func:`load_run`'s dtypes that hold even when a run has no value in the column.
_DTYPES = {**dict.fromkeys(("latest", "shared", "detected", "stop_early", "stopped_early",
                            "any_nonfinite_loss"), "boolean"),
           **dict.fromkeys(("findings", "stops", "verdict_raw"), "object")}


def _is_run(path: Path) -> bool:
    return path.is_dir() and ((path / records.RECORDS_FILE).exists() or (path / RUN_FILE).exists())


def resolve_run(value: str | Path, runs_dir: str | Path = "runs") -> Path:
    """The run folder named by a run id or a path.

    Tried in order: for a bare id (no ``/``), ``runs_dir/value`` first, then ``value``
    relative to the current folder; for a path (``runs/<id>``, ``../x/runs/<id>``, absolute),
    the path first, then ``runs_dir/value``; and for a relative path whose first part is
    ``runs_dir``'s name (``runs/<id>`` with ``runs_dir="/data/runs"``), ``runs_dir/<id>``. A run
    folder holds ``records.jsonl`` or ``run.json``. So ``resolve_run("20261203-085526")``,
    ``resolve_run("runs/20261203-085526")`` (as ``deeplocalize run`` prints it) and the
    absolute path all name the same folder.

    Args:
        value: A run id or a path to a run folder.
        runs_dir: Where run ids are looked up (``deeplocalize --runs-dir``, default ``runs``).

    Returns:
        The run folder, as an absolute path.

    Raises:
        FileNotFoundError: No candidate is a run folder; the message lists every path tried.
    """
    path, base = Path(value), Path(runs_dir)
    bare = len(path.parts) == 1 and not path.is_absolute()
    tried = [base / path, path] if bare else [path, base / path]
    if not path.is_absolute() and len(path.parts) > 1 and path.parts[0] == base.name:
        tried.append(base.joinpath(*path.parts[1:]))
    tried = list(dict.fromkeys(tried))  # runs_dir "." makes two candidates the same
    for candidate in tried:
        if _is_run(candidate):
            return Path(os.path.abspath(candidate))
    folders = [str(c) for c in tried if c.is_dir()]
    why = (f"; {', '.join(folders)} has neither {records.RECORDS_FILE} nor {RUN_FILE}"
           if folders else "")
    raise FileNotFoundError(
        f"no run folder {str(value)!r}: tried {', '.join(str(c) for c in tried)} "
        f"(from {Path.cwd()}){why}")


def _first(value: Any) -> dict[str, Any]:
    return value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}


def _verdict(record: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """The verdict a record carries: its own for a completed unit; for a failed one the partial
    verdict streamed before the failure, else the verdict an ``error`` unit still made."""
    partial = record.get("partial_verdict")
    if record.get("status") != records.STATUSES[0] and partial:
        return "partial", partial
    verdict = record.get("verdict")
    return ("verdict", verdict) if verdict else (None, None)


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """One record as one flat row (the columns of :func:`load_run`, ``latest`` excepted)."""
    row: dict[str, Any] = {k: record.get(k) for k in (
        "key", "run_id", "case_id", "variant", "tool", "tool_version", "seed", "attempt", "unit",
        "profile", "semantics", "shared", "status", "exit_code", "executor", "schema_version",
        "code_revision", "case_digest", "log_dir")}
    error = record.get("error") or {}
    row.update(error_type=error.get("type"), error_message=error.get("message"))
    source, verdict = _verdict(record)
    verdict = verdict or {}
    findings = verdict.get("findings") or []
    stop, first = verdict.get("stop") or {}, _first(findings)
    detected = verdict.get("detected") if source else None
    where = (stop or first) if detected else {}
    row.update(verdict_source=source, detected=detected, category=verdict.get("category"),
               n_findings=len(findings) if source else None, detect_s=where.get("wall_s"),
               detect_epoch=where.get("epoch"), detect_iteration=where.get("iteration"))
    row.update({f"stop_{k}": stop.get(k) for k in _STOP})
    row.update({f"finding_{k}": first.get(k) for k in _FINDING})
    training = record.get("training") or {}
    timing = record.get("timing") or {}
    row.update({k: training.get(k) for k in _TRAINING})
    row["train_s"] = training.get("train_s", timing.get("train_s"))
    row.update({k: timing.get(k) for k in ("wall_s", "worker_s", "peak_rss_mb", "started_at",
                                           "finished_at")})
    data = record.get("data") or {}
    row["datasets"] = ",".join(data) or None
    row["data_origin"] = ",".join(str((d or {}).get("origin")) for d in data.values()) or None
    row.update(findings=findings if source else None, stops=verdict.get("stops"),
               verdict_raw=verdict.get("raw"))
    row.update({f"final_{k}": v for k, v in (training.get("metrics") or {}).items()})
    row.update({f"param_{k}": v for k, v in (record.get("params") or {}).items()})
    return row


def _frame(rows: list[dict[str, Any]], columns: list[str] | None = None,
           dtypes: dict[str, str] | None = None) -> pd.DataFrame:
    """``rows`` as a DataFrame, each column ``dtypes[column]``, else ``boolean`` (every value
    present a bool), ``Int64`` (an int), ``float64`` (no value) or as pandas infers it."""
    frame = pd.DataFrame(rows, columns=columns)
    for column in frame.columns:
        types = {type(row[column]) for row in rows if row.get(column) is not None}
        dtype = (dtypes or {}).get(column) or (
            "boolean" if types == {bool} else "Int64" if types == {int}
            else "float64" if not types else None)
        if dtype:
            frame[column] = frame[column].astype(dtype)
    return frame


def load_run(run: str | Path, runs_dir: str | Path = "runs", *,
             all_attempts: bool = False) -> pd.DataFrame:
    """A run's records as one flat row each (columns: the module docstring).

    Example:

    ```python
    df = load_run("20261203-085526")
    df[df.variant == "buggy"].groupby("tool")["detected"].mean()
    ```

    Args:
        run: A run id or a path to a run folder (see :func:`resolve_run`).
        runs_dir: Where run ids are looked up.
        all_attempts: ``False`` (default): the latest attempt of every unit
            (:func:`harness.records.latest`, what scoring reads). ``True``: every record in file
            order, retries included; ``latest`` tells the last attempt of each unit.

    Returns:
        A DataFrame with :data:`RECORD_COLUMNS`, then the ``final_*`` and ``param_*`` columns
        (sorted).

    Raises:
        FileNotFoundError: No such run, or it has no records.
        harness.records.RecordError: A malformed line (named by file and line).
    """
    run_dir = resolve_run(run, runs_dir)
    if all_attempts:
        every = records.read_all(run_dir)
        last = {r["key"]: i for i, r in enumerate(every)}
        rows = [dict(flatten(r), latest=last[r["key"]] == i) for i, r in enumerate(every)]
    else:
        rows = [dict(flatten(r), latest=True) for r in records.latest(run_dir).values()]
    if not rows:
        raise FileNotFoundError(f"{run_dir}: no records in {records.RECORDS_FILE}")
    extra = sorted({k for row in rows for k in row} - set(RECORD_COLUMNS))
    return _frame(rows, [*RECORD_COLUMNS, *extra], _DTYPES)


def read_run(run_dir: Path, root: Path, suite: str = "all"
             ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Case]]:
    """``run.json`` (``{}`` when absent), the latest record per key (:func:`records.latest`),
    and the run's cases: those with records plus those ``run.json`` planned; with ``suite``
    ``real`` or ``mutants``, only that suite's cases and records.

    Raises:
        FileNotFoundError: The run has no records (of that suite).
    """
    path = run_dir / RUN_FILE
    info = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    planned = info.get("config") or {}
    latest, packed = reference.run_records(run_dir)
    if not latest:
        raise FileNotFoundError(f"{run_dir}: no records in {records.RECORDS_FILE}")
    ids = {r["case_id"] for r in latest.values()} | set(planned.get("case_ids", []))
    cases = {c.id: c for c in load_cases(root, sorted(ids))}
    reference.note_changed(packed, cases)
    if suite != "all":
        cases = {k: c for k, c in cases.items() if c.suite == suite}
        latest = {k: r for k, r in latest.items() if r["case_id"] in cases}
        if not latest:
            raise FileNotFoundError(f"{run_dir}: no records of the {suite} suite")
    return info, latest, cases


def run_suites(run_dir: Path, root: Path) -> list[str]:
    """The suites whose cases a run holds (``real`` before ``mutants``)."""
    _, _, cases = read_run(run_dir, root)
    found = {c.suite for c in cases.values()}
    return [s for s in ("real", "mutants") if s in found]


_RATES = ("detection", "false_alarm", "youden_j", "localization", "localization_exact",
          "diagnosis")
_TOOL_ORDER = (
    "denominator", "tool", "cases", "buggy_runs", "tp", "fn", "failed_buggy", "missing_buggy",
    "detection", "patched_runs", "fp", "tn", "failed_patched", "missing_patched", "false_alarm",
    "youden_j",
    "localized", "localized_exact", "adjacent", "localization", "localization_exact",
    "category_named", "category_correct", "diagnosis", "median_detect_s", "median_detect_epoch",
    "median_detect_iteration", "median_overhead", "overhead_units", "detected_before_failure")


def tool_table(raw: dict[str, Any]) -> pd.DataFrame:
    """The per-tool figures of :func:`harness.scoring.score`, one row per (denominator, tool).

    ``denominator`` is a set of :data:`harness.scoring.DENOMINATORS` (``real``, the headline,
    ``paper``, ``all``, ``control``) and ``cases`` its number of cases in the run. Counts keep
    their names (``tp``, ``fn``, ``fp``, ``tn``, ``buggy_runs``, ``failed_buggy``, ...); each
    rate becomes three columns, e.g. ``detection``, ``detection_low``, ``detection_high`` (the
    Wilson 95 % interval); ``failures`` becomes one ``failures_<status>`` column per status.
    """
    rows = []
    statuses = [s for s in records.STATUSES if s != records.STATUSES[0]]
    for name, group in raw["denominators"].items():
        for tool, figures in group["tools"].items():
            row: dict[str, Any] = {"denominator": name, "tool": tool, "cases": len(group["cases"])}
            for key, value in figures.items():
                if key == "failures":
                    row.update({f"failures_{s}": value.get(s, 0) for s in statuses})
                elif isinstance(value, dict):
                    row.update({key: value["rate"], f"{key}_low": value["low"],
                                f"{key}_high": value["high"]})
                elif key != "tool":
                    row[key] = value
            rows.append(row)
    order = [c for name in _TOOL_ORDER for c in (
        (name, f"{name}_low", f"{name}_high") if name in _RATES else (name,))]
    frame = _frame(rows)
    return frame[[*(c for c in order if c in frame), *(c for c in frame if c not in order)]]


def case_table(raw: dict[str, Any], cases: dict[str, Case]) -> pd.DataFrame:
    """One row per (case, tool): the majority verdicts of its seeds and the paper's.

    Columns: ``case_id``, ``tool``, ``separates``, ``categories`` (comma-separated), one
    ``in_<denominator>`` flag per set of :data:`harness.scoring.DENOMINATORS`, ``buggy`` and
    ``patched`` (the seeds' cells joined by ``/``, e.g. ``TP+L/FN``), ``detected``,
    ``localized``, ``false_alarm`` (``yes``/``no``/``split``/``failed``/``missing``), ``flaky``,
    ``flaky_reasons`` (``; ``-joined), the medians, ``paper_column``, the paper's result as
    ``paper_<key>`` (``paper_detected``, ``paper_localized``, ``paper_time_s``, ...),
    ``detection_vs_paper`` and ``localization_vs_paper``.
    """
    rows = []
    for case_id, result in raw["cases"].items():
        case = cases[case_id]
        for tool, r in result["tools"].items():
            row: dict[str, Any] = {"case_id": case_id, "tool": tool,
                                   "separates": result["separates"],
                                   "categories": ",".join(case.categories)}
            row.update({f"in_{n}": member(case) for n, (_, member) in DENOMINATORS.items()})
            row.update(buggy="/".join(r["buggy"]), patched="/".join(r["patched"]))
            row.update({k: v for k, v in r.items() if k not in ("buggy", "patched", "paper")})
            row["flaky_reasons"] = "; ".join(r["flaky_reasons"])
            row.update(paper_detected=None, paper_localized=None)
            row.update({f"paper_{k}": v for k, v in (r["paper"] or {}).items()})
            rows.append(row)
    return _frame(rows)


def unit_table(raw: dict[str, Any]) -> pd.DataFrame:
    """One row per scored record (``score()["units"]``: :class:`harness.tally.UnitOutcome`'s
    fields: ``detected`` ``None`` for a failed unit, ``localization`` ``exact``/``site``/
    ``adjacent``/``wrong``/``none``, ``wall_s``/``epoch``/``iteration`` of detection,
    ``overhead``, ...) and its ``outcome``, the matrix cell: ``TP+L``, ``TP``, ``FN``, ``FP``,
    ``TN``, or the failed unit's status."""
    seeds: dict[tuple[str, str, str], set[int]] = defaultdict(set)  # the matrix's seeds
    for unit in raw["missing"]:
        case_id, variant, tool, seed = unit.rsplit("/", 3)
        seeds[(case_id, tool, variant)].add(int(seed))
    for u in raw["units"]:
        seeds[(u["case_id"], u["tool"], u["variant"])].add(u["seed"])
    rows = []
    for u in raw["units"]:
        cells = raw["matrix"][u["case_id"]][u["tool"]][u["variant"]]  # in the order of seeds
        seed_order = sorted(seeds[(u["case_id"], u["tool"], u["variant"])])
        rows.append({**u, "outcome": cells[seed_order.index(u["seed"])]})
    return _frame(rows)


@dataclass(frozen=True, eq=False)  # DataFrames do not compare to one bool
class Scores:
    """A run's scores as tables (:func:`scores`).

    Attributes:
        tools: :func:`tool_table`: per (denominator, tool), what ``deeplocalize score`` prints.
        cases: :func:`case_table`: per (case, tool), majority verdicts and the paper's.
        units: :func:`unit_table`: per scored record, how it was counted.
        raw: :func:`harness.scoring.score`'s dict (what ``deeplocalize score --json`` prints).
    """

    tools: pd.DataFrame
    cases: pd.DataFrame
    units: pd.DataFrame
    raw: dict[str, Any]

    @property
    def headline(self) -> pd.DataFrame:
        """The rows of :attr:`tools` over the headline set (separating pairs, real fault)."""
        return self.tools[self.tools["denominator"] == HEADLINE].reset_index(drop=True)


def tables(raw: dict[str, Any], cases: dict[str, Case]) -> Scores:
    """:class:`Scores` from a :func:`harness.scoring.score` dict and the cases it scored."""
    return Scores(tool_table(raw), case_table(raw, cases), unit_table(raw), raw)


def scores(run: str | Path, root: str | Path | None = None,
           runs_dir: str | Path = "runs", against: str | Path | None = None) -> Scores:
    """Score a run (:func:`harness.scoring.score`, as ``deeplocalize score``) into tables,
    e.g. ``scores("runs/<id>").cases.pivot(index="case_id", columns="tool", values="detected")``.

    Args:
        run: A run id or a path to a run folder (see :func:`resolve_run`).
        root: The benchmark root whose case metadata scores the run (default:
            :func:`bench_root`).
        runs_dir: Where run ids are looked up.
        against: A reference (``"reference"``: the shipped one, or a folder): its tools join
            the tables, its stale cases leave them (:mod:`harness.reference`; ``raw["reference"]``).

    Raises:
        FileNotFoundError: No such run, or it has no records.
        KeyError: A record names a case the benchmark does not have.
    """
    run_dir = resolve_run(run, runs_dir)
    info, latest, cases = read_run(run_dir, bench_root(root))
    if against is not None:
        return tables(*reference.score_against(info, latest, cases, against))
    return tables(score(cases, latest.values(), planned=info.get("config")), cases)
