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
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import vocab
from harness.patching import PatchError, apply_patch
from harness.schema import Field, SchemaError, Table, TableList, one_of, validate

NUM = (int, float)
CASE_ID = re.compile(r"^(so-\d+|gh-[a-z0-9][a-z0-9._-]*)$")
PARAM_CALL = "param"


class CaseError(ValueError):
    """A case is missing, malformed or inconsistent. The message names the file."""


def _case_id(value: Any) -> str | None:
    if CASE_ID.match(value):
        return None
    return f"{value!r} is not a case id (so-<post id> or gh-<repo name in lower case>)"


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
}


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


def load_case(root: Path, case_id: str) -> Case:
    """Load and validate ``bugs/<case_id>/case.toml`` under the benchmark ``root``."""
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


def discover(root: Path) -> list[str]:
    """Ids of every case folder under ``root/bugs`` (folders starting with ``_`` are skipped)."""
    bugs = root / "bugs"
    if not bugs.is_dir():
        return []
    return sorted(
        p.name for p in bugs.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
    )


def load_cases(root: Path, ids: list[str] | None = None) -> list[Case]:
    """Load the named cases (all when ``ids`` is empty); an unknown id is an error."""
    return [load_case(root, case_id) for case_id in (ids or discover(root))]


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
