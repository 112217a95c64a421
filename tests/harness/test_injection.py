"""Shared (passive) and single-tool (active) runs agree for the Keras baselines (issue #2)."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest

from baselines import registry
from harness.injection import FitInjector, run_program

KERAS_TOOLS = ["terminate_on_nan", "early_stopping_loss", "early_stopping_accuracy",
               "keras_union"]


def _run(script: Path, tools: list[str], passive: bool) -> dict:
    keras.utils.set_random_seed(0)
    injector = FitInjector({t: registry.create(t) for t in tools}, passive=passive)
    with injector:
        run_program(script)
    return {name: v for name, v in injector.verdicts().items()}


def _key(verdict) -> tuple:
    stop = verdict.stop
    return (verdict.detected, stop and (stop.fit_index, stop.epoch, stop.batch, stop.iteration))


@pytest.mark.parametrize("case_id", ["gh-fixture-nan", "gh-fixture-plateau"])
def test_shared_and_single_runs_give_the_same_verdicts(fixture_bench: Path, case_id: str) -> None:
    """Each Keras baseline stops at the same point alone as when observing a shared run."""
    script = fixture_bench / "bugs" / case_id / "train.py"
    shared = _run(script, KERAS_TOOLS, passive=True)
    for tool in KERAS_TOOLS:
        single = _run(script, [tool], passive=False)[tool]
        assert _key(single) == _key(shared[tool]), tool


def test_expected_detections_on_fixtures(fixture_bench: Path) -> None:
    """NaN loss trips TerminateOnNaN; a frozen loss trips EarlyStopping(loss) only."""
    nan = _run(fixture_bench / "bugs" / "gh-fixture-nan" / "train.py", KERAS_TOOLS, True)
    flat = _run(fixture_bench / "bugs" / "gh-fixture-plateau" / "train.py", KERAS_TOOLS, True)
    assert nan["terminate_on_nan"].detected and nan["keras_union"].detected
    assert not flat["terminate_on_nan"].detected
    assert flat["early_stopping_loss"].detected and flat["keras_union"].detected
    stop = flat["early_stopping_loss"].stop
    assert stop.epoch == 1 and stop.batch is None


def test_passive_mode_lets_training_go_on(fixture_bench: Path) -> None:
    """In a shared run the stop request is recorded but every epoch still runs."""
    keras.utils.set_random_seed(0)
    injector = FitInjector({"early_stopping_loss": registry.create("early_stopping_loss")},
                           passive=True)
    with injector:
        run_program(fixture_bench / "bugs" / "gh-fixture-plateau" / "train.py")
    assert injector.fits[0].epochs_run == injector.fits[0].epochs_configured == 4
    assert injector.stops["early_stopping_loss"]


def test_active_mode_takes_one_detector() -> None:
    """Several detectors in an active run is a usage error."""
    with pytest.raises(ValueError, match="use passive=True"):
        FitInjector({t: registry.create(t) for t in KERAS_TOOLS[:2]}, passive=False)


def test_fit_is_restored_after_the_context() -> None:
    """The injector leaves keras.Model.fit as it found it."""
    original = keras.Model.fit
    with FitInjector({}, passive=True):
        assert keras.Model.fit is not original
    assert keras.Model.fit is original


def test_only_the_programs_own_evaluate_calls_are_recorded(tmp_path: Path) -> None:
    """fit's validation pass is not an evaluation of the program; evaluate() afterwards is."""
    script = tmp_path / "train.py"
    script.write_text(
        "import keras, numpy as np\n"
        "x = np.ones((16, 2), 'float32'); y = np.ones((16, 1), 'float32')\n"
        "m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])\n"
        "m.compile('sgd', 'mse')\n"
        "m.fit(x, y, epochs=2, validation_data=(x, y), verbose=0)\n"
        "m.evaluate(x, y, verbose=0)\n"
    )
    injector = FitInjector({}, passive=True)
    with injector:
        run_program(script)
    assert len(injector.evaluations) == 1


@pytest.mark.parametrize("n, split", [(1459, 0.2), (1458, 0.2), (10, 0.3), (100, 0.0)])
def test_sample_count_follows_keras_validation_split(n, split):
    """The injector's training-sample count is the one Keras' own split leaves."""
    import numpy as np

    from harness.injection import _n_samples
    from localizer.keras_internals import resolve

    train_validation_split = resolve(
        "keras.src.trainers.data_adapters.array_slicing:train_validation_split"
    )

    x = np.zeros((n, 2), "float32")
    expected = len(train_validation_split((x,), validation_split=split)[0][0]) if split else n
    assert _n_samples(x, split) == expected
