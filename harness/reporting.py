"""Wiring between a run folder and the reports: load, score, and hand :mod:`reports` its data.

:func:`load_run` reads what a run left behind (``run.json``, ``records.jsonl``) and the case
metadata, scores it (:func:`harness.scoring.score` is pure) and returns the
:class:`reports.render.RunData` the report renders; :mod:`reports` itself imports nothing from
the harness. One of the two wiring modules (with :mod:`harness.cli`) allowed to import both
(``docs/architecture.md``).
"""

from __future__ import annotations

import json
from pathlib import Path

from harness import records
from harness.cases import load_cases
from harness.scoring import NO_TOOL, score
from harness.vocab import PAPER_TOOLS
from reports.render import RUN_FILE, RunData


def load_run(run_dir: Path, root: Path) -> RunData:
    """Read and score a run. Cases are those with records plus those ``run.json`` planned.

    Args:
        run_dir: The run folder.
        root: The benchmark root (``bugs/``, ``patches/``).

    Raises:
        FileNotFoundError: The run has no records.
    """
    latest = records.latest(run_dir)
    if not latest:
        raise FileNotFoundError(f"{run_dir}: no records (is the run id right?)")
    path = run_dir / RUN_FILE
    info = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    planned = info.get("config")
    ids = {r["case_id"] for r in latest.values()} | set((planned or {}).get("case_ids", []))
    cases = {c.id: c for c in load_cases(root, sorted(ids))}
    return RunData(
        run_dir, info, latest, cases, score(cases, latest.values(), planned=planned),
        control_tool=NO_TOOL, paper_tools=PAPER_TOOLS,
    )
