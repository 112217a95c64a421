"""The mutant suite's generator: program map, operators, generated cases, suites (no training)."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from harness.cases import CaseError, check_case, discover, load_case
from harness.mutants import OPERATORS
from harness.mutants.generate import generate, mutant_id, mutations
from harness.mutants.parents import Parent, find_parents
from harness.mutants.source import MapError, apply_edits, map_program, set_keyword
from harness.patching import apply_patch

REPO = Path(__file__).resolve().parents[2]

PROGRAM = '''"""A healthy program."""

import keras
import numpy as np
from keras import layers

from harness.params import param

EPOCHS = param("epochs", 20)
x = np.random.default_rng(0).normal(size=(200, 4)).astype("float32")
y = keras.utils.to_categorical((x.sum(axis=1) > 0).astype(int), 2)
sgd = keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)
model = keras.Sequential(
    [
        keras.Input(shape=(4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(8),
        layers.Activation("tanh"),
    ]
)
model.add(layers.Dense(2, activation="softmax"))
model.compile(optimizer=sgd, loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=EPOCHS, batch_size=20, verbose=0)
'''

BINARY = '''from keras.layers import Dense, Input
from keras.models import Sequential

model = Sequential()
model.add(Input(shape=(3,)))
model.add(Dense(4, activation="relu"))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X, Y, epochs=3)
'''


def _parent(source: str = PROGRAM, task: str = "multiclass", pid: str = "toy") -> Parent:
    return Parent(id=pid, kind="program", source=source, task=task, semantics="keras3",
                  data={"name": "toy", "original": "generated", "stand_in": "none"},
                  training={"epochs": 20, "batch_size": 20}, profiles={"quick": {"epochs": 5}},
                  where="tests")


def test_map_finds_layers_in_model_layers_order_without_the_input() -> None:
    pmap = map_program(PROGRAM)
    assert [(lay.index, lay.cls) for lay in pmap.layers] == [
        (0, "Dense"), (1, "Dense"), (2, "Activation"), (3, "Dense")]
    assert [lay.activation() for lay in pmap.layers] == ["relu", "linear", "tanh", "softmax"]
    assert pmap.output_layer().index == 3
    assert isinstance(pmap.optimizer, ast.Call)  # followed from `optimizer=sgd`
    assert len(pmap.fit_calls) == 1


def test_map_refuses_what_it_cannot_read() -> None:
    with pytest.raises(MapError, match="one `<name> = Sequential"):
        map_program("import keras\nm = keras.Model()\n")
    looped = BINARY.replace('model.add(Dense(4, activation="relu"))',
                            'for _ in range(2):\n    model.add(Dense(4, activation="relu"))')
    pmap = map_program(looped)
    assert pmap.layers is None and "inside a loop" in pmap.layers_reason


def test_set_keyword_replaces_or_appends() -> None:
    call = ast.parse("f(1, a=2)").body[0].value
    assert apply_edits("f(1, a=2)", [set_keyword(call, "a", "3")]) == "f(1, a=3)"
    assert apply_edits("f(1, a=2)", [set_keyword(call, "b", "4")]) == "f(1, a=2, b=4)"
    empty = ast.parse("g()").body[0].value
    assert apply_edits("g()", [set_keyword(empty, "b", "4")]) == "g(b=4)"


def test_every_mutant_parses_and_differs_and_ids_are_unique() -> None:
    found, why = mutations(_parent())
    assert why == ""
    ids = [mutant_id("toy", m) for m in found]
    assert len(ids) == len(set(ids))
    operators = {m.operator for m in found}
    assert len(operators) >= 12, operators
    for m in found:
        ast.parse(m.source)
        assert m.source != PROGRAM, m
        if m.target == "layer":
            assert m.layer is not None
        else:
            assert m.layer is None


def test_operators_edit_what_they_say() -> None:
    by_id = {mutant_id("toy", m): m for m in mutations(_parent())[0]}
    lr = by_id["mut-toy-learning_rate-x1000"].source
    assert "SGD(learning_rate=50.0, momentum=0.9)" in lr
    assert 'layers.Dense(16, activation="sigmoid")' in by_id[
        "mut-toy-change_activation-l0sigmoid"].source
    assert 'layers.Activation("linear")' in by_id["mut-toy-remove_activation-l2"].source
    assert 'loss="mean_squared_error"' in by_id["mut-toy-swap_loss-mse"].source
    assert "model.fit(_mutant_shuffle_labels(" not in by_id["mut-toy-label_noise-50pct"].source
    assert "_mutant_shuffle_labels(y, 0.5)" in by_id["mut-toy-label_noise-50pct"].source
    assert "epochs=1," in by_id["mut-toy-epochs-1"].source
    frozen = by_id["mut-toy-freeze_layer-l1"]
    assert "layers.Dense(8, trainable=False)" in frozen.source


def test_named_optimizer_becomes_its_constructor_and_keras_is_imported() -> None:
    found = {m.operator + m.param: m for m in mutations(_parent(BINARY, "binary", "b"))[0]}
    lr = found["learning_ratex1000"].source
    assert "optimizer=keras.optimizers.Adam(learning_rate=1.0)" in lr
    assert "import keras\n" in lr
    assert 'Dense(1, activation="softmax")' in found["softmax_one_unitl1"].source


def test_generation_is_deterministic_and_patches_restore_the_parent(tmp_path: Path) -> None:
    parent = _parent()
    first = generate(tmp_path, [parent])
    snapshot = {p.relative_to(tmp_path): p.read_bytes()
                for p in (tmp_path / "mutants").rglob("*") if p.is_file()}
    second = generate(tmp_path, [parent])
    assert first == second
    again = {p.relative_to(tmp_path): p.read_bytes()
             for p in (tmp_path / "mutants").rglob("*") if p.is_file()}
    assert snapshot == again
    for case_id in first.mutants["toy"]:
        case = load_case(tmp_path, case_id)
        assert case.suite == "mutants" and case.origin == "mutant"
        files = {"train.py": (case.folder / "train.py").read_text()}
        assert apply_patch(files, case.patch_path.read_text())["train.py"] == PROGRAM
        assert check_case(tmp_path, case_id) == []


def test_layer_mutants_carry_their_fault_site(tmp_path: Path) -> None:
    generate(tmp_path, [_parent()])
    tanh = load_case(tmp_path, "mut-toy-change_activation-l2sigmoid")
    assert [lay.index for lay in tanh.layers] == [2]
    assert tanh.site_layers == {1, 2}  # Dense(8) and the Activation that applies its tanh
    frozen = load_case(tmp_path, "mut-toy-freeze_layer-l1")
    assert frozen.site_layers == {1}  # a frozen layer has no trainable weights: no site head
    lr = load_case(tmp_path, "mut-toy-learning_rate-zero")
    assert lr.targets == ("hyperparameter",) and lr.categories == ("learning_rate",)
    short = load_case(tmp_path, "mut-toy-epochs-1")
    assert short.meta["training"]["epochs"] == 1 and short.min_batches_reason


def test_suites_are_discovered_apart(tmp_path: Path) -> None:
    shutil.copytree(REPO / "tests" / "fixtures" / "bench" / "bugs" / "gh-fixture-nan",
                    tmp_path / "bugs" / "gh-fixture-nan")
    (tmp_path / "patches").mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "bench" / "patches" / "gh-fixture-nan.diff",
                tmp_path / "patches")
    generate(tmp_path, [_parent()])
    real, mutants = discover(tmp_path, "real"), discover(tmp_path, "mutants")
    assert real == ["gh-fixture-nan"]
    assert mutants and all(m.startswith("mut-toy-") for m in mutants)
    assert discover(tmp_path, "all") == sorted(real + mutants)
    assert load_case(tmp_path, mutants[0]).root == tmp_path / "mutants"


def test_the_repository_parents_all_map() -> None:
    parents = find_parents(REPO)
    assert len(parents) >= 15
    for parent in parents:
        found, why = mutations(parent)
        assert found, (parent.id, why)
        assert not why, (parent.id, why)


def test_every_operator_is_documented() -> None:
    text = (REPO / "mutants" / "README.md").read_text()
    for op in OPERATORS:
        assert f"`{op.name}`" in text, op.name


def test_the_committed_mutants_are_what_generation_writes(tmp_path: Path) -> None:
    """mutants/bugs and mutants/patches are generated, never edited: regenerating into a copy
    of the repository's inputs gives the same bytes."""
    for sub in ("bugs", "patches"):
        shutil.copytree(REPO / sub, tmp_path / sub)
    shutil.copytree(REPO / "mutants" / "parents", tmp_path / "mutants" / "parents")
    shutil.copy(REPO / "mutants" / "parents.toml", tmp_path / "mutants" / "parents.toml")
    generate(tmp_path, find_parents(tmp_path))

    def files(base: Path) -> dict[str, bytes]:
        return {p.relative_to(base).as_posix(): p.read_bytes()
                for sub in ("bugs", "patches") for p in sorted((base / sub).rglob("*"))
                if p.is_file() and "__pycache__" not in p.parts}

    committed, fresh = files(REPO / "mutants"), files(tmp_path / "mutants")
    assert committed.keys() == fresh.keys(), "run `deeplocalize mutants generate`"
    changed = [name for name in fresh if committed[name] != fresh[name]]
    assert not changed, f"edited by hand or stale (run `deeplocalize mutants generate`): {changed}"


def test_one_patched_run_per_parent(tmp_path: Path) -> None:
    """A mutant's patched variant is its parent: only the first mutant of a parent trains it,
    in the plan and in what scoring counts as planned."""
    from harness.cases import variants_to_run
    from harness.runner import RunConfig, plan
    from harness.scoring import _planned_units

    ids = generate(tmp_path, [_parent()]).mutants["toy"]
    cases = [load_case(tmp_path, i) for i in ids[:4]]
    chosen = variants_to_run(cases, ("buggy", "patched"))
    first = min(c.id for c in cases)
    assert chosen[first] == ("buggy", "patched")
    assert all(v == ("buggy",) for k, v in chosen.items() if k != first)
    config = RunConfig(run_id="r", case_ids=tuple(ids[:4]), variants=("buggy", "patched"),
                       tools=("deeplocalize",), seeds=(0, 1), profile="quick", semantics=None,
                       shared=False, timeout_s=60, memory_mb=1024, jobs=1, executor="local")
    specs = plan(config, cases)
    assert sum(s.variant == "patched" for s in specs) == 2  # one parent, two seeds
    assert {s.bench_root for s in specs} == {str((tmp_path / "mutants").resolve())}
    planned = _planned_units({c.id: c for c in cases},
                             {"case_ids": ids[:4], "tools": ["deeplocalize"],
                              "variants": ["buggy", "patched"], "seeds": [0, 1]})
    assert len(planned) == 4 * 2 + 2


def test_operator_breakdown_counts_false_alarms_on_the_parents(tmp_path: Path) -> None:
    from harness.operator_scores import operator_breakdown
    from harness.tally import UnitOutcome

    ids = generate(tmp_path, [_parent()]).mutants["toy"]
    cases = {i: load_case(tmp_path, i) for i in ids}
    lr = [i for i in ids if "-learning_rate-" in i]
    first = min(ids)

    def outcome(case_id: str, variant: str, detected: bool) -> UnitOutcome:
        return UnitOutcome(case_id=case_id, tool="t", variant=variant, seed=0,
                           status="completed", detected=detected, localization="none",
                           wall_s=1.0, iteration=None, epoch=None, train_s=1.0)

    outcomes = [outcome(lr[0], "buggy", True), outcome(lr[1], "buggy", False),
                outcome(first, "patched", True)]
    table = operator_breakdown(cases, outcomes)
    cell = table["learning_rate"]["t"]
    assert (cell["mutants"], cell["parents"]) == (2, 1)
    assert (cell["tp"], cell["fn"], cell["fp"], cell["tn"]) == (1, 1, 1, 0)
    assert cell["youden_j"]["rate"] == pytest.approx(0.5 - 1.0)
    assert operator_breakdown({}, outcomes) == {}


def test_data_operators_skip_a_fit_on_a_generator() -> None:
    """``fit(generator)`` carries x and y together: wrapping it would break the program."""
    program = BINARY.replace("model.fit(X, Y, epochs=3)", "model.fit(flow(X, Y), epochs=3)")
    operators = {m.operator for m in mutations(_parent(program, "binary", "g"))[0]}
    assert not operators & {"unscaled_inputs", "nan_inputs", "label_noise"}
    assert "learning_rate" in operators


def _selection_copy(tmp_path: Path, extra: str) -> Path:
    """A copy of the repository's real cases and parent selection, ``extra`` appended to it."""
    for sub in ("bugs", "patches"):
        shutil.copytree(REPO / sub, tmp_path / sub)
    (tmp_path / "mutants").mkdir()
    text = (REPO / "mutants" / "parents.toml").read_text()
    (tmp_path / "mutants" / "parents.toml").write_text(text.split("[suite_quick]")[0] + extra)
    return tmp_path


def test_suite_quick_pins_a_case_parents_profile_and_names_a_wrong_entry(tmp_path: Path) -> None:
    root = _selection_copy(tmp_path / "a", '[suite_quick]\nso-48385830 = { epochs = 7 }\n')
    by_id = {p.id: p for p in find_parents(root)}
    assert by_id["so-48385830"].profiles["quick"] == {"epochs": 7}
    own = load_case(root, "so-48221692").params("quick", "patched")
    assert by_id["so-48221692"].profiles["quick"] == own  # not pinned: the case's own
    bad = _selection_copy(tmp_path / "b", '[suite_quick]\nso-38648195 = { epochs = 7 }\n')
    with pytest.raises(CaseError, match=r"suite_quick: \['so-38648195'\] are not case_parents"):
        find_parents(bad)
