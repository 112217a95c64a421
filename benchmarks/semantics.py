"""Which loss semantics reproduces the paper's losses, per case (issue #11, item 3).

Give runs that together cover the semantics to compare (e.g. the main job, which runs each
case under its own semantics, plus the same cases under ``--semantics tfkeras`` and
``--semantics keras3``); each record says which semantics it ran. For every case with a
published loss in ``paper.loss_acc_before`` / ``loss_acc_after`` (Tables IV/V), this prints our
final training loss and accuracy under each semantics (median over the seeds that ran under
every semantics compared: a comparison never mixes seeds) next to the paper's, and
the distance

    d(s) = mean over the variants with a published loss of |log10(ours / paper)|

(a published NaN counts 0 when ours is non-finite too and 3 otherwise; a finite published loss
against a non-finite one of ours counts 3), over the variants that ran under every semantics
compared. The semantics chosen is the closest, unless the case's current semantics is within
0.3 of it (a factor of 2); equal distances go to the one nearest Keras 2.2 (keras2, then
tfkeras, then keras3). The criterion was fixed before the runs were made, and it looks at
losses only, never at any tool's verdict. When several runs hold the same (semantics, case,
variant, seed), the one given last wins: give the runs oldest first.

Usage::

    python benchmarks/semantics.py RUN [RUN ...] [--bench-root ROOT]
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import records  # noqa: E402
from harness.cases import load_cases  # noqa: E402
from harness.envinfo import bench_root  # noqa: E402
from harness.results import resolve_run  # noqa: E402

KEEP_WITHIN = 0.3  # log10 units: keep the case's semantics unless another is 2x closer
ORDER = ("keras2", "tfkeras", "keras3")  # ties go to the one nearest Keras 2.2
MISS = 3.0  # a NaN against a finite loss, either way
NUMBER = re.compile(r"^\s*(NaN|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


def published_loss(text: str | None) -> float | None:
    """The loss of a ``loss_acc_before``-style string (``"11023.3321 / 0.098"``, ``"NaN /
    0.1"``, ``"1E-05"``); ``None`` when there is none."""
    if not text:
        return None
    match = NUMBER.match(text)
    if not match:
        return None
    return math.nan if match.group(1) == "NaN" else float(match.group(1))


def distance(ours: float | None, paper: float) -> float | None:
    """|log10(ours / paper)|, with NaN handled as the module says; ``None`` without ours."""
    if ours is None:
        return None
    if math.isnan(paper) or not math.isfinite(ours):
        return 0.0 if (math.isnan(paper) and not math.isfinite(ours)) else MISS
    if ours <= 0 or paper <= 0:
        return abs(ours - paper)
    return abs(math.log10(ours / paper))


Loss = tuple[float | None, float | None]


def final_losses(runs: list[Path]) -> dict[str, dict[tuple[str, str], dict[int, Loss]]]:
    """semantics -> (case, variant) -> seed -> final training (loss, accuracy); a non-finite
    loss is ``inf``."""
    out: dict[str, dict[tuple[str, str], dict[int, Loss]]] = {}
    for r in (r for run in runs for r in records.latest(run).values()):
        if r["status"] != "completed" or not r.get("training"):
            continue
        metrics = r["training"].get("metrics") or {}
        loss = math.inf if metrics.get("loss_nonfinite") else metrics.get("loss")
        cell = out.setdefault(r.get("semantics") or "?", {}).setdefault(
            (r["case_id"], r["variant"]), {})
        cell[r["seed"]] = (loss, metrics.get("accuracy"))
    return out


def _median(by_seed: dict[int, Loss], seeds: set[int]) -> Loss:
    losses = [by_seed[s][0] for s in seeds if by_seed[s][0] is not None]
    accs = [by_seed[s][1] for s in seeds if by_seed[s][1] is not None]
    return (statistics.median(losses) if losses else None,
            statistics.median(accs) if accs else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run ids or run folders")
    parser.add_argument("--bench-root")
    parser.add_argument("--runs-dir", default="runs")
    args = parser.parse_args(argv)
    runs = final_losses([resolve_run(run, args.runs_dir) for run in args.runs])
    cases = {c.id: c for c in load_cases(bench_root(args.bench_root))}
    names = sorted(runs)
    print("case | current | " + " | ".join(f"{n}: buggy, patched loss (acc) / d" for n in names)
          + " | paper before / after | choice")
    changes = []
    for case_id, case in sorted(cases.items()):
        paper = case.meta.get("paper") or {}
        published = {"buggy": published_loss(paper.get("loss_acc_before")),
                     "patched": published_loss(paper.get("loss_acc_after"))}
        names_here = [n for n in names if (case_id, "buggy") in runs[n]]
        if not names_here:
            continue
        common = [v for v in ("buggy", "patched")
                  if published[v] is not None and all((case_id, v) in runs[n] for n in names_here)]
        seeds = set.intersection(*(set(runs[n][(case_id, v)]) for n in names_here
                                   for v in ("buggy", "patched") if (case_id, v) in runs[n]))
        cells, dist = [], {}
        for n in names:
            if n not in names_here:
                cells.append("–")
                continue
            parts, ds = [], []
            for variant in ("buggy", "patched"):
                by_seed = runs[n].get((case_id, variant), {})
                loss, acc = _median(by_seed, seeds & set(by_seed)) if by_seed else (None, None)
                parts.append("–" if loss is None else f"{loss:.4g}"
                             + ("" if acc is None else f" ({acc:.3g})"))
                if variant in common:
                    d = distance(loss, published[variant])
                    if d is not None:
                        ds.append(d)
            dist[n] = statistics.mean(ds) if ds else None
            cells.append(", ".join(parts) + (" / –" if dist[n] is None else f" / {dist[n]:.2f}"))
        known = {n: d for n, d in dist.items() if d is not None}
        choice = case.semantics
        if known:
            best = min(known, key=lambda n: (known[n], ORDER.index(n) if n in ORDER else 9))
            current = known.get(case.semantics)
            if current is None or current - known[best] >= KEEP_WITHIN:
                choice = best
        if choice != case.semantics:
            changes.append((case_id, case.semantics, choice))
        print(f"{case_id} | {case.semantics} | " + " | ".join(cells)
              + f" | {paper.get('loss_acc_before', '–')} / {paper.get('loss_acc_after', '–')}"
              + f" | {choice}{' (changed)' if choice != case.semantics else ''}")
    print(f"\n{len(changes)} case(s) closer to the paper under another semantics:")
    for case_id, old, new in changes:
        print(f"  {case_id}: {old} -> {new}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
