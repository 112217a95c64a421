"""Wiring between a run folder and the reports: load, score, and hand :mod:`reports` its data.

:func:`load_run` reads what a run left behind (``run.json``, ``records.jsonl``) and the case
metadata, scores it (:func:`harness.scoring.score` is pure) and returns the
:class:`reports.render.RunData` the report renders; :mod:`reports` itself imports nothing from
the harness. With ``against`` the run is scored against a reference run's records
(:func:`harness.reference.compare`). One of the two wiring modules (with :mod:`harness.cli`)
allowed to import both (``docs/architecture.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.reference import Comparison, Reference, compare, note
from harness.results import read_run
from harness.scoring import NO_TOOL, score
from harness.vocab import PAPER_TOOLS
from reports.render import RunData


def load_run(run_dir: Path, root: Path, against: str | Path | Reference | None = None,
             suite: str = "all") -> RunData:
    """Read and score a run. Cases are those with records plus those ``run.json`` planned.

    Args:
        run_dir: The run folder.
        root: The benchmark root (``bugs/``, ``patches/``).
        against: A reference (``"reference"``: the shipped one, or a folder;
            :mod:`harness.reference`): its tools join the run's, its stale cases are left out,
            ``scores["reference"]`` says which, and the report's header names it.

    Raises:
        FileNotFoundError: The run has no records.

    ``suite``: ``real`` or ``mutants`` scores only that suite's cases (``all``: every case).
    """
    info, latest, cases = read_run(run_dir, root, suite)
    if against is None:
        return RunData(run_dir, info, latest, cases,
                       score(cases, latest.values(), planned=info.get("config")),
                       control_tool=NO_TOOL, paper_tools=PAPER_TOOLS)
    c = compare(info, latest, cases, against)
    scores = score(c.cases, c.latest.values(), planned=c.planned)
    scores["reference"] = c.summary()
    return RunData(run_dir, _header(info, c), c.latest, c.cases, scores,
                   control_tool=NO_TOOL, paper_tools=PAPER_TOOLS)


def _header(info: dict[str, Any], c: Comparison) -> dict[str, Any]:
    """``run.json`` as the report's header shows a run against a reference: the run names the
    reference (and the stale cases), the tools list the reference's that joined, the cases
    leave out the stale ones."""
    config = dict(c.planned or {})
    config["tools"] = [*config.get("tools", []), *(f"{t} (reference)" for t in c.added)]
    run_id = info.get("run_id", "?")
    return {**info, "config": config, "reference": c.summary(),
            "run_id": f"{run_id}; " + "; ".join(note(c.summary()))}
