"""pydantic's validation errors as located problems: file, line, column, key and a plain message.

Messages say what was expected and never repeat the offending value, which may be confidential.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from reporter.errors import Problem
from reporter.loader import Document, KeyPath, format_key_path
from reporter.models import FIGURE_NAME, FIGURE_NAME_HELP, SLUG_HELP, TECHNIQUE, Incident
from reporter.text import reveal

_ERROR_MESSAGES = {
    "missing": "required key is missing",
    "string_type": "expected text",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "list_type": "expected a list",
    "float_type": "expected a number",
    "int_type": "expected a whole number",
    "float_parsing": "expected a number",
    "int_parsing": "expected a whole number",
    "bool_type": "expected true or false",
    "string_too_short": "expected non-empty text",
}


def _message(error: Any, model: type[BaseModel]) -> tuple[str, bool]:
    """A user-facing message for one pydantic error, and whether it points at a key."""
    kind = error["type"]
    loc = error["loc"]
    if kind == "extra_forbidden":
        name = reveal(str(loc[-1]))
        allowed = _allowed_keys(model, loc[:-1])
        hint = difflib.get_close_matches(name, allowed, n=1)
        message = f"unknown key '{name}'"
        if hint:
            message += f" (did you mean '{hint[0]}'?)"
        elif allowed:
            message += f" (expected one of {', '.join(allowed)})"
        return message, True
    if kind == "missing":
        return _ERROR_MESSAGES["missing"], True
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return "expected one of " + expected.replace("'", "").replace(" or ", ", "), False
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern")
        if pattern == TECHNIQUE:
            return "expected a MITRE ATLAS or ATT&CK technique id such as AML.T0024.002 or T1078", False
        if pattern == FIGURE_NAME:
            return FIGURE_NAME_HELP, True
        return f"expected a slug: {SLUG_HELP}", False
    if kind in _ERROR_MESSAGES:
        return _ERROR_MESSAGES[kind], False
    if kind in ("value_error", "assertion_error"):
        return str(error.get("ctx", {}).get("error", error["msg"])), False
    return error["msg"], False


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a mapping at ``loc`` (inside ``model``) may hold."""
    current: Any = model
    for part in loc:
        annotation = None
        if isinstance(current, type) and issubclass(current, BaseModel):
            if isinstance(part, str) and part in current.model_fields:
                annotation = current.model_fields[part].annotation
            else:
                # A dict value or list item: keep the model, the next part walks into it.
                continue
        current = _inner_model(annotation)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [name for name, info in current.model_fields.items() if not info.exclude]
    return []


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``list[M]``, ``dict[str, M]``, ``M | None``, ``Annotated[M, ...]``."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            return current
        stack.extend(getattr(current, "__args__", ()) or ())
        origin = getattr(current, "__origin__", None)
        if origin is not None and origin is not current:
            stack.append(origin)
    return None


def _problems_from(error: ValidationError, doc: Document, prefix: KeyPath, record_id: str | None,
                   model: type[BaseModel] | None = None) -> list[Problem]:
    """Located problems from a pydantic error on ``model`` (an Incident unless said otherwise)."""
    model = model or Incident
    problems = []
    doc.ensure_marks()
    for item in error.errors(include_url=False, include_input=False):
        loc = _without_labels(doc.data, prefix, item["loc"])
        if item["type"] not in ("missing", "extra_forbidden"):
            # A scalar shorthand (timeline `detected: 2026-05-01`) is validated as its long
            # form ({at: ...}); report the key the user actually wrote.
            loc = _existing(doc.data, prefix, loc)
        if item["type"] == "window_order":
            loc = (*loc, "end")
        elif item["type"] == "fractional_count":  # raised for the whole mapping of figures: at the one
            loc = (*loc, item["ctx"]["figure"])
        message, at_key = _message({**item, "loc": loc}, model)
        full = (*prefix, *loc)
        line, column = doc.mark(full, key=at_key) if item["type"] != "missing" else doc.mark(full[:-1])
        if record_id and prefix:
            message += f" (record {record_id})"
        problems.append(Problem(doc.path, line, column, format_key_path(full), message))
    return _dedupe(problems)


def _without_labels(data: Any, prefix: KeyPath, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """``loc`` without pydantic's labels of union branches and keys (``'function-before[...]'``,
    ``'TimelineEvent'``, ``'[key]'``); a part the file itself holds is never taken for one."""
    node = _at(data, prefix)
    kept = []
    for part in loc:
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) \
                and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and ("[" in part or part[:1].isupper()):
            continue
        else:
            node = None
        kept.append(part)
    return tuple(kept)


def _at(data: Any, prefix: KeyPath) -> Any:
    node = data
    for part in prefix:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _existing(data: Any, prefix: KeyPath, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The longest start of ``loc`` that exists in the file's data."""
    node = _at(data, prefix)
    for depth, part in enumerate(loc):
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) \
                and 0 <= part < len(node):
            node = node[part]
        else:
            return loc[:depth]
    return loc


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for problem in problems:
        marker = (problem.path, problem.line, problem.column, problem.key)
        if marker not in seen:
            seen.add(marker)
            unique.append(problem)
    return unique
