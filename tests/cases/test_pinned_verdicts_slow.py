"""DeepLocalize's paper profile on real benchmark cases: verdict code and site, both variants.

Pinned from the main job (quick profile, 3 seeds; run i12-3s of issue #12): every case below
gave the same first finding on all three seeds of each variant, so seed 0 here must give it
too. A change of the localizer or of a case that moves one of these is a change of the
benchmark's numbers and must be deliberate (update the pin and say why in the commit).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import records
from harness.cases import load_cases
from harness.executors.local import LocalExecutor
from harness.runner import RunConfig, plan, run_many

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
#: A pinned layer that depends on the machine's floating-point kernels: any layer matches.
ANY_LAYER = "any"
#: case -> {variant: (code, layer index or None)}; ("CM", None) = no finding.
#: so-33969059 buggy diverges within its first batches and the layer whose weight update turns
#: non-finite first depends on the CPU: EBDW at layer 7 (iteration 10) on the machine of the
#: reference run (3 seeds, platform ...fc-v1098), EBDW at layer 1 (iteration 11) on an AMD EPYC
#: without AVX-512 (platform ...fc-v1252; seed 0, the main job and this test, 2026-12-03). The
#: finding's code is stable; its layer (and so whether it is localized) is not.
PINNED = {
    "so-44066044": {"buggy": ("EAA", 5), "patched": ("CM", None)},  # site 4,5: localized
    "so-45337371": {"buggy": ("EBDW", 5), "patched": ("MDL", None)},  # site 4,5: localized
    "so-34311586": {"buggy": ("EBDW", 5), "patched": ("MDL", None)},  # site 4,5: localized
    "so-33969059": {"buggy": ("EBDW", ANY_LAYER), "patched": ("EBDW", 4)},  # a false alarm
    "so-48221692": {"buggy": ("MDL", None), "patched": ("CM", None)},  # site 2,3: not localized
    "so-52800582": {"buggy": ("MDL", None), "patched": ("CM", None)},  # site 0,1: not localized
}


def _first(record: dict) -> tuple[str, int | None]:
    assert record["status"] == "completed", record.get("error")
    findings = record["verdict"]["findings"]
    if not findings:
        return ("CM", None)
    return (findings[0]["code"], findings[0]["layer_index"])


@pytest.mark.slow
def test_paper_profile_verdicts_on_real_cases(tmp_path: Path) -> None:
    ids = sorted(PINNED)
    cases = load_cases(REPO_ROOT, ids)
    config = RunConfig(run_id="pinned", case_ids=tuple(ids), variants=("buggy", "patched"),
                       tools=("deeplocalize",), seeds=(0,), profile="quick", semantics=None,
                       shared=False, timeout_s=600, memory_mb=6144, jobs=2, executor="local")
    run_many(plan(config, cases), tmp_path, LocalExecutor(), jobs=2)
    got = {}
    for record in records.latest(tmp_path).values():
        code, layer = _first(record)
        if PINNED[record["case_id"]][record["variant"]][1] == ANY_LAYER:
            layer = ANY_LAYER
        got.setdefault(record["case_id"], {})[record["variant"]] = (code, layer)
    assert got == PINNED
