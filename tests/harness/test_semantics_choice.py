"""benchmarks/semantics.py picks, per case, the loss semantics whose losses come closest to the
paper's Tables IV/V (issue #11, item 3), by a rule fixed before any run: losses only."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASE = "so-48385830"  # paper: buggy NaN, patched 0.1477; semantics keras2


@pytest.fixture(scope="module")
def semantics():
    spec = importlib.util.spec_from_file_location("semantics_choice",
                                                  ROOT / "benchmarks" / "semantics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_published_losses_and_distances(semantics) -> None:
    """Table strings parse to their loss; distances are log10 ratios, NaN only matches NaN."""
    assert semantics.published_loss("11023.3321 / 0.098") == 11023.3321
    assert semantics.published_loss("1E-05") == 1e-05
    assert math.isnan(semantics.published_loss("NaN / 0.0987"))
    assert semantics.published_loss("- / 0.5") is None and semantics.published_loss(None) is None
    assert semantics.distance(10.0, 1.0) == pytest.approx(1.0)
    assert semantics.distance(math.inf, math.nan) == 0.0
    assert semantics.distance(1.0, math.nan) == semantics.MISS
    assert semantics.distance(None, 1.0) is None


def _run(tmp_path: Path, name: str, semantics_name: str, buggy: float, patched: float) -> Path:
    run = tmp_path / name
    run.mkdir()
    lines = []
    for variant, loss in (("buggy", buggy), ("patched", patched)):
        metrics = ({"loss": None, "loss_nonfinite": True} if not math.isfinite(loss)
                   else {"loss": loss})
        lines.append(json.dumps({
            "key": f"{CASE}/{variant}/keras_union/0", "case_id": CASE, "variant": variant,
            "tool": "keras_union", "seed": 0, "attempt": 1, "status": "completed",
            "semantics": semantics_name, "schema_version": 3,
            "training": {"metrics": metrics}}))
    (run / "records.jsonl").write_text("\n".join(lines) + "\n")
    return run


def test_the_closest_semantics_wins_only_by_a_factor_of_two(semantics, tmp_path, capsys) -> None:
    """Another semantics replaces the case's own only when it is closer by more than 0.3
    (log10); a run given later overrides an earlier one for the same unit."""
    # d = mean over both variants; the buggy NaN matches in both, so d = |log10 ratio| / 2
    own = _run(tmp_path, "own", "keras2", math.inf, 1.0)  # patched 6.8x the paper's 0.1477
    near = _run(tmp_path, "near", "tfkeras", math.inf, 0.2)  # 1.35x: closer by 0.35
    assert semantics.main([str(own), str(near), "--bench-root", str(ROOT)]) == 0
    assert f"{CASE}: keras2 -> tfkeras" in capsys.readouterr().out
    slightly = _run(tmp_path, "slightly", "tfkeras", math.inf, 0.5)  # closer by only 0.15
    assert semantics.main([str(own), str(near), str(slightly), "--bench-root", str(ROOT)]) == 0
    assert "0 case(s) closer" in capsys.readouterr().out
