"""``deeplocalize diagnose SCRIPT [ARGS...] [--json]``: run a training script under DeepLocalize.

The script runs unmodified, as ``__main__`` from its own folder, with DeepLocalize attached to
every ``Model.fit`` call (``profile="paper"``, training stops at the first finding). Exit codes:
0 the model looks correct (CM), 1 a fault was found, 2 the script itself failed (its traceback
goes to stderr).

It lives in the harness because it runs a program the way the benchmark worker does: through
:class:`harness.injection.FitInjector` and :func:`harness.injection.run_program`, with the
:class:`baselines.deeplocalize.DeepLocalizeDetector` adapter (program-wide iterations over
several ``fit`` calls, stop requests as :class:`~baselines.base.StopEvent`). The library itself
(``localizer/``) only needs ``model.fit(..., callbacks=[DeepLocalize()])``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from baselines.base import Finding, Verdict, json_safe
from localizer.messages import CODES

EXIT_CORRECT = 0
EXIT_FAULT = 1
EXIT_SCRIPT_FAILED = 2


def diagnose(script: Path, args: list[str], as_json: bool) -> int:
    """Run ``script`` with ``args`` under DeepLocalize; print the verdict; return the exit code.

    Args:
        script: Path of the training script.
        args: Its command-line arguments.
        as_json: Print one JSON object on stdout (the script's own stdout goes to stderr so
            stdout stays parseable) instead of text for a human.

    Returns:
        0 when no fault was found, 1 when one was, 2 when the script failed.
    """
    from baselines.deeplocalize import DeepLocalizeDetector
    from harness.injection import FitInjector, run_program

    script = Path(script)
    detector = DeepLocalizeDetector()
    injector = FitInjector({"deeplocalize": detector}, passive=False)
    redirect = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    try:
        with redirect, injector:
            run_program(script, list(args))
    except (Exception, SystemExit) as exc:  # the script failed, or could not be instrumented
        traceback.print_exc(file=sys.stderr)
        if as_json:
            error = f"{type(exc).__name__}: {exc}"
            _print_json({"script": str(script), "args": list(args), "exit_code": 2, "error": error})
        else:
            print(f"DeepLocalize: the script failed ({type(exc).__name__}: {exc}); see above.")
        return EXIT_SCRIPT_FAILED

    verdict = injector.verdicts()["deeplocalize"]
    code = EXIT_FAULT if verdict.detected else EXIT_CORRECT
    if as_json:
        payload = {
            "script": str(script),
            "args": list(args),
            "exit_code": code,
            "code": verdict.raw.get("code", "CM"),
            **verdict.to_json(),
            "fits": [
                {"index": f.index, "epochs_configured": f.epochs_configured,
                 "epochs_run": f.epochs_run, "stopped_early": f.stopped_early}
                for f in injector.fits
            ],
        }
        _print_json(payload)
    else:
        print(_describe(verdict, n_fits=len(injector.fits)))
    return code


def _print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(json_safe(payload), indent=2, allow_nan=False))


def _describe(verdict: Verdict, n_fits: int) -> str:
    """The verdict as a few lines for a human."""
    if not verdict.findings:
        if n_fits == 0:
            return "DeepLocalize: the script never called Model.fit; nothing was checked."
        batches = verdict.raw.get("batches", 0)
        return (
            f"DeepLocalize: no fault found; the model looks correct (CM) after {batches} "
            f"training batches in {n_fits} fit call(s)."
        )
    first = verdict.findings[0]
    lines = [f"DeepLocalize: fault found ({first.code}: {CODES.get(first.code, first.code)})"]
    lines.append(f"  {first.message}")
    lines.append(f"  where:  {_where(first)}")
    reason = first.evidence.get("hint", "")
    lines.append(f"  hint:   {first.hint or 'none'} ({reason}) [heuristic guess]")
    for other in verdict.findings[1:]:
        lines.append(f"  also (later fit call): {other.message}")
    return "\n".join(lines)


def _where(finding: Finding) -> str:
    parts = []
    if finding.layer_index is not None:
        parts.append(f"layer {finding.layer_index} '{finding.layer_name}' ({finding.layer_class})")
    elif finding.target != "layer":
        parts.append(f"the {finding.target}")
    if finding.phase:
        parts.append(f"{finding.phase} pass")
    if finding.quantity:
        parts.append(finding.quantity.replace("_", " "))
    parts.append(
        f"epoch {finding.epoch}, batch {finding.batch}, iteration {finding.iteration}, "
        f"{finding.wall_s:.2f} s into training"
    )
    return "; ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """``deeplocalize diagnose``: parse ``argv`` and run :func:`diagnose`.

    ``--json`` may come before the script or anywhere after it; everything else after the
    script goes to the script, and everything after a ``--`` goes to it unchanged (so a script
    that takes ``--json`` itself gets it with ``diagnose SCRIPT -- --json``).

    Examples:
        deeplocalize diagnose train.py --epochs 5
        deeplocalize diagnose train.py --json > verdict.json
    """
    parser = argparse.ArgumentParser(
        prog="deeplocalize diagnose",
        description="Run a Keras training script with DeepLocalize attached to every fit call.",
        epilog="Exit codes: 0 no fault found, 1 fault found, 2 the script failed.",
    )
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.add_argument("script", type=Path, help="the training script to run")
    parser.add_argument("args", nargs="*", help="arguments for the script")
    argv = list(sys.argv[1:] if argv is None else argv)
    # Options before the script are ours; after it, only --json is (up to a "--").
    start = next((i for i, arg in enumerate(argv) if not arg.startswith("-")), len(argv))
    ns = parser.parse_args(argv[: start + 1])
    as_json = ns.json
    script_args: list[str] = []
    rest = argv[start + 1 :]
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            script_args += rest
            break
        if arg == "--json":
            as_json = True
        else:
            script_args.append(arg)
    if not ns.script.is_file():
        parser.error(f"no such script: {ns.script}")
    return diagnose(ns.script, script_args, as_json)


if __name__ == "__main__":
    sys.exit(main())
