"""View models of the HTML report that are not score tables: the run header and the case pages.

Pure functions of already-loaded data (``run.json``, records, scores, a case); every value they
return is display text, so templates only lay it out. Score tables come from
:mod:`reports.cells`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reports.cells import DASH, Table, fmt_epoch, fmt_num, fmt_plain

Pairs = list[tuple[str, str]]


def _join(values: Sequence[Any]) -> str:
    return ", ".join(str(v) for v in values) if values else DASH


def run_metadata(info: Mapping[str, Any], latest: Mapping[str, Mapping[str, Any]]) -> Pairs:
    """The report header: what ran, where and with what (from ``run.json`` and the records)."""
    config = info.get("config") or {}
    env = info.get("env") or {}
    harness = info.get("harness") or {}
    executor = info.get("executor") or {}
    statuses: dict[str, int] = {}
    for record in latest.values():
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1
    used = sorted({r["semantics"] for r in latest.values() if r.get("semantics")})
    semantics = config.get("semantics") or f"each case's own ({_join(used)})"
    commit = harness.get("commit") or DASH
    revision = commit[:12] + (" (dirty tree)" if harness.get("dirty") else "")
    packages = env.get("packages") or {}
    gpu = env.get("gpu") or env.get("gpus") or "none recorded"
    hardware = f"{env.get('machine', DASH)}, {env.get('cpus', DASH)} CPU(s), GPU: {gpu}"
    executor_text = executor.get("name") or config.get("executor") or DASH
    details = {k: v for k, v in executor.items() if k != "name"}
    if details:
        executor_text += " (" + ", ".join(f"{k}={v}" for k, v in sorted(details.items())) + ")"
    sessions = info.get("sessions") or []
    return [
        ("run", str(info.get("run_id", DASH))),
        ("started", str(info.get("started_at", DASH))),
        ("sessions", f"{len(sessions)} (last {sessions[-1]})" if sessions else DASH),
        ("harness revision", revision),
        ("profile", str(config.get("profile", DASH))),
        ("semantics", semantics),
        ("shared training run", "yes" if config.get("shared") else "no"),
        ("executor", executor_text),
        ("cases", str(len(config.get("case_ids") or {r["case_id"] for r in latest.values()}))),
        ("tools", _join(config.get("tools") or [])),
        ("variants", _join(config.get("variants") or [])),
        ("seeds", _join(config.get("seeds") or [])),
        ("timeout per unit", f"{config['timeout_s']:g} s" if "timeout_s" in config else DASH),
        ("memory per unit", f"{config['memory_mb']} MiB" if "memory_mb" in config else DASH),
        ("records", f"{len(latest)} ("
         + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) + ")"),
        ("hardware", hardware),
        ("platform", str(env.get("platform", DASH))),
        ("python", str(env.get("python", DASH))),
        ("packages", _join([f"{k} {v}" for k, v in packages.items()])),
        ("lock file sha256", str(env.get("lock_sha256", DASH))),
    ]


def _metric(metrics: Mapping[str, Any], name: str) -> str:
    """A training summary value; ``non-finite (nan)`` where it was NaN/Inf (stored as null)."""
    if metrics.get(f"{name}_nonfinite"):
        return f"non-finite ({metrics.get(f'{name}_raw', 'nan')})"
    value = metrics.get(name)
    return DASH if value is None else f"{value:.4g}"


def _where(event: Mapping[str, Any] | None) -> str:
    if not event:
        return DASH
    parts = []
    if event.get("epoch") is not None:
        parts.append(f"ep {fmt_epoch(event['epoch'])}")
    if event.get("batch") is not None:
        parts.append(f"batch {event['batch']}")
    if event.get("iteration") is not None:
        parts.append(f"it {event['iteration']}")
    if event.get("wall_s") is not None:
        parts.append(f"{fmt_num(event['wall_s'])} s")
    return " · ".join(parts) or DASH


def _finding(finding: Mapping[str, Any] | None) -> str:
    if not finding:
        return DASH
    where = finding.get("target", "")
    if finding.get("target") == "layer":
        where = f"layer {finding.get('layer_index')} {finding.get('layer_name') or ''}".strip()
    message = str(finding.get("message") or "")
    message = message if len(message) <= 200 else message[:199] + "…"
    return f"{finding.get('code', '')} @ {where}: {message}".strip()


UNIT_COLUMNS = ("variant", "tool", "seed", "status", "detected", "stop", "first_finding",
                "localization_verdict", "verdict_category", "final_loss", "final_accuracy",
                "train_s", "overhead_ratio", "error", "log_dir")


def unit_table(case_id: str, scores: Mapping[str, Any],
               records: Sequence[Mapping[str, Any]]) -> Table:
    """Every tool's finding on one case: one row per record (variant, tool, seed)."""
    scored = {(u["variant"], u["tool"], u["seed"]): u for u in scores["units"]
              if u["case_id"] == case_id}
    rows, classes = [], []
    for r in sorted(records, key=lambda r: (r["variant"], r["tool"], r["seed"])):
        verdict = r.get("verdict") or {}
        unit = scored.get((r["variant"], r["tool"], r["seed"])) or {}
        metrics = (r.get("training") or {}).get("metrics") or {}
        error = r.get("error") or {}
        findings = verdict.get("findings") or []
        detected = DASH if r["status"] != "completed" or r["tool"] == "none" else (
            "yes" if verdict.get("detected") else "no")
        category = verdict.get("category")
        if category and unit.get("category_correct") is not None:
            category += " (correct)" if unit["category_correct"] else " (wrong)"
        rows.append({
            "variant": r["variant"], "tool": r["tool"], "seed": str(r["seed"]),
            "status": r["status"], "detected": detected,
            "stop": _where(verdict.get("stop")),
            "first_finding": _finding(findings[0] if findings else None)
            + (f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""),
            "localization_verdict": (unit.get("localization", DASH) if detected == "yes"
                                     else DASH),
            "verdict_category": category or DASH,
            "final_loss": _metric(metrics, "loss"),
            "final_accuracy": _metric(metrics, "accuracy"),
            "train_s": fmt_num(unit.get("train_s", (r.get("training") or {}).get("train_s"))),
            "overhead_ratio": fmt_num(unit.get("overhead")) + (
                ", not comparable" if unit.get("overhead") is not None
                and not unit.get("overhead_comparable") else ""),
            "error": f"{error.get('type', '')}: {error.get('message', '')}" if error else "",
            "log_dir": r.get("log_dir") or "",
        })
        expected = "yes" if r["variant"] == "buggy" else "no"
        cls = "" if detected == DASH else ("yes" if detected == expected else "no")
        classes.append({"detected": cls, "log_dir": "path", "stop": "mid", "first_finding": "wide",
                        "error": "wide" if error else "",
                        "status": "" if r["status"] == "completed" else "failed"})
    return Table("units", "Every run of this case",
                 "One row per record. Stop: the tool's first request to stop training (ep: "
                 "epoch counted from 1, batch from 0, it: optimizer steps so far, seconds since "
                 "the first fit began). Non-finite losses are stored as null with a flag and "
                 "shown as non-finite. Overhead: train time over the no-tool control of the "
                 "same variant and seed; not comparable when either stopped early or they ran "
                 "different numbers of epochs.", UNIT_COLUMNS, rows, classes)


def _paper_cell(result: Mapping[str, Any] | None, key: str) -> str:
    if result is None:
        return DASH
    if result.get("run") is False:
        return "not run"
    value = result.get(key)
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return fmt_num(value) if key == "time_s" else fmt_plain(value)


def paper_table(case: Any, columns: Sequence[str]) -> Table:
    """The paper's published results for one case, one row per tool column of the paper's
    tables (``columns``)."""
    paper = case.meta.get("paper") or {}
    rows = []
    for column in columns:
        result = paper.get(column)
        rows.append({"paper_column": column,
                     **{f"paper_{k}": _paper_cell(result, k)
                        for k in ("detected", "localized", "time_s", "epoch", "iteration")}})
    return Table("paper_case", "The paper's results for this case",
                 f"Table {paper.get('table', DASH)}, row {paper.get('row', DASH)}. Times on the "
                 "paper's hardware; epochs as the paper counts them.",
                 ("paper_column", "paper_detected", "paper_localized", "paper_time_s",
                  "paper_epoch", "paper_iteration"), rows)


def case_facts(case: Any) -> dict[str, Pairs]:
    """What the case is, its ground truth and what the paper says about it."""
    meta = case.meta
    data, training = meta.get("data") or {}, meta.get("training") or {}
    gt, paper, oracle = meta["ground_truth"], meta.get("paper") or {}, meta.get("oracle") or {}
    layers = [f"{layer['index']} {layer['class']}" + (f" ({layer['name']})" if layer.get("name")
                                                        else "") for layer in gt.get("layers", [])]
    facts: Pairs = [
        ("source", case.source), ("origin", case.origin), ("task", case.task),
        ("semantics", case.semantics), ("status", case.status),
        ("data", f"{data.get('original', DASH)}"),
        ("data stand-in", f"{data.get('stand_in', DASH)}"
         + (f"; {data['shape_change']}" if data.get("shape_change") else "")),
        ("training", ", ".join(f"{k} {v}" for k, v in training.items()) or DASH),
        ("quick profile", ", ".join(f"{k}={v}" for k, v in case.profiles.get("quick", {}).items())
         or "the program's own settings"),
    ]
    if meta.get("notes"):
        facts.append(("notes", meta["notes"]))
    if not case.separates:
        facts.append(("non-separating", f"{oracle.get('reason', DASH)} "
                      f"(measured: {oracle.get('measured', DASH)})"))
    truth: Pairs = [
        ("categories", _join(list(case.categories))), ("targets", _join(list(case.targets))),
        ("faulty layers", "; ".join(layers) or DASH), ("symptom", case.symptom),
        ("description", gt.get("description", DASH)), ("fix", gt.get("fix", DASH)),
    ]
    published: Pairs = [
        ("paper table / row", f"{paper.get('table', DASH)} / {paper.get('row', DASH)}"),
        ("loss / accuracy before → after", f"{paper.get('loss_acc_before', DASH)} → "
                                           f"{paper.get('loss_acc_after', DASH)}"),
        ("reported fault", paper.get("reported_fault", DASH)),
    ]
    return {"facts": facts, "truth": truth, "published": published}


def case_verdicts(case_id: str, comparison: Table) -> Table:
    """The rows of the per-case comparison table that belong to one case."""
    keep = [i for i, row in enumerate(comparison.rows) if row["case"] == case_id]
    columns = tuple(c for c in comparison.columns if c != "case")
    return Table(comparison.name, "Verdicts on this case, next to the paper's",
                 comparison.caption, columns, [comparison.rows[i] for i in keep],
                 [comparison.classes[i] for i in keep if i < len(comparison.classes)])
