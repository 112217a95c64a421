"""``deeplocalize cases new``: the draft case written from a buggy and a fixed script."""

from __future__ import annotations

import contextlib
import io
import re
import tomllib
from pathlib import Path

import pytest

from harness import cli
from harness.casedraft import (
    compile_settings,
    data_name,
    infer_task,
    patch_lines,
    quick_profile,
    suggest_oracle,
)
from harness.cases import check_case, load_case
from harness.modelcheck import BuiltFit, BuiltLayer, ProbeResult, check_probe
from harness.newcase import NewCase, NewCaseError, _write, check_request, create, todo_fields
from harness.patching import apply_patch
from harness.schema import Field, Table, TableList, validate

CASE = "so-1234567"
#: A tiny binary classifier whose output unit has a softmax: its output is always 1.
BUGGY = '''"""Fixture: a one-unit softmax output under binary cross-entropy."""

import keras
import numpy as np

from harness.params import param

rng = np.random.RandomState(0)
x = rng.rand(160, 4).astype("float32")
y = (x.sum(axis=1) > 2).astype("float32")
opt = keras.optimizers.Adam(learning_rate=0.01)
model = keras.Sequential([
    keras.Input((4,)),
    keras.layers.Dense(8),
    keras.layers.Activation("relu"),
    keras.layers.Dense(1),
    keras.layers.Activation("softmax"),
])
model.compile(optimizer=opt, loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=param("epochs", 2), batch_size=16, verbose=0)
'''
FIXED = BUGGY.replace('Activation("softmax")', 'Activation("sigmoid")')
#: What a person writes in place of each TODO of the draft (dotted key -> TOML value).
FILLED = {
    "semantics": '"keras2"',
    "original": '"generated in the program"',
    "stand_in": '"none needed: the same generator runs here"',
    "categories": '["wrong_activation"]',
    "targets": '["layer"]',
    "layers": '[{ index = 3, class = "Activation", name = "activation_1" }]',
    "site": "[2, 3]",
    "symptom": '"constant_output"',
    "description": '"the one-unit softmax always outputs 1"',
    "fix": '"sigmoid instead of softmax"',
    "buggy": '[{ metric = "loss", min = 1.0 }]',
    "patched": '[{ metric = "loss", max = 1.0 }]',
}


def _scripts(folder: Path, buggy: str = BUGGY, fixed: str = FIXED) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "buggy.py").write_text(buggy)
    (folder / "fixed.py").write_text(fixed)
    return folder / "buggy.py", folder / "fixed.py"


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, NewCase, list[str]]:
    """One draft written by :func:`create` into an empty bench root (one build probe)."""
    base = tmp_path_factory.mktemp("newcase")
    buggy, fixed = _scripts(base / "scratch")
    (base / "staging").mkdir()
    lines: list[str] = []
    new = create(base / "bench", CASE, buggy, fixed, base / "staging", progress=lines.append)
    return base / "bench", new, lines


def test_the_program_and_patch_are_the_scripts(drafted) -> None:
    root, new, _ = drafted
    program, metadata, patch = new.written
    assert program == root / "bugs" / CASE / "train.py" and program.read_text() == BUGGY
    assert metadata == root / "bugs" / CASE / "case.toml"
    assert patch == root / "patches" / f"{CASE}.diff"
    patched = apply_patch({"train.py": BUGGY}, patch.read_text(), str(patch))
    assert patched == {"train.py": FIXED}
    assert sorted(p.name for p in (root / "bugs" / CASE).iterdir()) == ["case.toml", "train.py"]


def test_inferred_fields(drafted) -> None:
    _, new, lines = drafted
    meta = tomllib.loads(new.written[1].read_text())
    assert meta["id"] == CASE and meta["origin"] == "stackoverflow"
    assert meta["source"] == "https://stackoverflow.com/questions/1234567"
    assert meta["title"] == "Stack Overflow 1234567"
    assert meta["task"] == "binary" and meta["script"] == "train.py"
    assert meta["data"]["name"] == "generated"
    assert meta["training"] == {"epochs": 2, "batch_size": 16, "loss": "binary_crossentropy",
                                "optimizer": "keras.optimizers.Adam(learning_rate=0.01)"}
    # 160 samples / 16 = 10 batches per epoch: 10 epochs give the 100 batches of the rule
    assert meta["profiles"]["quick"] == {"epochs": 10} and new.quick == {"epochs": 10}
    assert "paper" not in meta
    assert [lay.cls for lay in new.buggy.layers] == ["Dense", "Activation", "Dense", "Activation"]
    text = new.written[1].read_text()
    assert '{ index = 3, class = "Activation", name = "activation_1" }' in text
    assert re.search(r'index = 3, class = "Activation".*site \[2, 3\]', text)
    assert '- keras.layers.Activation("softmax"),' in text
    assert any("buggy: 4 layers; fit #0: 2 epochs x 10 batches" in line for line in lines)


def test_every_todo_is_listed_as_left_to_fill_in(drafted) -> None:
    root, new, _ = drafted
    keys = [key for key, _ in new.todos]
    assert keys == ["semantics", "data.original", "data.stand_in", "ground_truth.categories",
                    "ground_truth.targets", "ground_truth.layers", "ground_truth.site",
                    "ground_truth.symptom", "ground_truth.description", "ground_truth.fix",
                    "oracle.buggy", "oracle.patched"]
    assert todo_fields(new.written[1]) == list(new.todos)
    problems = check_case(root, CASE)
    assert len(problems) == len(keys)
    assert all(": left to fill in: " in line for line in problems)
    assert any("ground_truth.symptom: left to fill in: what the buggy program shows: nan_loss"
               in line for line in problems)


def test_filling_the_todos_gives_a_valid_case(drafted, tmp_path: Path) -> None:
    root, new, _ = drafted
    text = new.written[1].read_text()
    for key, value in FILLED.items():
        text, n = re.subn(rf'^{key} = "TODO: .*"$', f"{key} = {value}", text, flags=re.M)
        assert n == 1, key
    copy = tmp_path / "bench"
    (copy / "bugs" / CASE).mkdir(parents=True)
    (copy / "patches").mkdir()
    (copy / "bugs" / CASE / "train.py").write_text(BUGGY)
    (copy / "bugs" / CASE / "case.toml").write_text(text)
    (copy / "patches" / f"{CASE}.diff").write_text(new.written[2].read_text())
    assert check_case(copy, CASE) == []
    case = load_case(copy, CASE)
    errors, _ = check_probe(case, new.buggy)  # probed under the full profile: 20 batches
    assert [e for e in errors if "ground_truth" in e] == []  # labels and site fit the model


def test_the_command_lists_what_is_left(tmp_path: Path) -> None:
    buggy, fixed = _scripts(tmp_path / "scratch")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["--bench-root", str(tmp_path / "bench"), "cases", "new", CASE,
                         "--buggy", str(buggy), "--fixed", str(fixed), "--semantics", "keras2",
                         "--no-verify"])
    text = out.getvalue()
    assert code == 0, text
    assert "quick profile: epochs = 10" in text
    assert "0 error(s) besides the values left to fill in" in text
    listing = text[text.index("left to fill in (11)"):]
    assert "  ground_truth.layers " in listing and "  semantics " not in listing
    assert f"then: deeplocalize cases check {CASE} --build" in text
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["--bench-root", str(tmp_path / "bench"), "cases", "check", CASE])
    assert code == 1
    assert "11 error(s), of which 11 value(s) left to fill in" in out.getvalue()


def test_a_script_that_fits_no_model_writes_nothing(tmp_path: Path) -> None:
    buggy, fixed = _scripts(tmp_path / "scratch", 'print("no model")\n', 'print("none")\n')
    (tmp_path / "staging").mkdir()
    with pytest.raises(NewCaseError, match="the buggy script did not build and fit a model"):
        create(tmp_path / "bench", CASE, buggy, fixed, tmp_path / "staging",
               progress=lambda line: None)
    assert not (tmp_path / "bench" / "bugs" / CASE).exists()
    assert not (tmp_path / "bench" / "patches" / f"{CASE}.diff").exists()


@pytest.mark.parametrize(
    ("case_id", "buggy", "fixed", "message"),
    [
        ("so-12ab", BUGGY, FIXED, "is not a case id"),
        ("Gh-Repo", BUGGY, FIXED, "is not a case id"),
        (CASE, BUGGY, BUGGY, "are identical"),
        (CASE, "def broken(:\n", FIXED, r"buggy.py:1: the buggy script does not parse"),
    ],
)
def test_bad_requests(tmp_path: Path, case_id: str, buggy: str, fixed: str, message: str) -> None:
    paths = _scripts(tmp_path / "scratch", buggy, fixed)
    with pytest.raises(NewCaseError, match=message):
        check_request(tmp_path, case_id, *paths)


def test_a_taken_id_or_missing_script_is_refused(tmp_path: Path) -> None:
    buggy, fixed = _scripts(tmp_path / "scratch")
    with pytest.raises(NewCaseError, match="the fixed script does not exist"):
        check_request(tmp_path, CASE, buggy, tmp_path / "nope.py")
    (tmp_path / "patches").mkdir()
    (tmp_path / "patches" / f"{CASE}.diff").write_text("")
    with pytest.raises(NewCaseError, match=r"so-1234567.diff already exists: case .* is taken"):
        check_request(tmp_path, CASE, buggy, fixed)
    (tmp_path / "bugs" / CASE).mkdir(parents=True)
    with pytest.raises(NewCaseError, match="already exists"):
        check_request(tmp_path, CASE, buggy, fixed)


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    (staging / "bugs" / CASE).mkdir(parents=True)
    (staging / "bugs" / CASE / "train.py").write_text(BUGGY)  # but no staged patch
    with pytest.raises(NewCaseError, match="nothing was kept"):
        _write(tmp_path / "bench", CASE, staging, "id = 'x'\n")
    assert not (tmp_path / "bench" / "bugs" / CASE).exists()
    assert not (tmp_path / "bench" / "patches" / f"{CASE}.diff").exists()


def test_a_todo_is_left_to_fill_in_whatever_type_the_key_expects() -> None:
    schema = {"n": Field((int,), required=True), "rows": TableList({"a": Field((int,))}),
              "t": Table({"s": Field((str,))}), "name": Field((str,))}
    with pytest.raises(ValueError) as info:
        validate({"n": "TODO: a count", "rows": "TODO", "t": "TODO: a table", "name": "TODO:x"},
                 schema, "f.toml")
    assert info.value.problems == [("n", "left to fill in: a count"),
                                   ("rows", "left to fill in: a value"),
                                   ("t", "left to fill in: a table"),
                                   ("name", "left to fill in: x")]


def test_compile_settings() -> None:
    assert compile_settings("m.compile('sgd', 'mse')") == {"optimizer": "sgd", "loss": "mse"}
    source = "o = SGD(lr=0.1,\n    momentum=0.9)\nm.compile(loss=l, optimizer=o)\nl = 1"
    assert compile_settings(source) == {"optimizer": "SGD(lr=0.1, momentum=0.9)", "loss": "l"}
    assert compile_settings("m.fit(x)") == {}
    assert compile_settings("m.compile(loss='a')\nm.compile(loss='b')") == {"loss": "b"}


@pytest.mark.parametrize(
    ("loss", "task"),
    [("binary_crossentropy", "binary"), ("categorical_crossentropy", "multiclass"),
     ("keras.losses.SparseCategoricalCrossentropy()", "multiclass"), ("mse", "regression"),
     ("mean_absolute_error", "regression"), ("my_loss", None), (None, None)],
)
def test_infer_task(loss: str | None, task: str | None) -> None:
    assert infer_task(loss) == task


def test_data_name() -> None:
    assert data_name("from harness.datasets import mnist\n") == "mnist"
    assert data_name("from harness.datasets.iris_uci import load_data\n") == "iris_uci"
    assert data_name("import harness.datasets.titanic as t\n") == "titanic"
    assert data_name("import numpy\n") == "generated"


def test_patch_lines() -> None:
    patch = "--- a/t.py\n+++ b/t.py\n@@ -3,3 +3,4 @@\n a\n-b\n+c\n+d\n e\n"
    assert patch_lines(patch) == ["   4 - b", "   4 + c", "   5 + d"]
    assert patch_lines(patch, limit=1) == ["   4 - b", "... (2 more)"]


def _probe(per_epoch: int | None, epochs: int = 2, variant: str = "buggy") -> ProbeResult:
    layer = BuiltLayer(0, "Dense", "dense", True)
    fit = BuiltFit(0, "Sequential", (layer,), epochs, 16, None, None, per_epoch)
    return ProbeResult("so-1", variant, "quick", "completed", None, (fit,), 0.0)


def test_quick_profile() -> None:
    assert quick_profile({"epochs"}, [_probe(30), _probe(40, variant="patched")]) == (
        {"epochs": 4}, [])
    assert quick_profile({"epochs"}, [_probe(50, epochs=2)]) == ({}, [])
    overrides, notes = quick_profile(set(), [_probe(30)])
    assert overrides == {} and "fewer than 100 batches" in notes[0]
    assert "reads no param" in notes[-1]


def test_suggest_oracle() -> None:
    lines, why = suggest_oracle({"buggy": [{"accuracy": 0.62, "loss": 6.1}],
                                 "patched": [{"accuracy": 0.91, "loss": 0.3}]})
    assert lines == ['buggy = [{ metric = "accuracy", max = 0.77 }]',
                     'patched = [{ metric = "accuracy", min = 0.77 }]']
    assert why == "accuracy: buggy 0.62; patched 0.91"
    lines, _ = suggest_oracle({"buggy": [{"accuracy": 0.5, "loss": 6.1}],
                               "patched": [{"accuracy": 0.5, "loss": 0.3}]})
    assert lines[0] == 'buggy = [{ metric = "loss", min = 3.2 }]'
    lines, _ = suggest_oracle({"buggy": [{"loss": None, "loss_nonfinite": True}],
                               "patched": [{"loss": 0.2}]})
    assert lines[0] == 'buggy = [{ metric = "loss", nonfinite = true }]'
    lines, why = suggest_oracle({"buggy": [{"loss": 1.0}], "patched": [{"loss": 1.0}]})
    assert lines == [] and "separates = false" in why
    lines, _ = suggest_oracle({"buggy": [{"accuracy": 0.6271}], "patched": [{"accuracy": 0.6275}]})
    assert lines[0] == 'buggy = [{ metric = "accuracy", max = 0.6273 }]'
    assert suggest_oracle({"buggy": [], "patched": [{"loss": 1.0}]})[0] == []
