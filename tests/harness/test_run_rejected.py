"""A malformed case does not stop a run: it is named, skipped and written to run.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness import records
from harness.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bench"


def test_malformed_case_is_skipped_named_and_the_run_goes_on(tmp_path, monkeypatch,
                                                              capsys) -> None:
    bench = tmp_path / "bench"
    for case_id in ("gh-fixture-error", "gh-fixture-crash"):
        shutil.copytree(FIXTURES / "bugs" / case_id, bench / "bugs" / case_id)
        (bench / "patches").mkdir(exist_ok=True)
        shutil.copy(FIXTURES / "patches" / f"{case_id}.diff", bench / "patches")
    toml = bench / "bugs" / "gh-fixture-crash" / "case.toml"
    toml.write_text(toml.read_text().replace('task = "', 'task = 3 #"'))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no.sock")
    code = main(["--bench-root", str(bench), "run", "--variants", "buggy", "--tools", "none",
                 "--run-id", "r", "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{toml}: task" in err and "the run goes on" in err
    latest = records.latest(tmp_path / "runs" / "r")
    assert [r["case_id"] for r in latest.values()] == ["gh-fixture-error"]
    info = json.loads((tmp_path / "runs" / "r" / "run.json").read_text())
    assert list(info["rejected_cases"]) == ["gh-fixture-crash"]


def test_an_unknown_case_id_stops_the_run_before_it_starts(tmp_path, capsys) -> None:
    code = main(["--bench-root", str(FIXTURES), "run", "--cases", "gh-fixture-nope",
                 "--run-id", "r", "--runs-dir", str(tmp_path)])
    assert code == 2
    assert "unknown case 'gh-fixture-nope'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
