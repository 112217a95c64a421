"""The HTML report renders from a tiny hand-written run with StrictUndefined, is self-contained
and carries the key cells; ``deeplocalize report --format`` writes what it is asked
(issue "Scoring and comparison reports")."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from harness.cli import main
from harness.reporting import load_run
from reports import plots
from reports.render import environment, index_context, parse_formats, write_report
from reports.tables import build_tables, load_paper_headline


@pytest.fixture
def report(rendered_report: Path) -> Path:
    """The fixture run's report folder, all formats written."""
    return rendered_report


def test_every_format_is_written(report: Path) -> None:
    """HTML (index + one page per case), Markdown with its PNG figures, and CSV tables."""
    names = {p.relative_to(report).as_posix() for p in report.rglob("*") if p.is_file()}
    assert {"index.html", "cases/so-10000001.html", "cases/gh-report-nonsep.html",
            "report.md", "summary.csv", "matrix.csv", "paper_totals.csv",
            "plots/rates.png"} <= names


def test_index_has_the_key_cells(report: Path) -> None:
    """Summary interval, matrix cell with the paper's verdict, headline totals, failures."""
    html = (report / "index.html").read_text()
    assert "67% [21%–94%]" in html  # deeplocalize detection: 2 of 3 buggy runs
    assert "✓ 2/2 · L 1/2 · FA 1/2 · paper ✓L" in html
    assert "✗ 0/2 · FA 0/2 · paper ✓ (differs)" in html
    assert "32/40" in html and "34/40" in html and "21/40" in html
    assert "feedc0de1234 (dirty tree)" in html
    assert "planned in run.json, no record" in html


def test_index_marks_the_non_separating_case(report: Path) -> None:
    """The non-separating case carries its flag and CSS mark in the matrix."""
    html = (report / "index.html").read_text()
    assert '<td class="nonsep"><a href="cases/gh-report-nonsep.html">' in html
    assert "non-separating" in html


def test_case_page_has_truth_patch_curves_and_findings(report: Path) -> None:
    """A case page shows ground truth, the patch, an inline SVG of curves, every unit."""
    html = (report / "cases" / "so-10000001.html").read_text()
    assert "relu on the hidden layer, softmax output" in html
    assert "+# fixed: Dense(16, activation=&#34;relu&#34;)" in html
    assert "<svg" in html and "no-tool control runs" in html
    assert "EBDW @ layer 1 dense_1" in html
    assert "non-finite (nan)" in html
    assert "missing_activation (correct)" in html


def test_html_escapes_case_text(report: Path) -> None:
    """Case metadata is text, not markup: autoescape is on."""
    html = (report / "index.html").read_text()
    assert "&lt;b&gt;activation&lt;/b&gt;" in html and "<b>activation" not in html


def test_html_is_self_contained(report: Path) -> None:
    """No scripts, stylesheets or images fetched from anywhere: opens from disk."""
    for page in report.rglob("*.html"):
        html = page.read_text()
        assert "<script" not in html and "<link" not in html and "<img" not in html
        assert "src=" not in html and not re.search(r"url\((?!#)", html)


def test_rendering_is_deterministic(fixture_run: Path, report_bench: Path, tmp_path: Path) -> None:
    """The same run renders to byte-identical HTML (stable order, SVG ids, no dates)."""
    data = load_run(fixture_run, report_bench)
    write_report(data, formats=("html",), out=tmp_path / "a")
    write_report(data, formats=("html",), out=tmp_path / "b")
    for name in ("index.html", "cases/so-10000001.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_missing_template_field_is_an_error(fixture_run: Path, report_bench: Path) -> None:
    """StrictUndefined: a view model without a field fails instead of leaving a blank."""
    data = load_run(fixture_run, report_bench)
    tables = build_tables(data.scores, data.latest, load_paper_headline())
    context = index_context(data, tables, [], {})
    environment().get_template("run.html.j2").render(context)  # complete: renders
    del context["run_id"]
    with pytest.raises(jinja2.UndefinedError, match="run_id"):
        environment().get_template("run.html.j2").render(context)


def test_svg_is_inline_ready() -> None:
    """to_svg returns a bare <svg> element without XML prolog or creation date."""
    fig = plots.training_curves([{"variant": "buggy", "label": "u", "fits": [
        {"history": {"loss": [1.0, None], "accuracy": [0.5, 0.5]}}]}])
    svg = plots.to_svg(fig, "t")
    assert svg.startswith("<svg") and "<?xml" not in svg and "<dc:date>" not in svg


def test_unknown_format_is_rejected() -> None:
    """--format names only html, md and csv."""
    with pytest.raises(ValueError, match="pdf"):
        parse_formats("html,pdf")


def test_report_command_writes_only_the_formats_asked(fixture_run: Path, report_bench: Path,
                                                      tmp_path: Path) -> None:
    """`deeplocalize report RUN --format md,csv --out DIR` writes no HTML."""
    out = tmp_path / "out"
    code = main(["--bench-root", str(report_bench), "report", "fixture", "--runs-dir",
                 str(fixture_run.parent), "--format", "md,csv", "--out", str(out)])
    assert code == 0
    assert (out / "report.md").exists() and (out / "matrix.csv").exists()
    assert not (out / "index.html").exists()


def test_report_command_defaults_to_the_runs_report_folder(fixture_run: Path,
                                                           report_bench: Path) -> None:
    """Without --out the report goes to runs/<run>/report/, all formats."""
    code = main(["--bench-root", str(report_bench), "report", "fixture", "--runs-dir",
                 str(fixture_run.parent)])
    assert code == 0
    assert {"index.html", "report.md", "summary.csv"} <= {
        p.name for p in (fixture_run / "report").iterdir()}
