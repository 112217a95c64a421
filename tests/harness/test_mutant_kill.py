"""The kill test of the mutant suite: exact rank-sum p, effect size, verdicts, suite filter."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.mutants.kill import (
    cohens_d,
    decide,
    entry,
    killed_only,
    load_kills,
    rank_sum_p,
    save_kills,
)

ACC, LOSS = ("accuracy", True), ("loss", False)


def _runs(variant: str, metric: str, values: list[float], status: str = "completed") -> list:
    return [{"variant": variant, "seed": i, "status": status,
             "training": {"metrics": {"loss": 1.0, metric: v}}} for i, v in enumerate(values)]


def test_rank_sum_p_is_exact() -> None:
    assert rank_sum_p([1, 2, 3], [4, 5, 6]) == pytest.approx(1 / 20)  # C(6,3) = 20 orderings
    assert rank_sum_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(1 / 252)
    assert rank_sum_p([4, 5, 6], [1, 2, 3]) == pytest.approx(1.0)
    assert rank_sum_p([1, 1, 1], [1, 1, 1]) == pytest.approx(1.0)  # all tied: no evidence
    assert rank_sum_p([1, 2, 4], [3, 5, 6]) == pytest.approx(2 / 20)


def test_cohens_d_handles_infinities_and_zero_spread() -> None:
    assert cohens_d([0.0, 0.0], [1.0, 1.0]) == math.inf
    assert cohens_d([1.0, 1.0], [1.0, 1.0]) == 0.0
    assert cohens_d([0.1, 0.2], [math.inf, 0.3]) == math.inf
    assert cohens_d([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == pytest.approx(1.0)


def test_a_case_parent_is_scored_on_its_patched_oracle() -> None:
    from harness.cases import load_case
    from harness.mutants.parents import oracle_score

    root = Path(__file__).resolve().parents[2]
    # so-58609115: eval_loss max 0.2 comes before eval_accuracy (its binary accuracy is
    # 0.986 whatever the model does)
    assert oracle_score(load_case(root, "so-58609115")) == ("eval_loss", False)
    assert oracle_score(load_case(root, "so-59325381")) == ("eval_accuracy", True)
    # so-50079585: "loss min = 0.0" is a sanity bound (a cross-entropy is never negative)
    assert oracle_score(load_case(root, "so-50079585")) == ("val_accuracy", True)


def test_metric_direction_comes_from_the_name() -> None:
    from harness.mutants.parents import metric_direction

    assert [metric_direction(m) for m in ("loss", "val_loss", "eval_mae", "mean_squared_error")] \
        == [False] * 4
    assert [metric_direction(m) for m in ("accuracy", "val_acc", "eval_categorical_accuracy")] \
        == [True] * 3
    assert metric_direction("f1") is None


def test_verdicts() -> None:
    parent = _runs("patched", "accuracy", [0.95, 0.96, 0.97])
    assert decide(ACC, "epochs", parent, _runs("buggy", "accuracy", [0.5, 0.6, 0.55])
                  ).verdict == "killed"
    assert decide(ACC, "epochs", parent, _runs("buggy", "accuracy", [0.96, 0.95, 0.97])
                  ).verdict == "equivalent"
    overlap = decide(ACC, "epochs", parent, _runs("buggy", "accuracy", [0.5, 0.6, 0.98]))
    assert overlap.verdict == "equivalent" and overlap.p == pytest.approx(0.35)
    crashed = decide(ACC, "epochs", parent, _runs("buggy", "accuracy", [0.5] * 3, "crashed"))
    assert crashed.verdict == "failed" and "crashed" in crashed.why


def test_a_nonfinite_loss_is_the_worst_score_and_a_swapped_loss_is_incomparable() -> None:
    parent = _runs("patched", "loss", [0.10, 0.12, 0.11])
    nan = decide(LOSS, "learning_rate", parent,
                 _runs("buggy", "loss", [float("nan"), float("inf"), float("nan")]))
    assert nan.verdict == "killed" and nan.d == math.inf
    swapped = decide(LOSS, "swap_loss", parent, _runs("buggy", "loss", [0.0] * 3))
    assert swapped.verdict == "incomparable"
    penalised = decide(LOSS, "regularisation", parent, _runs("buggy", "loss", [9.0] * 3))
    assert penalised.verdict == "incomparable"
    absent = decide(("eval_accuracy", True), "epochs", parent, _runs("buggy", "loss", [1.0] * 3))
    assert absent.verdict == "failed" and "eval_accuracy" in absent.why


def test_only_killed_mutants_of_the_current_content_run(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    from harness.cases import load_case
    from harness.mutants.generate import generate
    from tests.harness.test_mutants import _parent

    ids = generate(tmp_path, [_parent()]).mutants["toy"][:3]
    cases = [load_case(tmp_path, i) for i in ids]
    parent = _runs("patched", "accuracy", [0.95, 0.96, 0.97])
    killed = decide(ACC, "x", parent, _runs("buggy", "accuracy", [0.1, 0.2, 0.3]))
    same = decide(ACC, "x", parent, _runs("buggy", "accuracy", [0.95, 0.96, 0.97]))
    kills = {ids[0]: entry(cases[0], killed, 3, "quick", "r"),
             ids[1]: entry(cases[1], same, 3, "quick", "r")}
    save_kills(tmp_path, kills)
    assert load_kills(tmp_path)[ids[0]]["verdict"] == "killed"
    assert [c.id for c in killed_only(tmp_path, cases)] == [ids[0]]
    assert "1 equivalent, 1 unverified" in capsys.readouterr().out
    (cases[0].folder / "train.py").write_text("# changed\n")  # another digest: unverified
    assert killed_only(tmp_path, [load_case(tmp_path, ids[0])]) == []
