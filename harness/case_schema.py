"""The schema of ``bugs/<id>/case.toml`` (validated by :func:`harness.schema.validate`).

Every key a case may have, its type and its check; ``bugs/README.md`` documents the meaning.
:mod:`harness.cases` loads cases against it, ``deeplocalize cases new`` checks drafts with it.
"""

from __future__ import annotations

import re
from typing import Any

from harness import vocab
from harness.schema import Field, Table, TableList, one_of

NUM = (int, float)
CASE_ID = re.compile(r"^(so-\d+|gh-[a-z0-9][a-z0-9._-]*|mut-[a-z0-9][a-z0-9_.-]*)$")


def _case_id(value: Any) -> str | None:
    if CASE_ID.match(value):
        return None
    return (f"{value!r} is not a case id (so-<post id>, gh-<repo name in lower case> or "
            "mut-<parent>-<operator>-<param>)")


def _site(value: list[Any]) -> str | None:
    bad = [v for v in value if not isinstance(v, int) or isinstance(v, bool) or v < 0]
    if bad:
        return f"{bad[0]!r} is not a layer index (a non-negative integer)"
    if not value or value != sorted(set(value)):
        return f"{value!r}: expected a non-empty array of distinct indices in ascending order"
    return None


_PAPER_RESULT = Table(
    {
        "run": Field((bool,), doc="false when the paper could not run the tool on this case"),
        "detected": Field((bool,)),
        "localized": Field((bool,)),
        "time_s": Field(NUM),
        "epoch": Field((int,)),
        "iteration": Field((int,)),
    }
)
_CONDITION = {
    "metric": Field((str,), required=True, doc="training summary key, e.g. eval_accuracy"),
    "min": Field(NUM),
    "max": Field(NUM),
    "nonfinite": Field((bool,), doc="true: the value must be NaN/Inf; false: must be finite"),
}

CASE_SCHEMA: dict[str, Any] = {
    "id": Field((str,), required=True, check=_case_id),
    "title": Field((str,), required=True),
    "source": Field((str,), required=True, doc="URL of the post or repository"),
    "origin": Field((str,), required=True, check=one_of(*vocab.ORIGINS)),
    "task": Field((str,), required=True, check=one_of(*vocab.TASKS)),
    "script": Field((str,), required=True, doc="the buggy program, relative to the case folder"),
    "args": Field((list,), doc="command-line arguments for the program"),
    "semantics": Field((str,), required=True, check=one_of(*vocab.SEMANTICS)),
    "status": Field((str,), required=True, check=one_of(*vocab.STATUSES)),
    "deprecated_reason": Field((str,)),
    "notes": Field((str,)),
    "data": Table(
        {
            "name": Field((str,), required=True, doc="dataset name in harness.datasets"),
            "original": Field((str,), required=True),
            "stand_in": Field((str,), required=True),
            "shape_change": Field((str,), doc="how the stand-in changes input shapes, if it does"),
        },
        required=True,
    ),
    "training": Table(
        {
            "epochs": Field((int,), required=True),
            "batch_size": Field((int,), required=True),
            "optimizer": Field((str,)),
            "loss": Field((str,)),
        },
        required=True,
    ),
    "profiles": Table(
        {
            "quick": Table({}, required=True, open_keys=Field((int, float, str, bool))),
            "full": Table({}, open_keys=Field((int, float, str, bool))),
            # One variant's own overrides, applied over its profile's (e.g. a patch that changes
            # a setting the quick profile overrides for both variants).
            **{
                f"{profile}_{variant}": Table({}, open_keys=Field((int, float, str, bool)))
                for profile in vocab.PROFILES
                for variant in vocab.VARIANTS
            },
            "min_batches_reason": Field(
                (str,), doc="why a quick-profile fit runs fewer than 100 batches"
            ),
        },
        required=True,
    ),
    "ground_truth": Table(
        {
            "categories": Field((list,), required=True, check=one_of(*vocab.CATEGORIES)),
            "targets": Field((list,), required=True, check=one_of(*vocab.TARGETS)),
            "layers": TableList(
                {
                    "index": Field((int,), required=True, doc="0-based index into model.layers"),
                    "class": Field((str,), required=True),
                    "name": Field((str,)),
                }
            ),
            "site": Field((list,), check=_site, doc="fault-site layer indices (bugs/README.md)"),
            "symptom": Field((str,), required=True, check=one_of(*vocab.SYMPTOMS)),
            "description": Field((str,), required=True),
            "fix": Field((str,), required=True),
        },
        required=True,
    ),
    "oracle": Table(
        {
            "buggy": TableList(_CONDITION, required=True),
            "patched": TableList(_CONDITION, required=True),
            "separates": Field((bool,), doc="false: the pair does not separate on our data"),
            "measured": Field((str,), doc="the numbers measured when separates = false"),
            "reason": Field((str,)),
        },
        required=True,
    ),
    "paper": Table(
        {
            "table": Field((str,), required=True, check=one_of("VI", "VII")),
            "row": Field((int,), required=True),
            "loss_acc_before": Field((str,)),
            "loss_acc_after": Field((str,)),
            "reported_fault": Field((str,), doc="what the paper says DeepLocalize reported"),
            **{tool: _PAPER_RESULT for tool in vocab.PAPER_TOOLS},
        },
        doc="only for the paper's cases: a case added later has none",
    ),
    "mutant": Table(
        {
            "parent": Field((str,), required=True, doc="the healthy program it was made from"),
            "parent_kind": Field((str,), required=True, check=one_of("case", "program")),
            "operator": Field((str,), required=True, doc="harness.mutants.OPERATORS"),
            "param": Field((str,), required=True),
        },
        doc="only for origin = 'mutant' (mutants/README.md)",
    ),
    "reproduction": TableList(
        {
            "profile": Field((str,), required=True, check=one_of(*vocab.PROFILES, "any"),
                             doc="the profile whose runs this explains, or any"),
            "columns": Field((list,), required=True, check=one_of(*vocab.PAPER_TOOLS),
                             doc="the paper columns whose verdict differs"),
            "reason": Field((str,), required=True, check=one_of(*vocab.REPRODUCTION_REASONS)),
            "measured": Field((str,), required=True,
                              doc="the measured numbers behind the reason: command, seeds"),
        },
        doc="why our verdict differs from the paper's (harness/reproduction.py)",
    ),
}
