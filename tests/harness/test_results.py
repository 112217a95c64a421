"""The results API (``harness.results``) and ``deeplocalize score RUN --format`` (issue #17):
a run id or a path names a run; records come back as flat rows; the score tables carry
``harness.scoring.score``'s figures."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness import records, results
from harness.cases import load_case
from harness.cli import main
from harness.scoring import score

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
BENCH = FIXTURES / "bench"  # so-10000001 (separating) and gh-report-nonsep
NESTED = {"findings", "stops", "verdict_raw"}


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the hand-written fixture run at ``tmp_path/runs/fixture``; cwd is tmp_path."""
    target = tmp_path / "runs" / "fixture"
    shutil.copytree(FIXTURES / "run", target)
    monkeypatch.chdir(tmp_path)
    return target


def _latest_and_cases(run_dir: Path) -> tuple[list[dict[str, Any]], dict[str, Any], dict]:
    latest = list(records.latest(run_dir).values())
    cases = {c: load_case(BENCH, c) for c in ("so-10000001", "gh-report-nonsep")}
    planned = json.loads((run_dir / "run.json").read_text())["config"]
    return latest, cases, score(cases, latest, planned=planned)


# --- resolve_run ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["fixture", "runs/fixture", "./runs/fixture"])
def test_resolve_run_takes_an_id_or_a_path_from_cwd(run_dir: Path, value: str) -> None:
    """A bare id is looked up in runs/; ``runs/<id>`` (as `deeplocalize run` prints it) is a
    path, never ``runs/runs/<id>``."""
    assert results.resolve_run(value) == run_dir


def test_resolve_run_takes_absolute_and_relative_paths(run_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = run_dir.parent.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert results.resolve_run(str(run_dir)) == run_dir
    assert results.resolve_run(run_dir) == run_dir
    assert results.resolve_run("../runs/fixture") == run_dir
    # an id, and the runs/<id> form, against a runs folder given by its absolute path
    assert results.resolve_run("fixture", run_dir.parent) == run_dir
    assert results.resolve_run("runs/fixture", str(run_dir.parent)) == run_dir


def test_resolve_run_names_every_path_it_tried(run_dir: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        results.resolve_run("nope")
    message = str(info.value)
    assert "'nope'" in message and "runs/nope" in message and str(run_dir.parent.parent) in message


def test_resolve_run_refuses_a_folder_that_is_no_run(run_dir: Path) -> None:
    (run_dir.parent / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="has neither records.jsonl nor run.json"):
        results.resolve_run("empty")


# --- load_run ------------------------------------------------------------------------------


def test_load_run_has_one_flat_row_per_unit(run_dir: Path) -> None:
    """The latest attempt of each unit (19 keys in 20 lines), the documented columns, and no
    nested value outside the three columns kept nested."""
    df = results.load_run("fixture")
    assert len(df) == len(records.latest(run_dir)) == 19
    assert list(df.columns[:len(results.RECORD_COLUMNS)]) == list(results.RECORD_COLUMNS)
    assert {"final_loss", "final_accuracy", "final_loss_nonfinite"} <= set(df.columns)
    for column in set(df.columns) - NESTED:
        assert not any(isinstance(v, dict | list) for v in df[column]), column
    assert str(df["detected"].dtype) == "boolean" and str(df["seed"].dtype) == "Int64"
    assert df["latest"].all()
    row = df.set_index("key").loc["so-10000001/buggy/deeplocalize/0"]
    assert row["detected"] and row["verdict_source"] == "verdict"
    assert (row["category"], row["finding_layer_index"], row["finding_code"]) == (
        "missing_activation", 1, "EBDW")
    assert (row["stop_iteration"], row["detect_iteration"], row["epochs_run"]) == (20, 20, 1)
    assert row["final_loss_nonfinite"] and pd.isna(row["final_loss"])
    retried = df.set_index("key").loc["so-10000001/patched/keras_union/0"]
    assert retried["status"] == "completed"  # the crashed first line is not the latest


def test_load_run_all_attempts_keeps_retries(run_dir: Path) -> None:
    df = results.load_run(run_dir, all_attempts=True)
    assert len(df) == 20
    tries = df[df["key"] == "so-10000001/patched/keras_union/0"]
    assert list(tries["status"]) == ["crashed", "completed"]
    assert list(tries["latest"]) == [False, True]
    assert tries.iloc[0]["error_type"] == "crashed"


def test_load_run_reads_a_partial_verdict(run_dir: Path) -> None:
    """A unit that timed out after the tool had asked to stop: the streamed verdict."""
    stop = {"batch": 4, "early": True, "epoch": 1, "iteration": 12, "wall_s": 2.5}
    records.append(run_dir, [{
        "schema_version": 3, "key": "so-10000001/buggy/keras_union/1",
        "case_id": "so-10000001", "variant": "buggy", "tool": "keras_union", "seed": 1,
        "attempt": 2, "status": "timeout", "verdict": None,
        "error": {"type": "timeout", "message": "killed"}, "training": None,
        "partial_verdict": {"detected": True, "stop": stop, "findings": [], "category": None,
                            "raw": {}, "partial": True, "stops": [stop]},
        "data": {"mnist": {"origin": "stand-in"}}, "params": {"epochs": 3},
    }])
    row = results.load_run("fixture").set_index("key").loc["so-10000001/buggy/keras_union/1"]
    assert (row["verdict_source"], row["detected"], row["status"]) == ("partial", True, "timeout")
    assert (row["detect_s"], row["detect_epoch"], row["stops"]) == (2.5, 1, [stop])
    assert (row["datasets"], row["data_origin"], row["param_epochs"]) == ("mnist", "stand-in", 3)
    unit = results.scores("fixture", BENCH).units.set_index(["case_id", "variant", "tool", "seed"])
    assert unit.loc[("so-10000001", "buggy", "keras_union", 1), "partial"]


def test_load_run_without_records_is_an_error(run_dir: Path) -> None:
    (run_dir / "records.jsonl").write_text("")
    with pytest.raises(FileNotFoundError, match="no records"):
        results.load_run("fixture")


# --- scores --------------------------------------------------------------------------------


def test_tool_table_has_the_figures_of_score(run_dir: Path) -> None:
    """Every (denominator, tool): counts and rates equal to harness.scoring.score's."""
    _, _, raw = _latest_and_cases(run_dir)
    tools = results.scores("runs/fixture", BENCH).tools
    assert set(tools["denominator"]) == {"real", "paper", "all", "control"}
    for name, group in raw["denominators"].items():
        for tool, s in group["tools"].items():
            row = tools[(tools["denominator"] == name) & (tools["tool"] == tool)].iloc[0]
            assert row["cases"] == len(group["cases"])
            for key in ("tp", "fn", "fp", "tn", "failed_buggy", "missing_buggy", "localized"):
                assert row[key] == s[key], (name, tool, key)
            for key in ("detection", "false_alarm", "localization", "diagnosis"):
                for part, column in (("rate", key), ("low", f"{key}_low"),
                                     ("high", f"{key}_high")):
                    expected = s[key][part]
                    assert (pd.isna(row[column]) if expected is None
                            else row[column] == pytest.approx(expected)), (name, tool, column)
            assert row["failures_crashed"] == s["failures"].get("crashed", 0)
    real = results.scores("fixture", BENCH).headline.set_index("tool")
    assert real.loc["deeplocalize", "detection"] == pytest.approx(raw["tools"]["deeplocalize"][
        "detection"]["rate"])


def test_case_and_unit_tables_follow_the_matrix(run_dir: Path) -> None:
    """Per (case, tool) majority verdicts; per unit the matrix cell, missing seeds left out."""
    _, cases, raw = _latest_and_cases(run_dir)
    s = results.scores("fixture", BENCH)
    by_case = s.cases.set_index(["case_id", "tool"])
    for case_id, result in raw["cases"].items():
        for tool, r in result["tools"].items():
            row = by_case.loc[(case_id, tool)]
            assert (row["detected"], row["buggy"]) == (r["detected"], "/".join(r["buggy"]))
    assert by_case.loc[("so-10000001", "deeplocalize"), "paper_detected"]
    assert not by_case.loc[("gh-report-nonsep", "keras_union"), "in_real"]
    units = s.units.set_index(["case_id", "variant", "tool", "seed"])["outcome"]
    assert units[("so-10000001", "buggy", "deeplocalize", 0)] == "TP+L"
    assert units[("so-10000001", "patched", "deeplocalize", 1)] == "FP"
    assert units[("gh-report-nonsep", "buggy", "deeplocalize", 0)] == "crashed"
    assert "gh-report-nonsep/buggy/deeplocalize/1" in raw["missing"]
    cells = [c for case in raw["matrix"].values() for tool in case.values()
             for v in tool.values() for c in v if c != "missing"]
    assert sorted(cells) == sorted(s.units["outcome"])


def test_detect_columns_agree_with_scoring(run_dir: Path) -> None:
    """load_run's detect_* point is the one scoring times, on every unit scoring detected."""
    df = results.load_run("fixture").set_index(["case_id", "variant", "tool", "seed"])
    units = results.scores("fixture", BENCH).units.set_index(
        ["case_id", "variant", "tool", "seed"])
    detected = units[units["detected"].fillna(False)]
    assert len(detected) >= 4
    for key, unit in detected.iterrows():
        assert (df.loc[key, "detect_s"], df.loc[key, "detect_epoch"],
                df.loc[key, "detect_iteration"]) == (unit["wall_s"], unit["epoch"],
                                                     unit["iteration"])


# --- deeplocalize score RUN --format -------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--bench-root", str(BENCH), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_score_csv_is_the_per_tool_table(run_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`score runs/<id> --format csv` (the path form failed before: runs/runs/<id>)."""
    code, out, err = _cli(capsys, "score", "runs/fixture", "--format", "csv")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    expected = results.scores("fixture", BENCH).tools
    assert list(table.columns) == list(expected.columns)
    assert list(table["tp"]) == list(expected["tp"])
    assert table["detection"].tolist() == pytest.approx(expected["detection"].tolist(),
                                                        nan_ok=True)


@pytest.mark.parametrize("flags", [["--format", "json"], ["--json"]])
def test_score_json_is_the_score_dict(run_dir: Path, capsys: pytest.CaptureFixture[str],
                                      flags: list[str]) -> None:
    code, out, err = _cli(capsys, "score", str(run_dir), *flags)
    assert code == 0, err
    assert json.loads(out) == json.loads((run_dir / "scores.json").read_text())
    assert json.loads(out)["tools"]["deeplocalize"]["tp"] == _latest_and_cases(run_dir)[2][
        "tools"]["deeplocalize"]["tp"]


def test_score_table_is_the_default(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "score", "fixture")
    assert code == 0
    assert out.startswith("real: separating pairs with a real fault") and "| deeplocalize |" in out
    assert _cli(capsys, "score", "fixture", "--format", "table")[1] == out


def test_score_rejects_json_with_another_format(run_dir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "score", "fixture", "--json", "--format", "csv")
    assert code == 2 and "--json and --format csv" in err


def test_score_of_a_missing_run_says_what_was_tried(run_dir: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "score", "runs/nope")
    assert code == 2 and "runs/nope" in err and "runs/runs/nope" in err


def test_report_takes_the_path_form(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = run_dir.parent.parent / "out"
    code, _, err = _cli(capsys, "report", "runs/fixture", "--format", "md", "--out", str(out_dir))
    assert code == 0, err
    assert (out_dir / "report.md").exists()
