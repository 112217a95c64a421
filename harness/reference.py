"""The reference run: every registered tool's records, shipped, to compare a new tool against.

A new tool's comparison with every other tool costs one run of that tool alone:
``deeplocalize run --tools mytool`` and then ``deeplocalize score RUN --against reference``
(or ``report``) ranks it beside the reference's tools. ``scripts/reference`` regenerates the
shipped reference (the main job with every built-in tool and 3 seeds) and packs it with
``deeplocalize reference pack RUN`` (:func:`pack`).

A reference is a folder (the shipped one: ``benchmarks/reference/``, :data:`SHIPPED`) with:

- ``records.jsonl.gz``: the latest record of every unit of the source run, one JSON line each
  (:func:`harness.records.dumps`), sorted by key, gzip'ed with mtime 0 and no file name;
- ``run.json``: the source run's ``run.json`` (configuration, environment), keys sorted;
- ``digests.json``: ``cases`` (case id -> the case's digest, :meth:`harness.cases.Case.digest`,
  when its units ran), ``code_revision`` and ``tool_versions`` (tool -> version) the records
  were made with, and ``run_id``.

The same run always packs into the same bytes. A packed run is also read as a run: ``score``,
``report`` and ``reproduce`` take its folder (:func:`run_records`), e.g. the full-profile run
shipped in ``benchmarks/reference-full/``.

Comparing (:func:`merge`; :func:`compare` for a whole run): for every case of the run,

- **stale**: the case's current digest differs from the reference's (its program, metadata
  or patch changed since the reference was made). It is listed and not compared: neither the
  reference's records nor the run's own are scored.
- otherwise the reference's records of every tool the run does **not** have itself join the
  run's records (the run's own tools win; the ``none`` control is never taken from the
  reference), for the run's variants only, with the reference's **own seeds**: scoring takes
  the majority of a case's seeds per tool and rates over units, so a tool's figures stay those
  of its own runs (e.g. 3 reference seeds next to a new tool's 1). Each added record carries
  ``"source": "reference"`` and ``log_dir`` ``None`` (its unit folder is not in this run).
- a case the reference does not have is scored with the run's tools only (``absent``).

A run of another profile or loss semantics than the reference is not comparable: an error.
Times (detection seconds, overhead) were measured on the reference's machine; compare them
loosely.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from harness import records
from harness.cases import Case, load_case
from harness.envinfo import REPO_ROOT
from harness.runner import RUN_FILE
from harness.scoring import score
from harness.spec import NO_TOOL

__all__ = ["DEFAULT", "DIGESTS_FILE", "RECORDS_FILE", "SHIPPED", "SOURCE", "Comparison",
           "Merged", "Reference", "compare", "is_packed", "load", "merge", "note", "note_changed",
           "pack", "run_records", "score_against"]

#: The name that means the shipped reference (``--against reference``).
DEFAULT = "reference"
#: The shipped reference's folder.
SHIPPED = REPO_ROOT / "benchmarks" / "reference"
RECORDS_FILE = "records.jsonl.gz"
DIGESTS_FILE = "digests.json"
#: The ``source`` of a record taken from the reference.
SOURCE = "reference"
_REGENERATE = "scripts/reference regenerates the shipped one; see docs/adding-a-tool.md"


@dataclass(frozen=True)
class Reference:
    """A loaded reference (:func:`load`).

    Attributes:
        path: Its folder.
        records: Unit key -> record (the source run's latest records).
        info: The source run's ``run.json``.
        digests: Case id -> the case's digest when the reference was made.
        code_revision: The harness code revision of the records (``None``: unknown).
        tool_versions: Tool -> its version in the records.
    """

    path: Path
    records: dict[str, dict[str, Any]]
    info: dict[str, Any]
    digests: dict[str, str]
    code_revision: str | None
    tool_versions: dict[str, str | None]

    @property
    def run_id(self) -> str:
        """The source run's id."""
        return str(self.info.get("run_id") or self.path.name)

    @property
    def tools(self) -> list[str]:
        """The tools it has records of, sorted."""
        return sorted({r["tool"] for r in self.records.values()})

    def stale(self, cases: Mapping[str, Case]) -> list[str]:
        """The cases of ``cases`` that changed since it was made (another digest), sorted."""
        return sorted(c for c, case in cases.items()
                      if c in self.digests and self.digests[c] != case.digest())


def _one(values: Iterable[Any], what: str, run_dir: Path) -> Any:
    """The single value of ``values`` (``None`` when there is none), else an error."""
    found = sorted({v for v in values if v is not None}, key=str)
    if len(found) > 1:
        raise ValueError(
            f"{run_dir}: the records carry {len(found)} {what} ({', '.join(map(str, found))}): "
            "parts of the run were made by other code or case content; finish it with one "
            "checkout (deeplocalize run --run-id <id> with the same arguments) before packing")
    return found[0] if found else None


def pack(run_dir: Path, out_dir: Path = SHIPPED, root: Path | None = None) -> list[Path]:
    """Write the reference of the run in ``run_dir`` into ``out_dir`` (created if needed).

    Args:
        run_dir: A run folder (``records.jsonl`` and ``run.json``).
        out_dir: Where the three files go (default: the shipped reference, :data:`SHIPPED`).
        root: A benchmark root, to digest cases whose records carry no ``case_digest`` (made
            before records had one); not needed for a run of this harness.

    Returns:
        The paths written: records, ``run.json``, ``digests.json``.

    Raises:
        FileNotFoundError: The run has no records or no ``run.json``.
        ValueError: A case's records carry several digests, or the records several code
            revisions or versions of one tool (the run was partly made by other code); or a
            record without a digest and no ``root``.
    """
    run_dir = Path(run_dir)
    latest = records.latest(run_dir)
    if not latest:
        raise FileNotFoundError(f"{run_dir}: no records in {records.RECORDS_FILE} to pack")
    if not (run_dir / RUN_FILE).exists():
        raise FileNotFoundError(f"{run_dir}: no {RUN_FILE} (pack a run made by deeplocalize run)")
    info = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    digests: dict[str, str] = {}
    for case_id in sorted({r["case_id"] for r in latest.values()}):
        of_case = [r.get("case_digest") or None for r in latest.values() if r["case_id"] == case_id]
        digest = _one(of_case, f"digests of case {case_id}", run_dir)
        if digest is None or None in of_case:
            if root is None:
                raise ValueError(f"{run_dir}: records of case {case_id} carry no case_digest; "
                                 "pass the benchmark root (--bench-root) to digest it as it is")
            digest = _one([digest, load_case(root, case_id).digest()],
                          f"digests of case {case_id} (records and {root})", run_dir)
        digests[case_id] = digest
    versions = {tool: _one((r.get("tool_version") for r in latest.values() if r["tool"] == tool),
                           f"versions of tool {tool}", run_dir)
                for tool in sorted({r["tool"] for r in latest.values()})}
    meta = {"run_id": info.get("run_id", run_dir.name), "cases": digests, "tool_versions": versions,
            "code_revision": _one((r.get("code_revision") for r in latest.values()),
                                  "code revisions", run_dir)}
    lines = "".join(records.dumps(latest[key]) + "\n" for key in sorted(latest))
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(lines.encode("utf-8"))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / RECORDS_FILE, out_dir / RUN_FILE, out_dir / DIGESTS_FILE]
    paths[0].write_bytes(buffer.getvalue())
    for path, value in zip(paths[1:], (info, meta), strict=True):
        path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return paths


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise FileNotFoundError(f"reference {path.parent}: no {path.name} ({_REGENERATE})")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{path}: not a JSON object")
    return value


def load(reference: str | Path | Reference = DEFAULT) -> Reference:
    """A reference: ``"reference"`` names the shipped one (:data:`SHIPPED`), anything else a
    folder (``./reference`` for a folder of that name). A :class:`Reference` is returned as is.

    Raises:
        FileNotFoundError: No such folder, or a file of it is missing.
        ValueError: A file is not what :func:`pack` writes (named with its line).
    """
    if isinstance(reference, Reference):
        return reference
    path = SHIPPED if str(reference) == DEFAULT else Path(reference)
    if not path.is_dir():
        raise FileNotFoundError(f"no reference folder {path} ({_REGENERATE})")
    meta, info = _read_json(path / DIGESTS_FILE), _read_json(path / RUN_FILE)
    if not isinstance(meta.get("cases"), dict):
        raise ValueError(f"{path / DIGESTS_FILE}: cases: expected case id -> digest")
    source = path / RECORDS_FILE
    if not source.exists():
        raise FileNotFoundError(f"reference {path}: no {RECORDS_FILE} ({_REGENERATE})")
    found: dict[str, dict[str, Any]] = {}
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
                version, key = record["schema_version"], record["key"]
            except (json.JSONDecodeError, TypeError, KeyError) as exc:
                raise ValueError(f"{source}:{number}: not a record ({exc})") from None
            if version not in records.READABLE_VERSIONS:
                raise ValueError(f"{source}:{number}: schema_version {version!r}, this harness "
                                 f"reads {', '.join(map(str, records.READABLE_VERSIONS))}")
            found[key] = records.upgrade(record)
    return Reference(path, found, info, dict(meta["cases"]), meta.get("code_revision"),
                     dict(meta.get("tool_versions") or {}))


def is_packed(path: Path) -> bool:
    """Whether ``path`` is a packed run (what :func:`pack` writes), not a run folder."""
    return (path / RECORDS_FILE).exists() and not (path / records.RECORDS_FILE).exists()


def run_records(run_dir: Path) -> tuple[dict[str, dict[str, Any]], Reference | None]:
    """The latest record per key of a run folder (:func:`harness.records.latest`) or of a
    packed run (:func:`is_packed`), and the packed run itself (``None`` for a run folder)."""
    if not is_packed(run_dir):
        return records.latest(run_dir), None
    packed = load(run_dir)
    return packed.records, packed


def note_changed(packed: Reference | None, cases: Mapping[str, Case]) -> None:
    """Name on stderr the cases of ``cases`` that changed since ``packed`` was packed (another
    digest: the program, the metadata, e.g. a new ``[[reproduction]]`` reason, or the patch):
    their records are of the earlier content, and are still read. Nothing for ``None``."""
    changed = packed.stale(cases) if packed else []
    if changed:
        print(f"deeplocalize: note: {packed.path} is a packed run; {len(changed)} case(s) "
              f"changed since it was packed (their records are of the earlier content): "
              f"{', '.join(changed)}", file=sys.stderr)


class Merged(NamedTuple):
    """What :func:`merge` returns."""

    records: dict[str, dict[str, Any]]  #: key -> record: the run's, then the reference's
    stale: list[str]  #: cases changed since the reference: left out, on both sides
    added: list[str]  #: the reference's tools that joined


def merge(run_records: Mapping[str, Mapping[str, Any]], reference: Reference,
          cases: Mapping[str, Case], planned: Mapping[str, Any] | None = None) -> Merged:
    """The run's records plus the reference's records of the tools the run does not have.

    Args:
        run_records: The run's latest records (key -> record).
        reference: The reference (:func:`load`).
        cases: The run's cases, as they are now (their digests decide what is stale).
        planned: The run's configuration (``run.json["config"]``): its ``tools`` count as the
            run's own and its ``variants`` as the run's, next to those of its records.

    Returns:
        :class:`Merged`: the records of every case that is not stale (the reference's carry
        ``"source": "reference"``), the stale cases and the tools added (both sorted).
    """
    planned = planned or {}
    stale = reference.stale(cases)
    own = {r["tool"] for r in run_records.values()} | set(planned.get("tools") or ())
    variants = {r["variant"] for r in run_records.values()} | set(planned.get("variants") or ())
    merged = {k: dict(r) for k, r in run_records.items() if r["case_id"] not in stale}
    added = set()
    for key, record in sorted(reference.records.items()):
        case_id = record["case_id"]
        if (record["tool"] in own or record["tool"] == NO_TOOL or case_id not in cases
                or case_id in stale or case_id not in reference.digests
                or record["variant"] not in variants):
            continue
        merged[key] = {**record, "source": SOURCE, "log_dir": None}
        added.add(record["tool"])
    return Merged(merged, stale, sorted(added))


@dataclass(frozen=True)
class Comparison:
    """A run against a reference (:func:`compare`): what is scored, and what to tell."""

    reference: Reference
    latest: dict[str, dict[str, Any]]  #: the merged records
    cases: dict[str, Case]  #: the run's cases without the stale ones
    planned: dict[str, Any] | None  #: the run's configuration without the stale cases
    stale: list[str]
    added: list[str]
    absent: list[str]  #: the run's cases the reference does not have

    def summary(self) -> dict[str, Any]:
        """JSON-able: what ``score --format json`` prints under ``reference``."""
        ref = self.reference
        return {"path": str(ref.path), "run_id": ref.run_id, "code_revision": ref.code_revision,
                "tools": ref.tools, "tool_versions": ref.tool_versions, "added": self.added,
                "stale": self.stale, "absent": self.absent}


def note(summary: Mapping[str, Any]) -> list[str]:
    """The lines ``score`` and ``report`` print for :meth:`Comparison.summary`: the reference,
    the tools it added, the stale cases and those it does not have."""
    added = ", ".join(summary["added"]) or "no tool (the run has every one of its tools)"
    lines = [f"against the reference {summary['path']} (run {summary['run_id']}, code revision "
             f"{summary['code_revision'] or 'unknown'}): added {added}"]
    if summary["stale"]:
        lines.append(f"stale since the reference: {', '.join(summary['stale'])} (not compared)")
    if summary["absent"]:
        lines.append(f"not in the reference: {', '.join(summary['absent'])} "
                     "(the run's own tools only)")
    return lines


def _check_comparable(run_id: str, latest: Iterable[Mapping[str, Any]], ref: Reference,
                      stale: list[str]) -> None:
    """Raise when a case (not stale) ran under another profile or loss semantics in the run and
    in ``ref``."""
    for key in ("profile", "semantics"):
        ours: dict[str, set[Any]] = {}
        theirs: dict[str, set[Any]] = {}
        for values, source in ((ours, latest), (theirs, ref.records.values())):
            for r in source:
                if r.get(key) is not None and r["case_id"] not in stale:
                    values.setdefault(r["case_id"], set()).add(r[key])
        differ = sorted(c for c in ours if c in theirs and ours[c] != theirs[c])
        if differ:
            first = differ[0]
            raise ValueError(
                f"run {run_id} and the reference {ref.path} ran {key} {sorted(ours[first])} and "
                f"{sorted(theirs[first])} on {first} ({len(differ)} case(s): "
                f"{', '.join(differ[:5])}): their figures do not compare; run with the "
                f"reference's {key}")


def compare(info: Mapping[str, Any], latest: Mapping[str, Mapping[str, Any]],
            cases: Mapping[str, Case], against: str | Path | Reference) -> Comparison:
    """A run (``run.json``, latest records, cases: :func:`harness.results.read_run`) against a
    reference (:func:`load`'s argument): :func:`merge`, and the configuration to score with.

    Raises:
        ValueError: A case ran under another profile or loss semantics in the run than in the
            reference.
    """
    ref = load(against)
    planned = info.get("config")
    merged = merge(latest, ref, cases, planned)
    _check_comparable(str(info.get("run_id", "?")), latest.values(), ref, merged.stale)
    kept = {c: case for c, case in cases.items() if c not in merged.stale}
    if planned is not None and "case_ids" in planned:
        planned = {**planned, "case_ids": [c for c in planned["case_ids"]
                                           if c not in merged.stale]}
    absent = sorted(c for c in kept if c not in ref.digests)
    return Comparison(ref, merged.records, kept, planned, merged.stale, merged.added, absent)


def score_against(info: Mapping[str, Any], latest: Mapping[str, Mapping[str, Any]],
                  cases: Mapping[str, Case], against: str | Path | Reference
                  ) -> tuple[dict[str, Any], dict[str, Case]]:
    """:func:`harness.scoring.score` of a run against a reference (:func:`compare`), and the
    cases scored; the score dict gains ``reference`` (:meth:`Comparison.summary`)."""
    comparison = compare(info, latest, cases, against)
    raw = score(comparison.cases, comparison.latest.values(), planned=comparison.planned)
    raw["reference"] = comparison.summary()
    return raw, comparison.cases
