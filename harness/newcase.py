"""``deeplocalize cases new``: a draft case from a buggy and a fixed training script.

:func:`create` copies the buggy script to ``bugs/<id>/train.py``, writes ``patches/<id>.diff``
from the fixed one (:func:`harness.cases.write_patch`), runs both variants through the build
probe of ``cases check --build`` (:func:`harness.modelcheck.probe_many`: every ``fit`` recorded,
nothing trained) and writes a ``case.toml`` draft (:func:`harness.casedraft.skeleton`) with every
key the schema requires: filled where the scripts and the probe tell, ``"TODO: <what to
decide>"`` where a person must decide, which the schema reports as "left to fill in"
(:data:`harness.schema.TODO`), so ``cases check`` lists them (:func:`todo_fields`).

Everything is first assembled in a staging bench root; the real one is written only once both
variants have built a model, and nothing is left behind when writing fails. The staging root
keeps a loadable copy of the case (placeholders, empty oracles) so that the command can train
both variants before a person has filled anything in.
"""

from __future__ import annotations

import ast
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness import vocab
from harness.case_schema import CASE_ID, CASE_SCHEMA
from harness.casedraft import SCRIPT, patch_lines, provisional, quick_profile, skeleton
from harness.cases import CaseError, load_case, params_used, write_patch
from harness.modelcheck import ProbeResult, probe_many
from harness.schema import LEFT_TO_FILL, SchemaError, validate


class NewCaseError(ValueError):
    """The request cannot become a case (bad id, id taken, same scripts, no model built)."""


@dataclass(frozen=True)
class NewCase:
    """A draft case written by :func:`create`.

    ``staged`` is the staging bench root holding the same case with a loadable ``case.toml``
    (oracles empty) for a first training run; ``todos`` the ``(key, hint)`` pairs left to fill in.
    """

    case_id: str
    written: tuple[Path, ...]
    buggy: ProbeResult
    patched: ProbeResult
    quick: dict[str, int]
    todos: tuple[tuple[str, str], ...]
    notes: tuple[str, ...] = field(default=())
    staged: Path | None = None


def _read_script(path: Path, role: str) -> str:
    if not path.is_file():
        raise NewCaseError(f"{path}: the {role} script does not exist")
    try:
        text = path.read_text(encoding="utf-8")
        ast.parse(text, filename=str(path))
    except UnicodeDecodeError as exc:
        raise NewCaseError(f"{path}: the {role} script is not UTF-8 text: {exc}") from exc
    except SyntaxError as exc:
        raise NewCaseError(
            f"{path}:{exc.lineno}: the {role} script does not parse: {exc.msg}") from exc
    return text


def check_request(root: Path, case_id: str, buggy: Path, fixed: Path) -> tuple[str, str]:
    """Validate a request before anything runs; return the buggy and fixed scripts' text."""
    if not CASE_ID.match(case_id):
        raise NewCaseError(f"{case_id!r} is not a case id: so-<post id> (e.g. so-45378493) or "
                           "gh-<repository name in lower case>")
    for taken in (root / "bugs" / case_id, root / "patches" / f"{case_id}.diff"):
        if taken.exists():
            raise NewCaseError(f"{taken} already exists: case {case_id} is taken (choose another "
                               "id, or delete it first if it is your own unfinished draft)")
    buggy_text, fixed_text = _read_script(buggy, "buggy"), _read_script(fixed, "fixed")
    if buggy_text == fixed_text:
        raise NewCaseError(f"{buggy} and {fixed} are identical: a case needs a fix that differs")
    return buggy_text, fixed_text


def stage(staging: Path, case_id: str, buggy_text: str, fixed_text: str, semantics: str) -> Path:
    """Write the case into the staging root ``staging`` (program, provisional metadata, patch)."""
    folder = staging / "bugs" / case_id
    folder.mkdir(parents=True)
    (folder / SCRIPT).write_text(buggy_text, encoding="utf-8")
    (folder / "case.toml").write_text(provisional(case_id, semantics, {}), encoding="utf-8")
    fixed_copy = staging / "fixed" / SCRIPT
    fixed_copy.parent.mkdir()
    fixed_copy.write_text(fixed_text, encoding="utf-8")
    write_patch(load_case(staging, case_id), [fixed_copy])
    return staging


def _probe(staging: Path, case_id: str, timeout_s: float) -> tuple[ProbeResult, ProbeResult]:
    results = probe_many(staging, [(case_id, "buggy"), (case_id, "patched")], "quick", 1,
                         timeout_s)
    probed = []
    for variant, role in (("buggy", "buggy"), ("patched", "fixed")):
        result = results[case_id, variant]
        if isinstance(result, str) or not result.fits:
            why = result if isinstance(result, str) else (result.error or "it never calls fit")
            raise NewCaseError(f"the {role} script did not build and fit a model ({why}); "
                               "nothing was written")
        probed.append(result)
    return probed[0], probed[1]


def todo_fields(metadata: Path) -> list[tuple[str, str]]:
    """``(dotted key, hint)`` of every value of ``metadata`` the schema reports as left to fill."""
    data = tomllib.loads(metadata.read_text(encoding="utf-8"))
    try:
        validate(data, CASE_SCHEMA, str(metadata))
    except SchemaError as exc:
        prefix = f"{LEFT_TO_FILL}: "
        return [(p, m[len(prefix):]) for p, m in exc.problems if m.startswith(prefix)]
    return []


def _write(root: Path, case_id: str, staging: Path, metadata: str) -> tuple[Path, ...]:
    """Copy the staged program and patch into ``root`` with ``metadata``; all or nothing."""
    folder, patch = root / "bugs" / case_id, root / "patches" / f"{case_id}.diff"
    written: list[Path] = []
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir()  # fails if the id was taken meanwhile
        written.append(folder)
        shutil.copyfile(staging / "bugs" / case_id / SCRIPT, folder / SCRIPT)
        (folder / "case.toml").write_text(metadata, encoding="utf-8")
        patch.parent.mkdir(exist_ok=True)
        with patch.open("x", encoding="utf-8") as out:
            written.append(patch)
            out.write((staging / "patches" / f"{case_id}.diff").read_text(encoding="utf-8"))
    except OSError as exc:
        for path in reversed(written):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        raise NewCaseError(
            f"writing case {case_id} under {root} failed, nothing was kept: {exc}") from exc
    return folder / SCRIPT, folder / "case.toml", patch


def create(root: Path, case_id: str, buggy: Path, fixed: Path, staging: Path,
           semantics: str | None = None, progress: Callable[[str], None] = print,
           timeout_s: float = 300.0) -> NewCase:
    """Write ``bugs/<case_id>/`` and ``patches/<case_id>.diff`` under ``root``; see the module.

    ``staging`` must be an empty scratch folder; it keeps the staged copy for a first training.

    Raises:
        NewCaseError: a bad or taken id, unreadable or identical scripts, a script that does not
            build and fit a model; nothing is written under ``root`` then.
    """
    if semantics is not None and semantics not in vocab.SEMANTICS:
        raise NewCaseError(f"unknown semantics {semantics!r}; expected one of {vocab.SEMANTICS}")
    buggy_text, fixed_text = check_request(root, case_id, buggy, fixed)
    try:
        stage(staging, case_id, buggy_text, fixed_text, semantics or "keras3")
    except (CaseError, ValueError) as exc:
        raise NewCaseError(f"staging case {case_id} failed: {exc}") from exc
    patch = (staging / "patches" / f"{case_id}.diff").read_text(encoding="utf-8")
    progress(f"{case_id}: the fix changes {len(patch_lines(patch, 10**6))} line(s); building both "
             "programs up to their first fit (nothing trains)...")
    buggy_probe, patched_probe = _probe(staging, case_id, timeout_s)
    for result in (buggy_probe, patched_probe):
        progress(f"  {result.variant}: {len(result.layers)} layers; "
                 + "; ".join(f"fit #{f.index}: {f.describe()}" for f in result.fits))
    params = params_used(staging / "bugs" / case_id / SCRIPT)
    quick, notes = quick_profile(params, (buggy_probe, patched_probe))
    (staging / "bugs" / case_id / "case.toml").write_text(
        provisional(case_id, semantics or "keras3", quick), encoding="utf-8")
    text = skeleton(case_id, buggy_text, fixed_text, buggy_probe, patched_probe, patch, quick,
                    semantics)
    written = _write(root, case_id, staging, text)
    for path in written:
        progress(f"wrote {path}")
    return NewCase(case_id, written, buggy_probe, patched_probe, quick,
                   tuple(todo_fields(written[1])), tuple(notes), staging)


