"""Benchmark cases: ``bugs/<id>/case.toml`` + the buggy program, ``patches/<id>.diff`` the fix.

:func:`load_case` validates the metadata (unknown keys rejected, every problem reported with its
dotted path) into a frozen :class:`Case`. :func:`check_case` is the fast linter behind
``deeplocalize cases check``: schema, files present, patch applies, profile parameters exist in
the program. Nothing here trains a model.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import vocab
from harness.case_schema import CASE_SCHEMA
from harness.patching import PatchError, apply_patch
from harness.schema import SchemaError, validate

PARAM_CALL = "param"


class CaseError(ValueError):
    """A case is missing, malformed or inconsistent. The message names the file."""


@dataclass(frozen=True)
class FaultyLayer:
    index: int
    cls: str
    name: str | None = None


@dataclass(frozen=True)
class Condition:
    metric: str
    min: float | None = None
    max: float | None = None
    nonfinite: bool | None = None


@dataclass(frozen=True)
class Case:
    """A validated benchmark case. ``meta`` keeps the whole parsed metadata for reports.

    ``layers`` are the faulty layers as labelled; ``site_layers`` the indices of their fault site
    (``ground_truth.site``, the convention of ``bugs/README.md``; empty without layer labels).
    ``min_batches_reason`` says why a quick-profile fit may run fewer than 100 batches.
    """

    id: str
    root: Path
    title: str
    source: str
    origin: str
    task: str
    script: str
    args: tuple[str, ...]
    semantics: str
    status: str
    profiles: dict[str, dict[str, Any]]
    categories: tuple[str, ...]
    targets: tuple[str, ...]
    layers: tuple[FaultyLayer, ...]
    site_layers: frozenset[int]
    symptom: str
    oracle: dict[str, tuple[Condition, ...]]
    separates: bool
    min_batches_reason: str | None
    meta: dict[str, Any] = field(repr=False, compare=False)

    @property
    def suite(self) -> str:
        """``mutants`` for a generated mutant, else ``real``."""
        return "mutants" if self.origin == "mutant" else "real"

    @property
    def folder(self) -> Path:
        return self.root / "bugs" / self.id

    @property
    def patch_path(self) -> Path:
        return self.root / "patches" / f"{self.id}.diff"

    @property
    def metadata_path(self) -> Path:
        return self.folder / "case.toml"

    def params(self, profile: str, variant: str | None = None) -> dict[str, Any]:
        """Parameter overrides of a profile (``full`` = the program's own defaults), with the
        variant's own overrides (``[profiles.<profile>_<variant>]``) on top when given."""
        if profile not in vocab.PROFILES:
            raise CaseError(f"unknown profile {profile!r}; expected one of {vocab.PROFILES}")
        if variant is not None and variant not in vocab.VARIANTS:
            raise CaseError(f"unknown variant {variant!r}; expected one of {vocab.VARIANTS}")
        merged = dict(self.profiles.get(profile, {}))
        if variant is not None:
            merged.update(self.profiles.get(f"{profile}_{variant}", {}))
        return merged

    def files(self) -> list[Path]:
        """The case's program files (everything in its folder but the metadata), sorted."""
        return sorted(
            p
            for p in self.folder.rglob("*")
            if p.is_file() and p.name != "case.toml" and "__pycache__" not in p.parts
        )

    def digest(self) -> str:
        """Content hash of metadata, program files and patch: changes whenever the case does."""
        h = hashlib.sha256()
        for path in [self.metadata_path, *self.files(), self.patch_path]:
            h.update(path.relative_to(self.root).as_posix().encode())
            h.update(path.read_bytes() if path.exists() else b"<missing>")
        return h.hexdigest()[:16]


#: Where each suite's cases live under the benchmark root (each holds ``bugs/``, ``patches/``).
SUITE_DIRS = {"real": ".", "mutants": "mutants"}


def case_root(root: Path, case_id: str) -> Path:
    """The folder holding the case's ``bugs/`` and ``patches/``: ``root`` for a real case,
    ``root/mutants`` for a generated mutant (``root`` itself when it holds neither)."""
    for sub in SUITE_DIRS.values():
        if (root / sub / "bugs" / case_id / "case.toml").exists():
            return root / sub  # pathlib drops the "." of a real case
    return root


def load_case(root: Path, case_id: str) -> Case:
    """Load and validate ``bugs/<case_id>/case.toml`` under the benchmark ``root`` (or, for a
    mutant, under ``root/mutants``)."""
    root = case_root(root, case_id)
    path = root / "bugs" / case_id / "case.toml"
    if not path.exists():
        known = ", ".join(discover(root)) or "(none)"
        raise CaseError(f"unknown case {case_id!r}: {path} does not exist. Known cases: {known}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"{path}: invalid TOML: {exc}") from exc
    try:
        validate(data, CASE_SCHEMA, str(path))
    except SchemaError as exc:
        raise CaseError(str(exc)) from exc
    if data["id"] != case_id:
        raise CaseError(f"{path}: id: {data['id']!r} does not match its folder name {case_id!r}")
    if data["status"] == "deprecated" and not data.get("deprecated_reason"):
        raise CaseError(f"{path}: deprecated_reason: required when status = 'deprecated'")
    gt = data["ground_truth"]
    if "layer" in gt["targets"] and not gt.get("layers"):
        raise CaseError(f"{path}: ground_truth.layers: required when targets include 'layer'")
    _check_site(gt, path)
    if (data["origin"] == "mutant") != ("mutant" in data):
        raise CaseError(f"{path}: mutant: required with origin = 'mutant', and only then")
    if data.get("reproduction") and not data.get("paper"):
        raise CaseError(f"{path}: reproduction: explains differences from the paper, but the "
                        "case has no [paper] table")
    oracle = data["oracle"]
    return Case(
        id=case_id,
        root=root,
        title=data["title"],
        source=data["source"],
        origin=data["origin"],
        task=data["task"],
        script=data["script"],
        args=tuple(str(a) for a in data.get("args", [])),
        semantics=data["semantics"],
        status=data["status"],
        profiles={k: dict(v) for k, v in data["profiles"].items() if isinstance(v, dict)},
        categories=tuple(gt["categories"]),
        targets=tuple(gt["targets"]),
        layers=tuple(
            FaultyLayer(index=lay["index"], cls=lay["class"], name=lay.get("name"))
            for lay in gt.get("layers", [])
        ),
        site_layers=frozenset(gt.get("site", [])),
        symptom=gt["symptom"],
        oracle={
            variant: tuple(Condition(**c) for c in oracle[variant]) for variant in vocab.VARIANTS
        },
        separates=oracle.get("separates", True),
        min_batches_reason=data["profiles"].get("min_batches_reason"),
        meta=data,
    )


def _check_site(gt: dict[str, Any], path: Path) -> None:
    """``site`` goes with ``layers`` and covers them (the convention itself needs the model)."""
    indices = {lay["index"] for lay in gt.get("layers", [])}
    if indices and "site" not in gt:
        raise CaseError(
            f"{path}: ground_truth.site: required with ground_truth.layers (the fault-site "
            "convention of bugs/README.md applied to them; `cases check --build` computes it)"
        )
    if "site" in gt and not indices:
        raise CaseError(f"{path}: ground_truth.site: only allowed with ground_truth.layers")
    missing = sorted(indices - set(gt.get("site", [])))
    if missing:
        raise CaseError(
            f"{path}: ground_truth.site: {gt['site']} lacks the faulty layer(s) {missing}: a "
            "site always contains its faulty layers"
        )


def discover(root: Path, suite: str = "real") -> list[str]:
    """Ids of every case folder of ``suite`` (``real``, ``mutants`` or ``all``) under ``root``
    (folders starting with ``_`` or ``.`` are skipped)."""
    if suite not in vocab.SUITES:
        raise CaseError(f"unknown suite {suite!r}; expected one of {vocab.SUITES}")
    names = set()
    for name, sub in SUITE_DIRS.items():
        bugs = root / sub / "bugs"
        if suite in (name, "all") and bugs.is_dir():
            names |= {p.name for p in bugs.iterdir()
                      if p.is_dir() and not p.name.startswith(("_", "."))}
    return sorted(names)


def load_cases(root: Path, ids: list[str] | None = None, suite: str = "real") -> list[Case]:
    """Load the named cases (all of ``suite`` when ``ids`` is empty); an unknown id is an
    error."""
    return [load_case(root, case_id) for case_id in (ids or discover(root, suite))]


def variants_to_run(cases: Iterable[Case], variants: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The variants each case of a run trains: all of ``variants``, except that among the
    mutants of one parent only the first (by id) trains ``patched``.

    A mutant's patched variant *is* its parent program; under the same seed every mutant of a
    parent would train it again and count one false alarm (or its absence) once per mutant. The
    first mutant's patched runs stand for the parent, once per seed.
    """
    seen: set[str] = set()
    out = {}
    for case in sorted(cases, key=lambda c: c.id):
        chosen = tuple(variants)
        if case.origin == "mutant":
            parent = case.meta["mutant"]["parent"]
            if parent in seen:
                chosen = tuple(v for v in chosen if v != "patched")
            seen.add(parent)
        out[case.id] = chosen
    return out


def params_used(script: Path) -> set[str]:
    """Names passed as the first argument of ``param("name", default)`` calls in a program."""
    tree = ast.parse(script.read_text(encoding="utf-8"), filename=str(script))
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == PARAM_CALL
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
    return names


def check_case(root: Path, case_id: str) -> list[str]:
    """Lint one case without training. Returns ``error: where: message`` lines (empty = OK)."""
    try:
        case = load_case(root, case_id)
    except CaseError as exc:
        return [f"error: {line}" for line in str(exc).splitlines()]
    errors: list[str] = []
    if case.origin != "mutant" and not all(case.oracle.values()):
        errors.append(f"error: {case.metadata_path}: oracle: every variant needs a condition "
                      "(only a mutant, whose separation is its kill test, has none)")
    script = case.folder / case.script
    if not script.is_file():
        return [f"error: {case.metadata_path}: script: {script} does not exist"]
    for path in case.files():
        if path.suffix in (".pyc", ".npz", ".npy", ".h5", ".zip") or " " in path.name:
            errors.append(
                f"error: {path}: binaries, data files and spaces in names are not allowed"
            )
    try:
        declared = params_used(script)
    except SyntaxError as exc:
        return [f"error: {script}:{exc.lineno}: {exc.msg}"]
    for profile, overrides in case.profiles.items():
        for name in overrides:
            if name not in declared:
                errors.append(
                    f"error: {case.metadata_path}: profiles.{profile}.{name}: the program has no "
                    f"param({name!r}, ...) (it has: {', '.join(sorted(declared)) or 'none'})"
                )
    if not case.patch_path.exists():
        errors.append(f"error: {case.patch_path}: the patch is missing")
    else:
        try:
            files = {p.relative_to(case.folder).as_posix(): p.read_text() for p in case.files()}
            apply_patch(files, case.patch_path.read_text(encoding="utf-8"), str(case.patch_path))
        except PatchError as exc:
            errors.append(f"error: {exc}")
        except UnicodeDecodeError as exc:
            errors.append(f"error: {case.folder}: a program file is not UTF-8 text: {exc}")
    return errors


def write_patch(case: Case, fixed: list[Path]) -> Path:
    """Write ``patches/<id>.diff`` from fixed copies of the case's files; return its path.

    Each path in ``fixed`` is the fixed version of the case file of the same name. The patch
    must apply to the case (checked before anything is written) and must not be empty.
    """
    chunks: list[str] = []
    for path in fixed:
        buggy = case.folder / path.name
        if not buggy.is_file():
            raise FileNotFoundError(f"{buggy}: no buggy file of that name in the case folder")
        chunks.extend(difflib.unified_diff(
            buggy.read_text().splitlines(keepends=True), path.read_text().splitlines(keepends=True),
            fromfile=f"a/{path.name}", tofile=f"b/{path.name}"))
    patch = "".join(chunks)
    if not patch:
        raise ValueError("the fixed files are identical to the buggy ones: empty patch")
    files = {p.relative_to(case.folder).as_posix(): p.read_text() for p in case.files()}
    apply_patch(files, patch, "<new patch>")
    case.patch_path.parent.mkdir(exist_ok=True)
    case.patch_path.write_text(patch)
    return case.patch_path
