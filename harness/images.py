"""Runner images for the Docker executor: build, find, describe.

Two kinds, told apart by the image label ``deeplocalize.mode``:

- ``hostenv`` (the default, works with no registry): ``docker import`` of a tiny root folder
  gives the base image ``deeplocalize/rootfs:1``; ``docker/hostenv.Dockerfile`` adds a
  non-root user. At run time the executor bind-mounts, read-only, the host's system folders, its
  Python installation, the project's virtual environment and code. Nothing is downloaded.
- ``self-contained``: ``docker/runner.Dockerfile`` on a base image given with ``--base`` (e.g.
  ``python:3.11-slim`` from a registry) installs the harness and its locked dependencies into
  the image; only the benchmark cases and the unit's output folder are mounted.

The tag is derived from the content that makes the image, so a change rebuilds it.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import sys
import tarfile
import tempfile
import urllib.parse
from contextlib import closing
from pathlib import Path
from typing import Any

from harness.envinfo import REPO_ROOT

ROOTFS_IMAGE = "deeplocalize/rootfs:1"
RUNNER_REPO = "deeplocalize/runner"
DEFAULT_IMAGE = f"{RUNNER_REPO}:latest"
MODE_LABEL = "deeplocalize.mode"
DOCKER_DIR = REPO_ROOT / "docker"
_SELF_CONTAINED_INPUTS = ("pyproject.toml", "requirements.lock", "harness", "localizer",
                          "baselines", "reports")


class ImageError(RuntimeError):
    """The engine is unreachable or the runner image is missing; the message says what to do."""


_NO_ENGINE = (" Start one (e.g. `apt-get install -y docker.io` then `dockerd &`) or set "
              "DOCKER_HOST; then run `deeplocalize image build`.")


def unreachable(timeout: float = 5.0) -> str | None:
    """Why the engine at ``DOCKER_HOST`` (default: the local socket) cannot be reached, or
    ``None`` when a connection opens. Uses plain sockets that are always closed: the docker SDK
    leaves a socket open when its client fails to connect, which Python reports at exit."""
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    url = urllib.parse.urlsplit(host)
    try:
        if url.scheme in ("unix", "http+unix"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(url.path)
        elif url.scheme in ("tcp", "http", "https") and url.hostname:
            port = url.port or (2376 if os.environ.get("DOCKER_TLS_VERIFY") else 2375)
            socket.create_connection((url.hostname, port), timeout=timeout).close()
        # other schemes (ssh, npipe): the SDK's own connection decides
    except OSError as exc:
        return f"{host}: {exc.strerror or exc}"
    return None


def client(timeout: int = 60):
    """A docker SDK client, or :class:`ImageError` telling the user how to get an engine."""
    import docker

    why = unreachable(min(timeout, 10))
    if why is not None:
        raise ImageError(f"cannot reach a Docker engine ({why})." + _NO_ENGINE)
    c = None
    try:
        c = docker.from_env(timeout=timeout)
        c.ping()
    except docker.errors.DockerException as exc:
        if c is not None:
            c.close()
        raise ImageError(f"cannot reach a Docker engine ({exc})." + _NO_ENGINE) from exc
    return c


def _digest(paths: list[Path], extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if "__pycache__" in path.parts:
                continue
            h.update(path.relative_to(REPO_ROOT).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _rootfs_tar() -> bytes:
    """A root file system with nothing but the folders mount points and tools need."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, mode in (("tmp", 0o1777), ("out", 0o777), ("proc", 0o555), ("sys", 0o555),
                           ("dev", 0o755), ("etc", 0o755), ("usr", 0o755), ("root", 0o755),
                           ("work", 0o755), ("home", 0o755), ("var", 0o755), ("run", 0o755)):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
    return buffer.getvalue()


def build(base: str | None = None, tag: str = DEFAULT_IMAGE) -> dict[str, Any]:
    """Build the runner image and tag it ``tag`` (plus a content-derived tag).

    Args:
        base: A base image with Python 3.11 (self-contained image), or ``None`` for the
            offline ``hostenv`` image built from an imported empty root folder.
    """
    with closing(client(timeout=600)) as c:
        tag_image = _build(c, base)
        tag_image.tag(*tag.split(":", 1))
    return describe(tag)


def _build(c, base: str | None):
    import docker

    if base is not None:
        dockerfile = DOCKER_DIR / "runner.Dockerfile"
        key = _digest([dockerfile, *(REPO_ROOT / p for p in _SELF_CONTAINED_INPUTS)], extra=base)
        image, _ = c.images.build(path=str(REPO_ROOT), dockerfile=str(dockerfile),
                                  buildargs={"BASE": base}, tag=f"{RUNNER_REPO}:self-{key}",
                                  rm=True, pull=False)
        return image
    try:
        c.images.get(ROOTFS_IMAGE)
    except docker.errors.ImageNotFound:
        repo, _, version = ROOTFS_IMAGE.partition(":")
        c.api.import_image_from_data(_rootfs_tar(), repository=repo, tag=version)
    dockerfile = DOCKER_DIR / "hostenv.Dockerfile"
    key = _digest([dockerfile], extra=f"hostenv:{sys.version}")
    with tempfile.TemporaryDirectory() as context:  # the Dockerfile is the whole context
        Path(context, "Dockerfile").write_bytes(dockerfile.read_bytes())
        image, _ = c.images.build(path=context, dockerfile="Dockerfile",
                                  buildargs={"BASE": ROOTFS_IMAGE},
                                  tag=f"{RUNNER_REPO}:hostenv-{key}", rm=True)
    return image


def describe(tag: str = DEFAULT_IMAGE) -> dict[str, Any]:
    """``{"tag", "id", "mode"}`` of an existing image, or :class:`ImageError` with the fix."""
    import docker

    try:
        with closing(client()) as c:
            image = c.images.get(tag)
    except docker.errors.ImageNotFound as exc:
        raise ImageError(
            f"runner image {tag!r} not found. Build it with `deeplocalize image build` "
            "(offline, from this machine's Python) or `deeplocalize image build --base "
            "python:3.11-slim` (self-contained, needs a registry)."
        ) from exc
    mode = (image.labels or {}).get(MODE_LABEL)
    if mode not in ("hostenv", "self-contained"):
        raise ImageError(f"image {tag!r} has no {MODE_LABEL} label; it is not a runner image")
    return {"tag": tag, "id": image.id, "mode": mode}
