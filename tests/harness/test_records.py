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
