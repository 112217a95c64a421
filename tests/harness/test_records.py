"""Append-only JSONL records (foundation issue #2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import records


def _record(key: str, status: str = "completed", **extra) -> dict:
    return {"schema_version": records.SCHEMA_VERSION, "key": key, "status": status, **extra}


def test_last_record_per_key_wins(tmp_path: Path) -> None:
    """A retry appends; readers keep the newest line for each key."""
    records.append(tmp_path, [_record("a", "crashed"), _record("b")])
    records.append(tmp_path, [_record("a", "completed")])
    latest = records.latest(tmp_path)
    assert latest["a"]["status"] == "completed"
    assert len(records.read_all(tmp_path)) == 3


def test_nan_is_stored_as_null(tmp_path: Path) -> None:
    """Non-finite floats never reach the file as bare NaN/Infinity."""
    records.append(tmp_path, [_record("a", loss=float("nan"), **records.finite_or_flag(
        "final", float("inf")))])
    line = (tmp_path / records.RECORDS_FILE).read_text()
    assert "NaN" not in line and "Infinity" not in line
    data = json.loads(line)
    assert data["loss"] is None and data["final"] is None and data["final_nonfinite"] is True


def test_bad_status_is_rejected(tmp_path: Path) -> None:
    """Only the documented statuses can be written."""
    with pytest.raises(records.RecordError, match="bad status 'weird'"):
        records.append(tmp_path, [_record("a", "weird")])


def test_other_schema_version_is_an_error(tmp_path: Path) -> None:
    """A record of another schema version is refused with its line number."""
    (tmp_path / records.RECORDS_FILE).write_text(json.dumps({"schema_version": 99, "key": "a"}))
    with pytest.raises(records.RecordError, match=r"records\.jsonl:1: schema_version 99"):
        records.read_all(tmp_path)


def test_schema_1_records_still_read(tmp_path: Path) -> None:
    """Records written before partial verdicts (schema 1) read back with partial_verdict None."""
    old = {"schema_version": 1, "key": "a", "status": "timeout", "verdict": None}
    (tmp_path / records.RECORDS_FILE).write_text(json.dumps(old) + "\n")
    records.append(tmp_path, [_record("b", "timeout", partial_verdict={"partial": True})])
    latest = records.latest(tmp_path)
    assert latest["a"]["partial_verdict"] is None and latest["a"]["schema_version"] == 1
    assert latest["b"]["partial_verdict"] == {"partial": True}


def test_torn_last_line_is_skipped_with_a_warning(tmp_path: Path, capsys) -> None:
    """A harness killed mid-append leaves a torn last line: skipped, named on stderr."""
    path = tmp_path / records.RECORDS_FILE
    path.write_text(records.dumps(_record("a")) + "\n" + records.dumps(_record("b"))[:25])
    assert [r["key"] for r in records.read_all(tmp_path)] == ["a"]
    err = capsys.readouterr().err
    assert f"{path}:2: skipped a torn last line" in err


def test_append_after_a_torn_line_starts_on_a_fresh_line(tmp_path: Path, capsys) -> None:
    """The next append sets the torn bytes aside (nothing lost) and the file reads clean."""
    path = tmp_path / records.RECORDS_FILE
    torn = records.dumps(_record("b"))[:25]
    path.write_text(records.dumps(_record("a")) + "\n" + torn)
    records.append(tmp_path, [_record("c")])
    assert f"{path}:2: moved a torn last line" in capsys.readouterr().err
    assert [r["key"] for r in records.read_all(tmp_path)] == ["a", "c"]
    assert capsys.readouterr().err == ""  # clean now
    assert (tmp_path / records.TORN_FILE).read_text() == torn + "\n"
    assert path.read_text().endswith("\n") and path.read_text().count("\n") == 2


def test_complete_last_record_without_newline_is_kept(tmp_path: Path) -> None:
    """A last record that lost only its newline is a record; the next append adds the newline."""
    (tmp_path / records.RECORDS_FILE).write_text(records.dumps(_record("a")))
    records.append(tmp_path, [_record("b")])
    assert [r["key"] for r in records.read_all(tmp_path)] == ["a", "b"]
    assert not (tmp_path / records.TORN_FILE).exists()


def test_malformed_middle_line_is_an_error(tmp_path: Path) -> None:
    """A bad line followed by others is corruption, not a torn write: an error naming file:line."""
    lines = [records.dumps(_record("a")), '{"schema_version": 3, "key": "b', records.dumps(
        _record("c"))]
    (tmp_path / records.RECORDS_FILE).write_text("\n".join(lines) + "\n")
    with pytest.raises(records.RecordError, match=r"records\.jsonl:2: not a JSON record"):
        records.read_all(tmp_path)


def test_records_before_schema_3_have_no_code_revision(tmp_path: Path) -> None:
    """Schema-2 records read back with code_revision None (never current on resume)."""
    old = {"schema_version": 2, "key": "a", "status": "completed", "partial_verdict": None}
    (tmp_path / records.RECORDS_FILE).write_text(json.dumps(old) + "\n")
    assert records.latest(tmp_path)["a"]["code_revision"] is None
    records.append(tmp_path, [_record("b", "interrupted")])  # a status of schema 3
    assert records.latest(tmp_path)["b"]["status"] == "interrupted"
