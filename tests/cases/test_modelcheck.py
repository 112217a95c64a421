"""``cases check --build``: labels, fault sites and batches per fit against the built model."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from harness.cases import load_case
from harness.modelcheck import (
    MIN_BATCHES,
    BuiltFit,
    BuiltLayer,
    ProbeResult,
    check_build,
    check_probe,
    probe,
)

CASE = "gh-fixture-layers"
#: The first lines match gh-fixture-nan's program, so its patch applies unchanged.
PROGRAM = '''"""Fixture: a tiny regression whose learning rate makes the loss explode to NaN."""

import keras
import numpy as np

from harness.params import param

EPOCHS = param("epochs", 4)
LEARNING_RATE = 1e6

rng = np.random.RandomState(0)
x = rng.rand(64, 4).astype("float32")
y = (x @ np.array([1.0, -2.0, 3.0, 0.5], dtype="float32"))[:, None]
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Activation("relu"),
                          keras.layers.Dropout(0.1), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE), loss="mse")
history = model.fit(x, y, epochs=EPOCHS, batch_size=8, verbose=0)
print("last loss", history.history["loss"][-1])
model.fit(x, y, epochs=50, batch_size=16, validation_split=0.25, verbose=0)
'''
LAYERS = (
    BuiltLayer(0, "Dense", "dense", True),
    BuiltLayer(1, "Activation", "activation", False),
    BuiltLayer(2, "Dropout", "dropout", False),
    BuiltLayer(3, "Dense", "dense_1", True),
)


@pytest.fixture
def bench(tmp_path: Path, fixture_bench: Path) -> Path:
    """The fixture benchmark plus gh-fixture-layers: a layer-target case with two fits."""
    root = tmp_path / "bench"
    shutil.copytree(fixture_bench, root)
    folder = root / "bugs" / CASE
    shutil.copytree(root / "bugs" / "gh-fixture-nan", folder)
    shutil.copy(root / "patches" / "gh-fixture-nan.diff", root / "patches" / f"{CASE}.diff")
    (folder / "train.py").write_text(PROGRAM)
    _edit(root, 'id = "gh-fixture-nan"', f'id = "{CASE}"')
    _edit(
        root,
        'targets = ["hyperparameter"]',
        'targets = ["layer"]\nlayers = [{ index = 1, class = "Activation", name = "activation" }]'
        "\nsite = [0, 1]",
    )
    return root


def _edit(bench: Path, old: str, new: str) -> None:
    path = bench / "bugs" / CASE / "case.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _fit(index: int, epochs: int, per_epoch: int | None, layers=LAYERS) -> BuiltFit:
    return BuiltFit(
        index=index,
        model="Sequential",
        layers=layers,
        epochs=epochs,
        batch_size=8,
        samples=None if per_epoch is None else 8 * per_epoch,
        steps_per_epoch=None,
        batches_per_epoch=per_epoch,
    )


def _result(*fits: BuiltFit, variant: str = "buggy", error: str | None = None) -> ProbeResult:
    return ProbeResult(
        case_id=CASE,
        variant=variant,
        profile="quick",
        status="error" if error else "completed",
        error=error,
        fits=fits,
        wall_s=1.0,
    )


def test_probe_records_layers_and_every_fit_without_training(bench: Path) -> None:
    """The program runs as the worker runs it; each fit is recorded and returns at once."""
    errors, warnings, results = check_build(bench, [load_case(bench, CASE)], ["buggy"], jobs=1)
    result = results[CASE, "buggy"]
    assert isinstance(result, ProbeResult), result
    assert result.status == "completed" and result.error is None
    assert result.layers == LAYERS
    # quick profile: 3 epochs x 64/8 batches; then 50 epochs x ceil(48/16) (validation_split 0.25)
    assert [(f.epochs, f.batches_per_epoch, f.samples) for f in result.fits] == [
        (3, 8, 64),
        (50, 3, 48),
    ]
    assert warnings == []
    assert len(errors) == 1
    assert "profiles.quick: [buggy, quick profile] fit #0 runs 3 epochs x 8 batches" in errors[0]
    assert f"fewer than {MIN_BATCHES} batches" in errors[0]


def test_a_quick_fit_keeps_three_epochs_unless_the_author_trained_fewer(bench: Path) -> None:
    """A quick fit of 2 epochs leaves EarlyStopping(patience=1) blind: an error, unless the
    author's program itself trains fewer than 3 epochs."""
    case = load_case(bench, CASE)
    errors, _ = check_probe(case, _result(_fit(0, 2, 60)))
    assert len(errors) == 1
    assert "fit #0 runs 2 epoch(s), fewer than 3: EarlyStopping(patience=1)" in errors[0]
    _edit(bench, "epochs = 4", "epochs = 2")
    assert check_probe(load_case(bench, CASE), _result(_fit(0, 2, 60))) == ([], [])


def test_labels_and_site_that_match_pass(bench: Path) -> None:
    case = load_case(bench, CASE)
    assert check_probe(case, _result(_fit(0, 20, 5))) == ([], [])


def test_label_index_class_and_name_are_checked(bench: Path) -> None:
    """Each mismatch names the dotted path and what the built model has there."""
    _edit(
        bench,
        'index = 1, class = "Activation", name = "activation"',
        'index = 2, class = "Activation"',
    )
    _edit(bench, "site = [0, 1]", "site = [0, 1, 2]")
    errors, _ = check_probe(load_case(bench, CASE), _result(_fit(0, 20, 5)))
    assert len(errors) == 1
    assert (
        "ground_truth.layers[0]: model.layers[2] is a Dropout named 'dropout', not a "
        "Activation" in errors[0]
    )
    _edit(bench, "index = 2,", "index = 7,")
    _edit(bench, "site = [0, 1, 2]", "site = [7]")
    errors, _ = check_probe(load_case(bench, CASE), _result(_fit(0, 20, 5)))
    assert "ground_truth.layers[0]: index 7 is outside the built model's 4 layers" in errors[0]


def test_wrong_name_is_reported(bench: Path) -> None:
    _edit(bench, 'name = "activation"', 'name = "activation_1"')
    errors, _ = check_probe(load_case(bench, CASE), _result(_fit(0, 20, 5)))
    assert errors == [
        f"error: {bench / 'bugs' / CASE / 'case.toml'}: ground_truth.layers[0]: "
        "model.layers[1] is named 'activation', not 'activation_1'"
    ]


def test_site_must_equal_the_convention(bench: Path) -> None:
    """A site that covers the label but not the convention is an error showing the right one."""
    _edit(bench, "site = [0, 1]", "site = [1, 2]")
    errors, _ = check_probe(load_case(bench, CASE), _result(_fit(0, 20, 5)))
    assert len(errors) == 1
    assert (
        "ground_truth.site: [1, 2] but the fault-site convention on the built model gives "
        "[0, 1]" in errors[0]
    )


def test_labels_are_only_checked_on_the_buggy_variant(bench: Path) -> None:
    """The patched program may build another model; only its batches count."""
    other = (BuiltLayer(0, "Dense", "dense", True),)
    case = load_case(bench, CASE)
    assert check_probe(case, _result(_fit(0, 20, 5, other), variant="patched")) == ([], [])


def test_every_short_fit_is_an_error_unless_the_case_says_why(bench: Path) -> None:
    case = load_case(bench, CASE)
    errors, _ = check_probe(case, _result(_fit(0, 20, 5), _fit(1, 3, 5), _fit(2, 3, None)))
    assert [e.split("fit #")[1][:1] for e in errors] == ["1", "2"]
    assert "3 epochs x an unknown number of batches" in errors[1]
    _edit(bench, "[profiles.quick]", '[profiles]\nmin_batches_reason = "why"\n\n[profiles.quick]')
    case = load_case(bench, CASE)
    assert check_probe(case, _result(_fit(0, 20, 5), _fit(1, 3, 5))) == ([], [])


def test_failure_after_a_fit_is_a_warning_and_no_fit_is_an_error(bench: Path) -> None:
    case = load_case(bench, CASE)
    errors, warnings = check_probe(case, _result(_fit(0, 20, 5), error="KeyError: 'val_loss'"))
    assert errors == []
    assert "failed after fit #0 returned without training" in warnings[0]
    errors, _ = check_probe(case, _result(error="ValueError: bad data"))
    assert errors == [
        f"error: {case.metadata_path}: [buggy, quick profile] no fit recorded: ValueError: bad data"
    ]


def test_probe_results_round_trip_through_json() -> None:
    result = _result(_fit(0, 20, 5))
    data = dataclasses.asdict(result)
    assert ProbeResult.from_json(data) == result
    assert result.fits[0].batches == 100
    assert result.fits[0].describe() == "20 epochs x 5 batches (40 samples / batch size 8) = 100"


def test_a_program_that_hangs_is_stopped_and_reported(bench: Path) -> None:
    """The probe's per-unit time limit ends a hanging program; the check names the error."""
    script = bench / "bugs" / CASE / "train.py"
    script.write_text(
        PROGRAM.replace("history = model.fit", "import time\ntime.sleep(600)\nhistory = model.fit")
    )
    result = probe(bench, CASE, timeout_s=5)
    assert result.fits == () and result.status == "error"
    errors, _ = check_probe(load_case(bench, CASE), result)
    assert errors == [
        f"error: {bench / 'bugs' / CASE / 'case.toml'}: [buggy, quick profile] no "
        "fit recorded: TimeoutError: the program ran past the build probe's time limit"
    ]
