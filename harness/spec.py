"""The unit of work and every name derived from it.

A :class:`RunSpec` is one training run of one case variant with one seed, observed by one tool
(or, in a shared run, by several tools at once). Every path and key is derived here and nowhere
else.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.vocab import PROFILES, SEMANTICS, VARIANTS

#: The no-detector control: trains the program with nothing attached.
NO_TOOL = "none"


@dataclass(frozen=True)
class RunSpec:
    """One unit of work.

    Attributes:
        run_id: The run this unit belongs to.
        case_id: Benchmark case id.
        variant: ``buggy`` or ``patched``.
        tools: Tool names observing this training run. One tool (or ``none``) in an ordinary
            run; several in a shared run, where stops are only recorded.
        seed: Seed for Python, NumPy and TensorFlow.
        profile: ``quick`` or ``full``.
        semantics: ``keras2`` or ``keras3`` loss semantics (see ``harness/semantics.py``).
        shared: Whether the tools observe passively (shared run).
        timeout_s: Hard wall-clock limit for the whole unit (enforced by the executor, and by
            the worker itself as a second line: :mod:`harness.watchdog`).
        memory_mb: Memory cap for the unit's processes (likewise).
        bench_root: Folder holding ``bugs/`` and ``patches/``.
        case_digest: Content hash of the case when the unit was planned.
        extra: Further options; ``extra["params"]`` overrides the profile's parameters.
    """

    run_id: str
    case_id: str
    variant: str
    tools: tuple[str, ...]
    seed: int
    profile: str = "quick"
    semantics: str = "keras2"
    shared: bool = False
    timeout_s: float = 900.0
    memory_mb: int = 4096
    bench_root: str = "."
    case_digest: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {self.profile!r}")
        if self.semantics not in SEMANTICS:
            raise ValueError(f"semantics must be one of {SEMANTICS}, got {self.semantics!r}")
        if not self.tools:
            raise ValueError("a RunSpec needs at least one tool (use 'none' for a control run)")
        if not self.shared and len(self.tools) != 1:
            raise ValueError(f"only a shared run observes several tools, got {self.tools}")
        if NO_TOOL in self.tools and len(self.tools) > 1:
            raise ValueError(f"'{NO_TOOL}' is a control run and cannot be shared with other tools")

    @property
    def unit_key(self) -> str:
        """Identifies the training run: ``case/variant/tool[+tool...]/seed``."""
        return f"{self.case_id}/{self.variant}/{'+'.join(self.tools)}/{self.seed}"

    def record_key(self, tool: str) -> str:
        """Identifies one tool's result: ``case/variant/tool/seed`` (the records' key)."""
        return f"{self.case_id}/{self.variant}/{tool}/{self.seed}"

    @property
    def log_dir(self) -> Path:
        """The unit's folder, relative to the run directory; each attempt gets a folder of its
        own inside it, ``attempt-<k>/`` (:func:`harness.rundir.new_attempt_dir`)."""
        tools = "+".join(self.tools) if not self.shared else "shared"
        return Path("units") / self.case_id / self.variant / tools / f"seed-{self.seed}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tools"] = list(self.tools)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSpec:
        data = dict(data)
        data["tools"] = tuple(data["tools"])
        return cls(**data)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=True))

    @classmethod
    def read(cls, path: Path) -> RunSpec:
        return cls.from_json(json.loads(path.read_text()))
