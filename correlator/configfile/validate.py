"""Validate a YAML source against a pydantic model, turning every error into a ConfigIssue."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from correlator.configfile.errors import ConfigIssue, PathKey
from correlator.configfile.yamlsrc import YamlSource

M = TypeVar("M", bound=BaseModel)

_FIXES = {
    "missing": "add it",
    "extra_forbidden": "remove it or correct its spelling",
    "enum": "use one of the listed values",
    "literal_error": "use one of the listed values",
    "string_pattern_mismatch": "use letters, digits and . _ - / only, starting with a letter or digit",
    "timezone_aware": "give the offset, e.g. 2026-11-21T08:00:00+08:00",
    "datetime_from_date_parsing": "use ISO 8601, e.g. 2026-11-21T08:00:00+08:00",
    "datetime_parsing": "use ISO 8601, e.g. 2026-11-21T08:00:00+08:00",
}


def _path(loc: tuple[int | str, ...]) -> tuple[PathKey, bool]:
    """pydantic loc -> YAML path; the second item says the error is about a mapping key."""
    out: list[str | int] = []
    is_key = False
    for part in loc:
        if part == "[key]":
            is_key = True
            continue
        if isinstance(part, str) and any(ch in part for ch in "[]()="):
            continue  # a pydantic union/validator tag, not a place in the file
        out.append(part)
    return tuple(out), is_key


def validate(src: YamlSource, model: type[M], base: PathKey = ()) -> tuple[M | None, list[ConfigIssue]]:
    """Validate ``src.data`` (or the sub-tree at ``base``) into ``model``."""
    data = src.data
    for part in base:
        data = data[part]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        issues: list[ConfigIssue] = []
        seen: set[PathKey] = set()
        for err in exc.errors(include_url=False):
            path, is_key = _path(tuple(err["loc"]))
            path = (*base, *path)
            if path in seen:
                continue  # one error per place: the alternatives of a union say the same thing
            seen.add(path)
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            if is_key:
                msg = f"key '{path[-1]}' is not valid: {msg}"
            etype = err["type"]
            fix = _FIXES.get(etype, "")
            if etype == "missing":
                msg = "required field is missing"
            elif etype == "extra_forbidden":
                msg = f"unknown field '{path[-1]}'"
            issues.append(src.issue(path, msg, fix))
        return None, issues
