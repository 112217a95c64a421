"""The engine check: a clear error when no Docker engine answers, and no socket left open."""

from __future__ import annotations

import gc
import socket
import warnings

import pytest

from harness import images


def _client_error(monkeypatch: pytest.MonkeyPatch, host: str) -> tuple[str, list[str]]:
    monkeypatch.setenv("DOCKER_HOST", host)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(images.ImageError) as info:
            images.client(timeout=2)
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    return str(info.value), leaks


def test_missing_socket_is_a_clear_error_without_a_leak(monkeypatch, tmp_path):
    message, leaks = _client_error(monkeypatch, f"unix://{tmp_path}/docker.sock")
    assert "cannot reach a Docker engine" in message and "dockerd" in message
    assert leaks == []


def test_refusing_socket_is_a_clear_error_without_a_leak(monkeypatch, tmp_path):
    """A socket file with no engine behind it (a dockerd that died): the docker SDK itself
    leaves its socket open when it fails to connect; the check must not go that far."""
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))  # bound, never listening: connect() is refused
        message, leaks = _client_error(monkeypatch, f"unix://{path}")
    assert "cannot reach a Docker engine" in message
    assert leaks == []


def test_unreachable_is_none_when_something_listens(monkeypatch, tmp_path):
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
        assert images.unreachable(timeout=1) is None


def test_auto_runs_locally_and_says_so_without_an_engine(monkeypatch, tmp_path):
    """``run --executor auto`` on a machine with no engine: local, with one line saying why."""
    from harness.executors import choose

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    name, why = choose("auto")
    assert name == "local"
    assert why.startswith("executor auto: no Docker engine reachable") and "README" in why
    assert choose("local") == ("local", None)
    assert choose("docker") == ("docker", None)  # named: checked by the executor's preflight


def test_run_defaults_to_auto_and_prints_the_executor(monkeypatch, tmp_path, capsys):
    """`deeplocalize run` with no --executor resolves auto; records name the real executor."""
    import json

    from harness.cli import main
    from tests.executors.conftest import FIXTURE_BENCH

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    code = main(["--bench-root", str(FIXTURE_BENCH), "run", "--cases", "gh-fixture-error",
                 "--variants", "buggy", "--tools", "none", "--run-id", "auto",
                 "--runs-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "executor auto: no Docker engine reachable" in out
    assert json.loads((tmp_path / "auto" / "run.json").read_text())["config"]["executor"] == "local"
