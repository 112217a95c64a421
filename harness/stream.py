"""The findings stream: what each tool found or asked for, written while the program runs.

A unit that times out, crashes or runs out of memory never writes ``result.json``. So that the
tools' detections survive it, the worker also writes, as they happen, every tool's new findings
(:meth:`~baselines.base.Detector.findings_so_far`) and the stop requests the harness observed
into ``findings.jsonl`` in the unit folder, one JSON line per item, flushed and fsync'ed before
training goes on (a SIGKILL right after loses nothing)::

    {"tool": "deeplocalize", "kind": "finding", "n": 0, "finding": {... Finding.to_json()}}
    {"tool": "terminate_on_nan", "kind": "stop", "n": 0, "stop": {... StopEvent.to_json()}}

``n`` numbers one tool's items of one kind from 0. A tool's stop requests are streamed up to and
including its first early one, the one a verdict reports (in a shared run a stopping tool asks
again at every later batch). Values are JSON-safe exactly as in the verdict (``to_json``).

The harness reads the stream of a failed unit back with :func:`partial_verdicts` (the records'
``partial_verdict``, see :mod:`harness.records`). Keras is imported only by the worker side.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from baselines.base import Detector, StopEvent, json_safe

if TYPE_CHECKING:
    import keras

FINDINGS_FILE = "findings.jsonl"
KINDS = ("finding", "stop")


def _jsonable(value: Any) -> Any:
    return float(value) if hasattr(value, "__float__") else str(value)


class FindingsStream:
    """Appends the watched tools' new findings and stop requests to the stream file.

    Use it as a context manager around the program (its exit polls one last time and closes
    the file) and attach :meth:`callback` after the tools' callbacks of every ``fit`` call. The
    file is created at the first item, so a unit where nothing was found has none. A stream that
    fails (a tool's ``findings_so_far`` raises, the disk is full) warns on stderr and stops
    streaming that tool (or at all); it never changes what the unit does.

    Args:
        path: The stream file.
        detectors: Tool name → the detector to poll.
        stops: Tool name → the list the harness appends that tool's StopEvents to
            (:attr:`harness.injection.FitInjector.stops`).
    """

    def __init__(
        self,
        path: Path,
        detectors: Mapping[str, Detector],
        stops: Mapping[str, Sequence[StopEvent]],
    ) -> None:
        self.path = Path(path)
        self.detectors = dict(detectors)
        self.stops = stops
        self.sent = {name: {kind: 0 for kind in KINDS} for name in self.detectors}
        self._stops_done: set[str] = set()  # tools whose first early stop was streamed
        self._failed: set[str] = set()
        self._file: TextIO | None = None
        self._broken = False

    def __enter__(self) -> FindingsStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.poll()
        if self._file is not None:
            self._file.close()
            self._file = None

    def callback(self) -> keras.callbacks.Callback:
        """A fresh callback that polls this stream at every batch end, epoch end and train end."""
        return _poll_class()(self)

    def poll(self) -> None:
        """Stream what is new since the last poll (one write and fsync, only if anything is)."""
        if self._broken:
            return
        lines: list[str] = []
        for name, detector in self.detectors.items():
            if name not in self._failed:
                lines += self._new_lines(name, detector)
        if lines:
            self._write(lines)

    def _new_lines(self, name: str, detector: Detector) -> list[str]:
        sent = self.sent[name]
        lines = []
        try:
            findings = detector.findings_so_far()
            for finding in findings[sent["finding"] :]:
                lines.append(self._line(name, "finding", sent["finding"], finding.to_json()))
                sent["finding"] += 1
            events = self.stops.get(name, ())
            while name not in self._stops_done and sent["stop"] < len(events):
                event = events[sent["stop"]]
                lines.append(self._line(name, "stop", sent["stop"], event.to_json()))
                sent["stop"] += 1
                if event.early:
                    self._stops_done.add(name)
        except Exception:  # a tool's bug must not end the program: stop streaming that tool
            self._failed.add(name)
            print(
                f"[deeplocalize] findings stream: stopped streaming {name!r}:\n"
                f"{traceback.format_exc()}",
                file=sys.stderr,
            )
        return lines

    @staticmethod
    def _line(tool: str, kind: str, n: int, payload: dict[str, Any]) -> str:
        item = {"tool": tool, "kind": kind, "n": n, kind: json_safe(payload)}
        return json.dumps(item, allow_nan=False, default=_jsonable) + "\n"

    def _write(self, lines: list[str]) -> None:
        try:
            if self._file is None:
                self._file = open(self.path, "a", encoding="utf-8")  # kept open
            self._file.write("".join(lines))
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            self._broken = True
            print(
                f"[deeplocalize] findings stream: cannot write {self.path}: {exc}", file=sys.stderr
            )


@functools.cache
def _poll_class() -> type:
    import keras

    class StreamPoll(keras.callbacks.Callback):
        """Polls a :class:`FindingsStream` after the tools' callbacks."""

        def __init__(self, stream: FindingsStream) -> None:
            super().__init__()
            self.stream = stream

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.stream.poll()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.stream.poll()

        def on_train_end(self, logs: dict | None = None) -> None:
            self.stream.poll()

    return StreamPoll


def read(unit_dir: Path) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Each tool's streamed ``findings`` and ``stops``, in order.

    A missing file reads as nothing streamed; a line that is not a stream item (e.g. one torn by
    a kill in the middle of a write) is skipped, and a repeated item counts once.
    """
    try:
        text = (Path(unit_dir) / FINDINGS_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    items: dict[str, dict[str, dict[int, dict[str, Any]]]] = {}
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(item, dict) or item.get("kind") not in KINDS:
            continue
        tool, kind, n = item.get("tool"), item["kind"], item.get("n")
        if isinstance(tool, str) and isinstance(n, int) and isinstance(item.get(kind), dict):
            items.setdefault(tool, {k: {} for k in KINDS})[kind].setdefault(n, item[kind])
    return {
        tool: {
            "findings": [by_kind["finding"][n] for n in sorted(by_kind["finding"])],
            "stops": [by_kind["stop"][n] for n in sorted(by_kind["stop"])],
        }
        for tool, by_kind in items.items()
    }


def partial_verdict(
    findings: Sequence[dict[str, Any]], stops: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """A verdict-shaped dict from what a tool had found or asked for before its unit failed.

    Shaped like :meth:`baselines.base.Verdict.to_json` plus ``partial: true`` and ``stops``:
    ``detected`` is a finding or an early stop request (the harness' detection rule),
    ``stop`` the first early stop request, ``category`` is ``None`` and ``raw`` empty (those
    come from :meth:`~baselines.base.Detector.verdict`, which a failed unit never reached).
    """
    stop = next((s for s in stops if s.get("early")), None)
    return {
        "partial": True,
        "detected": bool(findings) or stop is not None,
        "stop": stop,
        "findings": list(findings),
        "stops": list(stops),
        "category": None,
        "raw": {},
    }


def partial_verdicts(unit_dir: Path, tools: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each tool's :func:`partial_verdict` from the unit's stream (empty when nothing came)."""
    streamed = read(unit_dir)
    return {
        tool: partial_verdict(**streamed.get(tool, {"findings": [], "stops": []})) for tool in tools
    }
