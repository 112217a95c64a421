"""Closed vocabularies of the case metadata (documented in ``bugs/README.md``)."""

ORIGINS = ("stackoverflow", "github", "mutant")
#: Which cases a run, score or report takes: the real (paper) cases, the generated mutants
#: (``mutants/``, issue #13), or both.
SUITES = ("real", "mutants", "all")
TASKS = ("binary", "multiclass", "multilabel", "regression")
STATUSES = ("active", "deprecated")
VARIANTS = ("buggy", "patched")
#: How a case's losses treat Keras 3's hidden logits (see ``harness/semantics.py``).
SEMANTICS = ("keras2", "tfkeras", "keras3")
PROFILES = ("quick", "full")

#: Fault categories. A case lists every one its patch fixes, the primary one first.
CATEGORIES = (
    "wrong_activation",  # an activation function that cannot work (1-unit softmax, relu output)
    "missing_activation",  # a layer that needs a non-linearity has none
    "wrong_loss",  # loss does not fit the task or output (MSE on classes, BCE on 3 classes)
    "learning_rate",  # learning rate too high or too low
    "optimizer",  # optimizer choice or its other settings (momentum, decay)
    "input_normalisation",  # inputs not scaled / standardised
    "data_preprocessing",  # labels or inputs encoded or transformed wrongly
    "initialisation",  # weight or bias initialisers
    "architecture",  # number or width of layers, kernel sizes, dropout rate
    "batch_size",
    "epochs",  # training too short or too long
    "metric",  # the metric measures the wrong thing; the model itself may be fine
    "regularisation",  # a penalty or dropout that outweighs what the model learns
    "trainability",  # a layer that should train is frozen
    "none",  # no fault (negative control)
)

#: What the case's fault is located in: a layer, or a part of the set-up with no layer.
TARGETS = ("layer", "hyperparameter", "optimizer", "loss", "data", "model", "none")

#: What the buggy program shows when it runs.
SYMPTOMS = (
    "nan_loss",  # loss (or weights) become NaN/Inf
    "no_learning",  # loss and/or accuracy frozen from the start
    "slow_convergence",  # learns, but far slower or worse than the fix
    "low_accuracy",  # trains to a clearly worse accuracy/loss than the fix
    "constant_output",  # the network outputs a constant
    "dead_units",  # activations stuck at zero
    "none",  # nothing wrong (negative control)
)

#: Columns of the paper's result tables (Tables VI and VII).
PAPER_TOOLS = (
    "terminate_on_nan",
    "early_stopping_loss",
    "early_stopping_accuracy",
    "keras_union",
    "deeplocalize",  # the callback
    "deeplocalize_tool",  # the imperative tool (Stack Overflow cases only)
)

#: Why our verdict in one of the paper's columns differs from the paper's (``[[reproduction]]``
#: in a case's metadata; ``harness/reproduction.py``). ``port:*`` reasons lie in our port of
#: the program, the others outside it.
REPRODUCTION_REASONS = (
    "port:data",  # the stand-in data trains differently from the original
    "port:semantics",  # the loss semantics (harness/semantics.py) change the loss curve
    "port:profile",  # the profile's cuts (epochs, data size) change what the column can see
    "port:program",  # the Keras 3 port cannot do what the original did (an API that is gone)
    "seed",  # the published outcome hung on an unseeded random draw of the original
    "paper",  # the paper's own tables contradict the verdict or each other
    "tool",  # our implementation of the tool differs from the one the paper ran
)

#: Where a fault of each category sits: the target a diagnosis of that category points at.
CATEGORY_TARGETS = {
    "wrong_activation": "layer",
    "missing_activation": "layer",
    "initialisation": "layer",
    "architecture": "layer",
    "regularisation": "layer",
    "trainability": "layer",
    "wrong_loss": "loss",
    "learning_rate": "hyperparameter",
    "batch_size": "hyperparameter",
    "epochs": "hyperparameter",
    "optimizer": "optimizer",
    "input_normalisation": "data",
    "data_preprocessing": "data",
    "metric": "model",
    "none": "none",
}
