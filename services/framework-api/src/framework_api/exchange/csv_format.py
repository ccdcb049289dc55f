"""The CSV a framework editor edits in a spreadsheet: one row per item, in tree order.

Columns: identifier, code, type, statement, description, audience, parent_code, sequence,
source, associations, then `descriptor:<level code>` for each scale level in position order.
`associations` holds the item's non-child associations as `type:code` joined by "; ".

Cells a spreadsheet would run as formulas are escaped on export and unescaped on import
(servicekit.csvio), so a sheet exported and imported again gives back exactly its text.

`parse_csv` reports every error it finds, each with its spreadsheet row (the header is row 1)
and column, so the editor can fix the sheet in one pass.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from framework_api.frameworks.content import (
    AssociationContent,
    AssociationType,
    Audience,
    DescriptorContent,
    ItemContent,
    ItemType,
    ScaleContent,
    VersionContent,
)
from servicekit import csvio

# Identifiers of imported associations derive from this, so re-importing a sheet is stable.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:collective:framework-api:csv")

REQUIRED_COLUMNS: tuple[str, ...] = (
    "identifier",
    "code",
    "type",
    "statement",
    "description",
    "audience",
    "parent_code",
    "sequence",
    "source",
)
ASSOCIATIONS_COLUMN = "associations"
DESCRIPTOR_PREFIX = "descriptor:"
ASSOCIATION_SEPARATOR = "; "
# The association types the associations column may hold (parents go in parent_code).
LINK_TYPES: tuple[AssociationType, ...] = tuple(t for t in AssociationType if t != AssociationType.is_child_of)


@dataclass(frozen=True)
class CsvRowError:
    row: int
    field: str | None
    message: str


class CsvImportError(Exception):
    def __init__(self, errors: list[CsvRowError]) -> None:
        self.errors = errors
        count = len(errors)
        super().__init__(f"{count} error{'' if count == 1 else 's'} in the CSV")


def child_association_id(child: uuid.UUID, parent: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{child}:{parent}")


def link_association_id(kind: AssociationType | str, origin: uuid.UUID, destination: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{origin}:{destination}")


def _item_key(item: ItemContent) -> tuple[int, str, str]:
    return (item.sequence, item.code, str(item.identifier))


def tree_order(content: VersionContent) -> list[ItemContent]:
    """Every item once: depth first from the roots, siblings by sequence (then code).

    Items without an existing parent are roots. Items only reachable through a cycle (a broken
    draft) follow, in code order, so nothing is lost.
    """
    items = content.item_by_id()
    parents = {
        child: assoc.destination
        for child, assoc in content.parents().items()
        if assoc.destination in items and child in items
    }
    children: dict[uuid.UUID, list[ItemContent]] = defaultdict(list)
    roots: list[ItemContent] = []
    for item in items.values():
        parent = parents.get(item.identifier)
        if parent is None:
            roots.append(item)
        else:
            children[parent].append(item)
    ordered: list[ItemContent] = []
    seen: set[uuid.UUID] = set()

    def visit(start: ItemContent) -> None:
        stack = [start]
        while stack:
            item = stack.pop()
            if item.identifier in seen:
                continue
            seen.add(item.identifier)
            ordered.append(item)
            stack.extend(sorted(children.get(item.identifier, ()), key=_item_key, reverse=True))

    for root in sorted(roots, key=_item_key):
        visit(root)
    for item in sorted(items.values(), key=lambda i: (i.code, str(i.identifier))):
        visit(item)
    return ordered


def _level_codes(scale: ScaleContent | None) -> list[str]:
    if scale is None:
        return []
    return [level.code for level in sorted(scale.levels, key=lambda level: level.position)]


def export_csv(content: VersionContent) -> str:
    """The version as CSV (CRLF line ends, as spreadsheets expect), rows in tree order."""
    items = content.item_by_id()
    levels = _level_codes(content.scale)
    parents = content.parents()
    links: dict[uuid.UUID, list[tuple[int, str, str]]] = defaultdict(list)
    link_rank = {kind: rank for rank, kind in enumerate(LINK_TYPES)}
    for assoc in content.associations:
        destination = items.get(assoc.destination)
        if assoc.type == AssociationType.is_child_of or destination is None:
            continue
        links[assoc.origin].append((link_rank[assoc.type], assoc.type.value, destination.code))
    descriptors = {(d.item, d.level): d.description for d in content.descriptors}

    out = io.StringIO()
    writer = csvio.writer(out, lineterminator="\r\n")
    writer.writerow([*REQUIRED_COLUMNS, ASSOCIATIONS_COLUMN, *(DESCRIPTOR_PREFIX + code for code in levels)])
    for item in tree_order(content):
        parent_link = parents.get(item.identifier)
        parent = items.get(parent_link.destination) if parent_link else None
        writer.writerow(
            [
                str(item.identifier),
                item.code,
                item.type.value,
                item.statement,
                item.description or "",
                item.audience.value,
                parent.code if parent else "",
                str(item.sequence),
                item.source or "",
                ASSOCIATION_SEPARATOR.join(
                    f"{kind}:{code}" for _, kind, code in sorted(links.get(item.identifier, ()))
                ),
                *(descriptors.get((item.identifier, level), "") for level in levels),
            ]
        )
    return out.getvalue()


def _allowed(values) -> str:
    return ", ".join(str(value) for value in values)


def _values(enum) -> set[str]:
    return {member.value for member in enum}


def parse_csv(
    text: str,
    scale: ScaleContent | None,
    known_identifiers: Mapping[str, uuid.UUID] | None = None,
) -> tuple[tuple[ItemContent, ...], tuple[AssociationContent, ...], tuple[DescriptorContent, ...]]:
    """Items, associations and descriptors from a sheet; raises CsvImportError with all errors.

    A blank identifier takes `known_identifiers[code]` when there is one (so a sheet exported
    without identifiers keeps them), else a new one. A blank sequence is the row's place among
    its siblings (from 1). A blank descriptor cell means no descriptor. Cells are trimmed.
    """
    records = _records(text)
    header, errors = _read_header(records[0], _level_codes(scale))
    rows, row_errors = _read_rows(records[1:], header, known_identifiers or {})
    errors += row_errors
    if errors:
        errors.sort(key=lambda e: (e.row, -1 if e.field is None else header.places.get(e.field, -1)))
        raise CsvImportError(errors)
    return _content(rows)


def _records(text: str) -> list[list[str]]:
    """The sheet's rows of cells, the header first; refused when it is not CSV or has no header."""
    if text.startswith("\ufeff"):
        text = text[1:]
    records: list[list[str]] = []
    try:
        records.extend(csvio.reader(text))
    except csv.Error as exc:  # e.g. a cell beyond the csv module's size limit
        raise CsvImportError(
            [CsvRowError(len(records) + 1, None, f"The file cannot be read as CSV here: {exc}.")]
        ) from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise CsvImportError(
            [CsvRowError(1, None, f"The header row is missing: it needs {_allowed(REQUIRED_COLUMNS)}.")]
        )
    return records


# --- row 1: the header ----------------------------------------------------------------------


@dataclass
class _Header:
    width: int  # cells in the header row
    columns: dict[str, int]  # a named column (lower case) -> its index
    places: dict[str, int]  # every column name -> its place, to order the errors
    level_columns: list[tuple[str, str, int]]  # (column name, level code, index)

    def cell(self, record: list[str], column: str) -> str:
        index = self.columns.get(column)
        if index is None or index >= len(record):
            return ""
        return _trimmed(record[index])


def _trimmed(value: str) -> str:
    return value.replace("\r\n", "\n").strip()


def _read_header(cells: list[str], levels: list[str]) -> tuple[_Header, list[CsvRowError]]:
    """The columns and the problems with them; raises CsvImportError when a required one is missing."""
    header = _Header(width=len(cells), columns={}, places={}, level_columns=[])
    errors: list[CsvRowError] = []
    for index, raw in enumerate(cells):
        name = raw.strip()
        if not name:
            continue
        lowered = name.lower()
        header.places.setdefault(name, index)
        header.places.setdefault(lowered, index)
        if lowered.startswith(DESCRIPTOR_PREFIX):
            level = name[len(DESCRIPTOR_PREFIX) :].strip()
            if level not in levels:
                message = f"The column '{name}' is for level '{level}', which is not a level of the " + (
                    f"scale; the levels are {_allowed(levels)}." if levels else "scale: there is no scale."
                )
                errors.append(CsvRowError(1, name, message))
            elif any(level == existing for _, existing, _ in header.level_columns):
                errors.append(CsvRowError(1, name, f"The column '{name}' appears more than once."))
            else:
                header.level_columns.append((name, level, index))
        elif lowered in header.columns:
            errors.append(CsvRowError(1, lowered, f"The column '{lowered}' appears more than once."))
        else:
            header.columns[lowered] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in header.columns]
    for column in missing:
        errors.append(CsvRowError(1, column, f"The required column '{column}' is missing."))
    if missing:
        raise CsvImportError(errors)
    return header, errors


# --- rows 2...: one item each ---------------------------------------------------------------


@dataclass
class _Row:
    number: int
    identifier: uuid.UUID | None
    code: str
    item_type: ItemType | None
    statement: str
    description: str | None
    audience: Audience | None
    parent_code: str
    sequence: int | None
    source: str | None
    links: list[tuple[str, str, str]]  # (raw part, type, code)
    descriptors: list[tuple[str, str]]  # (level, text)


def _read_rows(
    records: list[list[str]], header: _Header, known_identifiers: Mapping[str, uuid.UUID]
) -> tuple[list[_Row], list[CsvRowError]]:
    """Every item row (blank rows are skipped but still count in the numbering), and the problems
    with them: each row's own, then those across rows."""
    rows: list[_Row] = []
    errors: list[CsvRowError] = []
    for number, record in enumerate(records, start=2):
        if any(value.strip() for value in record):
            rows.append(_read_row(number, record, header, known_identifiers, errors))
    errors += _across_rows(rows)
    return rows, errors


def _read_row(
    number: int,
    record: list[str],
    header: _Header,
    known_identifiers: Mapping[str, uuid.UUID],
    errors: list[CsvRowError],
) -> _Row:
    def error(field: str | None, message: str) -> None:
        errors.append(CsvRowError(number, field, message))

    if len(record) > header.width:
        # An unquoted comma splits a cell; the cells past the header would be lost unnoticed.
        error(
            None,
            f"This row has {len(record)} cells but the header has {header.width}: "
            "quote a cell that holds a comma, or remove the extra cells.",
        )

    code = header.cell(record, "code")
    if not code:
        error("code", "The code is blank: every item needs a code.")

    identifier: uuid.UUID | None = None
    raw_identifier = header.cell(record, "identifier")
    if raw_identifier:
        try:
            identifier = uuid.UUID(raw_identifier)
        except ValueError:
            error("identifier", f"The identifier '{raw_identifier}' is not a UUID.")
    else:
        identifier = known_identifiers.get(code) or uuid.uuid4()

    raw_type = header.cell(record, "type")
    item_type = ItemType(raw_type) if raw_type in _values(ItemType) else None
    if item_type is None:
        problem = f"The type '{raw_type}' is not a known type" if raw_type else "The type is blank"
        error("type", f"{problem}; use one of {_allowed(ItemType)}.")

    statement = header.cell(record, "statement")
    if not statement:
        error("statement", "The statement is blank: every item needs a statement.")

    raw_audience = header.cell(record, "audience")
    audience: Audience | None = Audience.all_staff
    if raw_audience:
        audience = Audience(raw_audience) if raw_audience in _values(Audience) else None
        if audience is None:
            error(
                "audience",
                f"The audience '{raw_audience}' is not a known audience; use one of {_allowed(Audience)}.",
            )

    sequence: int | None = None
    raw_sequence = header.cell(record, "sequence")
    if raw_sequence:
        try:
            sequence = int(raw_sequence)
        except ValueError:
            error("sequence", f"The sequence '{raw_sequence}' is not a whole number.")

    return _Row(
        number=number,
        identifier=identifier,
        code=code,
        item_type=item_type,
        statement=statement,
        description=header.cell(record, "description") or None,
        audience=audience,
        parent_code=header.cell(record, "parent_code"),
        sequence=sequence,
        source=header.cell(record, "source") or None,
        links=_read_links(header.cell(record, ASSOCIATIONS_COLUMN), error),
        descriptors=[
            (level, value)
            for _, level, index in header.level_columns
            if (value := _trimmed(record[index] if index < len(record) else ""))
        ],
    )


def _read_links(cell: str, error: Callable[[str | None, str], None]) -> list[tuple[str, str, str]]:
    """The associations column: `type:code` parts joined by ';'."""
    links: list[tuple[str, str, str]] = []
    for part in cell.split(";"):
        part = part.strip()
        if not part:
            continue
        kind, colon, target = (piece.strip() for piece in part.partition(":"))
        if not colon or not kind or not target:
            error(
                ASSOCIATIONS_COLUMN,
                f"The association '{part}' is not written as type:code (for example is_related_to:CC5).",
            )
        elif kind not in {t.value for t in LINK_TYPES}:
            hint = " (put the parent's code in parent_code instead)" if kind == AssociationType.is_child_of else ""
            error(
                ASSOCIATIONS_COLUMN,
                f"The association type '{kind}' in '{part}' is not allowed here{hint}; "
                f"use one of {_allowed(LINK_TYPES)}.",
            )
        else:
            links.append((part, kind, target))
    return links


def _across_rows(rows: list[_Row]) -> list[CsvRowError]:
    """Unique codes and identifiers; parents and association targets that are rows' codes."""
    errors: list[CsvRowError] = []
    first_with_code: dict[str, _Row] = {}
    first_with_identifier: dict[uuid.UUID, _Row] = {}
    for row in rows:
        if row.code:
            first = first_with_code.setdefault(row.code, row)
            if first is not row:
                errors.append(
                    CsvRowError(row.number, "code", f"The code '{row.code}' is already used on row {first.number}.")
                )
        if row.identifier is not None:
            first = first_with_identifier.setdefault(row.identifier, row)
            if first is not row:
                errors.append(
                    CsvRowError(
                        row.number,
                        "identifier",
                        f"The identifier {row.identifier} is already used on row {first.number}.",
                    )
                )
    for row in rows:
        if row.parent_code:
            if row.parent_code not in first_with_code:
                message = f"The parent code '{row.parent_code}' is not the code of any row."
                errors.append(CsvRowError(row.number, "parent_code", message))
            elif row.parent_code == row.code:
                errors.append(CsvRowError(row.number, "parent_code", "An item cannot be its own parent."))
        for part, _, target in row.links:
            if target not in first_with_code:
                message = f"The association '{part}' points to '{target}', which is not the code of any row."
                errors.append(CsvRowError(row.number, ASSOCIATIONS_COLUMN, message))
    return errors


# --- the content ----------------------------------------------------------------------------


def _content(
    rows: list[_Row],
) -> tuple[tuple[ItemContent, ...], tuple[AssociationContent, ...], tuple[DescriptorContent, ...]]:
    """The items, associations and descriptors of rows that passed every check (nothing is None)."""
    # Codes are unique by now, and every row has an identifier (the filter only says so to the checker).
    by_code = {row.code: row.identifier for row in rows if row.identifier is not None}
    sibling_count: dict[str, int] = defaultdict(int)
    items: list[ItemContent] = []
    child_links: list[AssociationContent] = []
    other_links: list[AssociationContent] = []
    descriptors: list[DescriptorContent] = []
    for row in rows:
        assert row.identifier and row.item_type and row.audience  # checked above
        sibling_count[row.parent_code] += 1
        sequence = row.sequence if row.sequence is not None else sibling_count[row.parent_code]
        items.append(
            ItemContent(
                identifier=row.identifier,
                type=row.item_type,
                code=row.code,
                statement=row.statement,
                description=row.description,
                audience=row.audience,
                sequence=sequence,
                source=row.source,
            )
        )
        if row.parent_code:
            parent = by_code[row.parent_code]
            child_links.append(
                AssociationContent(
                    identifier=child_association_id(row.identifier, parent),
                    type=AssociationType.is_child_of,
                    origin=row.identifier,
                    destination=parent,
                    sequence=sequence,
                )
            )
        seen: set[tuple[str, uuid.UUID]] = set()
        for _, kind, target in row.links:
            destination = by_code[target]
            if (kind, destination) in seen:
                continue
            seen.add((kind, destination))
            other_links.append(
                AssociationContent(
                    identifier=link_association_id(kind, row.identifier, destination),
                    type=AssociationType(kind),
                    origin=row.identifier,
                    destination=destination,
                )
            )
        descriptors.extend(
            DescriptorContent(item=row.identifier, level=level, description=text) for level, text in row.descriptors
        )
    return tuple(items), (*child_links, *other_links), tuple(descriptors)
