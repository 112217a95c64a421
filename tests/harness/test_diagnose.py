"""``diagnose``: run an unmodified script under DeepLocalize; exit codes 0/1/2 and JSON."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from harness import diagnose as diagnose_module
from harness.diagnose import diagnose, main
from localizer.probe import RING_CALLS

SCRIPT = textwrap.dedent(
    """
    import sys
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    if "--fail" in sys.argv:
        raise RuntimeError("the data file is missing")
    bias = -100.0 if "--dead" in sys.argv else 0.0
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8, activation="relu",
                           bias_initializer=keras.initializers.Constant(bias)),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print("training starts")
    model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    """
)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "train.py"
    path.write_text(SCRIPT)
    return path


def test_healthy_script_exits_0(script, capsys):
    """No fault: exit code 0 and a CM line for a human."""
    assert diagnose(script, [], as_json=False) == 0
    out = capsys.readouterr().out
    assert "training starts" in out and "looks correct (CM) after 24 training batches" in out


def test_faulty_script_exits_1_naming_layer_and_hint(script, capsys):
    """A dead layer: exit code 1; the text names the layer, the batch and the hint."""
    assert diagnose(script, ["--dead"], as_json=False) == 1
    out = capsys.readouterr().out
    assert "fault found (EAA" in out
    assert "layer 0 'dense" in out and "epoch 1, batch 1, iteration 10" in out
    assert "hint:   initialisation" in out


def test_failing_script_exits_2_with_its_traceback_on_stderr(script, capsys):
    """The script raises: exit code 2, its traceback on stderr."""
    assert diagnose(script, ["--fail"], as_json=False) == 2
    captured = capsys.readouterr()
    assert "RuntimeError: the data file is missing" in captured.err
    assert "Traceback" in captured.err


def test_json_output_is_one_parseable_object(script, capsys):
    """--json: stdout is exactly one JSON object (the script's prints go to stderr)."""
    assert diagnose(script, ["--dead"], as_json=True) == 1
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert (payload["exit_code"], payload["code"], payload["detected"]) == (1, "EAA", True)
    assert payload["findings"][0]["layer_index"] == 0
    finding = payload["findings"][0]["iteration"]
    assert finding == 10 and 10 <= payload["stop"]["iteration"] <= 10 + RING_CALLS
    assert "training starts" in captured.err


def test_json_output_for_a_failing_script(script, capsys):
    """--json with a failing script: exit 2 and a JSON object with the error."""
    assert diagnose(script, ["--fail"], as_json=True) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["exit_code"] == 2 and "the data file is missing" in payload["error"]


def test_main_parses_json_anywhere_and_passes_the_rest(script, monkeypatch):
    """main(): --json before or after the script args is ours; after '--' it is the script's."""
    calls = []
    monkeypatch.setattr(diagnose_module, "diagnose", lambda s, a, j: calls.append((s, a, j)) or 7)
    assert main([str(script), "--epochs", "3", "--json"]) == 7
    assert main(["--json", str(script)]) == 7
    assert main([str(script), "--", "--json"]) == 7
    assert calls == [
        (script, ["--epochs", "3"], True),
        (script, [], True),
        (script, ["--json"], False),
    ]


def test_main_rejects_a_missing_script(tmp_path):
    """main() exits with a usage error when the script does not exist."""
    with pytest.raises(SystemExit) as info:
        main([str(tmp_path / "nope.py")])
    assert info.value.code == 2
