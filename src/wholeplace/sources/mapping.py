"""Source mappings: the YAML that turns one agency's extract into the standard, read with the line of every key
so a fault is reported where it is, and checked against the standard and the file before any row is read."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import yaml

from wholeplace.core.errors import IngestError
from wholeplace.sources.readers import FileFormat
from wholeplace.sources.standard import ENTITIES, ROW_ENTITIES, Entity

NameOrder = Literal["given_first", "family_first", "family_first_comma"]
NAME_ORDERS: tuple[NameOrder, ...] = ("given_first", "family_first", "family_first_comma")
FORMAT_TYPES = ("csv", "excel", "parquet", "jsonl")
ISO_DATE = "%Y-%m-%d"
TOP_LEVEL_KEYS = {
    "source",
    "agency",
    "entity",
    "format",
    "record_id",
    "columns",
    "involvements",
    "events",
    "relationships",
    "version",
    "description",
}
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
RESERVED_SOURCE_NAMES = frozenset({"new", "upload"})
BLOCKS = {"involvements": "involvement", "events": "event", "relationships": "relationship"}
SPEC_KEYS = {"column", "format", "codes", "order", "value"}
FORMAT_KEYS = {"type", "encoding", "delimiter", "header", "sheet"}

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldSpec:
    """Where one standard field comes from: a column (None when the source has none) or a fixed value."""

    field: str
    column: str | None
    line: int
    date_format: str | None = None
    codes: dict[str, str] | None = None
    order: NameOrder | None = None
    value: str | None = None


@dataclass(frozen=True)
class Block:
    """A further entity each row carries: an involvement, event or relationship of the row's person."""

    entity: Entity
    fields: tuple[FieldSpec, ...]
    when_present: str | None
    line: int

    def spec(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.field == name), None)


@dataclass(frozen=True)
class Mapping:
    source: str
    agency: str
    entity: Entity
    file_format: FileFormat
    record_id: str | None
    fields: tuple[FieldSpec, ...]
    blocks: tuple[Block, ...]
    file: str
    text: str
    version: str
    description: str = ""
    _lines: dict[Path_, int] = field(default_factory=dict, repr=False)

    def spec(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.field == name), None)

    def columns_used(self) -> list[tuple[str, int]]:
        """Every column the mapping names, with the line that names it."""
        used = [(self.record_id, self._lines.get(("record_id",), 1))] if self.record_id else []
        for spec in (*self.fields, *(spec for block in self.blocks for spec in block.fields)):
            if spec.column is not None:
                used.append((spec.column, spec.line))
        for block in self.blocks:
            if block.when_present is not None:
                used.append((block.when_present, block.line))
        return used

    def check_columns(self, columns: Sequence[str], *, file: str) -> None:
        """Refuse, before any row is read, a mapping that names a column the file does not have."""
        present = set(columns)
        for column, line in self.columns_used():
            if column not in present:
                raise IngestError(
                    f"The mapping names the column {column!r}, which {file} does not have "
                    f"(its columns are: {', '.join(columns)}).",
                    file=self.file,
                    line=line,
                    fix="Correct the column name in the mapping, or send the file with that column.",
                )


def parse_mapping(text: str, *, file: str) -> Mapping:
    """Read a mapping and check it against the standard; an IngestError names the line at fault."""
    tree, lines = _load(text, file)
    reader = _Reader(file, lines)
    unknown = sorted(set(tree) - TOP_LEVEL_KEYS)
    if unknown:
        raise reader.error(
            (unknown[0],),
            f"{unknown[0]!r} is not part of a mapping.",
            f"The keys a mapping may have are: {', '.join(sorted(TOP_LEVEL_KEYS))}.",
        )
    entity = reader.entity(tree)
    record_id = reader.optional_text(tree, ("record_id",))
    if entity.needs_record_id and record_id is None:
        raise reader.error(
            (),
            f"A {entity.name} mapping needs record_id: the column holding the source's own key for each row.",
        )
    columns = tree.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise reader.error(("columns",) if "columns" in tree else (), "The mapping has no columns block.")
    return Mapping(
        source=reader.source_name(tree),
        agency=reader.required_text(tree, ("agency",)),
        entity=entity,
        file_format=reader.file_format(tree),
        record_id=record_id,
        fields=reader.field_specs(columns, entity, ("columns",)),
        blocks=reader.blocks(tree, entity),
        file=file,
        text=text,
        version=str(tree.get("version") or hashlib.sha256(text.encode()).hexdigest()[:12]),
        description=str(tree.get("description") or ""),
        _lines=lines,
    )


def _load(text: str, file: str) -> tuple[dict[str, Any], dict[Path_, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise IngestError(
            f"The mapping is not valid YAML: {getattr(error, 'problem', None) or error}.",
            file=file,
            line=mark.line + 1 if mark is not None else None,
            fix="Fix the YAML at that line (indentation, a missing colon, or an unclosed quote).",
        ) from None
    lines: dict[Path_, int] = {}
    tree = _plain(node, (), lines) if node is not None else None
    if not isinstance(tree, dict):
        raise IngestError(
            "The mapping is empty or is not a set of keys.",
            file=file,
            line=1,
            fix="Start from a mapping of another source.",
        )
    return tree, lines


def _plain(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    """The node as plain Python values, noting the line (counting from 1) of every key and item on the way."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(yaml.safe_load(yaml.serialize(key_node)))
            result[key] = _plain(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1  # the key's line, not its value's
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*path, index), lines) for index, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


@dataclass
class _Reader:
    file: str
    lines: dict[Path_, int]

    def error(self, path: Path_, problem: str, fix: str = "") -> IngestError:
        while path and path not in self.lines:
            path = path[:-1]
        return IngestError(problem, file=self.file, line=self.lines.get(path, 1), fix=fix)

    def required_text(self, tree: dict[str, Any], path: Path_) -> str:
        found = self.optional_text(tree, path)
        if found is None:
            raise self.error(path[:-1], f"The mapping needs {path[-1]!s}.")
        return found

    def optional_text(self, tree: dict[str, Any], path: Path_) -> str | None:
        value = tree.get(str(path[-1]))
        if value is None:
            return None
        if isinstance(value, dict | list) or str(value).strip() == "":
            raise self.error(path, f"{path[-1]!s} must be a single name.")
        return str(value).strip()

    def source_name(self, tree: dict[str, Any]) -> str:
        name = self.required_text(tree, ("source",))
        if name in RESERVED_SOURCE_NAMES or not SOURCE_NAME.match(name):
            raise self.error(
                ("source",),
                f"A source cannot be called {name!r}.",
                "A source's name is letters, digits, underscores and hyphens, and not "
                f"{' or '.join(sorted(RESERVED_SOURCE_NAMES))} (the addresses of pages of their own).",
            )
        return name

    def entity(self, tree: dict[str, Any]) -> Entity:
        name = self.required_text(tree, ("entity",))
        if name not in ROW_ENTITIES:
            raise self.error(
                ("entity",),
                f"{name!r} is not an entity a file's rows can describe.",
                f"Use one of: {', '.join(ROW_ENTITIES)}.",
            )
        return ENTITIES[name]

    def file_format(self, tree: dict[str, Any]) -> FileFormat:
        block = tree.get("format")
        if not isinstance(block, dict):
            raise self.error(("format",), "The mapping needs a format block with at least its type.")
        unknown = sorted(set(block) - FORMAT_KEYS)
        if unknown:
            raise self.error(
                ("format", unknown[0]),
                f"{unknown[0]!r} is not part of a format.",
                f"A format may have: {', '.join(sorted(FORMAT_KEYS))}.",
            )
        kind = block.get("type")
        if kind not in FORMAT_TYPES:
            raise self.error(
                ("format", "type"),
                f"{kind!r} is not a file type wholeplace reads.",
                f"Use one of: {', '.join(FORMAT_TYPES)}.",
            )
        return FileFormat(
            type=cast(Literal["csv", "excel", "parquet", "jsonl"], kind),
            encoding=_optional_str(block.get("encoding")),
            delimiter=_optional_str(block.get("delimiter")),
            header=bool(block.get("header", True)),
            sheet=_optional_str(block.get("sheet")),
        )

    def field_specs(self, columns: dict[str, Any], entity: Entity, path: Path_) -> tuple[FieldSpec, ...]:
        specs = []
        for name, given in columns.items():
            here = (*path, name)
            if entity.field(name) is None:
                raise self.error(here, *self._unknown_field(entity, name))
            spec = self.field_spec(name, given, entity, here)
            if spec is not None:
                specs.append(spec)
        return tuple(specs)

    def _unknown_field(self, entity: Entity, name: str) -> tuple[str, str]:
        problem = f"{name!r} is not a field of the standard {entity.name.replace('_', ' ')}."
        closest = entity.closest(name)
        if closest:
            return problem, f"Did you mean {closest}? The fields are listed in docs/data-standard.md."
        if name.startswith("identifiers."):
            return (
                problem,
                "An identifier type is lower-case letters, digits and underscores, such as identifiers.case_id.",
            )
        return (
            problem,
            "The fields are listed in docs/data-standard.md; further identifiers go under identifiers.<type>.",
        )

    def field_spec(self, name: str, given: Any, entity: Entity, here: Path_) -> FieldSpec | None:
        line = self.lines.get(here, 1)
        standard = entity.field(name)
        assert standard is not None
        if given is None:
            return None  # the source holds no such column
        if not isinstance(given, dict):
            if isinstance(given, list):
                raise self.error(
                    here, f"{name} must name one column, or be a block with column: and its options."
                )
            if name == "full_name":
                raise self.error(
                    here, "full_name needs order: given_first, family_first or family_first_comma."
                )
            fixed_type = name == "type" and entity.name in BLOCKS.values()
            if fixed_type:
                self.codes({str(given): str(given)}, standard.codes, here)
                return FieldSpec(name, None, line, value=str(given))
            return FieldSpec(
                name,
                str(given),
                line,
                date_format=ISO_DATE if standard.is_date else None,
                codes=_identity(standard.codes),
            )
        unknown = sorted(set(given) - SPEC_KEYS)
        if unknown:
            raise self.error(
                (*here, unknown[0]),
                f"{unknown[0]!r} is not an option of a column.",
                f"A column may have: {', '.join(sorted(SPEC_KEYS))}.",
            )
        column, value = _optional_str(given.get("column")), _optional_str(given.get("value"))
        if (column is None) == (value is None):
            raise self.error(here, f"{name} needs either column: or value:, not both or neither.")
        codes = self.codes(given.get("codes"), standard.codes, (*here, "codes"))
        order = given.get("order")
        if name == "full_name":
            if order is not None and order not in NAME_ORDERS:
                raise self.error(
                    (*here, "order"),
                    f"{order!r} is not a name order.",
                    f"Use one of: {', '.join(NAME_ORDERS)}.",
                )
            if order is None:
                raise self.error(
                    here, "full_name needs order: given_first, family_first or family_first_comma."
                )
        elif order is not None:
            raise self.error((*here, "order"), f"order applies only to full_name, not to {name}.")
        date_format = _optional_str(given.get("format"))
        if date_format is not None and not standard.is_date:
            raise self.error((*here, "format"), f"format applies only to dates, and {name} is not a date.")
        return FieldSpec(
            name,
            column,
            line,
            date_format=(date_format or ISO_DATE) if standard.is_date else None,
            codes=codes if codes is not None else _identity(standard.codes),
            order=cast(NameOrder | None, order),
            value=value,
        )

    def codes(self, given: Any, allowed: tuple[str, ...], here: Path_) -> dict[str, str] | None:
        if given is None:
            return None
        if not isinstance(given, dict) or not given:
            raise self.error(here, "codes must list each source code with the standard code it means.")
        translated = {str(key): str(value) for key, value in given.items()}
        for source_code, standard_code in translated.items():
            if allowed and standard_code not in allowed:
                raise self.error(
                    (*here, source_code),
                    f"{standard_code!r} is not a standard code here.",
                    f"Use one of: {', '.join(allowed)}.",
                )
        return translated

    def blocks(self, tree: dict[str, Any], entity: Entity) -> tuple[Block, ...]:
        found = []
        for key, block_entity_name in BLOCKS.items():
            given = tree.get(key)
            if given is None:
                continue
            if entity.name != "person":
                raise self.error((key,), f"{key} can only be declared in a person mapping.")
            if not isinstance(given, list):
                raise self.error((key,), f"{key} must be a list, each item starting with '- '.")
            for index, item in enumerate(given):
                found.append(self.block(item, ENTITIES[block_entity_name], (key, index)))
        return tuple(found)

    def block(self, item: Any, entity: Entity, here: Path_) -> Block:
        if not isinstance(item, dict):
            raise self.error(here, f"Each {entity.name} must be a block of fields.")
        when_present = _optional_str(item.get("when_present"))
        fields = {name: value for name, value in item.items() if name != "when_present"}
        specs = self.field_specs(fields, entity, here)
        block = Block(entity, specs, when_present, self.lines.get(here, 1))
        if block.spec("type") is None:
            raise self.error(here, f"An {entity.name} needs its type: a fixed code, or a column with codes.")
        return block


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


def _identity(codes: tuple[str, ...]) -> dict[str, str] | None:
    """A closed code list given without a translation: the source uses the standard's own codes."""
    return {code: code for code in codes} if codes else None
