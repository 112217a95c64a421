"""Keras internals: used through ``localizer/keras_internals.py`` only, and pinned to the source
they mirror (sha256 of ``inspect.getsource``) for the Keras version ``requirements.lock`` pins."""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import re
from pathlib import Path

import pytest

from localizer import keras_internals as ki

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "keras_mirrored.json"
#: Private Keras attributes the project reads; only keras_internals.py may name them.
PRIVATE = frozenset({
    "_compute_loss", "_loss_tracker", "_compile_metrics", "_get_logits",
    "_call_has_training_arg", "_fn_kwargs", "_make_function",
})
SCANNED = ("localizer", "baselines", "harness", "reports")


def _locked(package: str) -> str:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    match = re.search(rf"^{package}==(\S+)$", text, re.MULTILINE | re.IGNORECASE)
    assert match, f"{package} is not pinned in requirements.lock"
    return match.group(1)


def _reference() -> dict[str, str]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["sources"]


def test_hashes_are_for_the_locked_keras() -> None:
    """KERAS_VERSION is the lock's Keras: after a Keras upgrade, re-pin the mirrored sources."""
    assert ki.KERAS_VERSION == _locked("keras"), (
        f"requirements.lock pins keras=={_locked('keras')} but localizer/keras_internals.py was "
        f"verified against {ki.KERAS_VERSION}: re-read every function in MIRRORED on the new "
        "version, adapt the code that mirrors it, then update KERAS_VERSION, the hashes and "
        "tests/fixtures/keras_mirrored.json"
    )


def test_reference_sources_match_the_hashes() -> None:
    """The fixture holds exactly the sources the hashes were taken from."""
    reference = _reference()
    assert sorted(reference) == sorted(ki.MIRRORED)
    for name, source in reference.items():
        assert hashlib.sha256(source.encode("utf-8")).hexdigest() == ki.MIRRORED[name], name


@pytest.mark.parametrize("name", sorted(ki.MIRRORED))
def test_mirrored_keras_source_is_unchanged(name: str) -> None:
    """The installed Keras source of each mirrored function hashes as pinned (the pinned
    version only; any other version is skipped, not failed)."""
    keras = pytest.importorskip("keras")
    if keras.__version__ != ki.KERAS_VERSION:
        pytest.skip(f"Keras {keras.__version__} is installed; the mirrored sources are pinned "
                    f"for Keras {ki.KERAS_VERSION} (requirements.lock)")
    actual = ki.source_sha256(name)
    if actual != ki.MIRRORED[name]:
        import inspect

        current = inspect.getsource(ki.resolve(name))
        diff = "".join(difflib.unified_diff(
            _reference()[name].splitlines(keepends=True), current.splitlines(keepends=True),
            f"pinned ({ki.KERAS_VERSION})", "installed"))
        pytest.fail(
            f"The Keras source of {name} changed (sha256 {actual}, pinned {ki.MIRRORED[name]}). "
            "Read the change, adapt the code that mirrors it (see MIRRORED's comments in "
            "localizer/keras_internals.py), then update the hash and "
            f"tests/fixtures/keras_mirrored.json.\n{diff}"
        )


def _private_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        found += [f"{node.lineno}: import {n}" for n in names if n.startswith("keras.src")]
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE:
            found.append(f"{node.lineno}: .{node.attr}")
        if isinstance(node, ast.Constant) and node.value in PRIVATE:
            found.append(f"{node.lineno}: {node.value!r}")
    return found


def test_private_keras_is_used_only_through_the_internals_module() -> None:
    """No module but localizer/keras_internals.py imports keras.src or names a private Keras
    attribute (as an attribute or a string)."""
    own = ROOT / "localizer" / "keras_internals.py"
    bad = [
        f"{path.relative_to(ROOT)}:{use}"
        for package in SCANNED
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != own
        for use in _private_uses(path)
    ]
    assert not bad, "use localizer.keras_internals instead:\n" + "\n".join(bad)
