"""Mutation operators: one function each, applied to a healthy program's source.

The families follow DeepCrime (Humbatova, Jahangirova, Tonella, ISSTA 2021), which derived them
from real deep-learning faults: training data, hyperparameters, activations, regularisation,
weights, loss, optimiser. An operator reads the program's
:class:`~harness.mutants.source.ProgramMap` and returns one :class:`Mutation` per place and
parameter it applies to (none where it does not apply). Each mutation knows its fault exactly:
the category, the target and, for a layer fault, the layer's index in ``model.layers``.
Everything is deterministic: the same parent gives the same mutants, in the same order.

The training-data operators are in :mod:`harness.mutants.data_ops`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from harness.mutants.source import (
    ACTIVATED,
    Edit,
    LayerCall,
    ProgramMap,
    apply_edits,
    first_statement_line,
    insert_before_line,
    replace,
    set_keyword,
)


@dataclass(frozen=True)
class Mutation:
    """One mutant's program and its fault, exactly."""

    operator: str
    param: str
    source: str
    category: str
    target: str
    layer: LayerCall | None
    description: str
    symptom: str
    training: dict[str, int] | None = None  # the mutant's own [training] settings
    min_batches_reason: str | None = None


@dataclass(frozen=True)
class Operator:
    name: str
    family: str
    apply: Callable[[ProgramMap, str], list[Mutation]]
    doc: str


#: Keras 3 defaults, for an optimizer given by name (``optimizer="adam"``).
OPTIMIZER_DEFAULTS = {
    "sgd": ("SGD", 0.01), "adam": ("Adam", 0.001), "rmsprop": ("RMSprop", 0.001),
    "adagrad": ("Adagrad", 0.001), "adadelta": ("Adadelta", 0.001), "adamax": ("Adamax", 0.001),
    "nadam": ("Nadam", 0.001), "adamw": ("AdamW", 0.001),
}


def _optimizer_call(pmap: ProgramMap, **overrides: str) -> Edit | None:
    """An edit that sets keywords of the program's optimizer; a named optimizer
    (``"adam"``) becomes its constructor with Keras' default learning rate."""
    opt = pmap.optimizer
    if isinstance(opt, ast.Call):
        (key, value), = overrides.items()  # one keyword per operator
        return set_keyword(opt, key, value)
    if isinstance(opt, ast.Constant) and str(opt.value).lower() in OPTIMIZER_DEFAULTS:
        cls, lr = OPTIMIZER_DEFAULTS[str(opt.value).lower()]
        args = {"learning_rate": repr(lr), **overrides}
        text = ", ".join(f"{k}={v}" for k, v in args.items())
        return replace(opt, f"keras.optimizers.{cls}({text})")
    return None


def _optimizer_edits(pmap: ProgramMap, **overrides: str) -> list[Edit]:
    edit = _optimizer_call(pmap, **overrides)
    if edit is None:
        return []
    keras_import = _import_keras(pmap) if isinstance(pmap.optimizer, ast.Constant) else []
    return [edit, *keras_import]


def _learning_rate(pmap: ProgramMap, opt: ast.expr | None) -> float | None:
    if isinstance(opt, ast.Constant) and str(opt.value).lower() in OPTIMIZER_DEFAULTS:
        return OPTIMIZER_DEFAULTS[str(opt.value).lower()][1]
    if isinstance(opt, ast.Call):
        for kw in opt.keywords:
            if kw.arg in ("learning_rate", "lr"):
                try:
                    return float(ast.literal_eval(kw.value))
                except ValueError:
                    return _module_constant(pmap.tree, kw.value)
        cls = (opt.func.attr if isinstance(opt.func, ast.Attribute) else
               getattr(opt.func, "id", "")).lower()
        if cls in OPTIMIZER_DEFAULTS:
            return OPTIMIZER_DEFAULTS[cls][1]
    return None


def _module_constant(tree: ast.Module, node: ast.expr) -> float | None:
    """The value of ``NAME`` when the module assigns it a number literal once."""
    if not isinstance(node, ast.Name):
        return None
    values = [
        n.value for n in tree.body
        if isinstance(n, ast.Assign) and len(n.targets) == 1
        and isinstance(n.targets[0], ast.Name) and n.targets[0].id == node.id
    ]
    if len(values) == 1 and isinstance(values[0], ast.Constant):
        value = values[0].value
        return float(value) if isinstance(value, int | float) else None
    return None


def _mutation(pmap: ProgramMap, op: str, param: str, edits: list[Edit], category: str,
              target: str, description: str, symptom: str,
              layer: LayerCall | None = None, **extra: object) -> Mutation:
    return Mutation(op, param, apply_edits(pmap.source, edits), category, target, layer,
                    description, symptom, **extra)


def _tag(value: float) -> str:
    return f"{value:g}".replace("-", "m").replace(".", "p").replace("+", "")


# -- hyperparameters ---------------------------------------------------------------------------


def learning_rate(pmap: ProgramMap, task: str) -> list[Mutation]:
    """Learning rate ×1000 (diverges), ×1e-4 (barely moves) and 0 (never moves)."""
    lr = _learning_rate(pmap, pmap.optimizer)
    if lr is None:
        return []
    out = []
    for factor, symptom in ((1e3, "nan_loss"), (1e-4, "slow_convergence"), (0.0, "no_learning")):
        edits = _optimizer_edits(pmap, learning_rate=repr(lr * factor))
        if edits:
            name = "zero" if factor == 0 else f"x{_tag(factor)}"
            out.append(_mutation(pmap, "learning_rate", name, edits, "learning_rate",
                                 "hyperparameter", f"learning rate {lr:g} → {lr * factor:g}",
                                 symptom))
    return out


def _fit_keyword(pmap: ProgramMap, name: str, text: str) -> list[Edit]:
    return [set_keyword(call, name, text) for call in pmap.fit_calls]


#: Why the fit-length rules of bugs/README.md do not hold for these mutants.
_SHORT = ("the mutation is the short training itself (one epoch, or one batch per epoch); a "
          "longer quick fit would undo it")


def epochs(pmap: ProgramMap, task: str) -> list[Mutation]:
    """Training cut to one epoch."""
    return [_mutation(pmap, "epochs", "1", _fit_keyword(pmap, "epochs", "1"), "epochs",
                      "hyperparameter", "every fit trains one epoch", "low_accuracy",
                      training={"epochs": 1}, min_batches_reason=_SHORT)]



def batch_size(pmap: ProgramMap, task: str) -> list[Mutation]:
    """The whole training set in one batch (a few optimizer steps in all)."""
    return [_mutation(pmap, "batch_size", "full", _fit_keyword(pmap, "batch_size", "1_000_000"),
                      "batch_size", "hyperparameter",
                      "batch size larger than the training set: one step per epoch",
                      "slow_convergence", training={"batch_size": 1_000_000},
                      min_batches_reason=_SHORT)]


# -- optimiser ---------------------------------------------------------------------------------


def gradient_clipping(pmap: ProgramMap, task: str) -> list[Mutation]:
    """Every gradient component clipped to ±1e-6: the weights hardly move."""
    edits = _optimizer_edits(pmap, clipvalue="1e-06")
    if not edits:
        return []
    return [_mutation(pmap, "gradient_clipping", "1em6", edits, "optimizer", "optimizer",
                      "gradients clipped to ±1e-6", "no_learning")]


def change_optimizer(pmap: ProgramMap, task: str) -> list[Mutation]:
    """The optimizer replaced by another with Keras' defaults: plain SGD, or Adadelta for a
    program that already uses SGD."""
    opt = pmap.optimizer
    if opt is None:
        return []
    if isinstance(opt, ast.Call):
        cls = getattr(opt.func, "attr", getattr(opt.func, "id", "")).lower()
    else:
        cls = str(opt.value).lower()
    new = "Adadelta" if cls == "sgd" else "SGD"
    edit = replace(opt, f"keras.optimizers.{new}()")
    return [_mutation(pmap, "change_optimizer", new.lower(), [edit, *_import_keras(pmap)],
                      "optimizer", "optimizer", f"optimizer replaced by {new}() (Keras defaults)",
                      "slow_convergence")]


def _import_keras(pmap: ProgramMap) -> list[Edit]:
    """``import keras`` above the first statement, when the program does not import it."""
    for node in pmap.tree.body:
        if isinstance(node, ast.Import) and any(a.name == "keras" and a.asname is None
                                                for a in node.names):
            return []
    return [insert_before_line(first_statement_line(pmap.tree), "import keras\n")]


# -- loss ----------------------------------------------------------------------------------------

#: The loss each task's mutant trains with instead: the classic mistakes of the real cases
#: (MSE on classes as in so-48385830; a cross-entropy on one linear output, whose normalised
#: prediction is always 1, so the loss is constant).
SWAPPED_LOSS = {
    "multiclass": "mean_squared_error",
    "binary": "mean_squared_error",
    "multilabel": "mean_squared_error",
    "regression": "categorical_crossentropy",
}


LOSS_TAGS = {"mean_squared_error": "mse", "categorical_crossentropy": "cce"}


def swap_loss(pmap: ProgramMap, task: str) -> list[Mutation]:
    """The loss replaced by one that does not fit the task."""
    loss = next((kw.value for kw in pmap.compile_call.keywords if kw.arg == "loss"), None)
    new = SWAPPED_LOSS.get(task)
    if not (isinstance(loss, ast.Constant) and isinstance(loss.value, str)) or new is None:
        return []
    if loss.value == new or (task != "regression" and "squared" in loss.value):
        return []
    symptom = "no_learning" if task == "regression" else "slow_convergence"
    return [_mutation(pmap, "swap_loss", LOSS_TAGS[new],
                      [replace(loss, f'"{new}"')], "wrong_loss", "loss",
                      f"loss {loss.value} → {new}", symptom)]


# -- layers: activations, weights, regularisation ------------------------------------------------


def _activation_edit(layer: LayerCall, new: str) -> Edit:
    if layer.cls == "Activation" and layer.call.args:
        return replace(layer.call.args[0], f'"{new}"')
    return set_keyword(layer.call, "activation", f'"{new}"')


def _changeable(pmap: ProgramMap) -> list[LayerCall]:
    """Layers whose activation is a string the operators can read and set."""
    return [
        lay for lay in pmap.layers or []
        if (lay.cls in ACTIVATED or lay.cls == "Activation") and lay.activation() is not None
    ]


def change_activation(pmap: ProgramMap, task: str) -> list[Mutation]:
    """A hidden activation → sigmoid (relu for a sigmoid one); the output's → relu."""
    out = []
    output = pmap.output_layer()
    for layer in _changeable(pmap):
        current = layer.activation()
        if layer is output:
            new = "relu" if current != "relu" else "sigmoid"
        elif current == "linear":
            continue  # a linear hidden layer: adding an activation is not a fault
        else:
            new = "relu" if current == "sigmoid" else "sigmoid"
        out.append(_mutation(pmap, "change_activation", f"l{layer.index}{new}",
                             [_activation_edit(layer, new)], "wrong_activation", "layer",
                             f"{layer.cls} at model.layers[{layer.index}]: activation "
                             f"{current} → {new}", "low_accuracy", layer))
    return out


def remove_activation(pmap: ProgramMap, task: str) -> list[Mutation]:
    """An activation removed (``linear``)."""
    return [
        _mutation(pmap, "remove_activation", f"l{layer.index}", [_activation_edit(layer, "linear")],
                  "missing_activation", "layer",
                  f"{layer.cls} at model.layers[{layer.index}]: activation "
                  f"{layer.activation()} removed", "low_accuracy", layer)
        for layer in _changeable(pmap) if layer.activation() != "linear"
    ]


def softmax_one_unit(pmap: ProgramMap, task: str) -> list[Mutation]:
    """A one-unit sigmoid output becomes softmax: it outputs 1 whatever the input."""
    output = pmap.output_layer()
    if output is None or output.activation() != "sigmoid" or task != "binary":
        return []
    return [_mutation(pmap, "softmax_one_unit", f"l{output.index}",
                      [_activation_edit(output, "softmax")], "wrong_activation", "layer",
                      f"output at model.layers[{output.index}]: sigmoid → softmax on one unit",
                      "constant_output", output)]


def _weighted(pmap: ProgramMap) -> list[LayerCall]:
    return [lay for lay in pmap.layers or [] if lay.cls in ACTIVATED]


INITIALISERS = {
    "zeros": ('"zeros"', "no_learning"),
    "huge": ("keras.initializers.RandomNormal(stddev=100.0)", "nan_loss"),
}


def initialisation(pmap: ProgramMap, task: str) -> list[Mutation]:
    """A layer's kernel initialised to zeros or drawn with a standard deviation of 100."""
    out = []
    for layer in _weighted(pmap):
        for name, (text, symptom) in INITIALISERS.items():
            edits = [set_keyword(layer.call, "kernel_initializer", text)]
            if "keras." in text:
                edits += _import_keras(pmap)
            out.append(_mutation(pmap, "initialisation", f"l{layer.index}{name}", edits,
                                 "initialisation", "layer",
                                 f"{layer.cls} at model.layers[{layer.index}]: kernel "
                                 f"initialiser {name}", symptom, layer))
    return out


def dead_relu_bias(pmap: ProgramMap, task: str) -> list[Mutation]:
    """A ReLU layer's bias initialised to -10: its units start (and stay) dead."""
    out = []
    for layer in _weighted(pmap):
        if layer.activation() != "relu" or layer.keyword("use_bias") is not None:
            continue
        edits = [set_keyword(layer.call, "bias_initializer",
                             "keras.initializers.Constant(-10.0)"), *_import_keras(pmap)]
        out.append(_mutation(pmap, "dead_relu_bias", f"l{layer.index}", edits, "initialisation",
                             "layer", f"{layer.cls} at model.layers[{layer.index}]: bias "
                             "initialised to -10 under ReLU", "dead_units", layer))
    return out


def freeze_layer(pmap: ProgramMap, task: str) -> list[Mutation]:
    """A layer's weights frozen at their initial values (``trainable=False``)."""
    return [
        _mutation(pmap, "freeze_layer", f"l{layer.index}",
                  [set_keyword(layer.call, "trainable", "False")], "trainability", "layer",
                  f"{layer.cls} at model.layers[{layer.index}] frozen (trainable=False)",
                  "slow_convergence", layer)
        for layer in _weighted(pmap)
    ]


def regularisation(pmap: ProgramMap, task: str) -> list[Mutation]:
    """An L2 penalty of 10 on a layer's kernel: the penalty outweighs the task's loss."""
    out = []
    for layer in _weighted(pmap):
        if layer.keyword("kernel_regularizer") is not None:
            continue
        edits = [set_keyword(layer.call, "kernel_regularizer", "keras.regularizers.L2(10.0)"),
                 *_import_keras(pmap)]
        out.append(_mutation(pmap, "regularisation", f"l{layer.index}", edits, "regularisation",
                             "layer", f"{layer.cls} at model.layers[{layer.index}]: L2(10) on "
                             "the kernel", "low_accuracy", layer))
    return out
