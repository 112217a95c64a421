"""benchmarks/same_verdicts.py: two runs' verdicts, unit by unit (issue #16)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from harness import records

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "same_verdicts.py"


def _module():
    spec = importlib.util.spec_from_file_location("same_verdicts", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _record(key: str, detected: bool, stop_batch: int | None, wall_s: float) -> dict:
    finding = {"code": "MDL", "iteration": 100, "wall_s": wall_s}
    stop = None if stop_batch is None else {"batch": stop_batch, "wall_s": wall_s}
    return {"key": key, "status": "completed", "schema_version": records.SCHEMA_VERSION,
            "verdict": {"detected": detected, "findings": [finding] if detected else [],
                        "stop": stop}}


def test_seconds_are_ignored_a_moved_stop_is_told_apart_and_a_new_verdict_differs(
        tmp_path: Path, capsys) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    records.append(a, [_record("x/buggy/t/0", True, 5, 1.0), _record("y/buggy/t/0", True, 5, 1.0),
                       _record("z/patched/t/0", False, None, 0.0),
                       _record("w/buggy/t/0", True, 5, 1.0)])
    records.append(b, [_record("x/buggy/t/0", True, 5, 2.5), _record("y/buggy/t/0", True, 9, 1.0),
                       _record("z/patched/t/0", True, 3, 0.0)])
    module = _module()
    result = module.compare(a, b)
    assert result["same"] == ["x/buggy/t/0"]
    assert result["stop_moved"] == ["y/buggy/t/0"]
    assert result["differ"] == ["z/patched/t/0"]
    assert result["only_a"] == ["w/buggy/t/0"] and result["only_b"] == []
    assert module.main([str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert "3 records compared: 1 the same, 1 the same but for the batch" in out
    assert module.main([str(a), str(a)]) == 0
