"""Case metadata validation and the fast case linter (foundation issue #2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.cases import CaseError, check_case, load_case


@pytest.fixture
def bench(tmp_path: Path, fixture_bench: Path) -> Path:
    """A writable copy of the fixture benchmark."""
    root = tmp_path / "bench"
    shutil.copytree(fixture_bench, root)
    return root


def _edit(bench: Path, case_id: str, old: str, new: str) -> None:
    path = bench / "bugs" / case_id / "case.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_valid_fixture_case_loads(bench: Path) -> None:
    """A well-formed case loads into a Case with its oracle and profiles."""
    case = load_case(bench, "gh-fixture-nan")
    assert case.params("quick") == {"epochs": 3}
    assert case.oracle["buggy"][0].nonfinite is True
    assert case.targets == ("hyperparameter",)


def test_unknown_key_names_path_and_expected_keys(bench: Path) -> None:
    """An unknown key is rejected with its dotted path and the allowed keys."""
    _edit(bench, "gh-fixture-nan", 'symptom = "nan_loss"', 'symptom = "nan_loss"\nsymtom = "x"')
    with pytest.raises(CaseError, match=r"ground_truth\.symtom: unknown key 'symtom' \(expected"):
        load_case(bench, "gh-fixture-nan")


def test_missing_required_key_is_reported(bench: Path) -> None:
    """A missing required key names its path."""
    _edit(bench, "gh-fixture-nan", 'task = "regression"\n', "")
    with pytest.raises(CaseError, match=r"case\.toml: task: required key is missing"):
        load_case(bench, "gh-fixture-nan")


def test_wrong_type_and_vocabulary_errors_are_all_listed(bench: Path) -> None:
    """Every problem in a file is reported at once, with the value that was wrong."""
    _edit(bench, "gh-fixture-nan", "epochs = 4", 'epochs = "four"')
    _edit(bench, "gh-fixture-nan", 'categories = ["learning_rate"]', 'categories = ["lr"]')
    with pytest.raises(CaseError) as info:
        load_case(bench, "gh-fixture-nan")
    message = str(info.value)
    assert "training.epochs: expected integer, got str 'four'" in message
    assert "ground_truth.categories: 'lr' is not one of:" in message


def test_id_must_match_folder(bench: Path) -> None:
    """The id inside case.toml must equal the folder name."""
    _edit(bench, "gh-fixture-nan", 'id = "gh-fixture-nan"', 'id = "gh-fixture-other"')
    with pytest.raises(CaseError, match="does not match its folder name 'gh-fixture-nan'"):
        load_case(bench, "gh-fixture-nan")


def test_unknown_case_lists_known_ones(bench: Path) -> None:
    """Asking for a case that does not exist says which ones do."""
    with pytest.raises(CaseError, match="unknown case 'gh-nope'.*gh-fixture-nan"):
        load_case(bench, "gh-nope")


def test_layer_target_requires_layers(bench: Path) -> None:
    """targets = ['layer'] without ground_truth.layers is an error."""
    _edit(bench, "gh-fixture-nan", 'targets = ["hyperparameter"]', 'targets = ["layer"]')
    with pytest.raises(CaseError, match="ground_truth.layers: required"):
        load_case(bench, "gh-fixture-nan")


def test_check_reports_patch_that_does_not_apply(bench: Path) -> None:
    """A stale patch is a check error naming the hunk and what was expected."""
    script = bench / "bugs" / "gh-fixture-nan" / "train.py"
    script.write_text(script.read_text().replace("LEARNING_RATE = 1e6", "LEARNING_RATE = 1e7"))
    errors = check_case(bench, "gh-fixture-nan")
    assert len(errors) == 1
    assert "hunk 1 does not apply at line 9" in errors[0]
    assert "LEARNING_RATE = 1e6" in errors[0]


def test_check_reports_profile_param_the_program_does_not_read(bench: Path) -> None:
    """A quick-profile override must name a param() the program reads."""
    _edit(bench, "gh-fixture-nan", "[profiles.quick]\nepochs = 3", "[profiles.quick]\nepoch = 3")
    errors = check_case(bench, "gh-fixture-nan")
    assert any("profiles.quick.epoch: the program has no param('epoch'" in e for e in errors)


def test_check_passes_on_fixture_tree(fixture_bench: Path) -> None:
    """Every fixture case is clean."""
    for case_id in ("gh-fixture-nan", "gh-fixture-plateau", "gh-fixture-crash"):
        assert check_case(fixture_bench, case_id) == []
