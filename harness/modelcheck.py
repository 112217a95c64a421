"""Check a case against the model its program really builds: ``deeplocalize cases check --build``.

:func:`probe` runs a case variant in a subprocess (``python -m harness.buildprobe``) exactly as the
worker runs a unit, but every ``Model.fit`` call records the model's layers and the number of
batches it would train, and returns without training. :func:`check_probe` then holds the case's
metadata to what was recorded:

- every ``ground_truth.layers`` entry names a layer of the buggy model (index, class, name);
- ``ground_truth.site`` equals the fault-site convention (:func:`harness.sites.fault_sites`, in
  ``bugs/README.md``) applied to ``ground_truth.layers`` on that model;
- every fit of the profile runs at least :data:`MIN_BATCHES` batches, unless the case says why
  not in ``profiles.min_batches_reason``;
- no fit of the quick profile runs fewer than :data:`MIN_EPOCHS` epochs unless the author's
  program (``training.epochs``) has fewer: the paper's Keras callbacks check once per epoch.

The pure parts (the convention, the checks) need no TensorFlow; only the subprocess imports it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cases import Case
from harness.sites import fault_sites

#: Batches every fit of the quick profile must run: DeepLocalize's paper profile needs 50
#: batches before its "unchanged" rule can fire and 100 (two windows of 50) for "model does
#: not learn" (MDL).
MIN_BATCHES = 100
#: Epochs every fit of the quick profile keeps (or the author's count, when smaller):
#: EarlyStopping(patience=1), the paper's baseline, can stop a fit before its end only from the
#: end of the 2nd epoch of 3 or more, so a shorter fit leaves it blind (#11).
MIN_EPOCHS = 3

DEFAULT_TIMEOUT_S = 300.0  # per probed unit


@dataclass(frozen=True)
class BuiltLayer:
    """One entry of ``model.layers`` as the program built it."""

    index: int
    cls: str
    name: str
    has_weights: bool


@dataclass(frozen=True)
class BuiltFit:
    """One ``Model.fit`` call: its model and how many batches it would train.

    ``batches`` is ``None`` when the input's length cannot be known without iterating it.
    """

    index: int
    model: str
    layers: tuple[BuiltLayer, ...]
    epochs: int
    batch_size: int | None
    samples: int | None
    steps_per_epoch: int | None
    batches_per_epoch: int | None

    @property
    def batches(self) -> int | None:
        per_epoch = self.batches_per_epoch
        return None if per_epoch is None else per_epoch * self.epochs

    def describe(self) -> str:
        """``"7 epochs x 5 batches (160 samples / batch size 32) = 35"``-style text."""
        if self.batches_per_epoch is None:
            return f"{self.epochs} epochs x an unknown number of batches"
        if self.steps_per_epoch:
            how = f"steps_per_epoch={self.steps_per_epoch}"
        else:
            how = f"{self.samples} samples / batch size {self.batch_size}"
        return f"{self.epochs} epochs x {self.batches_per_epoch} batches ({how}) = {self.batches}"


@dataclass(frozen=True)
class ProbeResult:
    """What :func:`probe` recorded for one case variant under one profile."""

    case_id: str
    variant: str
    profile: str
    status: str
    error: str | None
    fits: tuple[BuiltFit, ...]
    wall_s: float

    @property
    def layers(self) -> tuple[BuiltLayer, ...]:
        """``model.layers`` of the first fit's model (empty when nothing was fitted)."""
        return self.fits[0].layers if self.fits else ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProbeResult:
        fits = tuple(
            BuiltFit(
                index=f["index"],
                model=f["model"],
                layers=tuple(BuiltLayer(**lay) for lay in f["layers"]),
                epochs=f["epochs"],
                batch_size=f["batch_size"],
                samples=f["samples"],
                steps_per_epoch=f["steps_per_epoch"],
                batches_per_epoch=f["batches_per_epoch"],
            )
            for f in data["fits"]
        )
        return cls(
            case_id=data["case_id"],
            variant=data["variant"],
            profile=data["profile"],
            status=data["status"],
            error=data.get("error"),
            fits=fits,
            wall_s=float(data.get("wall_s", 0.0)),
        )


def _run_group(
    root: Path, units: list[tuple[str, str]], profile: str, unit_timeout_s: float
) -> tuple[dict[tuple[str, str], ProbeResult], str]:
    """Probe ``units`` in one subprocess; return what it wrote and, on failure, why it stopped.

    Each unit gets ``unit_timeout_s`` (enforced in the subprocess); the whole subprocess that
    much per unit plus a minute to start.
    """
    timeout_s = unit_timeout_s * len(units) + 60
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONHASHSEED"] = "0"  # as the local executor sets it for seed 0
    with tempfile.TemporaryDirectory(prefix="build-probe-") as tmp:
        out = Path(tmp) / "out"
        command = [
            sys.executable,
            "-m",
            "harness.buildprobe",
            "--bench-root",
            str(root),
            "--profile",
            profile,
            "--out",
            str(out),
            "--unit-timeout",
            str(int(unit_timeout_s)),
        ]
        for case_id, variant in units:
            command += ["--unit", f"{case_id}:{variant}"]
        why = ""
        try:
            proc = subprocess.run(
                command, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout_s
            )
            if proc.returncode:
                tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-12:])
                why = f"the build probe exited {proc.returncode}:\n{tail}"
        except subprocess.TimeoutExpired:
            why = f"the build probe ran past {timeout_s:.0f} s"
        found = {}
        for case_id, variant in units:
            path = out / f"{case_id}--{variant}.json"
            if path.exists():
                found[case_id, variant] = ProbeResult.from_json(json.loads(path.read_text()))
        return found, why


def probe_many(
    root: Path,
    units: Sequence[tuple[str, str]],
    profile: str = "quick",
    jobs: int = 2,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[tuple[str, str], ProbeResult | str]:
    """Probe ``(case id, variant)`` units in ``jobs`` subprocesses (``harness.buildprobe``),
    each unit limited to ``timeout_s`` seconds.

    Units share a subprocess so that TensorFlow is imported once per job; a unit whose shared
    process failed is retried alone. Returns each unit's :class:`ProbeResult`, or the reason
    it has none.
    """
    from concurrent.futures import ThreadPoolExecutor

    units = list(units)
    jobs = max(1, min(jobs, len(units)))
    groups = [units[i::jobs] for i in range(jobs)]
    results: dict[tuple[str, str], ProbeResult | str] = {}
    with ThreadPoolExecutor(jobs) as pool:
        runs = pool.map(lambda g: _run_group(root, g, profile, timeout_s), groups)
        for found, _ in runs:
            results.update(found)
    for unit in units:
        if unit not in results:
            found, why = _run_group(root, [unit], profile, timeout_s)
            results[unit] = found.get(unit) or f"{unit[0]} ({unit[1]}): {why}"
    return results


def probe(
    root: Path,
    case_id: str,
    variant: str = "buggy",
    profile: str = "quick",
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> ProbeResult:
    """Probe one case variant in a fresh subprocess (see :mod:`harness.buildprobe`).

    Raises:
        RuntimeError: the subprocess timed out or died without writing its result.
    """
    found, why = _run_group(root, [(case_id, variant)], profile, timeout_s)
    if (case_id, variant) not in found:
        raise RuntimeError(f"{case_id} ({variant}): {why}")
    return found[case_id, variant]


def check_probe(case: Case, result: ProbeResult) -> tuple[list[str], list[str]]:
    """Hold ``case``'s metadata to what its program built. Returns ``(errors, warnings)``.

    Layer labels and the fault site are checked on the buggy variant only; the batch rule on
    every variant probed.
    """
    where = f"{case.metadata_path}"
    errors: list[str] = []
    warnings: list[str] = []
    tag = f"[{result.variant}, {result.profile} profile]"
    if not result.fits:
        message = result.error or "the program never calls Model.fit"
        return [f"error: {where}: {tag} no fit recorded: {message}"], []
    if result.error:
        warnings.append(
            f"warning: {where}: {tag} the program failed after fit #{len(result.fits) - 1} "
            f"returned without training, so later fits (if any) were not counted: "
            f"{result.error}"
        )
    if result.variant == "buggy":
        errors.extend(_check_layers(case, result.layers, where))
    if result.profile == "quick" and not case.min_batches_reason:
        for fit in short_fits(result):
            errors.append(
                f"error: {where}: profiles.quick: {tag} fit #{fit.index} runs "
                f"{fit.describe()}, fewer than {MIN_BATCHES} batches; raise the quick profile "
                "or say why it cannot in profiles.min_batches_reason"
            )
    if result.profile == "quick":
        floor = min(MIN_EPOCHS, case.meta["training"]["epochs"])
        for fit in result.fits:
            if fit.epochs < floor:
                errors.append(
                    f"error: {where}: profiles.quick: {tag} fit #{fit.index} runs {fit.epochs} "
                    f"epoch(s), fewer than {floor}: EarlyStopping(patience=1) cannot stop it "
                    "before its end; fold fewer epochs or cut fewer"
                )
    return errors, warnings


def short_fits(result: ProbeResult) -> list[BuiltFit]:
    """The fits that run fewer than :data:`MIN_BATCHES` batches (or an unknown number)."""
    return [f for f in result.fits if f.batches is None or f.batches < MIN_BATCHES]


def _check_layers(case: Case, built: tuple[BuiltLayer, ...], where: str) -> list[str]:
    errors = []
    listing = ", ".join(f"{b.index}:{b.cls}" for b in built)
    valid = True
    for k, label in enumerate(case.layers):
        path = f"ground_truth.layers[{k}]"
        if not 0 <= label.index < len(built):
            errors.append(
                f"error: {where}: {path}: index {label.index} is outside the built "
                f"model's {len(built)} layers ({listing})"
            )
            valid = False
            continue
        layer = built[label.index]
        if layer.cls != label.cls:
            errors.append(
                f"error: {where}: {path}: model.layers[{label.index}] is a "
                f"{layer.cls} named {layer.name!r}, not a {label.cls} ({listing})"
            )
            valid = False
        elif label.name is not None and layer.name != label.name:
            errors.append(
                f"error: {where}: {path}: model.layers[{label.index}] is named "
                f"{layer.name!r}, not {label.name!r}"
            )
    if valid and case.layers:
        want = fault_sites(
            [(b.cls, b.has_weights) for b in built], [label.index for label in case.layers]
        )
        if want != case.site_layers:
            errors.append(
                f"error: {where}: ground_truth.site: {sorted(case.site_layers)} but the "
                f"fault-site convention on the built model gives {sorted(want)} "
                f"({listing})"
            )
    return errors


def check_build(
    root: Path,
    cases: Sequence[Case],
    variants: Sequence[str] = ("buggy", "patched"),
    profile: str = "quick",
    jobs: int = 2,
) -> tuple[list[str], list[str], dict[tuple[str, str], ProbeResult | str]]:
    """Probe every case variant and check each case against its built model.

    Returns:
        ``(errors, warnings, results)``: ``error: ...``/``warning: ...`` lines, and each
        ``(case id, variant)``'s :class:`ProbeResult` or the reason it has none.
    """
    units = [(case.id, variant) for case in cases for variant in variants]
    results = probe_many(root, units, profile=profile, jobs=jobs)
    errors: list[str] = []
    warnings: list[str] = []
    for case in cases:
        probed = [results[case.id, variant] for variant in variants]
        for variant, result in zip(variants, probed, strict=True):
            if isinstance(result, str):
                errors.append(f"error: {case.metadata_path}: [{variant}] {result}")
                continue
            errs, warns = check_probe(case, result)
            errors += errs
            warnings += warns
        done = [r for r in probed if isinstance(r, ProbeResult) and r.fits]
        if (
            profile == "quick"
            and case.min_batches_reason
            and len(done) == len(variants)
            and not any(short_fits(r) for r in done)
        ):
            warnings.append(
                f"warning: {case.metadata_path}: profiles.min_batches_reason: every fit of "
                f"{', '.join(variants)} runs at least {MIN_BATCHES} batches; the reason is no "
                "longer needed"
            )
    return errors, warnings, results


def summary_line(case_id: str, results: dict[tuple[str, str], ProbeResult | str]) -> str:
    """``case  buggy 12 layers, batches 350  patched ...``: one line per case for the CLI."""
    parts = []
    for (cid, variant), result in results.items():
        if cid != case_id:
            continue
        if isinstance(result, str):
            parts.append(f"{variant} (no result)")
            continue
        batches = ", ".join("?" if f.batches is None else str(f.batches) for f in result.fits)
        parts.append(f"{variant}: {len(result.layers)} layers, batches per fit {batches or '-'}")
    return f"{case_id:<30} " + "; ".join(parts)


def build_report(
    root: Path, ids: Sequence[str], variants: Sequence[str], jobs: int, named: bool
) -> tuple[list[str], list[str]]:
    """``cases check --build`` over ``ids`` (deprecated cases only when ``named``).

    Cases whose metadata does not load are skipped (the fast check reports them).

    Returns:
        ``(lines to print, error lines)``.
    """
    import time

    from harness.cases import CaseError, load_case

    cases = []
    for case_id in ids:
        try:
            case = load_case(root, case_id)
        except CaseError:
            continue
        if case.status == "active" or named:
            cases.append(case)
    start = time.perf_counter()
    errors, warnings, results = check_build(root, cases, variants, jobs=jobs)
    lines = [summary_line(case.id, results) for case in cases] + warnings + errors
    lines.append(f"built {len(results)} program(s) in {time.perf_counter() - start:.0f} s")
    return lines, errors
