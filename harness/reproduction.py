"""How far a run reproduces the paper: per case and paper column, our verdict, the paper's, and
for every disagreement the recorded reason with the numbers measured on this run.

The paper's Keras baselines (TerminateOnNaN, EarlyStopping on loss and on accuracy, their union)
are pure functions of a program's loss and accuracy per epoch, so where one of their verdicts
differs from Tables VI/VII our *port* of that program trains differently from the original,
whatever a debugging tool does. That makes them the yardstick of the port; the DeepLocalize
column is compared too, but a difference there may also be the tool's.

Why a verdict differs is written by people, from measurements, in the case's metadata::

    [[reproduction]]
    profile = "quick"                      # the profile whose runs it explains, or "any"
    columns = ["early_stopping_loss", "keras_union"]
    reason = "port:profile"                # harness.vocab.REPRODUCTION_REASONS
    measured = "quick folds 1000 epochs into 1: ... (run full-disagree, seed 0)"

This module only joins those reasons with a run's verdicts; it never decides a reason. A
disagreement without a reason is ``unexplained``; a reason whose column now agrees is ``stale``
(kept visible, so that a reason outliving its cause is noticed). Pure: reads records and case
metadata, never runs anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.cases import Case

__all__ = ["COLUMNS", "reproduction"]

#: The paper columns compared, in the order of its tables (our tool name = the column name).
COLUMNS = ("terminate_on_nan", "early_stopping_loss", "early_stopping_accuracy", "keras_union",
           "deeplocalize")
#: The columns that are pure functions of the loss curve: the yardstick of the port.
KERAS_COLUMNS = COLUMNS[:4]
COMPARED = ("agree", "differ", "undecided")


def _reasons(case: Case, column: str, profiles: set[str]) -> list[dict[str, Any]]:
    wanted = profiles | {"any"}
    return [dict(r) for r in case.meta.get("reproduction", [])
            if column in r["columns"] and r["profile"] in wanted]


def _seed_fact(record: Mapping[str, Any]) -> str:
    """One buggy seed in a line: where the tool stopped (1-based epoch) or that it did not, the
    epochs trained, the first finding of a tool that names one, and the final training loss
    and accuracy."""
    training = record.get("training") or {}
    metrics = training.get("metrics") or {}
    verdict = record.get("verdict") or {}
    head = f"seed {record['seed']}: "
    if record["status"] != "completed":
        return head + record["status"]
    stop = verdict.get("stop") or {}
    configured = training.get("epochs_configured")
    of = f" of {configured}" if configured is not None else ""
    if verdict.get("detected") and stop.get("epoch") is not None:
        text = f"stopped at epoch {stop['epoch'] + 1}{of}"
    elif verdict.get("detected"):
        text = "detected"
    else:
        text = f"no stop in {training.get('epochs_run', '?')}{of} epochs"
    findings = verdict.get("findings") or []
    if verdict.get("detected") and findings:
        first = findings[0]
        layer = first.get("layer_index")
        text += f", first finding {first.get('code', '?')}" + (
            f" at layer {layer}" if layer is not None else "")
    for name in ("loss", "accuracy"):
        value = metrics.get(name)
        if metrics.get(f"{name}_nonfinite"):
            text += f", {name} non-finite"
        elif value is not None:
            text += f", {name} {value:.4g}"
    return head + text


def _data(case: Case, records: Iterable[Mapping[str, Any]]) -> str:
    """What the seeds ran on: each dataset module's origin as recorded, else the case's own
    ``[data] name`` (data the program makes or reads itself, e.g. ``generated``)."""
    sources = sorted({f"{name}: {info.get('origin', info.get('source', '?'))}"
                      for r in records for name, info in (r.get("data") or {}).items()})
    name = (case.meta.get("data") or {}).get("name", "generated")
    return "; ".join(sources) or f"{name} (in the program)"


def _row(case: Case, column: str, result: Mapping[str, Any],
         records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    paper = result.get("paper") or {}
    status = result["detection_vs_paper"]
    profiles = {r.get("profile", "quick") for r in records} or {"quick"}
    reasons = _reasons(case, column, profiles)
    buggy = sorted((r for r in records if r["variant"] == "buggy"), key=lambda r: r["seed"])
    if status == "differ":
        state = "explained" if reasons else "unexplained"
    else:
        state = "stale" if reasons and status == "agree" else status
    return {
        "case_id": case.id,
        "column": column,
        "paper": paper.get("detected"),
        "paper_epoch": paper.get("epoch"),
        "ours": result["detected"],
        "seeds": "/".join(result["buggy"]),
        "vs_paper": status,
        "state": state,
        "reasons": [r["reason"] for r in reasons],
        "reason_measured": [r["measured"] for r in reasons],
        "measured": [_seed_fact(r) for r in buggy],
        "profile": "/".join(sorted(profiles)),
        "data": _data(case, buggy),
        "separates": case.separates,
    }


def _summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    states = Counter(r["state"] for r in rows)
    return {
        "cases": len(rows),
        "agree": sum(r["vs_paper"] == "agree" for r in rows),
        "differ": sum(r["vs_paper"] == "differ" for r in rows),
        "undecided": states["undecided"],
        "explained": dict(sorted(Counter(
            r["reasons"][0] for r in rows if r["state"] == "explained").items())),
        "unexplained": states["unexplained"],
        "stale": states["stale"],
        "ours_detected": sum(r["ours"] == "yes" for r in rows),
        "paper_detected": sum(bool(r["paper"]) for r in rows),
    }


def reproduction(cases: Mapping[str, Case], case_results: Mapping[str, Mapping[str, Any]],
                 records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The reproduction of a run: ``rows`` (one per case and compared paper column),
    ``columns`` (per column: agree, differ by reason class, unexplained, stale) and
    ``non_separating`` (the run's cases whose pair does not separate, with the case's reason).

    ``case_results`` is :func:`harness.scoring.score`'s ``cases``; ``records`` the run's
    latest records (for the per-seed numbers and the data each seed ran on).
    """
    by_unit: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for r in records:
        by_unit.setdefault((r["case_id"], r["tool"]), []).append(r)
    rows = []
    for case_id, info in case_results.items():
        for column in COLUMNS:
            result = info["tools"].get(column)
            if result is None or result["detection_vs_paper"] not in COMPARED:
                continue
            rows.append(_row(cases[case_id], column, result, by_unit.get((case_id, column), [])))
    columns = {c: _summary([r for r in rows if r["column"] == c]) for c in COLUMNS
               if any(r["column"] == c for r in rows)}
    non_separating = [
        {"case_id": cid, "reason": (cases[cid].meta["oracle"].get("reason") or ""),
         "measured": (cases[cid].meta["oracle"].get("measured") or "")}
        for cid in case_results if not cases[cid].separates
    ]
    return {"rows": rows, "columns": columns, "non_separating": non_separating}
