"""Wiring between a run folder and the reports: load, score, and hand :mod:`reports` its data.

:func:`load_run` reads what a run left behind (``run.json``, ``records.jsonl``) and the case
metadata, scores it (:func:`harness.scoring.score` is pure) and returns the
:class:`reports.render.RunData` the report renders; :mod:`reports` itself imports nothing from
the harness. One of the two wiring modules (with :mod:`harness.cli`) allowed to import both
(``docs/architecture.md``).
"""

from __future__ import annotations

from pathlib import Path

from harness.results import read_run
from harness.scoring import NO_TOOL, score
from harness.vocab import PAPER_TOOLS
from reports.render import RunData


def load_run(run_dir: Path, root: Path) -> RunData:
    """Read and score a run. Cases are those with records plus those ``run.json`` planned.

    Args:
        run_dir: The run folder.
        root: The benchmark root (``bugs/``, ``patches/``).

    Raises:
        FileNotFoundError: The run has no records.
    """
    info, latest, cases = read_run(run_dir, root)
    planned = info.get("config")
    return RunData(
        run_dir, info, latest, cases, score(cases, latest.values(), planned=planned),
        control_tool=NO_TOOL, paper_tools=PAPER_TOOLS,
    )
