"""The reference run (issue #17): pack and load, merging a run with it, stale cases, and a
plugin tool run alone ranked beside the reference's tools by ``score --against``."""

from __future__ import annotations

import gzip
import importlib
import json
import os
import shutil
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import records, reference
from harness.cases import load_case
from harness.cli import main
from harness.results import scores

TESTS = Path(__file__).resolve().parent.parent
REPORTS = TESTS / "fixtures" / "reports"  # a two-case bench and a hand-written run
CASE, NONSEP = "so-10000001", "gh-report-nonsep"
FILES = (reference.RECORDS_FILE, "run.json", reference.DIGESTS_FILE)


def _record(case: str, variant: str, tool: str, seed: int = 0, detected: bool = True,
            **extra: Any) -> dict[str, Any]:
    """A completed record in the shape ``harness.outcome.make_records`` writes (each case's
    own loss semantics, as the fixture run's)."""
    return {"schema_version": 3, "key": f"{case}/{variant}/{tool}/{seed}", "run_id": "mine",
            "case_id": case, "variant": variant, "tool": tool, "seed": seed, "attempt": 1,
            "unit": f"{case}/{variant}/{tool}/{seed}", "status": "completed", "profile": "quick",
            "semantics": "keras3" if case == NONSEP else "keras2", "tool_version": "1",
            "error": None,
            "verdict": {"detected": detected, "stop": None, "findings": [], "category": None,
                        "raw": {}},
            "training": {"train_s": 1.0, "epochs_run": 3, "stopped_early": False},
            "log_dir": f"units/{case}/{variant}/{tool}/seed-{seed}", **extra}


def _run(runs: Path, rows: list[dict[str, Any]], variants: tuple[str, ...] = ("buggy", "patched"),
         run_id: str = "mine") -> Path:
    """A run folder with ``rows`` as its records and a ``run.json`` planning them."""
    run_dir = runs / run_id
    run_dir.mkdir(parents=True)
    records.append(run_dir, rows)
    config = {"run_id": run_id, "case_ids": sorted({r["case_id"] for r in rows}),
              "variants": list(variants), "tools": sorted({r["tool"] for r in rows}),
              "seeds": sorted({r["seed"] for r in rows}), "profile": "quick", "semantics": None}
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_id, "config": config}))
    return run_dir


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    """A writable copy of the two-case report bench (a test may change a case)."""
    return Path(shutil.copytree(REPORTS / "bench", tmp_path / "bench"))


@pytest.fixture
def ref(tmp_path: Path, bench: Path) -> Path:
    """The report fixture run (deeplocalize, keras_union, none; seeds 0 and 1) packed."""
    run_dir = Path(shutil.copytree(REPORTS / "run", tmp_path / "source" / "fixture"))
    reference.pack(run_dir, tmp_path / "ref", root=bench)
    return tmp_path / "ref"


def _cases(bench: Path) -> dict:
    return {c: load_case(bench, c) for c in (CASE, NONSEP)}


def test_pack_is_deterministic_and_loads_back(ref: Path, tmp_path: Path, bench: Path) -> None:
    """Packing twice gives the same bytes (gzip mtime 0); load gives the latest records back."""
    again = reference.pack(tmp_path / "source" / "fixture", tmp_path / "again", root=bench)
    assert [p.name for p in again] == list(FILES)
    for name in FILES:
        assert (ref / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    assert (ref / reference.RECORDS_FILE).read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime
    keys = gzip.decompress((ref / reference.RECORDS_FILE).read_bytes()).decode().splitlines()
    assert [json.loads(k)["key"] for k in keys] == sorted(json.loads(k)["key"] for k in keys)
    loaded = reference.load(ref)
    assert loaded.records == records.latest(tmp_path / "source" / "fixture")
    assert loaded.digests == {c: case.digest() for c, case in _cases(bench).items()}
    assert loaded.tools == ["deeplocalize", "keras_union", "none"]
    assert loaded.tool_versions == {"deeplocalize": "1", "keras_union": "1", "none": None}
    assert loaded.run_id == "fixture" and loaded.code_revision is None


def test_pack_needs_one_digest_per_case(tmp_path: Path) -> None:
    """Records without a digest need the bench root; two digests of one case are refused."""
    run_dir = Path(shutil.copytree(REPORTS / "run", tmp_path / "fixture"))
    with pytest.raises(ValueError, match="carry no case_digest"):
        reference.pack(run_dir, tmp_path / "ref")
    mixed = _run(tmp_path / "runs", [_record(CASE, "buggy", "t", 0, case_digest="a" * 16),
                                     _record(CASE, "buggy", "t", 1, case_digest="b" * 16)])
    with pytest.raises(ValueError, match=f"2 digests of case {CASE}"):
        reference.pack(mixed, tmp_path / "ref")


def test_load_names_the_shipped_reference(tmp_path: Path, ref: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """``"reference"`` is the shipped folder; a missing one says how to make it."""
    monkeypatch.setattr(reference, "SHIPPED", ref)
    assert reference.load("reference").path == ref
    with pytest.raises(FileNotFoundError, match="scripts/reference"):
        reference.load(tmp_path / "nowhere")
    (ref / reference.DIGESTS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="no digests.json"):
        reference.load("reference")


def test_merge_adds_the_tools_the_run_lacks(ref: Path, bench: Path) -> None:
    """The run's own tools win; the reference adds the others with its own seeds, never the
    ``none`` control, only for the run's variants, marked as the reference's."""
    run = [_record(c, "buggy", t) for c in (CASE, NONSEP) for t in ("mine", "keras_union")]
    own = {r["key"]: r for r in run}
    merged = reference.merge(own, reference.load(ref), _cases(bench), {"variants": ["buggy"]})
    assert merged.added == ["deeplocalize"] and merged.stale == []
    added = {k: r for k, r in merged.records.items() if k not in own}
    assert {(r["tool"], r["variant"]) for r in added.values()} == {("deeplocalize", "buggy")}
    assert sorted({r["seed"] for r in added.values()}) == [0, 1]
    assert all(r["source"] == reference.SOURCE and r["log_dir"] is None for r in added.values())
    assert all(merged.records[k] == own[k] for k in own)  # keras_union: the run's records


def test_changed_case_is_stale_on_both_sides(ref: Path, bench: Path, tmp_path: Path) -> None:
    """A case edited after packing is listed as stale and scored for no tool at all."""
    program = bench / "bugs" / CASE / "train.py"
    program.write_text(program.read_text() + "\n# changed since the reference\n")
    run_dir = _run(tmp_path / "runs", [_record(c, v, "mine") for c in (CASE, NONSEP)
                                       for v in ("buggy", "patched")])
    merged = reference.merge(records.latest(run_dir), reference.load(ref), _cases(bench))
    assert merged.stale == [CASE]
    assert {r["case_id"] for r in merged.records.values()} == {NONSEP}
    s = scores(run_dir, root=bench, against=ref)
    assert s.raw["reference"]["stale"] == [CASE]
    assert list(s.raw["cases"]) == [NONSEP] and s.raw["missing"] == []
    assert set(s.tools["tool"]) == {"mine", "deeplocalize", "keras_union"}


def test_score_and_report_against(ref: Path, bench: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``score --against`` names the reference and the stale cases and leaves the run's
    scores.json alone; ``report --against`` writes next to the run's own report."""
    program = bench / "bugs" / NONSEP / "train.py"
    program.write_text(program.read_text() + "\n# changed\n")
    _run(tmp_path / "runs", [_record(c, v, "mine") for c in (CASE, NONSEP)
                             for v in ("buggy", "patched")])
    common = ["--bench-root", str(bench)]
    assert main([*common, "score", "mine", "--runs-dir", str(tmp_path / "runs"),
                 "--against", str(ref)]) == 0
    out = capsys.readouterr().out
    assert f"against the reference {ref} (run fixture, code revision unknown): added " \
           "deeplocalize, keras_union" in out
    assert f"stale since the reference: {NONSEP} (not compared)" in out
    assert "| deeplocalize" in out and "| mine" in out
    assert not (tmp_path / "runs" / "mine" / "scores.json").exists()
    assert main([*common, "report", "mine", "--runs-dir", str(tmp_path / "runs"),
                 "--against", str(ref), "--format", "md"]) == 0
    page = (tmp_path / "runs" / "mine" / "report-against-ref" / "report.md").read_text()
    assert "keras_union (reference)" in page and f"stale since the reference: {NONSEP}" in page


def test_another_profile_is_refused(ref: Path, bench: Path, tmp_path: Path) -> None:
    """A run of the full profile does not compare with a quick reference."""
    run_dir = _run(tmp_path / "runs", [_record(CASE, "buggy", "mine", profile="full")])
    with pytest.raises(ValueError, match="ran profile \\['full'\\] and \\['quick'\\]"):
        scores(run_dir, root=bench, against=ref)


def test_a_packed_run_reads_as_the_run(ref: Path, bench: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """``score``, ``reproduce`` and ``report`` take a packed run's folder: the same scores as
    the source run; a case changed since packing is named on stderr and still read."""
    source = tmp_path / "source" / "fixture"
    assert reference.is_packed(ref) and not reference.is_packed(source)
    assert scores(ref, root=bench).raw == scores(source, root=bench).raw
    metadata = bench / "bugs" / CASE / "case.toml"
    metadata.write_text(metadata.read_text() + "\n# a reason added since packing\n")
    common = ["--bench-root", str(bench)]
    assert main([*common, "reproduce", str(ref), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["columns"]
    assert f"1 case(s) changed since it was packed (their records are of the earlier " \
           f"content): {CASE}" in captured.err
    assert main([*common, "report", str(ref), "--format", "md", "--out",
                 str(tmp_path / "r")]) == 0
    assert CASE in (tmp_path / "r" / "report.md").read_text()


def test_the_shipped_full_profile_run_reads_as_a_run() -> None:
    """``benchmarks/reference-full`` (the full profile's buggy programs, 3 seeds, scripts/
    reproduce-full) loads and scores against the paper in every column it compares."""
    full = reference.SHIPPED.parent / "reference-full"
    ref = reference.load(full)
    assert ref.info["config"]["profile"] == "full"
    assert {r["seed"] for r in ref.records.values()} == {0, 1, 2}
    assert {r["variant"] for r in ref.records.values()} == {"buggy"}
    columns = scores(full).raw["reproduction"]["columns"]
    assert set(columns) == {"terminate_on_nan", "early_stopping_loss", "early_stopping_accuracy",
                            "keras_union", "deeplocalize"}
    assert all(c["agree"] + c["differ"] + c["undecided"] == c["cases"] for c in columns.values())


# --- a plugin tool run alone, against a reference of a built-in tool (real units) -------------

PLUGIN_ROOT = TESTS / "fixtures" / "plugin"
BENCH = TESTS / "fixtures" / "bench"
PLUGIN = "example_nonfinite_loss"


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``pip install tests/fixtures/plugin`` simulated in a throw-away site folder (as in
    ``tests/baselines/test_plugin.py``), on ``sys.path`` and the workers' ``PYTHONPATH``."""
    from baselines.registry import ENTRY_POINT_GROUP

    project = tomllib.loads((PLUGIN_ROOT / "pyproject.toml").read_text())["project"]
    dist = tmp_path / "site" / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    entries = project["entry-points"][ENTRY_POINT_GROUP]
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()))
    paths = [str(tmp_path / "site"), str(PLUGIN_ROOT)]
    for path in reversed(paths):
        monkeypatch.syspath_prepend(path)
    inherited = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths + ([inherited] if inherited else [])))
    importlib.invalidate_caches()
    yield
    sys.modules.pop("deeplocalize_example_plugin", None)


def _real_run(runs: Path, run_id: str, tool: str) -> Path:
    """``deeplocalize run --cases gh-fixture-nan --variants buggy --tools TOOL`` on the fixture
    bench, local executor: one unit, with its ``run.json``."""
    from harness.executors.local import LocalExecutor
    from harness.runner import RunConfig, plan, run_many, write_run_json

    config = RunConfig(run_id=run_id, case_ids=("gh-fixture-nan",), variants=("buggy",),
                       tools=(tool,), seeds=(0,), profile="quick", semantics=None, shared=False,
                       timeout_s=180.0, memory_mb=4096, jobs=1, executor="local")
    run_dir = runs / run_id
    run_dir.mkdir(parents=True)
    write_run_json(run_dir, config, LocalExecutor())
    specs = plan(config, [load_case(BENCH, "gh-fixture-nan")])
    written = run_many(specs, run_dir, LocalExecutor(), jobs=1)
    assert [r["status"] for r in written] == ["completed"], written
    return run_dir


def test_plugin_tool_run_alone_ranks_beside_the_reference(
        installed_plugin: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One run of the plugin tool alone is scored beside the reference's tool, same case."""
    ref = tmp_path / "ref"
    reference.pack(_real_run(tmp_path / "ref-runs", "ref", "terminate_on_nan"), ref)
    _real_run(tmp_path / "runs", "mine", PLUGIN)
    capsys.readouterr()
    assert main(["--bench-root", str(BENCH), "score", "mine", "--runs-dir",
                 str(tmp_path / "runs"), "--against", str(ref), "--format", "json"]) == 0
    captured = capsys.readouterr()
    raw = json.loads(captured.out)
    assert "against the reference" in captured.err
    assert raw["reference"]["added"] == ["terminate_on_nan"] and raw["reference"]["stale"] == []
    assert sorted(raw["tools"]) == [PLUGIN, "terminate_on_nan"]
    for tool in (PLUGIN, "terminate_on_nan"):
        assert raw["tools"][tool]["tp"] == 1, raw["tools"][tool]
        assert raw["cases"]["gh-fixture-nan"]["tools"][tool]["detected"] == "yes"
