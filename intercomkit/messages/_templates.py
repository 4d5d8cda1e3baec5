"""``{{ column }}`` message templates: parse once, check every row, then render. Pure: no I/O, no pandas.

Syntax: ``{{ name }}`` inserts a column; ``{{ location.city }}`` a dotted (flattened) column name, or a nested key
when rows are plain dicts; ``{{ name | "there" }}`` (or single quotes) falls back to a default when the value is
empty. Empty means ``None``, NaN, ``pd.NA``/``NaT`` or a blank string. Values are inserted with ``str()`` exactly:
nothing is escaped, stripped or reformatted behind the user's back.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import TemplateError

__all__ = ["Field", "Template", "is_empty", "lookup", "parse_template", "render_rows", "template_error"]

_OPEN, _CLOSE = "{{", "}}"
_INSIDE = re.compile(r"""\s*(?P<name>[^|{}"']+?)\s*(?:\|\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')\s*)?""")
_MISSING = object()


@dataclass(frozen=True)
class Field:
    name: str
    default: str | None = None


@dataclass(frozen=True)
class Template:
    source: str
    parts: tuple[str | Field, ...]

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(p for p in self.parts if isinstance(p, Field))

    def problems(self, row: Mapping[str, Any]) -> list[str]:
        """What stops this row from rendering (empty when it renders)."""
        out = []
        for f in self.fields:
            value = lookup(row, f.name)
            if value is _MISSING:
                out.append(f"no column {f.name!r}")
            elif is_empty(value) and f.default is None:
                out.append(f'{{{{ {f.name} }}}} is empty (give a default: {{{{ {f.name} | "..." }}}})')
        return out

    def render(self, row: Mapping[str, Any]) -> str:
        """The text for one row; ``TemplateError`` if a field is missing or empty without a default."""
        problems = self.problems(row)
        if problems:
            raise TemplateError("; ".join(problems), problems=[(None, p) for p in problems])
        pieces = []
        for p in self.parts:
            if isinstance(p, str):
                pieces.append(p)
            else:
                value = lookup(row, p.name)
                pieces.append(p.default if is_empty(value) else str(value))  # type: ignore[arg-type]
        return "".join(pieces)


def parse_template(source: str) -> Template:
    """Split ``source`` into literal text and fields; a malformed ``{{ ... }}`` raises ``TemplateError``."""
    if not isinstance(source, str):
        raise TypeError(f"a template must be a str, got {type(source).__name__}")
    parts: list[str | Field] = []
    pos = 0
    while True:
        start = source.find(_OPEN, pos)
        if start < 0:
            break
        end = source.find(_CLOSE, start + 2)
        if end < 0:
            raise _syntax(source, start, "'{{' is never closed with '}}'")
        inner = source[start + 2 : end]
        match = _INSIDE.fullmatch(inner)
        if match is None or not match.group("name").strip():
            raise _syntax(
                source,
                start,
                f'cannot read {{{{{inner}}}}}: write {{{{ column }}}} or {{{{ column | "default" }}}}',
            )
        if start > pos:
            parts.append(source[pos:start])
        default = match.group("dq") if match.group("dq") is not None else match.group("sq")
        parts.append(Field(match.group("name"), default))
        pos = end + 2
    if pos < len(source):
        parts.append(source[pos:])
    return Template(source, tuple(parts))


def _syntax(source: str, at: int, what: str) -> TemplateError:
    line = source.count("\n", 0, at) + 1
    return TemplateError(f"template syntax error at line {line}: {what}", problems=[(None, what)])


def is_empty(value: Any) -> bool:
    """``None``, NaN, ``pd.NA``, ``NaT`` and blank strings are empty; ``0`` and ``False`` are values."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # NaN and NaT are the values not equal to themselves
    except TypeError:  # pd.NA refuses to be a bool
        return True
    except ValueError:  # arrays: ambiguous truth value, but not empty
        return False


def lookup(row: Mapping[str, Any], name: str) -> Any:
    """``row[name]``; else a dotted walk through nested dicts (``location.city``); else a missing marker."""
    if name in row:
        return row[name]
    node: Any = row
    for part in name.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def render_rows(
    templates: Mapping[str, Template],
    rows: Sequence[tuple[Any, Mapping[str, Any]]],
    *,
    columns: Iterable[str] | None = None,
) -> list[dict[str, str]]:
    """Render every template for every ``(key, row)``; check all rows first.

    ``TemplateError.problems`` lists ``(row key, problem)`` for every row that cannot render (a column missing
    from ``columns`` is reported once, with key ``None``). Nothing is rendered unless everything can be.
    """
    problems: list[tuple[Any, str]] = []
    known = list(columns) if columns is not None else None
    absent: set[str] = set()
    if known is not None:
        for label, template in templates.items():
            for f in template.fields:
                if f.name not in known and f.name not in absent and not _nested_present(rows, f.name):
                    absent.add(f.name)
                    close = difflib.get_close_matches(f.name, [str(c) for c in known], n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    problems.append((None, f"{label}: no column {f.name!r}{hint}"))
    for key, row in rows:
        for label, template in templates.items():
            for p in template.problems(row):
                if not any(p == f"no column {name!r}" for name in absent):
                    problems.append((key, f"{label}: {p}"))
    if problems:
        raise template_error(problems, len(rows))
    return [{label: t.render(row) for label, t in templates.items()} for _, row in rows]


def _nested_present(rows: Sequence[tuple[Any, Mapping[str, Any]]], name: str) -> bool:
    return bool(rows) and "." in name and lookup(rows[0][1], name) is not _MISSING


def template_error(problems: list[tuple[Any, str]], total: int, shown: int = 10) -> TemplateError:
    rows = {repr(k) for k, _ in problems if k is not None}
    head = f"{len(problems)} problem(s)" + (f" in {len(rows)} of {total} rows" if rows else "")
    lines = [f"  row {k!r}: {m}" if k is not None else f"  {m}" for k, m in problems[:shown]]
    more = f"\n  … and {len(problems) - shown} more (see .problems)" if len(problems) > shown else ""
    return TemplateError(f"{head}; nothing was sent:\n" + "\n".join(lines) + more, problems=problems)
