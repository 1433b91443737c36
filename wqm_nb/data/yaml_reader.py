"""Reading the YAML data files: one parse, then a :class:`Reader` that checks each field once, where the
data enters (pandera-style).

A :class:`Reader` walks one parsed YAML document and fails with a
:class:`~wqm_nb.errors.DataFileError` naming the file and the field path, e.g.
``wqm.yaml: principles[2].elements[0].text: required field is missing``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn, cast

import yaml

from ..errors import DataFileError


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a whole number",
        float: "a number",
    }.get(type(value), type(value).__name__)


_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true/false",
    list: "a list",
    dict: "a mapping",
}


class Reader:
    """Reads one parsed YAML document, failing with file and field path."""

    def __init__(self, file: str | Path):
        self.file = Path(file).name if file else "<data>"
        self.full = str(file)

    def fail(self, path: str, message: str) -> NoReturn:
        raise DataFileError(self.file, path, message)

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...] | None = None) -> dict:
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {_kind(value)}")
        if allowed is not None:
            unknown = sorted(set(map(str, value)) - set(allowed))
            if unknown:
                self.fail(join(path, unknown[0]), f"unknown field (allowed: {', '.join(allowed)})")
        return value

    def get(
        self, mapping: dict, key: str | int, path: str, kind: type, required: bool = True, default: Any = None
    ) -> Any:
        where = join(path, str(key))  # _int_map reads whole-number keys
        value = mapping.get(key)
        if value is None:
            if required:
                self.fail(where, "required field is missing")
            return default
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        bad_bool = isinstance(value, bool) and kind in (int, float)
        if not isinstance(value, kind) or bad_bool:
            self.fail(where, f"expected {_TYPE_NAMES.get(kind, kind.__name__)}, got {_kind(value)}")
        if kind is str and not cast(str, value).strip():
            self.fail(where, "must not be empty")
        if kind is list and required and not value:
            self.fail(where, "must not be empty")
        return value

    def unique(self, ids: list[str], path: str, what: str = "id"):
        seen: set[str] = set()
        for i, ident in enumerate(ids):
            if ident in seen:
                self.fail(f"{path}[{i}].{what}", f"duplicate {what} {ident!r}")
            seen.add(ident)


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a missing, unreadable, non-UTF-8 or invalid file is a DataFileError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(Path(path).name, "", f"cannot read file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(Path(path).name, "", f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise DataFileError(Path(path).name, where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc
