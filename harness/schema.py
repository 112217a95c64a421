"""A tiny declarative validator for case metadata: precise errors, unknown keys rejected.

A schema is a dict ``key -> Field``. Nested tables are schemas themselves; arrays of tables use
:class:`TableList`. Errors name the file and the dotted path of the offending value, e.g.
``bugs/so-1/case.toml: ground_truth.layers[0]: unknown key 'nme' (expected one of: ...)``.

A string value starting with :data:`TODO` (``"TODO: the URL of the post"``), whatever type the key
expects, is reported as :data:`LEFT_TO_FILL` with the rest of the string: the marker of a draft
written by ``deeplocalize cases new``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: A value starting with this is a placeholder a person still has to replace.
TODO = "TODO"
#: How a :data:`TODO` value is reported.
LEFT_TO_FILL = "left to fill in"


class SchemaError(ValueError):
    """Metadata did not match its schema. ``problems`` lists every ``(path, message)``."""

    def __init__(self, where: str, problems: list[tuple[str, str]]) -> None:
        self.where = where
        self.problems = problems
        lines = [f"{where}: {path or '<top>'}: {msg}" for path, msg in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Field:
    """One value: its accepted Python types, whether it is required, and an optional check.

    ``check`` returns an error message or ``None``.
    """

    types: tuple[type, ...]
    required: bool = False
    check: Callable[[Any], str | None] | None = None
    doc: str = ""


@dataclass(frozen=True)
class Table:
    schema: Mapping[str, Any]
    required: bool = False
    open_keys: Field | None = None  # when set, any key is allowed with this value field
    doc: str = ""


@dataclass(frozen=True)
class TableList:
    schema: Mapping[str, Any]
    required: bool = False
    doc: str = ""


def one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v not in choices]
        return f"{bad[0]!r} is not one of: {', '.join(choices)}" if bad else None

    return check


def validate(data: Any, schema: Mapping[str, Any], where: str) -> None:
    """Raise :class:`SchemaError` listing every problem of ``data`` against ``schema``."""
    problems: list[tuple[str, str]] = []
    _check_table(data, Table(schema), "", problems)
    if problems:
        raise SchemaError(where, problems)


def _type_names(types: tuple[type, ...]) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _check_value(value: Any, spec: Any, path: str, problems: list[tuple[str, str]]) -> None:
    if isinstance(value, str) and value.startswith(TODO):
        problems.append((path, f"{LEFT_TO_FILL}: {value[len(TODO):].lstrip(' :') or 'a value'}"))
        return
    if isinstance(spec, Table):
        _check_table(value, spec, path, problems)
    elif isinstance(spec, TableList):
        if not isinstance(value, list):
            problems.append((path, f"expected an array of tables, got {type(value).__name__}"))
            return
        for i, item in enumerate(value):
            _check_table(item, Table(spec.schema), f"{path}[{i}]", problems)
    else:
        ok = isinstance(value, spec.types) and not (
            isinstance(value, bool) and bool not in spec.types
        )
        if not ok:
            problems.append(
                (path, f"expected {_type_names(spec.types)}, got {type(value).__name__} {value!r}")
            )
            return
        if spec.check is not None:
            message = spec.check(value)
            if message:
                problems.append((path, message))


def _check_table(data: Any, table: Table, path: str, problems: list[tuple[str, str]]) -> None:
    if not isinstance(data, dict):
        problems.append((path, f"expected a table, got {type(data).__name__}"))
        return
    prefix = f"{path}." if path else ""
    for key, value in data.items():
        if key in table.schema:
            _check_value(value, table.schema[key], prefix + key, problems)
        elif table.open_keys is not None:
            _check_value(value, table.open_keys, prefix + key, problems)
        else:
            expected = ", ".join(table.schema) or "(none)"
            problems.append((prefix + key, f"unknown key {key!r} (expected one of: {expected})"))
    for key, spec in table.schema.items():
        if getattr(spec, "required", False) and key not in data:
            problems.append((prefix + key, "required key is missing"))
