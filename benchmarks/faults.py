"""Fault injection for the harness: nothing lost, nothing duplicated, nothing left, no escape.

    python benchmarks/faults.py [--executors local,docker] [--restart-dockerd]

Runs small real runs on the fixture cases of ``tests/fixtures/bench`` and injects one fault
each, under every executor asked for (Docker needs a reachable engine; it is skipped, and says
so, when there is none):

- the harness killed with SIGKILL mid-run, then the run resumed;
- SIGINT to the harness mid-run, then the run resumed;
- ``dockerd`` stopped mid-run, then restarted and the run resumed (Docker only; it stops the
  machine's engine, so only with ``--restart-dockerd``, as root);
- a program whose daemon leaves the unit's process group and session;
- a program that allocates past the memory cap; one that sleeps past the timeout;
- a program that opens a network connection (to a listener on the host's loopback);
- a program that writes outside its unit folder and reads ``patches/`` and ``runs/``;
- a torn last line in ``records.jsonl``, then the run resumed;
- a malformed ``case.toml``; a patch that does not apply.

It prints one table: expected records, present, lost, duplicated completed records, leftover
processes and containers once the scenario is over, what the program could reach, and a note.
A script, not a test: a run takes several minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from harness import images, records
from harness.envinfo import REPO_ROOT
from harness.executors import get_executor
from harness.proctree import UNIT_ENV
from harness.runner import run_many
from harness.spec import RunSpec

BENCH = REPO_ROOT / "tests" / "fixtures" / "bench"
TOOL = "terminate_on_nan"


@dataclass
class Outcome:
    expected: int
    present: int = 0
    duplicated: int = 0
    processes: int = 0
    containers: int = 0
    reach: str = "-"
    note: str = ""
    statuses: Counter = field(default_factory=Counter)

    @property
    def lost(self) -> int:
        return self.expected - self.present


@dataclass
class Context:
    executor: str
    tmp: Path
    restart_dockerd: bool


def _spec(ctx: Context, case_id: str, run_id: str, bench: Path = BENCH, **kw) -> RunSpec:
    values = dict(run_id=run_id, case_id=case_id, variant="buggy", tools=(TOOL,), seed=0,
                  semantics="keras3", timeout_s=120.0, memory_mb=3072, bench_root=str(bench))
    values.update(kw)
    return RunSpec(**values)


def _leftover_processes(run_dir: Path) -> list[psutil.Process]:
    """Live processes of the run's units: named on their command line or by their marker."""
    found = []
    marker = str(run_dir.resolve())
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.pid == os.getpid() or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            named = marker in " ".join(proc.info["cmdline"] or [])
            marked = proc.environ().get(UNIT_ENV, "").startswith(marker)
        except psutil.Error:
            continue
        if named or marked:
            found.append(proc)
    return found


def _leftover_containers(run_id: str) -> int:
    if images.unreachable() is not None:
        return 0
    from harness.executors.docker import RUN_LABEL

    client = images.client()
    try:
        return len(client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"}))
    finally:
        client.close()


def _settle(run_dir: Path, seconds: float = 15.0) -> None:
    end = time.monotonic() + seconds
    while _leftover_processes(run_dir) and time.monotonic() < end:
        time.sleep(0.5)


def _count(run_dir: Path, run_id: str, expected: list[str], outcome: Outcome) -> Outcome:
    _settle(run_dir)
    latest = records.latest(run_dir) if (run_dir / records.RECORDS_FILE).exists() else {}
    outcome.present = sum(1 for key in expected if key in latest)
    completed = Counter(r["key"] for r in records.read_all(run_dir)
                        if r.get("status") == "completed") if latest else Counter()
    outcome.duplicated = sum(n - 1 for n in completed.values() if n > 1)
    outcome.statuses = Counter(latest[k]["status"] for k in expected if k in latest)
    outcome.processes = len(_leftover_processes(run_dir))
    outcome.containers = _leftover_containers(run_id)
    return outcome


def _keys(specs: list[RunSpec]) -> list[str]:
    return [s.record_key(tool) for s in specs for tool in s.tools]


def _in_process(ctx: Context, specs: list[RunSpec], run_dir: Path) -> Outcome:
    run_many(specs, run_dir, get_executor(ctx.executor), jobs=2)
    return _count(run_dir, specs[0].run_id, _keys(specs), Outcome(len(_keys(specs))))


def _stdout(run_dir: Path, key: str) -> str:
    record = records.latest(run_dir)[key]
    path = run_dir / record["log_dir"] / "stdout.log"
    return path.read_text(errors="replace") if path.exists() else ""


def _one_unit(ctx: Context, name: str, case_id: str, **kw) -> tuple[Outcome, str]:
    """Run one buggy unit of ``case_id`` as run ``<name>-<executor>``: its outcome and the
    unit's stdout."""
    run_id = f"{name}-{ctx.executor}"
    spec = _spec(ctx, case_id, run_id, **kw)
    run_dir = ctx.tmp / "runs" / run_id
    outcome = _in_process(ctx, [spec], run_dir)
    return outcome, _stdout(run_dir, spec.record_key(TOOL))


def _ends_as(ctx: Context, name: str, case_id: str, **kw) -> Outcome:
    """One unit whose record's status is the point (``oom``, ``timeout``)."""
    outcome = _one_unit(ctx, name, case_id, **kw)[0]
    outcome.note = f"status {dict(outcome.statuses)}"
    return outcome


# --- the harness process ----------------------------------------------------------------

def _cli(ctx: Context, run_id: str, cases: list[str], bench: Path = BENCH,
         extra: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, "-m", "harness.cli", "--bench-root", str(bench), "run",
            "--executor", ctx.executor, "--cases", ",".join(cases), "--variants", "buggy",
            "--tools", TOOL, "--jobs", "2", "--run-id", run_id,
            "--runs-dir", str(ctx.tmp / "runs"), *extra]


def _start(command: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(command, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _units_running(ctx: Context, run_dir: Path, run_id: str) -> bool:
    if ctx.executor == "docker":
        return _leftover_containers(run_id) > 0
    return any("harness.worker" in " ".join(p.cmdline()) for p in _leftover_processes(run_dir))


def _wait(predicate: Callable[[], bool], seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.3)
    return False


SLOW = ["gh-fixture-hang", "gh-fixture-plateau", "gh-fixture-nan"]


def _expected_slow(run_id: str) -> list[str]:
    return [f"{case}/buggy/{TOOL}/0" for case in SLOW]


def _kill_and_resume(ctx: Context, signum: int) -> Outcome:
    run_id = f"fault-{signum}-{ctx.executor}"
    run_dir = ctx.tmp / "runs" / run_id
    command = _cli(ctx, run_id, SLOW, extra=("--timeout", "40"))
    harness = _start(command, ctx.tmp / f"{run_id}.log")
    started = _wait(lambda: _units_running(ctx, run_dir, run_id), 120)
    time.sleep(3.0)
    harness.send_signal(signum)
    code = harness.wait(timeout=120)
    _settle(run_dir, 20)
    after_kill = len(_leftover_processes(run_dir)), _leftover_containers(run_id)
    resumed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True,
                             timeout=600)
    outcome = _count(run_dir, run_id, _expected_slow(run_id), Outcome(len(SLOW)))
    outcome.note = (f"units were running: {started}; harness exit {code}; left right after: "
                    f"{after_kill[0]} processes, {after_kill[1]} containers; resume exit "
                    f"{resumed.returncode}")
    return outcome


def fault_sigkill(ctx: Context) -> Outcome:
    return _kill_and_resume(ctx, signal.SIGKILL)


def fault_sigint(ctx: Context) -> Outcome:
    return _kill_and_resume(ctx, signal.SIGINT)


def fault_dockerd(ctx: Context) -> Outcome | str:
    if ctx.executor != "docker":
        return "n/a (no engine involved)"
    if not ctx.restart_dockerd or os.geteuid() != 0:
        return "skipped (needs --restart-dockerd, as root)"
    run_id = "fault-dockerd"
    run_dir = ctx.tmp / "runs" / run_id
    command = _cli(ctx, run_id, SLOW, extra=("--timeout", "40"))
    harness = _start(command, ctx.tmp / f"{run_id}.log")
    _wait(lambda: _units_running(ctx, run_dir, run_id), 120)
    time.sleep(3.0)
    pid = int(subprocess.run(["pidof", "dockerd"], capture_output=True, text=True,
                             check=True).stdout.split()[0])
    os.kill(pid, signal.SIGTERM)
    code = harness.wait(timeout=300)
    _wait(lambda: not psutil.pid_exists(pid), 60)
    with open(ctx.tmp / "dockerd.log", "ab") as log:
        subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True)
    _wait(lambda: images.unreachable() is None, 60)
    time.sleep(3.0)
    resumed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True,
                             timeout=600)
    outcome = _count(run_dir, run_id, _expected_slow(run_id), Outcome(len(SLOW)))
    outcome.note = f"harness exit {code} when dockerd stopped; resume exit {resumed.returncode}"
    return outcome


def fault_orphan(ctx: Context) -> Outcome:
    outcome, out = _one_unit(ctx, "orphan", "gh-fixture-orphan")
    found = re.search(r"orphan: pid (\d+)", out)
    if found and ctx.executor == "local":
        pid = int(found.group(1))
        alive = psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        outcome.processes += alive
        outcome.note = f"daemon pid {pid} {'ALIVE' if alive else 'gone'} after the unit"
    else:
        outcome.note = "the daemon ends with its container" if found else "no daemon pid seen"
    return outcome


def fault_memory(ctx: Context) -> Outcome:
    return _ends_as(ctx, "memory", "gh-fixture-memory", memory_mb=1500)


def fault_timeout(ctx: Context) -> Outcome:
    return _ends_as(ctx, "timeout", "gh-fixture-hang", timeout_s=20.0)


def fault_network(ctx: Context) -> Outcome:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                server.accept()[0].close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        outcome, out = _one_unit(ctx, "network", "gh-fixture-network",
                                    extra={"params": {"port": server.getsockname()[1]}})
        outcome.reach = ("network: YES" if "network: connected" in out else
                         "network: no" if "network: failed" in out else "network: ?")
    finally:
        stop.set()
        thread.join()
        server.close()
    return outcome


def fault_escape(ctx: Context) -> Outcome:
    outside = ctx.tmp / f"outside-{ctx.executor}.txt"
    reads = {"patches/": str(REPO_ROOT / "patches"), "runs/": str(REPO_ROOT / "runs"),
             "own fix": str(BENCH / "patches" / "gh-fixture-escape.diff")}
    writes = {"outside": str(outside), "repo": str(REPO_ROOT / ".fault-escape.txt")}
    outcome, out = _one_unit(ctx, "escape", "gh-fixture-escape", extra={
        "params": {"read": list(reads.values()), "write": list(writes.values())}})
    found = dict(re.findall(r"reach: ((?:read|write) \S+): (\w+)", out))
    parts = [f"read {n} {found.get(f'read {p}', '?')}" for n, p in reads.items()]
    parts += [f"write {n} {found.get(f'write {p}', '?')}" for n, p in writes.items()]
    outcome.reach = ", ".join(parts)
    Path(writes["repo"]).unlink(missing_ok=True)
    outside.unlink(missing_ok=True)
    return outcome


def fault_torn(ctx: Context) -> Outcome:
    run_dir = ctx.tmp / "runs" / f"torn-{ctx.executor}"
    specs = [_spec(ctx, "gh-fixture-plateau", f"torn-{ctx.executor}"),
             _spec(ctx, "gh-fixture-nan", f"torn-{ctx.executor}")]
    run_many(specs[:1], run_dir, get_executor(ctx.executor), jobs=1)
    with open(run_dir / records.RECORDS_FILE, "a") as handle:
        handle.write('{"key": "gh-fixture-nan/buggy/terminate_on_nan/0", "stat')  # no newline
    outcome = _in_process(ctx, specs, run_dir)
    outcome.note = "a torn last line, then a resume that appends after it"
    return outcome


def _bench_copy(ctx: Context, name: str, cases: list[str]) -> Path:
    bench = ctx.tmp / f"bench-{name}-{ctx.executor}"
    for case in cases:
        shutil.copytree(BENCH / "bugs" / case, bench / "bugs" / case)
        (bench / "patches").mkdir(exist_ok=True)
        shutil.copy(BENCH / "patches" / f"{case}.diff", bench / "patches")
    return bench


def fault_malformed(ctx: Context) -> Outcome:
    bench = _bench_copy(ctx, "malformed", ["gh-fixture-plateau", "gh-fixture-nan"])
    toml = bench / "bugs" / "gh-fixture-nan" / "case.toml"
    toml.write_text(toml.read_text().replace('task = "', 'task = 3 #"'))
    run_id = f"malformed-{ctx.executor}"
    done = subprocess.run(_cli(ctx, run_id, [], bench=bench), cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=600)
    run_dir = ctx.tmp / "runs" / run_id
    outcome = _count(run_dir, run_id, [f"gh-fixture-plateau/buggy/{TOOL}/0"], Outcome(1))
    rejected = json.loads((run_dir / "run.json").read_text()).get("rejected_cases", {})
    outcome.note = f"exit {done.returncode}; rejected and named in run.json: {sorted(rejected)}"
    return outcome


def fault_patch(ctx: Context) -> Outcome:
    bench = _bench_copy(ctx, "patch", ["gh-fixture-plateau"])
    patch = bench / "patches" / "gh-fixture-plateau.diff"
    patch.write_text(patch.read_text().replace("\n ", "\n X", 1))
    run_dir = ctx.tmp / "runs" / f"patch-{ctx.executor}"
    specs = [_spec(ctx, "gh-fixture-plateau", f"patch-{ctx.executor}", bench=bench,
                   variant=v) for v in ("buggy", "patched")]
    outcome = _in_process(ctx, specs, run_dir)
    outcome.note = f"statuses {dict(outcome.statuses)}"
    return outcome


#: id -> (what is injected, the scenario).
FAULTS: dict[str, tuple[str, Callable[[Context], Outcome | str]]] = {
    "sigkill": ("SIGKILL harness, resume", fault_sigkill),
    "sigint": ("SIGINT harness, resume", fault_sigint),
    "dockerd": ("dockerd stopped, restarted, resume", fault_dockerd),
    "orphan": ("daemon outlives its unit", fault_orphan),
    "memory": ("allocates past the cap", fault_memory),
    "timeout": ("sleeps past the timeout", fault_timeout),
    "network": ("opens a network socket", fault_network),
    "escape": ("writes outside, reads patches/", fault_escape),
    "torn": ("torn records line, resume", fault_torn),
    "malformed": ("malformed case.toml", fault_malformed),
    "patch": ("patch does not apply", fault_patch),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executors", default="local,docker")
    parser.add_argument("--faults", default=",".join(FAULTS),
                        help=f"comma-separated, of: {', '.join(FAULTS)}")
    parser.add_argument("--restart-dockerd", action="store_true",
                        help="stop and restart this machine's dockerd (root only)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    header = ("executor", "fault", "expected", "present", "lost", "dup", "procs", "ctrs",
              "reach", "note")
    rows = []
    for executor in args.executors.split(","):
        if executor == "docker" and images.unreachable() is not None:
            print(f"docker: skipped: no engine ({images.unreachable()})", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory(prefix="deeplocalize-faults-") as tmp:
            ctx = Context(executor, Path(tmp), args.restart_dockerd)
            for fault in args.faults.split(","):
                name, scenario = FAULTS[fault]
                start = time.monotonic()
                try:
                    result = scenario(ctx)
                except Exception as exc:  # a scenario that breaks is a finding, not a crash
                    result = f"SCENARIO FAILED: {type(exc).__name__}: {exc}"
                took = f"{time.monotonic() - start:.0f} s"
                if isinstance(result, str):
                    rows.append((executor, name, "-", "-", "-", "-", "-", "-", "-",
                                 f"{result} ({took})"))
                else:
                    rows.append((executor, name, result.expected, result.present, result.lost,
                                 result.duplicated, result.processes, result.containers,
                                 result.reach, f"{result.note} ({took})"))
                print(" | ".join(str(v) for v in rows[-1]), file=sys.stderr, flush=True)
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
