"""Report rows are pure functions of scores and records; Markdown and CSV render the same rows
(issue "Scoring and comparison reports")."""

from __future__ import annotations

import csv
import io

import pytest

from harness.scoring import score
from reports import cells, summary, tables
from reports.views import run_metadata, unit_table

CASE, NONSEP = "so-10000001", "gh-report-nonsep"
STOP = {"epoch": 0, "iteration": 20, "wall_s": 2.0}
EXACT = {"target": "layer", "layer_index": 1, "code": "EBDW", "message": "delta weights"}


@pytest.fixture
def scores(cases, rec):
    """deeplocalize: detects and localizes on both seeds of CASE, crashes on NONSEP."""
    return score(cases, [
        rec(CASE, tool="deeplocalize", seed=0, detected=True, finding=EXACT, stop=STOP),
        rec(CASE, tool="deeplocalize", seed=1, detected=True, finding=EXACT, stop=STOP),
        rec(CASE, "patched", tool="deeplocalize", seed=0),
        rec(NONSEP, tool="deeplocalize", seed=0, status="crashed"),
        rec(CASE, tool="keras_union", seed=0, detected=True, stop=STOP),
    ])


def test_rate_shows_percentage_and_interval() -> None:
    """fmt_rate prints the rate and its Wilson bounds; no runs prints a dash."""
    assert cells.fmt_rate({"n": 2, "rate": 0.5, "low": 0.0945, "high": 0.9055}) == (
        "50% [9%–91%]")
    assert cells.fmt_rate({"n": 0, "rate": None, "low": None, "high": None}) == "–"


def test_epochs_are_shown_from_one() -> None:
    """A 0-based epoch is printed the way the paper counts (from 1)."""
    assert (cells.fmt_epoch(0), cells.fmt_epoch(1.5), cells.fmt_epoch(None)) == (
        "1", "2.5", "–")


def test_summary_row_has_denominator_failures_and_interval(scores) -> None:
    """The per-tool row prints runs, failed units by status and the detection interval; the
    headline leaves out the non-separating pair, the 'all' denominator keeps it."""
    every = scores["denominators"]["all"]["tools"]
    row = next(r for r in summary.summary_rows(scores, every) if r["tool"] == "deeplocalize")
    assert (row["buggy_runs"], row["TP"], row["failed_buggy"]) == ("3", "2", "1")
    assert row["failures"] == "crashed 1"
    assert row["detection"] == "67% [21%–94%]"
    head = next(r for r in summary.summary_rows(scores) if r["tool"] == "deeplocalize")
    assert (head["buggy_runs"], head["TP"], head["failed_buggy"]) == ("2", "2", "0")


def test_summary_csv_has_every_denominator(scores) -> None:
    """summary.csv tells the case sets apart in its first column."""
    rows = summary.summary_csv_rows(scores)
    assert {r["denominator"] for r in rows} == {"real", "paper", "all", "control"}
    table = summary.denominator_table(scores)
    assert any(r["denominator"].startswith("real:") for r in table.rows)


def test_matrix_cell_detected_localized_and_paper(scores) -> None:
    """Both seeds localize, the paper also detected and localized: ✓L, no 'differs'."""
    cell = tables.matrix_cell(scores["cases"][CASE]["tools"]["deeplocalize"])
    assert cell["text"] == "✓L 2/2 · FA 0/1 · paper ✓L"
    assert cell["cls"] == "yes"


def test_matrix_cell_marks_disagreement_with_the_paper(scores) -> None:
    """keras_union detects a case the paper's union missed: the cell says so."""
    cell = tables.matrix_cell(scores["cases"][CASE]["tools"]["keras_union"])
    assert cell["text"] == "✓ 1/1 · paper ✗ (differs)"
    assert "differ" in cell["cls"].split()


def test_matrix_cell_of_a_case_whose_seeds_all_failed(scores) -> None:
    """No completed seed: the cell says failed and which status, and the paper's '–'."""
    cell = tables.matrix_cell(scores["cases"][NONSEP]["tools"]["deeplocalize"])
    assert cell["text"] == "failed 0/1 · 1 crashed · paper –"


def test_matrix_flags_non_separating_cases(scores) -> None:
    """The non-separating case is flagged in the matrix rows (and so in every format)."""
    _, rows = tables.matrix_rows(scores)
    assert {r["case"]: r["flags"] for r in rows}[NONSEP] == "non-separating"


def test_headline_totals_come_from_the_data_file(scores) -> None:
    """The paper's headline numbers are read from reports/paper_totals.toml."""
    headline = tables.load_paper_headline()
    rows = {r["paper_column"]: r for r in tables.paper_headline_table(scores, headline).rows}
    assert rows["keras_union"]["headline_detected"] == "32/40"
    assert (rows["deeplocalize"]["headline_detected"],
            rows["deeplocalize"]["headline_localized"]) == ("34/40", "21/40")


def test_paper_totals_table_sets_ours_next_to_the_papers(scores) -> None:
    """Per tool: our case totals, the paper's over the same cases, its headline."""
    table = tables.paper_totals_table(scores, tables.load_paper_headline())
    row = next(r for r in table.rows if r["tool"] == "deeplocalize")
    assert (row["ours_detected"], row["paper_detected"], row["headline_detected"]) == (
        "1/2", "1/1", "34/40")


def test_overhead_table_is_empty_without_control_runs(scores) -> None:
    """No 'none' records: the overhead table has no rows."""
    assert tables.overhead_table(scores).rows == []


def test_failures_table_lists_failed_and_missing_units(cases, rec) -> None:
    """Failed records and planned-but-missing units both appear, with their status."""
    recs = [rec(seed=0, status="timeout")]
    plan = {"case_ids": [CASE], "tools": ["t"], "variants": ["buggy"], "seeds": [0, 1]}
    result = score(cases, recs, planned=plan)
    rows = tables.failures_table(result, {r["key"]: r for r in recs}).rows
    assert [(r["seed"], r["status"]) for r in rows] == [("0", "timeout"), ("1", "missing")]


def test_markdown_escapes_pipes() -> None:
    """A '|' inside a cell does not split the Markdown column."""
    text = cells.markdown(("a",), [{"a": "x | y"}])
    assert text.splitlines()[-1] == "| x \\| y |"


def test_markdown_and_csv_render_the_same_rows(scores) -> None:
    """Every CSV cell of the matrix appears verbatim in its Markdown table."""
    table = tables.matrix_table(scores)
    md = cells.table_markdown(table)
    parsed = list(csv.DictReader(io.StringIO(cells.to_csv(table.columns, table.rows))))
    assert parsed == table.rows
    assert all(row[c] in md for row in parsed for c in table.columns if row[c])


def test_run_metadata_repeats_revision_and_versions() -> None:
    """The header names the git revision (and a dirty tree), packages and hardware."""
    info = {"run_id": "r", "harness": {"commit": "abcdef1234567890", "dirty": True},
            "env": {"packages": {"keras": "3.15.1"}, "machine": "x86_64", "cpus": 2},
            "config": {"profile": "quick", "semantics": None}}
    meta = dict(run_metadata(info, {"k": {"status": "completed", "case_id": CASE,
                                          "semantics": "keras2"}}))
    assert meta["harness revision"] == "abcdef123456 (dirty tree)"
    assert meta["packages"] == "keras 3.15.1"
    assert meta["semantics"] == "each case's own (keras2)"
    assert meta["hardware"].startswith("x86_64, 2 CPU(s)")


def test_unit_table_shows_a_nan_loss_as_non_finite(cases, rec) -> None:
    """A loss stored as null with loss_nonfinite reads 'non-finite', not blank or 0."""
    record = rec(seed=0, detected=True, stop=STOP, loss=None)
    table = unit_table(CASE, score(cases, [record]), [record])
    assert table.rows[0]["final_loss"] == "non-finite (nan)"
    assert table.rows[0]["stop"] == "ep 1 · it 20 · 2.00 s"
