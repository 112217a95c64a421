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
    assert "hunk 1 does not apply at line 23" in errors[0]
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


LAYER_TARGET = 'targets = ["layer"]\nlayers = [{ index = 1, class = "Activation" }]'


def test_layer_target_requires_site(bench: Path) -> None:
    """ground_truth.layers without ground_truth.site is an error naming the convention."""
    _edit(bench, "gh-fixture-nan", 'targets = ["hyperparameter"]', LAYER_TARGET)
    with pytest.raises(CaseError, match=r"case\.toml: ground_truth\.site: required with"):
        load_case(bench, "gh-fixture-nan")


def test_site_loads_next_to_layers(bench: Path) -> None:
    """site becomes Case.site_layers, next to Case.layers."""
    _edit(bench, "gh-fixture-nan", 'targets = ["hyperparameter"]', LAYER_TARGET + "\nsite = [0, 1]")
    case = load_case(bench, "gh-fixture-nan")
    assert case.site_layers == frozenset({0, 1})
    assert [(lay.index, lay.cls) for lay in case.layers] == [(1, "Activation")]


def test_site_must_contain_the_faulty_layers(bench: Path) -> None:
    """A site always covers its faulty layers."""
    _edit(bench, "gh-fixture-nan", 'targets = ["hyperparameter"]', LAYER_TARGET + "\nsite = [0]")
    with pytest.raises(CaseError, match=r"ground_truth\.site: \[0\] lacks the faulty layer"):
        load_case(bench, "gh-fixture-nan")


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ("[1, 0]", "distinct indices in ascending order"),
        ("[]", "distinct indices in ascending order"),
        ("[-1, 1]", "-1 is not a layer index"),
        ('["1"]', "'1' is not a layer index"),
    ],
)
def test_site_values_are_checked(bench: Path, site: str, message: str) -> None:
    """Indices must be non-negative integers, distinct and ascending; the path is named."""
    _edit(bench, "gh-fixture-nan", 'targets = ["hyperparameter"]', f"{LAYER_TARGET}\nsite = {site}")
    with pytest.raises(CaseError, match=rf"ground_truth\.site: .*{message}"):
        load_case(bench, "gh-fixture-nan")


def test_site_without_layers_is_an_error(bench: Path) -> None:
    _edit(
        bench,
        "gh-fixture-nan",
        'targets = ["hyperparameter"]',
        'targets = ["hyperparameter"]\nsite = [1]',
    )
    with pytest.raises(CaseError, match=r"ground_truth\.site: only allowed with"):
        load_case(bench, "gh-fixture-nan")


def test_min_batches_reason_is_read_and_not_a_profile(bench: Path) -> None:
    """[profiles] min_batches_reason is a string beside the profile tables."""
    _edit(
        bench,
        "gh-fixture-nan",
        "[profiles.quick]",
        '[profiles]\nmin_batches_reason = "the bug is the step count"\n\n[profiles.quick]',
    )
    case = load_case(bench, "gh-fixture-nan")
    assert case.min_batches_reason == "the bug is the step count"
    assert case.params("quick") == {"epochs": 3}
    assert check_case(bench, "gh-fixture-nan") == []
    assert load_case(bench, "gh-fixture-plateau").min_batches_reason is None


def test_variant_overrides_apply_over_the_profile(bench: Path) -> None:
    """[profiles.quick_patched] overrides the quick profile for the patched variant only, so a
    patch that changes a setting the quick profile also sets keeps its change."""
    _edit(bench, "gh-fixture-nan", "[profiles.quick]",
          "[profiles.quick_patched]\nepochs = 5\n\n[profiles.quick]")
    case = load_case(bench, "gh-fixture-nan")
    assert case.params("quick") == {"epochs": 3}
    assert case.params("quick", "buggy") == {"epochs": 3}
    assert case.params("quick", "patched") == {"epochs": 5}
    assert case.params("full", "patched") == {}
    assert check_case(bench, "gh-fixture-nan") == []
    with pytest.raises(CaseError, match="unknown variant"):
        case.params("quick", "fixed")


def test_variant_override_of_an_unknown_param_is_an_error(bench: Path) -> None:
    _edit(bench, "gh-fixture-nan", "[profiles.quick]",
          "[profiles.quick_patched]\nepochz = 5\n\n[profiles.quick]")
    errors = check_case(bench, "gh-fixture-nan")
    assert any("profiles.quick_patched.epochz" in e for e in errors), errors
