"""score and report show each suite a run holds on its own (real cases, mutants)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.mutants.generate import generate
from tests.harness.test_mutants import _parent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture run of the reports tests, plus records of two mutants of one parent."""
    bench = tmp_path / "bench"
    shutil.copytree(FIXTURES / "bench", bench)
    ids = generate(bench, [_parent()]).mutants["toy"][:2]
    run = tmp_path / "runs" / "fixture"
    shutil.copytree(FIXTURES / "run", run)
    template = next(json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()
                    if json.loads(line)["status"] == "completed")
    lines = []
    for case_id, variant, detected in ((ids[0], "buggy", True), (ids[1], "buggy", False),
                                       (ids[0], "patched", False)):
        record = dict(template, case_id=case_id, variant=variant, seed=0, tool="deeplocalize")
        record["key"] = record["unit"] = f"{case_id}/{variant}/deeplocalize/0"
        record["verdict"] = dict(template["verdict"] or {}, detected=detected, findings=[])
        lines.append(json.dumps(record))
    with open(run / "records.jsonl", "a") as out:
        out.write("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    return bench


def test_score_shows_each_suite_on_its_own(mixed: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--bench-root", str(mixed), "score", "fixture"]) == 0
    out = capsys.readouterr().out
    assert out.index("# Suite: real") < out.index("# Suite: mutants")
    run = Path("runs/fixture")
    real = json.loads((run / "scores-real.json").read_text())
    mutants = json.loads((run / "scores-mutants.json").read_text())
    assert all(not c.startswith("mut-") for c in real["cases"])
    assert sorted(mutants["cases"]) and all(c.startswith("mut-") for c in mutants["cases"])
    dl = mutants["tools"]["deeplocalize"]
    assert (dl["tp"], dl["fn"], dl["fp"], dl["tn"]) == (1, 1, 0, 1)
    assert mutants["operators"]


def test_score_and_report_of_one_suite(mixed: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--bench-root", str(mixed), "score", "fixture", "--suite", "mutants"]) == 0
    out = capsys.readouterr().out
    assert "# Suite" not in out and "| deeplocalize |" in out
    assert main(["--bench-root", str(mixed), "report", "fixture", "--format", "md"]) == 0
    assert Path("runs/fixture/report/real/report.md").exists()
    text = Path("runs/fixture/report/mutants/report.md").read_text()
    assert "## Per mutation operator" in text
