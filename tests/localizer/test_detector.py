"""The Detector adapters, run through the harness' FitInjector (active and shared runs)."""

from __future__ import annotations

import keras

from baselines.deeplocalize import (
    DeepLocalizeBenchDetector,
    DeepLocalizeDetector,
    DeepLocalizeReleasedDetector,
)
from baselines.registry import create
from harness.injection import FitInjector
from localizer.probe import RING_CALLS, Probe


def test_registry_names_resolve_to_the_adapters():
    """'deeplocalize' and 'deeplocalize_released' load, localize, and use their profiles."""
    paper, released = create("deeplocalize"), create("deeplocalize_released")
    assert isinstance(paper, DeepLocalizeDetector) and paper.profile == "paper"
    assert isinstance(released, DeepLocalizeReleasedDetector) and released.profile == "released"
    assert paper.localizes and released.localizes
    bench = create("deeplocalize_bench")
    assert isinstance(bench, DeepLocalizeBenchDetector) and bench.profile == "bench"
    assert bench.callbacks()[0].settings.name == "bench"


def test_callbacks_are_fresh_stop_mode_and_silent():
    """Each fit gets a new DeepLocalize(on_fault='stop', verbose=0); all are kept."""
    detector = DeepLocalizeDetector()
    first, second = detector.callbacks()[0], detector.callbacks()[0]
    assert first is not second and detector.instances == [first, second]
    assert (first.on_fault, first.verbose, first.profile) == ("stop", 0, "paper")


def test_active_run_stops_training_and_reports_the_layer(make_mlp, blobs):
    """passive=False: the stop is real (one epoch of five) and the verdict names layer 0."""
    x, y = blobs
    model = make_mlp(hidden_bias=-100.0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with FitInjector({"deeplocalize": DeepLocalizeDetector()}, passive=False) as injector:
        model.fit(x, y, batch_size=8, epochs=5, verbose=0)
    verdict = injector.verdicts()["deeplocalize"]
    assert injector.fits[0].epochs_run == 1
    assert verdict.detected and verdict.raw["code"] == "EAA"
    finding = verdict.findings[0]
    assert (finding.layer_index, finding.epoch, finding.batch, finding.iteration) == (0, 0, 9, 10)
    # The stop comes at the callback's next read of the ring, at most RING_CALLS batches later.
    assert verdict.stop is not None and verdict.stop.epoch == 0
    assert 10 <= verdict.stop.iteration <= 10 + RING_CALLS


def test_shared_run_keeps_training_with_the_same_verdict(make_mlp, blobs):
    """passive=True: training runs all epochs, one stop request, the active run's verdict."""
    x, y = blobs
    model = make_mlp(hidden_bias=-100.0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    detector = DeepLocalizeDetector()
    with FitInjector({"deeplocalize": detector}, passive=True) as injector:
        model.fit(x, y, batch_size=8, epochs=5, verbose=0)
    verdict = injector.verdicts()["deeplocalize"]
    assert injector.fits[0].epochs_run == 5
    assert len(injector.stops["deeplocalize"]) == 1
    assert (verdict.raw["code"], verdict.findings[0].iteration) == ("EAA", 10)
    callback = detector.instances[0]
    assert callback.iterations == 10 and callback.steps_run == 80  # stopped checking, kept count
    assert not Probe._active and "train_step" not in vars(model)


class _Instrumented(keras.callbacks.Callback):
    """Records, before each batch, whether the model trains with the instrumented step."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[bool] = []

    def on_train_batch_begin(self, batch, logs=None):
        self.seen.append("train_step" in vars(self.model))


def test_a_shared_run_gets_keras_step_back_at_a_batch_that_does_not_depend_on_time(
        make_mlp, blobs, monkeypatch):
    """Whether the callback reads its probes every batch or only at its ring's or the epoch's
    end, Keras' own step comes back after the same batch (the finding's + RING_CALLS), so a
    shared run trains on identically; only the stop request's batch follows the read."""
    import localizer.deeplocalize as module

    x, y = blobs
    seen = {}
    for delay in (0.0, 1e9):
        monkeypatch.setattr(module, "MAX_DELAY_S", delay)
        keras.utils.set_random_seed(0)
        model = make_mlp(hidden_bias=-100.0)
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        watch = _Instrumented()
        with FitInjector({"deeplocalize": DeepLocalizeDetector()}, passive=True) as injector:
            history = model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[watch])
        instrumented = watch.seen
        verdict = injector.verdicts()["deeplocalize"]
        assert verdict.findings[0].iteration == 10
        seen[delay] = (instrumented, history.history["loss"], verdict.stop.iteration)
    assert seen[0.0][0] == seen[1e9][0] == [True] * (10 + RING_CALLS) + [False] * (80 - 42)
    assert seen[0.0][1] == seen[1e9][1]
    assert seen[0.0][2] == 10 and seen[1e9][2] == 16  # read at the end of the first epoch


def test_findings_of_later_fits_use_program_wide_iterations(make_mlp, blobs):
    """A fault in the second fit call is reported after the batches of the first."""
    x, y = blobs
    healthy, dead = make_mlp(), make_mlp(hidden_bias=-100.0)
    for model in (healthy, dead):
        model.compile(optimizer=keras.optimizers.Adam(0.01),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    detector = DeepLocalizeDetector()
    with FitInjector({"deeplocalize": detector}, passive=False) as injector:
        healthy.fit(x, y, batch_size=8, epochs=1, verbose=0)
        dead.fit(x, y, batch_size=8, epochs=1, verbose=0)
    verdict = injector.verdicts()["deeplocalize"]
    assert verdict.raw["finding_fit_index"] == 1 and verdict.raw["fit_calls"] == 2
    assert verdict.findings[0].iteration == 16 + 10
    # The stop comes at the next read of the ring; read at the end of this one-epoch fit it is
    # not early (it changes nothing) and the verdict has no stop: detection is the finding's.
    assert verdict.stop is None or 26 <= verdict.stop.iteration <= 26 + RING_CALLS


def test_released_detector_reports_its_own_profile(make_mlp, blobs):
    """deeplocalize_released fires at batch 1 on the dead layer (zero threshold 1/2)."""
    x, y = blobs
    model = make_mlp(hidden_bias=-100.0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with FitInjector({"r": DeepLocalizeReleasedDetector()}, passive=False) as injector:
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    verdict = injector.verdicts()["r"]
    assert (verdict.raw["code"], verdict.raw["profile"]) == ("EAA", "released")
    assert verdict.findings[0].iteration == 1


def test_no_finding_is_cm(make_mlp, blobs):
    """A healthy run: not detected, code CM, no stop."""
    x, y = blobs
    model = make_mlp()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    with FitInjector({"deeplocalize": DeepLocalizeDetector()}, passive=False) as injector:
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    verdict = injector.verdicts()["deeplocalize"]
    assert (verdict.detected, verdict.stop, verdict.raw["code"]) == (False, None, "CM")
