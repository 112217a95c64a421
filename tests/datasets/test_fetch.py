"""``deeplocalize data fetch`` against a local HTTP server and file:// URLs; never the network."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import cli, datacmd, datasets
from harness.datacmd import FetchError
from harness.datasets import Dataset, Download

PAYLOAD = bytes(range(256)) * 20_000  # 5 MB: several progress steps
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib's name)
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A static HTTP server on 127.0.0.1 serving ``tmp_path/www``; yields its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "data.bin").write_bytes(PAYLOAD)
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _registry(url: str, digest: str | None = DIGEST) -> dict[str, Dataset]:
    return {
        "blob": Dataset("blob", "a blob", ("blob.bin",), "zeros",
                        downloads=(Download(url, "blob.bin", digest, "the test"),)),
        "kaggle": Dataset("kaggle", "behind a login", ("k.csv",), "synthetic",
                          manual="log in, download k.csv, put it in the cache folder."),
    }


def test_download_checks_the_hash_and_prints_plain_progress(server):
    out = io.StringIO()
    dest = datasets.cache_dir() / "sub" / "blob.bin"
    datacmd.download(Download(f"{server}/data.bin", "blob.bin", DIGEST, "the test"), dest, out)
    assert dest.read_bytes() == PAYLOAD
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"downloading {server}/data.bin")
    assert sum("%" in line for line in lines) >= 5  # one plain line per 10 %, no \r
    assert "\r" not in out.getvalue() and f"sha256 {DIGEST} ok" in lines[-1]


def test_hash_mismatch_is_an_error_and_leaves_no_file(server):
    dest = datasets.cache_dir() / "blob.bin"
    with pytest.raises(FetchError) as info:
        datacmd.download(Download(f"{server}/data.bin", "blob.bin", "0" * 64, "the test"),
                         dest, io.StringIO())
    assert DIGEST in str(info.value) and "0" * 64 in str(info.value)
    assert not dest.exists() and not list(dest.parent.glob("*.part"))


def test_unreachable_url_and_http_errors(server):
    port = _closed_port()
    with pytest.raises(FetchError, match=rf"cannot reach http://127.0.0.1:{port}/x.*offline"):
        datacmd.download(Download(f"http://127.0.0.1:{port}/x", "x", None, "n/a"),
                         datasets.cache_dir() / "x", io.StringIO())
    with pytest.raises(FetchError, match="HTTP 404"):
        datacmd.download(Download(f"{server}/missing.bin", "x", None, "n/a"),
                         datasets.cache_dir() / "x", io.StringIO())
    assert not (datasets.cache_dir() / "x").exists()


def test_file_url_with_unknown_hash_says_so(tmp_path):
    source = tmp_path / "iris.data"
    source.write_bytes(b"5.1,3.5,1.4,0.2,Iris-setosa\n")
    out = io.StringIO()
    dest = datasets.cache_dir() / "iris.data"
    datacmd.download(Download(source.as_uri(), "iris.data", None, "not known: no hash"), dest,
                     out)
    assert dest.read_bytes() == source.read_bytes()
    assert "NOT verified: expected hash not known: no hash" in out.getvalue()


def test_fetch_downloads_skips_cached_and_prints_manual_steps(server):
    out, err = io.StringIO(), io.StringIO()
    registry = _registry(f"{server}/data.bin")
    assert datacmd.fetch(["blob"], out=out, err=err, registry=registry) == 0
    assert (datasets.cache_dir() / "blob.bin").read_bytes() == PAYLOAD
    assert datacmd.fetch(["blob"], out=out, err=err, registry=registry) == 0
    assert "blob: already in the cache" in out.getvalue()
    assert datacmd.fetch(["kaggle"], out=out, err=err, registry=registry) == 1
    assert "kaggle: cannot be downloaded automatically. By hand: log in" in out.getvalue()
    assert "not in the cache: kaggle" in err.getvalue()
    with pytest.raises(ValueError, match="unknown dataset.*nope.*known: blob, kaggle"):
        datacmd.fetch(["nope"], registry=registry)


def test_fetch_all_means_every_downloadable_dataset(server):
    out, err = io.StringIO(), io.StringIO()
    assert datacmd.fetch([], out=out, err=err, registry=_registry(f"{server}/data.bin")) == 0
    assert "kaggle" not in out.getvalue() + err.getvalue()


def test_cli_fetch_offline_is_a_clear_error_without_traceback(monkeypatch, capsys):
    registry = _registry(f"http://127.0.0.1:{_closed_port()}/blob.bin")
    monkeypatch.setattr(datacmd, "all_datasets", lambda: registry)
    assert cli.main(["data", "fetch", "blob"]) == 1
    captured = capsys.readouterr()
    assert "blob: error: cannot reach" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert cli.main(["data", "fetch", "nope"]) == 2
    assert "deeplocalize: error: unknown dataset(s) nope" in capsys.readouterr().err


def test_real_declared_downloads_are_named_by_cli():
    registry = datacmd.all_datasets()
    assert {"mnist", "cifar10", "imdb_reviews", "uci_adult", "iris_uci"} <= {
        name for name, ds in registry.items() if ds.downloads}
    assert "Kaggle" in registry["titanic"].manual and registry["titanic"].packages
