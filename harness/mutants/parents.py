"""The healthy programs that mutants are made from.

Two kinds:

- **case parents**: the patched program of a real case (``bugs/<id>`` + ``patches/<id>.diff``)
  whose pair separates (``[oracle] separates`` is not false) and that is not the negative
  control. The patched program is what the case's author fixed it to, so it trains well.
- **own parents**: ``mutants/parents/<name>/`` (``train.py`` + ``parent.toml``), small healthy
  programs on data that ships with scikit-learn or is generated in the program, written to
  cover model kinds (MLP, CNN, recurrent) and tasks the real cases have few of.

A parent carries what a mutant case inherits: the program, task, loss semantics, data
description, training settings and the quick/full profile overrides (a case parent's patched
variant overrides included, since the mutant's both variants are built from the patched
program).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.cases import Case, CaseError, load_cases
from harness.patching import apply_patch

PARENTS_DIR = Path("mutants") / "parents"
#: Which real cases give parents, and why (``case_parents``, ``reason``).
SELECTION_FILE = Path("mutants") / "parents.toml"


@dataclass(frozen=True)
class Parent:
    id: str
    kind: str  # "case" or "program"
    source: str  # the healthy program's text
    task: str
    semantics: str
    data: dict[str, Any]
    training: dict[str, Any]
    profiles: dict[str, Any]
    where: str  # what a mutant's ``source`` names
    score: tuple[str, bool] = ("loss", False)  # the kill test's score, higher is better?
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


#: Metric names whose smaller values are better (losses and errors); all others are read from
#: the bound. A bound against this direction (a ``min`` on a loss) is a sanity check, not a
#: health bound: so-50079585 patched has ``loss min = 0.0`` ("a cross-entropy is never
#: negative"), and reading it as "higher loss is better" made 31 of its 38 mutants look
#: equivalent (epochs-1: loss 0.45-0.54 against the parent's 0.03; seeds 0-2, quick).
LOWER_IS_BETTER = ("loss", "mae", "mse", "error")
#: Metric names whose larger values are better.
HIGHER_IS_BETTER = ("accuracy", "acc", "auc", "precision", "recall")


def metric_direction(metric: str) -> bool | None:
    """Whether larger values of ``metric`` are better, from its name; ``None``: unknown."""
    bare = metric.lower().removeprefix("val_").removeprefix("eval_")
    if bare.endswith(LOWER_IS_BETTER):
        return False
    if bare.endswith(HIGHER_IS_BETTER):
        return True
    return None


def oracle_score(case: Case) -> tuple[str, bool]:
    """The kill test's score for a case parent: the metric of the first condition of its
    patched oracle that bounds a value in the metric's good direction (``min``: higher is
    better; ``max``: lower is better). That condition is what the case's author chose to show
    that the patched program is healthy; a bound against the direction the metric's name
    gives (:func:`metric_direction`: a ``min`` on a loss, a ``max`` on an accuracy) is a sanity
    or degeneracy check and is skipped."""
    for cond in case.oracle["patched"]:
        direction = metric_direction(cond.metric)
        if cond.min is not None and direction is not False:
            return cond.metric, True
        if cond.max is not None and direction is not True:
            return cond.metric, False
    raise CaseError(f"{case.metadata_path}: oracle.patched: no condition with min or max in "
                    "the metric's good direction, so the case cannot be a mutant parent (the "
                    "kill test needs a score)")


def default_score(task: str) -> tuple[str, bool]:
    """An own parent's score unless ``parent.toml`` names one: training accuracy for a
    classifier, mean absolute error for a regression."""
    return ("mae", False) if task == "regression" else ("accuracy", True)


def case_parent(case: Case) -> Parent:
    """The patched program of a real case as a parent."""
    files = {p.relative_to(case.folder).as_posix(): p.read_text(encoding="utf-8")
             for p in case.files()}
    fixed = apply_patch(files, case.patch_path.read_text(encoding="utf-8"),
                        str(case.patch_path), case.folder)
    if set(fixed) != {case.script}:
        raise CaseError(f"{case.id}: a parent must be one program file, not {sorted(fixed)}")
    profiles: dict[str, Any] = {}
    for profile in ("quick", "full"):
        merged = case.params(profile, "patched")
        if merged or profile == "quick":
            profiles[profile] = merged
    if case.min_batches_reason:
        profiles["min_batches_reason"] = case.min_batches_reason
    return Parent(
        id=case.id, kind="case", source=fixed[case.script], task=case.task,
        semantics=case.semantics, data=dict(case.meta["data"]),
        training=dict(case.meta["training"]), profiles=profiles,
        where=f"{case.source} (the patched program of case {case.id})",
        score=oracle_score(case),
    )


def is_case_parent(case: Case) -> bool:
    return (case.status == "active" and case.separates and "none" not in case.categories
            and case.origin != "mutant")


def own_parent(folder: Path) -> Parent:
    """``mutants/parents/<name>/`` as a parent; a malformed ``parent.toml`` names its key."""
    meta_path = folder / "parent.toml"
    try:
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CaseError(f"{meta_path}: {exc}") from exc
    for key in ("id", "title", "task", "script", "semantics", "data", "training", "profiles"):
        if key not in meta:
            raise CaseError(f"{meta_path}: {key}: required")
    if meta["id"] != folder.name:
        raise CaseError(f"{meta_path}: id: {meta['id']!r} does not match its folder")
    data = dict(meta["data"])
    data.setdefault("stand_in", "none: the program's own data is the original")
    return Parent(
        id=meta["id"], kind="program",
        source=(folder / meta["script"]).read_text(encoding="utf-8"), task=meta["task"],
        semantics=meta["semantics"], data=data, training=dict(meta["training"]),
        profiles={k: dict(v) if isinstance(v, dict) else v for k, v in meta["profiles"].items()},
        where=f"mutants/parents/{meta['id']} (a healthy program of this project)",
        score=_own_score(meta, meta_path),
        notes=meta.get("notes", ""), extra={"measured": meta.get("measured", {})},
    )


def _selection(root: Path, key: str, default: Any = None) -> Any:
    """``key`` of ``mutants/parents.toml`` (``default`` when absent and not ``None``); an
    unreadable file or a missing required key names the file and the key."""
    path = root / SELECTION_FILE
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
        return table[key] if default is None else table.get(key, default)
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise CaseError(f"{path}: {key}: {exc}") from exc


def suite_quick_profiles(root: Path) -> dict[str, dict[str, Any]]:
    """``[suite_quick]`` of ``mutants/parents.toml``: per case parent, the quick profile its
    mutants keep when the case's own quick profile has moved since the suite was measured
    (``mutants/kills.json``), so that the committed mutants and their kill verdicts stay what
    was measured and within the suite's cost cut."""
    table = _selection(root, "suite_quick", {})
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise CaseError(f"{root / SELECTION_FILE}: suite_quick: a table of case id = "
                        "{ parameter = value }")
    return {str(k): dict(v) for k, v in table.items()}


def selected_case_parents(root: Path) -> list[str]:
    """The real cases ``mutants/parents.toml`` names as parents (each must qualify:
    :func:`is_case_parent`)."""
    ids = _selection(root, "case_parents")
    for case in load_cases(root, ids):
        if not is_case_parent(case):
            raise CaseError(f"{root / SELECTION_FILE}: case_parents: {case.id} is not a healthy "
                            "parent (it must be active, separate, and not the negative control)")
    return list(ids)


def _own_score(meta: dict[str, Any], path: Path) -> tuple[str, bool]:
    kill = meta.get("kill")
    if kill is None:
        return default_score(meta["task"])
    if not isinstance(kill.get("score"), str) or not isinstance(kill.get("higher_is_better"),
                                                                 bool):
        raise CaseError(f"{path}: kill: needs score (a metric name) and higher_is_better")
    return kill["score"], kill["higher_is_better"]


def find_parents(root: Path, ids: list[str] | None = None) -> list[Parent]:
    """Every parent: the case parents ``mutants/parents.toml`` names, then the own parents;
    or the named ones.

    Raises:
        CaseError: an id names no parent, or a parent is malformed.
    """
    chosen = selected_case_parents(root)
    pinned = suite_quick_profiles(root)
    unknown = sorted(set(pinned) - set(chosen))
    if unknown:
        raise CaseError(f"{root / SELECTION_FILE}: suite_quick: {unknown} are not case_parents")
    parents = []
    for case in load_cases(root, chosen):
        if is_case_parent(case):
            parent = case_parent(case)
            if case.id in pinned:
                parent = replace(parent, profiles={**parent.profiles, "quick": pinned[case.id]})
            parents.append(parent)
    own = root / PARENTS_DIR
    if own.is_dir():
        parents += [own_parent(p) for p in sorted(own.iterdir())
                    if (p / "parent.toml").is_file()]
    if not ids:
        return parents
    by_id = {p.id: p for p in parents}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise CaseError(f"unknown parent(s) {unknown}; parents: {', '.join(by_id)}")
    return [by_id[i] for i in ids]
