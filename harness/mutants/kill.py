"""Is a mutant *killed*: does it train measurably worse than its parent over seeds?

After DeepCrime (Humbatova, Jahangirova, Tonella, ISSTA 2021): a mutant is killed when its
runs differ from the original's in a statistically sound way, which they decide with a test
on the two samples of a quality score and an effect size. Here, per mutant:

- **the score** is the parent's: for a case parent, the metric of the first bounded condition
  of its patched oracle (what the case's author chose to show the patched program healthy:
  ``eval_accuracy``, ``val_accuracy``, ``eval_loss``, ``loss``); for an own parent, the one its
  ``parent.toml`` names, by default the training ``accuracy`` of a classifier and the ``mae`` of
  a regression. A non-finite value counts as the worst possible. A loss score cannot judge a
  mutant that changes what the loss adds up (``swap_loss``; ``regularisation``, whose penalty
  Keras adds to the loss): those are ``incomparable`` there.
- **the test** is a one-sided exact permutation test on the rank sum (Mann-Whitney, mid-ranks
  for ties) of the mutant's scores against the parent's: is the mutant worse? ``p <= 0.05``.
  With 3 seeds each (``C(6,3) = 20`` orderings) that holds only when all three mutant runs are
  worse than all three parent runs (``p = 0.05``); 5 seeds allow one overlap.
- **the effect size** is Cohen's d on the same scores (pooled standard deviation, oriented so
  that worse is positive): ``d >= 0.5`` (DeepCrime's threshold for a non-negligible effect).

Verdicts: ``killed``; ``equivalent`` (no such difference: the mutant is listed, never
dropped); ``incomparable``; ``failed`` (some run of the mutant or the parent did not complete,
which says nothing about the fault). Only ``killed`` mutants enter the suite. The verdicts live
in ``mutants/kills.json`` with the case digest they were measured on: a regenerated mutant
whose program changed is unverified until measured again.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.cases import Case

KILLS_FILE = Path("mutants") / "kills.json"
ALPHA = 0.05
MIN_EFFECT = 0.5


@dataclass(frozen=True)
class KillVerdict:
    verdict: str  # killed | equivalent | incomparable | failed
    metric: str
    parent: list[float]
    mutant: list[float]
    p: float | None
    d: float | None
    why: str = ""


#: Operators that change what a loss value measures: a loss score cannot compare them.
LOSS_CHANGING = frozenset({"swap_loss", "regularisation"})


def _badness(value: Any, higher_is_better: bool) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return math.inf
    return -float(value) if higher_is_better else float(value)


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def rank_sum_p(parent: list[float], mutant: list[float]) -> float:
    """One-sided exact p that the mutant's values are larger (worse), by enumeration."""
    values = parent + mutant
    ranks = _ranks(values)
    observed = sum(ranks[len(parent):])
    combos = list(itertools.combinations(range(len(values)), len(mutant)))
    at_least = sum(1 for c in combos if sum(ranks[i] for i in c) >= observed - 1e-9)
    return at_least / len(combos)


def cohens_d(parent: list[float], mutant: list[float]) -> float:
    """(mean mutant − mean parent) / pooled sd; infinite when the mutant has infinite values
    and the parent none, or when both spreads are zero and the means differ."""
    if any(math.isinf(v) for v in mutant) and not any(math.isinf(v) for v in parent):
        return math.inf
    if any(math.isinf(v) for v in parent):
        return 0.0 if any(math.isinf(v) for v in mutant) else -math.inf
    n1, n2 = len(parent), len(mutant)
    m1, m2 = sum(parent) / n1, sum(mutant) / n2
    v1 = sum((x - m1) ** 2 for x in parent) / max(n1 - 1, 1)
    v2 = sum((x - m2) ** 2 for x in mutant) / max(n2 - 1, 1)
    pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / max(n1 + n2 - 2, 1))
    if pooled == 0:
        return 0.0 if m1 == m2 else math.copysign(math.inf, m2 - m1)
    return (m2 - m1) / pooled


def decide(score: tuple[str, bool], operator: str, parent_runs: list[dict[str, Any]],
           mutant_runs: list[dict[str, Any]]) -> KillVerdict:
    """The verdict from the control-run records (tool ``none``) of parent and mutant, on
    ``score`` (a metric of the training summary, and whether higher is better)."""
    bad = [r for r in parent_runs + mutant_runs if r.get("status") != "completed"]
    if bad or not parent_runs or not mutant_runs:
        why = "; ".join(f"{r['variant']} seed {r['seed']}: {r.get('status')}" for r in bad)
        return KillVerdict("failed", "", [], [], None, None, why or "no runs")
    pm = [(r.get("training") or {}).get("metrics") or {} for r in parent_runs]
    mm = [(r.get("training") or {}).get("metrics") or {} for r in mutant_runs]
    metric, higher = score
    parent_values = [m.get(metric) for m in pm]
    mutant_values = [m.get(metric) for m in mm]
    if any(metric not in m for m in pm):
        return KillVerdict("failed", metric, [], [], None, None,
                           f"the parent's runs do not log {metric}")
    if metric.endswith("loss") and operator in LOSS_CHANGING:
        return KillVerdict("incomparable", metric, parent_values, mutant_values, None, None,
                           f"{operator} changes what the loss adds up, and {metric} is the "
                           "parent's score")
    pb = [_badness(v, higher) for v in parent_values]
    mb = [_badness(v, higher) for v in mutant_values]
    p, d = rank_sum_p(pb, mb), cohens_d(pb, mb)
    verdict = "killed" if p <= ALPHA + 1e-12 and d >= MIN_EFFECT else "equivalent"
    return KillVerdict(verdict, metric, parent_values, mutant_values, p, d)


def load_kills(root: Path) -> dict[str, dict[str, Any]]:
    path = root / KILLS_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc


def save_kills(root: Path, kills: dict[str, dict[str, Any]]) -> Path:
    path = root / KILLS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(dict(sorted(kills.items())), indent=1, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def entry(case: Case, verdict: KillVerdict, seeds: int, profile: str, run: str
          ) -> dict[str, Any]:
    """One ``kills.json`` entry: the verdict, its numbers, and what they were measured on."""
    def clean(values: list[Any]) -> list[Any]:
        return [v if isinstance(v, int | float) and math.isfinite(v) else str(v) for v in values]

    data = asdict(verdict)
    data.update(parent=clean(verdict.parent), mutant=clean(verdict.mutant),
                d=None if verdict.d is None or not math.isfinite(verdict.d) else verdict.d,
                d_text=None if verdict.d is None else f"{verdict.d:.3g}",
                digest=case.digest(), seeds=seeds, profile=profile, run=run)
    return data


def killed_only(root: Path, cases: list[Case]) -> list[Case]:
    """The mutants measured as killed on their current content (real cases pass through);
    prints how many mutants each verdict left out."""
    kills = load_kills(root)
    kept, left = [], {}
    for case in cases:
        if case.suite != "mutants":
            kept.append(case)
            continue
        found = kills.get(case.id)
        state = "unverified" if not found or found.get("digest") != case.digest() \
            else found["verdict"]
        if state == "killed":
            kept.append(case)
        else:
            left[state] = left.get(state, 0) + 1
    if left:
        parts = ", ".join(f"{n} {state}" for state, n in sorted(left.items()))
        print(f"suite mutants: {sum(c.suite == 'mutants' for c in kept)} killed mutant(s) run; "
              f"left out: {parts} (deeplocalize mutants verify; {KILLS_FILE})")
    return kept
