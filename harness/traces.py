"""Keep the full per-batch summaries of a unit's training, for re-checking them offline.

``deeplocalize run --keep-traces`` sets ``extra["traces"]`` on every unit. The worker then adds
one more passive callback to every ``fit`` call: a ``DeepLocalize`` in ``record`` mode that
summarises every quantity the probe can take (``record_all``) and keeps every batch, and writes
``<unit>/traces/fit<k>.npz`` when the call ends (:meth:`localizer.trace.Trace.save`).
:func:`localizer.replay.replay` runs any rule profile over such a file
(``benchmarks/profile_replay.py`` does it for a whole run). The keeper is not a tool: it has no
verdict, never stops training, and the tools observe the same training run as without it (it
joins the model's probe like a second DeepLocalize; only the unit's time grows).
"""

from __future__ import annotations

from pathlib import Path

import keras

TRACES_DIR = "traces"
#: At most this many batches per fit call are kept (the oldest are dropped beyond it, and the
#: saved trace says so: ``steps_run`` > its length).
MAX_BATCHES = 50_000


class TraceKeeper:
    """A callback factory for :attr:`harness.injection.FitInjector.trailing`: one recorder per
    ``fit`` call, each saved when its call ends."""

    def __init__(self, out_dir: Path, max_batches: int = MAX_BATCHES) -> None:
        self.folder = Path(out_dir) / TRACES_DIR
        self.max_batches = max_batches
        self.count = 0

    def __call__(self) -> keras.callbacks.Callback:
        from localizer import DeepLocalize

        keeper, index = self, self.count
        self.count += 1

        class _Recorder(DeepLocalize):
            def on_train_end(self, logs: dict | None = None) -> None:
                super().on_train_end(logs)
                keeper.folder.mkdir(parents=True, exist_ok=True)
                if self.trace is not None:
                    self.trace.save(keeper.folder / f"fit{index}.npz", fit_index=index,
                                    steps_run=self.steps_run, iterations=self.iterations,
                                    steps=(self.params or {}).get("steps"),
                                    loss=self._loss_name, from_logits=self._from_logits,
                                    fresh=self._fresh)

        return _Recorder(profile="paper", on_fault="record", verbose=0, record_all=True,
                         trace_length=self.max_batches)


def trace_files(unit_dir: Path) -> list[Path]:
    """A unit's saved traces, first ``fit`` call first."""
    folder = Path(unit_dir) / TRACES_DIR
    if not folder.is_dir():
        return []
    return sorted(folder.glob("fit*.npz"), key=lambda p: int(p.stem[3:] or 0))
