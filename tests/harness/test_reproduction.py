"""The reproduction of the paper (issue #11): our verdict per paper column next to the paper's,
joined with the reasons people recorded in ``[[reproduction]]`` from measurements."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from harness.cases import CaseError, load_case
from harness.scoring import score
from reports.reproduction import reproduction_tables

CASE = "so-48385830"  # the paper: every Keras column detected; TerminateOnNaN at epoch 1


@pytest.fixture
def case(repo_root: Path):
    return load_case(repo_root, CASE)


def _with_reasons(case, *reasons: dict):
    return dataclasses.replace(case, meta={**case.meta, "reproduction": list(reasons)})


def _rec(tool: str, seed: int, detected: bool, *, variant: str = "buggy", profile="quick",
         status="completed", epoch: int | None = None) -> dict:
    stop = {"epoch": epoch, "early": True, "wall_s": 1.0} if detected else None
    return {"key": f"{CASE}/{variant}/{tool}/{seed}", "case_id": CASE, "variant": variant,
            "tool": tool, "seed": seed, "status": status, "profile": profile,
            "verdict": {"detected": detected, "stop": stop, "findings": []}
            if status == "completed" else None,
            "training": {"train_s": 1.0, "epochs_run": 3, "epochs_configured": 3,
                         "metrics": {"loss": 0.25, "accuracy": 0.5}},
            "data": {"mnist": {"source": "stand_in", "origin": "stand-in"}}}


def _rows(case, records) -> dict[str, dict]:
    rep = score({CASE: case}, records)["reproduction"]
    return {r["column"]: r for r in rep["rows"]}, rep


def test_agreement_and_an_unexplained_difference(case) -> None:
    """A column that matches the paper agrees; one that does not, with no reason recorded, is
    unexplained, and the seeds' numbers say what was measured."""
    records = [_rec("early_stopping_loss", s, True, epoch=1) for s in range(3)]
    records += [_rec("early_stopping_accuracy", s, s == 0, epoch=1) for s in range(3)]
    rows, rep = _rows(case, records)
    assert rows["early_stopping_loss"]["state"] == "agree"
    acc = rows["early_stopping_accuracy"]
    assert (acc["ours"], acc["paper"], acc["state"]) == ("no", True, "unexplained")
    assert acc["measured"][0] == "seed 0: stopped at epoch 2 of 3, loss 0.25, accuracy 0.5"
    assert acc["measured"][1] == "seed 1: no stop in 3 of 3 epochs, loss 0.25, accuracy 0.5"
    assert acc["data"] == "mnist: stand-in"
    no_module = [dict(r, data={}) for r in records]
    rows, _ = _rows(case, no_module)
    assert rows["early_stopping_accuracy"]["data"] == "mnist (in the program)"
    summary = rep["columns"]["early_stopping_accuracy"]
    assert (summary["agree"], summary["differ"], summary["unexplained"]) == (0, 1, 1)


def test_a_reason_explains_only_its_profile_and_columns(case) -> None:
    """A reason recorded for the quick profile explains a quick run's difference in its
    columns, not a full run's, nor another column; ``any`` explains both profiles."""
    reasoned = _with_reasons(
        case,
        {"profile": "quick", "columns": ["early_stopping_accuracy"], "reason": "port:profile",
         "measured": "3 epochs: EarlyStopping cannot stop before the last one"},
        {"profile": "any", "columns": ["terminate_on_nan"], "reason": "port:data",
         "measured": "the stand-in never produces a NaN"})
    quick = [_rec("early_stopping_accuracy", 0, False), _rec("early_stopping_loss", 0, False),
             _rec("terminate_on_nan", 0, False)]
    rows, rep = _rows(reasoned, quick)
    assert rows["early_stopping_accuracy"]["state"] == "explained"
    assert rows["early_stopping_accuracy"]["reasons"] == ["port:profile"]
    assert rows["early_stopping_loss"]["state"] == "unexplained"
    assert rows["terminate_on_nan"]["reasons"] == ["port:data"]
    assert rep["columns"]["early_stopping_accuracy"]["explained"] == {"port:profile": 1}
    full = [dict(r, profile="full") for r in quick]
    rows, _ = _rows(reasoned, full)
    assert rows["early_stopping_accuracy"]["state"] == "unexplained"
    assert rows["terminate_on_nan"]["state"] == "explained"


def test_a_reason_for_a_column_that_now_agrees_is_stale(case) -> None:
    """A recorded reason whose column agrees with the paper is shown as stale, not dropped."""
    reasoned = _with_reasons(case, {"profile": "quick", "columns": ["early_stopping_loss"],
                                    "reason": "port:profile", "measured": "..."})
    rows, rep = _rows(reasoned, [_rec("early_stopping_loss", 0, True, epoch=1)])
    assert rows["early_stopping_loss"]["state"] == "stale"
    assert rep["columns"]["early_stopping_loss"]["stale"] == 1


def test_failed_seeds_and_a_tie_are_undecided(case) -> None:
    """A tie between seeds is undecided: neither an agreement nor a difference."""
    records = [_rec("early_stopping_loss", 0, True, epoch=1),
               _rec("early_stopping_loss", 1, False)]
    rows, rep = _rows(case, records)
    assert rows["early_stopping_loss"]["state"] == "undecided"
    assert rep["columns"]["early_stopping_loss"]["undecided"] == 1
    rows, _ = _rows(case, [_rec("early_stopping_loss", 0, False, status="timeout")])
    assert rows["early_stopping_loss"]["measured"] == ["seed 0: timeout"]


def test_the_report_tables_show_the_reason_and_the_counts(case) -> None:
    """The report's reproduction tables carry the reason class and the per-column counts."""
    reasoned = _with_reasons(case, {"profile": "quick", "columns": ["early_stopping_loss"],
                                    "reason": "port:profile", "measured": "1 epoch only"})
    scores = score({CASE: reasoned}, [_rec("early_stopping_loss", 0, False)])
    tables = reproduction_tables(scores)
    (column,) = tables["reproduction_columns"].rows
    assert (column["agree"], column["explained"]) == ("0/1", "port: profile 1")
    (row,) = tables["reproduction_cases"].rows
    assert row["reason"] == "port: profile: 1 epoch only"
    assert row["state"] == "differs"


@pytest.fixture
def bench(tmp_path: Path, fixture_bench: Path) -> Path:
    root = tmp_path / "bench"
    shutil.copytree(fixture_bench, root)
    return root


def _append(bench: Path, text: str) -> None:
    path = bench / "bugs" / "gh-fixture-nan" / "case.toml"
    path.write_text(path.read_text() + text)


def test_the_metadata_schema_checks_every_reason(bench: Path) -> None:
    """A [[reproduction]] entry with an unknown reason, column or profile is rejected with its
    dotted path; a valid one loads."""
    _append(bench, '\n[[reproduction]]\nprofile = "quick"\ncolumns = ["keras_union"]\n'
                   'reason = "port:profile"\nmeasured = "seed 0: no stop in 1 of 1 epochs"\n')
    loaded = load_case(bench, "gh-fixture-nan")
    assert loaded.meta["reproduction"][0]["reason"] == "port:profile"
    _append(bench, '\n[[reproduction]]\nprofile = "fast"\ncolumns = ["keras"]\n'
                   'reason = "because"\n')
    with pytest.raises(CaseError) as info:
        load_case(bench, "gh-fixture-nan")
    message = str(info.value)
    assert "reproduction[1].profile: 'fast' is not one of" in message
    assert "reproduction[1].columns: 'keras' is not one of" in message
    assert "reproduction[1].reason: 'because' is not one of" in message
    assert "reproduction[1].measured: required key is missing" in message


def test_a_reason_needs_the_papers_results(bench: Path) -> None:
    """A case without a [paper] table (one added later) cannot explain a difference from it."""
    path = bench / "bugs" / "gh-fixture-nan" / "case.toml"
    text = path.read_text()
    assert text.rstrip().endswith('[paper]\ntable = "VII"\nrow = 0')
    path.write_text(text[:text.index("[paper]")])
    _append(bench, '\n[[reproduction]]\nprofile = "any"\ncolumns = ["keras_union"]\n'
                   'reason = "paper"\nmeasured = "x"\n')
    with pytest.raises(CaseError, match=r"reproduction: explains differences from the paper"):
        load_case(bench, "gh-fixture-nan")
