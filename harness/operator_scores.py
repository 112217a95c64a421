"""Per mutation operator and tool: how a tool does on the mutant suite (issue #13).

Detection, site-localization and diagnosis are counted over the buggy runs of the operator's
mutants. False alarms are counted over the patched runs of their *parents*: a mutant's patched
variant is its parent program, which trains once per parent and seed
(:func:`harness.cases.variants_to_run`), so an operator's false-alarm rate is the tool's rate on
the healthy programs that operator mutated. Pure: works on :class:`~harness.tally.UnitOutcome`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from harness.cases import Case
from harness.tally import ToolScore, UnitOutcome


def operator_breakdown(cases: Mapping[str, Case], outcomes: Iterable[UnitOutcome]
                       ) -> dict[str, dict[str, dict[str, Any]]]:
    """``{operator: {tool: ToolScore.to_json() + mutants, parents}}``, operators in the order of
    ``harness.mutants.OPERATORS``; empty for a run without mutants."""
    mutants = {cid: c for cid, c in cases.items() if c.origin == "mutant"}
    if not mutants:
        return {}
    outcomes = [o for o in outcomes if o.case_id in mutants]
    patched: dict[str, list[UnitOutcome]] = defaultdict(list)
    by_operator: dict[str, set[str]] = defaultdict(set)
    for o in outcomes:
        meta = mutants[o.case_id].meta["mutant"]
        if o.variant == "patched":
            patched[meta["parent"]].append(o)
        else:
            by_operator[meta["operator"]].add(o.case_id)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for operator in _ordered(by_operator):
        ids = by_operator[operator]
        parents = {mutants[c].meta["mutant"]["parent"] for c in ids}
        tallies: dict[str, ToolScore] = {}
        chosen = [o for o in outcomes if o.variant == "buggy" and o.case_id in ids]
        chosen += [o for p in sorted(parents) for o in patched[p]]
        for o in sorted(chosen, key=lambda o: (o.tool, o.case_id, o.variant, o.seed)):
            tallies.setdefault(o.tool, ToolScore(o.tool)).add(o)
        out[operator] = {}
        for tool, tally in sorted(tallies.items()):
            tally.finish()
            out[operator][tool] = {**tally.to_json(), "mutants": len(ids),
                                   "parents": len(parents)}
    return out


def _ordered(names: Iterable[str]) -> list[str]:
    from harness.mutants import OPERATORS

    order = {op.name: i for i, op in enumerate(OPERATORS)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))
