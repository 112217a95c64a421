"""Where a Keras program builds, compiles and fits its model: the sites a mutation operator edits.

:func:`map_program` reads a program's source (never runs it) and finds

- the layers of its one ``Sequential`` model, in ``model.layers`` order: the calls in the list
  given to ``Sequential([...])`` and in ``<model>.add(...)`` statements, without the
  ``Input``/``InputLayer`` entry (Keras 3 does not count it);
- the ``compile`` call on that model, its ``optimizer=`` and ``loss=`` values, and the optimizer
  constructor behind a name (``sgd = SGD(...)`` ... ``optimizer=sgd``);
- every ``fit`` call on that model.

Edits are text replacements at the AST's positions (:class:`Edit`, :func:`apply_edits`), so a
mutant differs from its parent only where the operator changed something and the patch between
them stays a few lines. What the map cannot read statically (layers built in a loop, two models,
a layer that is not a plain constructor call) makes :attr:`ProgramMap.layers` ``None`` with the
reason, and the layer operators then do not apply to that parent.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

#: Layer classes with trainable weights (a fault site's head, ``harness.sites``); PReLU has
#: weights too but is an activation layer.
WEIGHTED = frozenset({
    "Dense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
    "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D", "LSTM", "GRU", "SimpleRNN",
    "Embedding", "BatchNormalization", "LayerNormalization", "PReLU",
})
#: Weighted layers that take ``activation=`` and ``kernel_initializer=``.
ACTIVATED = frozenset({
    "Dense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
    "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D", "LSTM", "GRU", "SimpleRNN",
})
_INPUTS = frozenset({"Input", "InputLayer"})


class MapError(ValueError):
    """The program cannot be mapped (no model, no compile or fit call). Names the reason."""


@dataclass(frozen=True)
class LayerCall:
    """One layer constructor call; ``index`` is its position in ``model.layers``."""

    index: int
    cls: str
    call: ast.Call

    @property
    def weighted(self) -> bool:
        """Whether the layer has trainable weights: a weighted class not built with
        ``trainable=False``."""
        frozen = _keyword(self.call, "trainable")
        return self.cls in WEIGHTED and not (
            isinstance(frozen, ast.Constant) and frozen.value is False)

    def keyword(self, name: str) -> ast.expr | None:
        return _keyword(self.call, name)

    def activation(self) -> str | None:
        """The activation's name when it is a string literal (``"linear"`` when absent), else
        ``None``. For an ``Activation`` layer, its first argument."""
        if self.cls == "Activation":
            node = self.call.args[0] if self.call.args else _keyword(self.call, "activation")
        elif self.cls in ACTIVATED:
            node = _keyword(self.call, "activation")
            if node is None:
                return "linear"
        else:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return None


@dataclass
class ProgramMap:
    """What :func:`map_program` found; ``layers`` is ``None`` when ``layers_reason`` says why."""

    source: str
    tree: ast.Module
    model_name: str
    compile_call: ast.Call
    fit_calls: list[ast.Call]
    layers: list[LayerCall] | None
    layers_reason: str = ""
    optimizer: ast.expr | None = None  # the constructor call or string literal, resolved
    helpers: list[str] = field(default_factory=list)

    def output_layer(self) -> LayerCall | None:
        """The last layer that sets an activation (the model's output unit)."""
        for layer in reversed(self.layers or []):
            if layer.weighted or layer.cls == "Activation":
                return layer
        return None


@dataclass(frozen=True)
class Edit:
    """Replace the source text between two ``(line, col)`` positions (1-based lines, byte
    columns as the AST counts them)."""

    start: tuple[int, int]
    end: tuple[int, int]
    text: str


def class_name(func: ast.expr) -> str | None:
    """``layers.Dense``, ``keras.layers.Dense`` or ``Dense`` → ``"Dense"``."""
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _method_calls(tree: ast.AST, receiver: str, method: str) -> list[ast.Call]:
    return [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        and n.func.attr == method and isinstance(n.func.value, ast.Name)
        and n.func.value.id == receiver
    ]


def _inside_loop(tree: ast.Module, node: ast.AST) -> bool:
    for loop in ast.walk(tree):
        if isinstance(loop, ast.For | ast.While | ast.comprehension):
            if any(child is node for child in ast.walk(loop)):
                return True
    return False


def _sequential(tree: ast.Module) -> tuple[str, ast.Call]:
    found = [
        (n.targets[0].id, n.value) for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
        and isinstance(n.value, ast.Call) and class_name(n.value.func) == "Sequential"
    ]
    if len(found) != 1:
        raise MapError(f"expected one `<name> = Sequential(...)` assignment, found {len(found)}")
    return found[0]


def _layer_calls(tree: ast.Module, name: str, seq: ast.Call) -> tuple[list[LayerCall] | None, str]:
    calls: list[ast.expr] = []
    if seq.args:
        if not isinstance(seq.args[0], ast.List):
            return None, "Sequential's layers are not a list literal"
        calls.extend(seq.args[0].elts)
    adds = sorted(_method_calls(tree, name, "add"), key=lambda c: (c.lineno, c.col_offset))
    for add in adds:
        if _inside_loop(tree, add):
            return None, f"{name}.add(...) on line {add.lineno} is inside a loop"
        if len(add.args) != 1:
            return None, f"{name}.add(...) on line {add.lineno} does not take one layer"
        calls.append(add.args[0])
    out: list[LayerCall] = []
    for node in calls:
        cls = class_name(node.func) if isinstance(node, ast.Call) else None
        if cls is None:
            return None, f"line {node.lineno}: a layer that is not a constructor call"
        if cls in _INPUTS:
            continue
        out.append(LayerCall(len(out), cls, node))
    if not out:
        return None, "the model has no layers the map can read"
    return out, ""


def _resolve_optimizer(tree: ast.Module, value: ast.expr | None, before: int) -> ast.expr | None:
    """A literal or a constructor call; a name is followed to its last assignment above."""
    if isinstance(value, ast.Constant | ast.Call) or value is None:
        return value
    if isinstance(value, ast.Name):
        assigns = [
            n for n in ast.walk(tree)
            if isinstance(n, ast.Assign) and len(n.targets) == 1
            and isinstance(n.targets[0], ast.Name) and n.targets[0].id == value.id
            and n.lineno < before and isinstance(n.value, ast.Call)
        ]
        if len(assigns) == 1:
            return assigns[0].value
    return None


def map_program(source: str) -> ProgramMap:
    """Map a program's model, compile and fit calls (see the module).

    Raises:
        MapError: the program has not exactly one ``Sequential`` assignment, one ``compile`` and
            at least one ``fit`` on it.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise MapError(f"not valid Python: {exc}") from exc
    name, seq = _sequential(tree)
    compiles = _method_calls(tree, name, "compile")
    if len(compiles) != 1:
        raise MapError(f"expected one {name}.compile(...), found {len(compiles)}")
    fits = sorted(_method_calls(tree, name, "fit"), key=lambda c: (c.lineno, c.col_offset))
    if not fits:
        raise MapError(f"no {name}.fit(...) call")
    layers, reason = _layer_calls(tree, name, seq)
    optimizer = _resolve_optimizer(tree, _keyword(compiles[0], "optimizer"), compiles[0].lineno)
    return ProgramMap(source, tree, name, compiles[0], fits, layers, reason, optimizer)


# -- editing ---------------------------------------------------------------------------------


def replace(node: ast.AST, text: str) -> Edit:
    """Replace a node's whole source text."""
    return Edit((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset), text)


def set_keyword(call: ast.Call, name: str, text: str) -> Edit:
    """``name=text`` in ``call``: the value replaced when the keyword is there, else added after
    the last argument."""
    value = _keyword(call, name)
    if value is not None:
        return replace(value, text)
    last = [*call.args, *[kw.value for kw in call.keywords]]
    if last:
        end = max(last, key=lambda n: (n.end_lineno, n.end_col_offset))
        at = (end.end_lineno, end.end_col_offset)
        return Edit(at, at, f", {name}={text}")
    at = (call.end_lineno, call.end_col_offset - 1)  # just before ")"
    return Edit(at, at, f"{name}={text}")


def insert_before_line(line: int, text: str) -> Edit:
    """Insert whole lines of text before 1-based ``line``."""
    return Edit((line, 0), (line, 0), text)


def apply_edits(source: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits; positions are those of the original source."""
    lines = source.encode("utf-8").splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    data = source.encode("utf-8")

    def offset(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    spans = sorted(((offset(e.start), offset(e.end), e.text) for e in edits), reverse=True)
    for (_, b, _), (c, _, _) in zip(spans[1:], spans, strict=False):
        if b > c:
            raise ValueError(f"overlapping edits at byte {c}")
    for a, b, text in spans:
        data = data[:a] + text.encode("utf-8") + data[b:]
    return data.decode("utf-8")


def source_of(source: str, node: ast.AST) -> str:
    """The exact source text of a node."""
    segment = ast.get_source_segment(source, node)
    if segment is None:
        raise ValueError("node has no source position")
    return segment


def first_statement_line(tree: ast.Module) -> int:
    """The line of the first statement after the docstring and the imports."""
    body = list(tree.body)
    i = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        i = 1
    while i < len(body) and isinstance(body[i], ast.Import | ast.ImportFrom):
        i += 1
    return body[i].lineno if i < len(body) else (body[-1].end_lineno or 0) + 1
