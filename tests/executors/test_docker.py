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
