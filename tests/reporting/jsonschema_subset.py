"""A small JSON Schema (draft 2020-12) checker for the keywords the report schema uses.

Not a full validator: enough to check that the published schema is well formed (every
keyword known and of the right shape, every ``$ref`` resolving, every pattern compiling) and
that documents validate against it. A full validator (``jsonschema``) would be a new test
dependency.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

TYPES = {"null", "boolean", "object", "array", "number", "string", "integer"}
FORMATS = {"date", "date-time", "email", "uri"}
ANNOTATIONS = {"$schema", "$id", "title", "description", "default", "examples"}
KEYWORDS = ANNOTATIONS | {
    "$defs",
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "items",
    "anyOf",
    "enum",
    "const",
    "pattern",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "format",
}


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    if not ref.startswith("#/"):
        raise KeyError(ref)
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def schema_problems(schema: Any, root: dict[str, Any], path: str = "#") -> list[str]:
    """Ways ``schema`` is not a well-formed schema of the supported subset."""
    if isinstance(schema, bool):
        return []
    if not isinstance(schema, dict):
        return [f"{path}: a schema must be an object or a boolean"]
    problems = [f"{path}: unknown keyword {k!r}" for k in schema if k not in KEYWORDS]
    sub: list[tuple[str, Any]] = []
    for key, value in schema.items():
        where = f"{path}/{key}"
        if key == "type":
            kinds = value if isinstance(value, list) else [value]
            if not kinds or any(k not in TYPES for k in kinds):
                problems.append(f"{where}: bad type {value!r}")
        elif key in ("properties", "$defs", "patternProperties"):
            if not isinstance(value, dict):
                problems.append(f"{where}: must be an object")
                continue
            sub.extend((f"{where}/{k}", v) for k, v in value.items())
            if key == "patternProperties":
                for pattern in value:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        problems.append(f"{where}: bad pattern {pattern!r}: {exc}")
        elif key == "required":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            if not ok or len(set(value)) != len(value):
                problems.append(f"{where}: must be a list of distinct names")
            elif any(v not in schema.get("properties", {}) for v in value):
                problems.append(f"{where}: names a property that is not defined")
        elif key in ("additionalProperties", "items"):
            sub.append((where, value))
        elif key == "anyOf":
            if not isinstance(value, list) or not value:
                problems.append(f"{where}: must be a non-empty list")
            else:
                sub.extend((f"{where}/{i}", v) for i, v in enumerate(value))
        elif key == "enum" and (not isinstance(value, list) or not value):
            problems.append(f"{where}: must be a non-empty list")
        elif key == "pattern":
            try:
                re.compile(value)
            except (re.error, TypeError) as exc:
                problems.append(f"{where}: bad pattern {value!r}: {exc}")
        elif key in ("minimum", "maximum") and not _is_number(value):
            problems.append(f"{where}: must be a number")
        elif key in ("minLength", "maxLength") and not (isinstance(value, int) and value >= 0):
            problems.append(f"{where}: must be a non-negative integer")
        elif key == "format" and value not in FORMATS:
            problems.append(f"{where}: unknown format {value!r}")
        elif key == "$ref":
            try:
                _resolve(value, root)
            except (KeyError, TypeError):
                problems.append(f"{where}: {value!r} does not resolve")
        elif key == "default":
            problems.extend(f"{where}: {p}" for p in instance_errors(value, schema, root))
    for where, child in sub:
        problems.extend(schema_problems(child, root, where))
    return problems


def _type_ok(value: Any, kind: str) -> bool:
    checks = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "number": _is_number(value),
        "integer": _is_number(value) and float(value).is_integer(),
        "string": isinstance(value, str),
    }
    return checks[kind]


def _format_ok(value: Any, fmt: str) -> bool:
    if not isinstance(value, str):
        return True
    try:
        if fmt == "date":
            dt.date.fromisoformat(value)
        elif fmt == "date-time":
            dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def instance_errors(value: Any, schema: Any, root: dict[str, Any], path: str = "") -> list[str]:
    """Why ``value`` does not validate against ``schema`` (empty: it does)."""
    if schema is True or schema == {}:
        return []
    if schema is False:
        return [f"{path or '/'}: not allowed"]
    if "$ref" in schema:
        errors = instance_errors(value, _resolve(schema["$ref"], root), root, path)
        if errors:
            return errors
    where = path or "/"
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not any(_type_ok(value, k) for k in kinds):
            return [f"{where}: {value!r} is not of type {kinds}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in enum")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "anyOf" in schema and all(instance_errors(value, s, root, path) for s in schema["anyOf"]):
        errors.append(f"{where}: {value!r} matches none of anyOf")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']!r}")
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{where}: too short")
        if len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{where}: too long")
        if "format" in schema and not _format_ok(value, schema["format"]):
            errors.append(f"{where}: {value!r} is not a {schema['format']}")
    if _is_number(value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: {value!r} below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: {value!r} above maximum")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors.extend(instance_errors(item, schema["items"], root, f"{path}/{i}"))
    if isinstance(value, dict):
        errors.extend(_object_errors(value, schema, root, path))
    return errors


def _object_errors(
    value: dict[str, Any], schema: Any, root: dict[str, Any], path: str
) -> list[str]:
    errors = [
        f"{path}/{name}: required" for name in schema.get("required", []) if name not in value
    ]
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    for name, item in value.items():
        matched = False
        if name in properties:
            matched = True
            errors.extend(instance_errors(item, properties[name], root, f"{path}/{name}"))
        for pattern, sub in patterns.items():
            if re.search(pattern, name):
                matched = True
                errors.extend(instance_errors(item, sub, root, f"{path}/{name}"))
        extra = schema.get("additionalProperties", True)
        if not matched:
            errors.extend(instance_errors(item, extra, root, f"{path}/{name}"))
    return errors
