"""The Docker executor: isolation, limits, cleanup, and the same verdicts as local (issue #6)."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import warnings
from pathlib import Path

import pytest

from harness import records
from harness.executors import ExecutorUnavailable
from harness.executors.docker import RUN_LABEL, DockerExecutor
from harness.executors.local import LocalExecutor
from harness.runner import run_many

from .conftest import spec

pytestmark = pytest.mark.docker
REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def _containers(run_id: str) -> list:
    from harness import images

    return images.client().containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})


def _only(run_dir: Path) -> dict:
    (record,) = records.latest(run_dir).values()
    return record


def test_hanging_unit_is_killed_at_timeout_and_container_removed(docker_image, tmp_path) -> None:
    """A unit past its deadline is recorded as timeout and leaves no container behind."""
    s = spec("gh-fixture-hang", run_id="dk-hang", timeout_s=15.0)
    start = time.monotonic()
    run_many([s], tmp_path, DockerExecutor(image=docker_image), jobs=1)
    assert _only(tmp_path)["status"] == "timeout"
    assert time.monotonic() - start < 15.0 + 60
    assert _containers("dk-hang") == []


def test_memory_limit_gives_oom(docker_image, tmp_path) -> None:
    """A unit that allocates past its memory limit is recorded as oom."""
    run_many([spec("gh-fixture-memory", run_id="dk-oom", memory_mb=1200)], tmp_path,
             DockerExecutor(image=docker_image), jobs=1)
    record = _only(tmp_path)
    assert record["status"] == "oom", record["error"]
    assert record["executor_detail"]["image_id"].startswith("sha256:")


@pytest.fixture
def loopback_listener():
    """A TCP listener on the host's 127.0.0.1 (the only address this test ever targets)."""
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
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_network_is_unreachable_inside_but_the_run_goes_on(docker_image, tmp_path,
                                                           loopback_listener) -> None:
    """The same program reaches the host's listener locally, and cannot in a container."""
    params = {"params": {"port": loopback_listener}}
    local_dir, docker_dir = tmp_path / "local", tmp_path / "docker"
    run_many([spec("gh-fixture-network", run_id="dk-net", extra=params)], local_dir,
             LocalExecutor(), jobs=1)
    run_many([spec("gh-fixture-network", run_id="dk-net", extra=params)], docker_dir,
             DockerExecutor(image=docker_image), jobs=1)
    local, inside = _only(local_dir), _only(docker_dir)
    assert "network: connected" in (local_dir / local["log_dir"] / "stdout.log").read_text()
    out = (docker_dir / inside["log_dir"] / "stdout.log").read_text()
    assert "network: failed" in out and "interfaces: ['lo']" in out
    assert inside["status"] == "completed"


@pytest.mark.parametrize(("bench", "case_id"), [
    (Path(__file__).resolve().parent.parent / "fixtures" / "bench", "gh-fixture-plateau"),
    (REPO_ROOT, "so-48385830"),
])
def test_same_verdict_locally_and_in_docker(docker_image, tmp_path, bench, case_id) -> None:
    """Same case, variant, tool and seed give the same verdict in both executors."""
    s = spec(case_id, run_id="dk-same", bench=bench, semantics="keras2")
    run_many([s], tmp_path / "local", LocalExecutor(), jobs=1)
    run_many([s], tmp_path / "docker", DockerExecutor(image=docker_image), jobs=1)
    local, inside = _only(tmp_path / "local"), _only(tmp_path / "docker")
    assert local["status"] == inside["status"] == "completed"
    assert local["verdict"]["detected"] == inside["verdict"]["detected"]
    local_stop, inside_stop = local["verdict"]["stop"] or {}, inside["verdict"]["stop"] or {}
    for key in ("fit_index", "epoch", "batch", "iteration"):
        assert local_stop.get(key) == inside_stop.get(key)


def test_clean_removes_leftover_containers_by_label(docker_image) -> None:
    """`deeplocalize clean RUN` removes containers a killed harness left behind."""
    from harness import images
    from harness.executors.docker import clean

    images.client().containers.create(docker_image, ["true"], labels={RUN_LABEL: "dk-left"})
    assert len(_containers("dk-left")) == 1
    assert len(clean("dk-left")) == 1
    assert _containers("dk-left") == []


@pytest.mark.skipif(os.environ.get("DEEPLOCALIZE_TEST_RESTART_DOCKERD") != "1",
                    reason="stops and restarts dockerd; set DEEPLOCALIZE_TEST_RESTART_DOCKERD=1")
def test_daemon_stopping_mid_run_is_a_clear_error_and_loses_no_record(docker_image,
                                                                      tmp_path) -> None:
    """Killing dockerd during a unit stops the run with a clear error; records survive."""
    specs = [spec("gh-fixture-hang", run_id="dk-daemon", timeout_s=120.0),
             spec("gh-fixture-plateau", run_id="dk-daemon")]
    pid = int(subprocess.run(["pidof", "dockerd"], capture_output=True, text=True,
                             check=True).stdout.split()[0])
    killer = threading.Timer(12.0, os.kill, (pid, signal.SIGTERM))
    killer.start()
    # The docker SDK leaks the sockets of requests the dying engine aborted (ResourceWarning).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            with pytest.raises(ExecutorUnavailable, match="Docker engine"):
                run_many(specs, tmp_path, DockerExecutor(image=docker_image), jobs=1)
        finally:
            killer.cancel()
            _restart_dockerd()
            gc.collect()
    (record,) = records.read_all(tmp_path)
    assert record["status"] == "crashed"
    assert record["error"]["type"] == "executor_unavailable"


def _restart_dockerd() -> None:
    while subprocess.run(["pidof", "dockerd"], capture_output=True).returncode == 0:
        time.sleep(0.5)
    with open("/tmp/dockerd-restarted.log", "ab") as log:
        subprocess.Popen([shutil.which("dockerd") or "/usr/sbin/dockerd"], stdout=log,
                         stderr=log, start_new_session=True)
    for _ in range(120):
        if subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
            return
        time.sleep(0.5)
    raise RuntimeError("dockerd did not come back")


def _reach(stdout: str) -> dict[str, str]:
    """``reach: read PATH: yes (...)`` lines of gh-fixture-escape -> ``{"read PATH": "yes"}``."""
    found = {}
    for line in stdout.splitlines():
        if line.startswith("reach: "):
            what, _, answer = line[len("reach: "):].rpartition(": ")
            found[what] = answer.split()[0]
    return found


@pytest.mark.parametrize("variant", ["buggy", "patched"])
def test_a_container_sees_its_case_and_unit_only(docker_image, tmp_path, variant) -> None:
    """No patches/ (not even its own fix when buggy), no runs/, no write outside the unit."""
    outside = tmp_path / "outside.txt"
    reads = [str(REPO_ROOT / "patches"), str(REPO_ROOT / "runs"), str(REPO_ROOT / "bugs"),
             "/bench/patches", "/bench/bugs"]
    params = {"params": {"read": reads, "write": [str(outside), "/bench/bugs/x.txt",
                                                  str(REPO_ROOT / "x.txt")]}}
    s = spec("gh-fixture-escape", run_id="dk-reach", variant=variant, extra=params)
    run_many([s], tmp_path / "run", DockerExecutor(image=docker_image), jobs=1)
    record = _only(tmp_path / "run")
    assert record["status"] == "completed", record["error"]
    reach = _reach((tmp_path / "run" / record["log_dir"] / "stdout.log").read_text())
    assert reach[f"read {REPO_ROOT / 'patches'}"] == "no"
    assert reach[f"read {REPO_ROOT / 'runs'}"] == "no"
    assert reach[f"read {REPO_ROOT / 'bugs'}"] == "no"
    assert reach["read /bench/bugs"] == "yes"  # its own case folder
    assert reach["read /bench/patches"] == ("yes" if variant == "patched" else "no")
    assert not any(v == "yes" for k, v in reach.items() if k.startswith("write")), reach
    assert not outside.exists()


def test_the_container_user_is_explicit_and_the_unit_folder_private(docker_image,
                                                                     tmp_path) -> None:
    """The container runs as a named non-root uid; the unit folder is 0700, back to its owner."""
    from harness.executors.docker import container_user

    run_many([spec("gh-fixture-plateau", run_id="dk-user")], tmp_path,
             DockerExecutor(image=docker_image), jobs=1)
    record = _only(tmp_path)
    unit = tmp_path / record["log_dir"]
    assert record["status"] == "completed", record["error"]
    assert container_user()[0] != 0
    assert unit.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_uid for p in [unit, *unit.rglob("*")]} == {os.geteuid()}


def test_interrupt_kills_the_container_in_flight(docker_image, tmp_path) -> None:
    """SIGINT/SIGTERM in the harness: the container in flight ends at once as interrupted."""
    executor = DockerExecutor(image=docker_image)
    s = spec("gh-fixture-hang", run_id="dk-int", timeout_s=300.0)
    unit = tmp_path / "unit"
    unit.mkdir()
    s.write(unit / "spec.json")
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=executor.run(s, unit)))
    thread.start()
    deadline = time.monotonic() + 60
    while not _containers("dk-int") and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.0)
    start = time.monotonic()
    executor.interrupt()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert result["r"].killed_for == "interrupted"
    assert time.monotonic() - start < 30
    assert _containers("dk-int") == []


def test_auto_picks_docker_when_an_engine_answers(docker_image) -> None:
    from harness.executors import choose

    name, why = choose("auto", docker_image)
    assert name == "docker" and docker_image in why
