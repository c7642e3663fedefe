"""Fiscal Data Packages of the place's spend lines (Frictionless Data, profile fiscal-data-package, after the
Fiscal Data Package specification 0.3): export the lines as a CSV file with a descriptor whose Table Schema types
each column and whose fiscal model names the measure (amount, in pounds) and the dimensions; import a package's
rows as spend lines through the sources domain's ordinary ingest, with a mapping generated from its model.

A package is checked whole before anything is loaded: its profile, its resource and schema, its model, the
columns the model names, and every row's amount. Each problem names the file, and the row and column."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml
from sqlalchemy.orm import Session

from wholeplace.core.errors import IngestError, NotFoundError
from wholeplace.money import spend
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import Mapping, parse_mapping
from wholeplace.sources.service import IngestResult
from wholeplace.sources.standard import PREVENTION_OR_RESPONSE, SPEND_FOCUS, STANDARD_VERSION

PROFILE = "fiscal-data-package"
DESCRIPTOR = "datapackage.json"
DATA_FILE = "spend.csv"
RESOURCE = "spend"
CURRENCY = "GBP"
# What an amount may look like; the same rule the ingest applies, so a package that passes loads every row.
AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")
AMOUNT_NOISE = re.compile(r"[£,\s]")
SLUG_NOISE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ModelDimension:
    """How one field of the spend line is described in a package's fiscal model."""

    field: str
    dimension_type: str
    attribute: str
    title: str
    classification_type: str | None = None
    codes: tuple[str, ...] = ()

    def as_model(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "title": self.title,
            "attributes": {self.attribute: {"source": self.field, "resource": RESOURCE}},
            "primaryKey": self.attribute,
            "dimensionType": self.dimension_type,
        }
        if self.classification_type:
            described["classificationType"] = self.classification_type
        return described


DIMENSIONS = (
    ModelDimension("agency", "entity", "name", "Agency that spent it"),
    ModelDimension("service", "activity", "name", "Service it paid for"),
    ModelDimension("period", "datetime", "period", "Financial year or month"),
    ModelDimension("area", "location", "code", "Neighbourhood code, where placed"),
    ModelDimension("cost_type", "classification", "code", "Cost type", "economic"),
    ModelDimension("theme", "classification", "code", "Theme or clientele", "functional"),
    ModelDimension(
        "prevention_or_response",
        "classification",
        "code",
        "Prevention or response",
        codes=PREVENTION_OR_RESPONSE,
    ),
    ModelDimension("focus", "classification", "code", "Focus", codes=SPEND_FOCUS),
)
# A dimension of someone else's package whose name is not one of ours is placed by its type.
FIELD_BY_TYPE = {
    ("entity", None): "agency",
    ("activity", None): "service",
    ("datetime", None): "period",
    ("location", None): "area",
    ("classification", "economic"): "cost_type",
    ("classification", "functional"): "theme",
}


@dataclass(frozen=True)
class Exported:
    folder: Path
    lines: int
    amount: Decimal


@dataclass(frozen=True)
class Package:
    """A package checked and read: where its data is, and where each spend line field comes from."""

    folder: Path
    name: str
    title: str
    data: Path
    encoding: str
    delimiter: str
    columns: dict[str, str]  # standard field: the data file's column
    constants: dict[str, str]  # standard field: one value for every row
    ignored: list[str]  # dimensions the spend line has no field for


@dataclass(frozen=True)
class Imported:
    package: Package
    lines: int
    amount: Decimal  # what the package's lines add up to
    result: IngestResult


# ---------------------------------------------------------------- export


def export_package(
    connection: duckdb.DuckDBPyConnection, folder: Path, *, place: str, year: str | None, now: datetime
) -> Exported:
    """Write the place's spend lines (one financial year's, or every year's) as a Fiscal Data Package: the
    descriptor and the data file, each written beside its final name and moved into place when complete."""
    selected = spend.lines_relation(connection, spend.LineFilter(period=year))
    lines, amount = selected.aggregate("count(*), sum(amount)").fetchall()[0]
    if not lines:
        raise NotFoundError(
            "There are no spend lines to export" + (f" in {year}." if year else "."),
            fix="Load the agencies' spend first (wholeplace ingest, or wholeplace spend import-fdp)"
            + (", or choose a year that has spend." if year else "."),
        )
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / DATA_FILE
    partial = folder / f".{DATA_FILE}.partial"
    selected.write_csv(str(partial), header=True)
    descriptor = _descriptor(place=place, year=year, now=now)
    written = folder / f".{DESCRIPTOR}.partial"
    written.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(data)
    written.replace(folder / DESCRIPTOR)
    return Exported(folder, int(lines), Decimal(amount))


def _descriptor(*, place: str, year: str | None, now: datetime) -> dict[str, Any]:
    slug = SLUG_NOISE.sub("-", place.lower()).strip("-") or "place"
    described: dict[str, Any] = {
        "profile": PROFILE,
        "name": f"{slug}-spend" + (f"-{year}" if year else ""),
        "title": f"Public spend in {place}" + (f", {year}" if year else ""),
        "description": (
            f"Every public spend line of {place}'s partners counted in the Total Place count: the agency, the "
            "service, the period, the neighbourhood where it can be placed, the cost type, the theme, whether it "
            "prevents need or responds to it, and what it pays for (inputs, activities, outputs or outcomes). "
            f"Exported by wholeplace (common data standard {STANDARD_VERSION})."
        ),
        "created": now.isoformat(timespec="seconds"),
        "countryCode": "GB",
        "granularity": "aggregated",
        "resources": [_resource()],
        "model": {
            "measures": {
                "amount": {
                    "source": "amount",
                    "currency": CURRENCY,
                    "factor": 1,
                    "direction": "expenditure",
                    "phase": "executed",
                    "resource": RESOURCE,
                }
            },
            "dimensions": {dimension.field: dimension.as_model() for dimension in DIMENSIONS},
        },
    }
    first = spend.financial_year(year)
    if first is not None:
        start = int(first[:4])
        described["fiscalPeriod"] = {"start": f"{start}-04-01", "end": f"{start + 1}-03-31"}
    return described


def _resource() -> dict[str, Any]:
    fields: list[dict[str, Any]] = []
    for name in (*spend.LINE_FIELDS[:3], "amount", *spend.LINE_FIELDS[3:]):
        if name == "amount":
            fields.append({"name": "amount", "type": "number", "title": "Amount in pounds"})
            continue
        dimension = next(one for one in DIMENSIONS if one.field == name)
        described: dict[str, Any] = {"name": name, "type": "string", "title": dimension.title}
        if dimension.codes:
            described["constraints"] = {"enum": list(dimension.codes)}
        fields.append(described)
    return {
        "name": RESOURCE,
        "path": DATA_FILE,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "header": True},
        "schema": {"fields": fields, "missingValues": [""]},
    }


# ---------------------------------------------------------------- import


def import_package(
    db: Session, lake: Lake, folder: Path, *, source: str, agency: str, by: str, now: datetime
) -> Imported:
    """Check a package whole, then load its rows into a source of the agency's through the ordinary ingest: all
    of them or nothing, and the same package twice changes nothing."""
    package = read_package(folder)
    lines, amount = check_rows(package)
    mapping = package_mapping(package, source=source, agency=agency)
    result = sources.ingest_file(
        db,
        source_name=source,
        path=package.data,
        lake=lake,
        by=by,
        now=now,
        mapping=mapping,
        file_name=_shown(package, package.data),
    )
    return Imported(package, lines, amount, result)


def package_mapping(package: Package, *, source: str, agency: str) -> Mapping:
    """The source mapping a package's model amounts to; a field the model gives one value for every row is a
    fixed value, and without an agency dimension every line is the importing agency's."""
    columns: dict[str, Any] = dict(package.columns)
    columns.update({name: {"value": value} for name, value in package.constants.items()})
    columns.setdefault("agency", {"value": agency})
    described = {
        "source": source,
        "agency": agency,
        "entity": "spend_line",
        "description": f"Imported from the Fiscal Data Package {package.name!r} ({package.title}).",
        "format": {
            "type": "csv",
            "encoding": package.encoding,
            "delimiter": package.delimiter,
            "header": True,
        },
        "columns": columns,
    }
    text = yaml.safe_dump(described, sort_keys=False, allow_unicode=True)
    return parse_mapping(text, file=f"the mapping made from {_shown(package, package.folder / DESCRIPTOR)}")


def read_package(folder: Path) -> Package:
    """A package's descriptor read and checked: a Fiscal Data Package whose resource is a CSV file in the folder
    with a Table Schema, one measure in pounds, and dimensions that name the schema's fields."""
    descriptor = _load_descriptor(folder)
    where = _Where(f"{folder.name}/{DESCRIPTOR}")
    _check_profile(descriptor, where)
    model = _object(descriptor.get("model"), "model", where, "Describe the measure and dimensions in model.")
    measures = _object(model.get("measures"), "model.measures", where, "Name the amount column as a measure.")
    if len(measures) != 1:
        raise where.error(
            f"model.measures names {len(measures)} measures ({', '.join(measures) or 'none'}); a spend line has "
            "one amount.",
            "Export one package for each measure.",
        )
    ((measure_name, measure_given),) = measures.items()
    measure = _object(measure_given, f"model.measures.{measure_name}", where)
    resource = _resource_of(descriptor, measure.get("resource"), where)
    fields = _schema_fields(resource, where)
    amount = _measure_column(measure, measure_name, fields, where)
    columns, constants, ignored = _dimension_columns(model, resource, fields, where)
    given_dialect = resource.get("dialect")
    dialect: dict[str, Any] = given_dialect if isinstance(given_dialect, dict) else {}
    if dialect.get("header") is False:
        raise where.error(
            f"The resource {resource['name']!r} has no header row (dialect.header is false).",
            "Give the data file a header row naming its columns.",
        )
    delimiter = str(dialect.get("delimiter") or ",")
    if len(delimiter) != 1:
        raise where.error(
            f"The resource's delimiter {delimiter!r} is not one character.", 'Give dialect.delimiter as ",".'
        )
    return Package(
        folder=folder.resolve(),
        name=str(descriptor.get("name") or folder.name),
        title=str(descriptor.get("title") or descriptor.get("name") or folder.name),
        data=_data_file(folder, resource, where),
        encoding=str(resource.get("encoding") or "utf-8"),
        delimiter=delimiter,
        columns={"amount": amount, **columns},
        constants=constants,
        ignored=ignored,
    )


def check_rows(package: Package) -> tuple[int, Decimal]:
    """Every row of the data file has a cell for each column and an amount that is a number; the first problem
    is raised with its row and column, and how many rows share it. Gives the lines and what they add up to."""
    shown = _shown(package, package.data)
    amount = package.columns["amount"]
    with _rows(package, shown) as rows:
        header = next(rows, None)
        if header is None:
            raise IngestError("The data file is empty.", file=shown, fix="Export the package again.")
        missing = [column for column in package.columns.values() if column not in header]
        if missing:
            raise IngestError(
                f"The model names the column {missing[0]!r}, which the data file does not have (its columns "
                f"are: {', '.join(header)}).",
                file=shown,
                row=1,
                column=missing[0],
                fix="Correct the model's source, or the data file's header row.",
            )
        at = header.index(amount)
        first: IngestError | None = None
        more = lines = 0
        total = Decimal(0)
        for number, cells in enumerate(rows, start=2):
            problem = _row_problem(cells, len(header), at, shown=shown, row=number, column=amount)
            if problem is not None and first is not None:
                more += 1
            elif problem is not None:
                first = problem
            elif cells:
                lines += 1
                total += _pennies(cells[at])
    if first is not None:
        also = f" {more:,} more {'rows have' if more != 1 else 'row has'} problems too." if more else ""
        raise IngestError(
            first.problem + also, file=first.file, row=first.row, column=first.column, fix=first.fix
        )
    return lines, total


def _pennies(cell: str) -> Decimal:
    """An amount as the lake counts it: rounded to the penny."""
    return Decimal(AMOUNT_NOISE.sub("", cell)).quantize(Decimal("0.01"))


def _row_problem(
    cells: list[str], width: int, at: int, *, shown: str, row: int, column: str
) -> IngestError | None:
    if not cells:
        return None  # a blank line
    if len(cells) != width:
        return IngestError(
            f"The row has {len(cells)} cells, not {width}.",
            file=shown,
            row=row,
            fix="Quote any cell that holds the delimiter, and give every row a cell for each column.",
        )
    cell = cells[at]
    if not AMOUNT.match(AMOUNT_NOISE.sub("", cell)):
        said = "blank" if not cell.strip() else f"{cell!r}, which is not a number"
        return IngestError(
            f"The amount is {said}.",
            file=shown,
            row=row,
            column=column,
            fix="Give every line an amount in pounds, such as 1234.56.",
        )
    return None


@contextmanager
def _rows(package: Package, shown: str) -> Iterator[Iterator[list[str]]]:
    """The data file's rows as lists of cells; a file that cannot be read as declared is an IngestError."""
    try:
        # A byte-order mark before the header is not part of its first column's name.
        utf8 = package.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        file = package.data.open(encoding="utf-8-sig" if utf8 else package.encoding, newline="")
    except LookupError:
        raise IngestError(
            f"{package.encoding!r} is not an encoding wholeplace knows.",
            file=shown,
            fix="Give the resource's encoding as utf-8 (or another standard name).",
        ) from None
    with file:
        yield _cells(csv.reader(file, delimiter=package.delimiter), package, shown)


def _cells(reader: Any, package: Package, shown: str) -> Iterator[list[str]]:
    try:
        yield from reader
    except (UnicodeDecodeError, csv.Error) as error:
        raise IngestError(
            f"The data file cannot be read as {package.encoding} CSV: {error}.",
            file=shown,
            row=reader.line_num or None,
            fix="Save the data file as CSV in the encoding its resource declares.",
        ) from None


# ---------------------------------------------------------------- reading the descriptor


@dataclass(frozen=True)
class _Where:
    file: str

    def error(self, problem: str, fix: str = "") -> IngestError:
        return IngestError(problem, file=self.file, fix=fix)


def _load_descriptor(folder: Path) -> dict[str, Any]:
    path = folder / DESCRIPTOR
    shown = f"{folder.name}/{DESCRIPTOR}"
    if not path.is_file():
        raise IngestError(
            f"There is no {DESCRIPTOR} in {folder}.",
            file=shown,
            fix="Give the folder of a Fiscal Data Package: the one holding its datapackage.json.",
        )
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise IngestError(
            "The descriptor is not UTF-8 text.", file=shown, fix="Save datapackage.json as UTF-8."
        ) from None
    except json.JSONDecodeError as error:
        raise IngestError(
            f"The descriptor is not valid JSON: {error.msg}.",
            file=shown,
            line=error.lineno,
            fix="Correct the JSON at that line.",
        ) from None
    if not isinstance(loaded, dict):
        raise IngestError("The descriptor is not a JSON object.", file=shown, line=1)
    return loaded


def _check_profile(descriptor: dict[str, Any], where: _Where) -> None:
    profile = descriptor.get("profile")
    profiles = descriptor.get("profiles")
    if profile == PROFILE or (isinstance(profiles, dict) and "fiscal" in profiles):
        return
    raise where.error(
        f"This is not a Fiscal Data Package: its profile is {profile!r}, not {PROFILE!r}.",
        f'Set "profile": "{PROFILE}" and describe the amount and dimensions in "model".',
    )


def _object(value: Any, name: str, where: _Where, fix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.error(f"{name} is missing or is not an object.", fix)
    return value


def _resource_of(descriptor: dict[str, Any], named: Any, where: _Where) -> dict[str, Any]:
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        raise where.error(
            "The package has no resources.", "List the data file under resources, with its path and schema."
        )
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            raise where.error(f"resources[{index}] is not an object.")
    if named is None:
        resource = resources[0]
    else:
        found = [resource for resource in resources if resource.get("name") == named]
        if not found:
            names = ", ".join(repr(resource.get("name")) for resource in resources)
            raise where.error(
                f"The measure's resource {named!r} is not among the package's resources ({names}).",
                "Name the measure's resource as the resources list names it.",
            )
        resource = found[0]
    return {**resource, "name": resource.get("name") or "resources[0]"}


def _schema_fields(resource: dict[str, Any], where: _Where) -> dict[str, dict[str, Any]]:
    schema = resource.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise where.error(
            f"The resource {resource['name']!r} has no Table Schema with its fields.",
            'Describe the data file\'s columns in the resource\'s "schema": {"fields": [...]}.',
        )
    fields = {}
    for index, described in enumerate(schema["fields"]):
        if not isinstance(described, dict) or not described.get("name"):
            raise where.error(f"Field {index + 1} of the resource's schema has no name.")
        fields[str(described["name"])] = described
    return fields


def _measure_column(
    measure: dict[str, Any], name: str, fields: dict[str, dict[str, Any]], where: _Where
) -> str:
    source = measure.get("source")
    if source not in fields:
        raise where.error(
            f"The measure {name!r} names the field {source!r}, which the resource's schema does not have.",
            f"Name one of the schema's fields: {', '.join(fields)}.",
        )
    if fields[source].get("type", "string") not in ("number", "integer"):
        raise where.error(
            f"The measure's field {source!r} is typed {fields[source].get('type', 'string')!r} in the schema, "
            "not as a number.",
            'Type the amount column "number" in the schema.',
        )
    currency = str(measure.get("currency") or "")
    if currency.upper() != CURRENCY:
        raise where.error(
            f"The measure {name!r} is in {currency or 'no currency'!r}, not pounds sterling ({CURRENCY}).",
            f'Spend lines are in pounds: give the measure "currency": "{CURRENCY}" if it is.',
        )
    factor = measure.get("factor", 1)
    if factor not in (1, 1.0, "1"):
        raise where.error(
            f"The measure {name!r} has a factor of {factor!r}; wholeplace loads amounts as they are written.",
            "Multiply the amounts out in the data file and give the measure a factor of 1.",
        )
    return str(source)


def _dimension_columns(
    model: dict[str, Any], resource: dict[str, Any], fields: dict[str, dict[str, Any]], where: _Where
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Where each spend line field comes from (a column or a constant), and the dimensions with no field."""
    dimensions = _object(
        model.get("dimensions"), "model.dimensions", where, "Describe at least one dimension."
    )
    columns: dict[str, str] = {}
    constants: dict[str, str] = {}
    placed: dict[str, str] = {}
    ignored: list[str] = []
    for name, given in dimensions.items():
        dimension = _object(given, f"model.dimensions.{name}", where)
        field = _field_for(name, dimension)
        if field is None:
            ignored.append(name)
            continue
        if field in placed:
            raise where.error(
                f"The dimensions {placed[field]!r} and {name!r} both describe the spend line's {field}.",
                "Keep one of them, or name each after the spend line field it holds.",
            )
        placed[field] = name
        source, constant = _attribute_source(name, dimension, resource, fields, where)
        if source is not None:
            columns[field] = source
        else:
            constants[field] = str(constant)
    return columns, constants, ignored


def _field_for(name: str, dimension: dict[str, Any]) -> str | None:
    ours = name.strip().lower().replace("-", "_").replace(" ", "_")
    if ours in spend.LINE_FIELDS:
        return ours
    kind = str(dimension.get("dimensionType"))
    basis = str(dimension.get("classificationType")) if kind == "classification" else None
    return FIELD_BY_TYPE.get((kind, basis))


def _attribute_source(
    name: str,
    dimension: dict[str, Any],
    resource: dict[str, Any],
    fields: dict[str, dict[str, Any]],
    where: _Where,
) -> tuple[str | None, Any]:
    """The column (or constant) of a dimension's key attribute."""
    attributes = _object(dimension.get("attributes"), f"model.dimensions.{name}.attributes", where)
    key = dimension.get("primaryKey")
    key = key[0] if isinstance(key, list) and key else key
    if key not in attributes:
        key = next(iter(attributes), None)
    attribute = attributes.get(key) if key is not None else None
    at = f"model.dimensions.{name}.attributes.{key}"
    if not isinstance(attribute, dict):
        raise where.error(
            f"model.dimensions.{name} has no attribute to read.", "Give it a source or constant."
        )
    if attribute.get("resource") not in (None, resource["name"]):
        raise where.error(
            f"{at} is in the resource {attribute['resource']!r}, not {resource['name']!r} with the amounts.",
            "wholeplace reads packages whose amounts and dimensions are in one data file.",
        )
    if "constant" in attribute and "source" not in attribute:
        return None, attribute["constant"]
    source = attribute.get("source")
    if source not in fields:
        raise where.error(
            f"{at} names the field {source!r}, which the resource's schema does not have.",
            f"Name one of the schema's fields: {', '.join(fields)}.",
        )
    return str(source), None


def _data_file(folder: Path, resource: dict[str, Any], where: _Where) -> Path:
    path = resource.get("path")
    if isinstance(path, list) and len(path) == 1:
        path = path[0]
    if not isinstance(path, str) or not path:
        raise where.error(
            f"The resource {resource['name']!r} has no path, or more than one.",
            "Give the path of its one CSV file, relative to the package's folder.",
        )
    if "://" in path:
        raise where.error(
            f"The resource's path {path!r} is on the web; wholeplace reads only files in the package's folder.",
            "Download the file into the folder and give its path relative to it.",
        )
    root = folder.resolve()
    data = (folder / path).resolve()
    if not data.is_relative_to(root):
        raise where.error(f"The resource's path {path!r} leads outside the package's folder.")
    if not data.is_file():
        raise where.error(f"The resource's file {path!r} is not in the package's folder.")
    kind = str(resource.get("format") or data.suffix.removeprefix(".")).lower()
    if kind != "csv":
        raise where.error(
            f"The resource's file {path!r} is {kind!r}; a Fiscal Data Package's data is CSV.",
            "Save the data as CSV.",
        )
    return data


def _shown(package: Package, path: Path) -> str:
    """A file of the package as messages name it: the package's folder and the file's path within it."""
    return f"{package.folder.name}/{path.relative_to(package.folder).as_posix()}"
