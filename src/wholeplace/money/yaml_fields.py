"""Reading the YAML files finance leads write (scenarios, pooled budgets): each is checked whole, and every
problem is named by its field (outcomes[0].success) and line, with the reason and what to do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import PlainValidator

from wholeplace.core.errors import IngestError
from wholeplace.money.deflators import parse_financial_year

# A financial year as the files write it ("2013-14", "2013/14"), read as the calendar year it starts in.
FinancialYear = Annotated[int, PlainValidator(lambda value: parse_financial_year(str(value)))]


@dataclass(frozen=True)
class FieldProblem:
    """One problem of a file's fields: the field it is in (("outcomes", 0, "success")), why, and what to do."""

    path: tuple[str | int, ...]
    reason: str
    fix: str = ""


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise IngestError("The file is not UTF-8 text.", file=path.name, fix="Save it as UTF-8.") from error
    except OSError as error:
        raise IngestError(
            f"The file cannot be opened: {error.strerror or error}.",
            file=path.name,
            fix="Check the file's name and path.",
        ) from error


def read_document(path: Path, text: str, *, what: str) -> dict[str, Any]:
    """The fields of a YAML file; `what` says what the file should be, as "A scenario is a set of fields (...)"."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise IngestError(
            f"This is not valid YAML: {getattr(error, 'problem', None) or error}.",
            file=path.name,
            line=mark.line + 1 if mark is not None else None,
            fix="Check the indentation and the colons near that line.",
        ) from error
    if not isinstance(document, dict):
        raise IngestError(
            f"{what}, not a list or a value.", file=path.name, fix="Start from the example in docs/money.md."
        )
    return document


def problem_from_pydantic(detail: Mapping[str, Any]) -> FieldProblem:
    path = tuple(part for part in detail["loc"] if part != "[key]")
    kind, message = detail["type"], str(detail["msg"]).removeprefix("Value error, ").rstrip(".")
    if kind == "missing":
        return FieldProblem(path, "is missing")
    if kind == "extra_forbidden":
        return FieldProblem(
            path, "is not a field here", fix="Check its spelling and indentation, or remove it."
        )
    if kind in {"string_type", "string_too_short"}:
        return FieldProblem(path, "must be some text")
    shown = detail.get("input")
    suffix = "" if isinstance(shown, dict | list) or kind == "value_error" else f" (it is {shown!r})"
    return FieldProblem(path, f"{message[0].lower()}{message[1:]}{suffix}")


def field_path(path: Sequence[str | int]) -> str:
    """("outcomes", 0, "success") -> "outcomes[0].success"."""
    written = ""
    for part in path:
        written += f"[{part}]" if isinstance(part, int) else f".{part}" if written else str(part)
    return written or "the file"


def problems_error(path: Path, text: str, problems: Sequence[FieldProblem], *, what: str) -> IngestError:
    """One error listing every problem of the file (`what` it is: "scenario") by field and line."""
    lines = _lines(text)
    told = [_told(problem, lines) for problem in problems]
    fixes = list(dict.fromkeys(problem.fix for problem in problems if problem.fix))
    count = len(problems)
    return IngestError(
        f"The {what} has {count} problem{'s' if count != 1 else ''}:\n" + "\n".join(told),
        file=path.name,
        fix="\n".join(fixes) if fixes else "Correct the fields named above and run the command again.",
    )


def _told(problem: FieldProblem, lines: yaml.Node | None) -> str:
    line = _line_of(lines, problem.path)
    return f"  {field_path(problem.path)}{f' (line {line})' if line else ''}: {problem.reason}"


def _lines(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text)
    except yaml.YAMLError:
        return None


def _line_of(node: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    """The line of the deepest part of `path` the file has: a field's key, a list's item (a missing field: the
    line of what holds it)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        found = _child(node, part)
        if found is None:
            break
        start, node = found
        line = start.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """Where a part starts (a field's key, or a list's item) and the node it holds."""
    found: list[tuple[yaml.Node, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        found = [(key, value) for key, value in node.value if key.value == str(part)]
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        found = [(node.value[part], node.value[part])]
    return found[0] if found else None
