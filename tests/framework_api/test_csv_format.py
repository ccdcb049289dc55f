"""CSV export and import: round trip, and every import error with its spreadsheet row and column."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from framework_content_strategies import version_contents
from hypothesis import given

from framework_api.exchange.csv_format import (
    REQUIRED_COLUMNS,
    CsvImportError,
    CsvRowError,
    child_association_id,
    export_csv,
    link_association_id,
    parse_csv,
    tree_order,
)
from framework_api.frameworks.content import (
    AssociationContent,
    AssociationType,
    Audience,
    ItemType,
    LevelContent,
    ScaleContent,
    VersionContent,
)


def link_keys(associations):
    return {(a.type, a.origin, a.destination, a.sequence) for a in associations}


@given(version_contents())
def test_export_then_parse_gives_back_the_content(content):
    items, associations, descriptors = parse_csv(export_csv(content), content.scale)
    assert set(items) == set(content.items)
    assert len(items) == len(content.items)
    assert link_keys(associations) == link_keys(content.associations)
    assert set(descriptors) == set(content.descriptors)


@given(version_contents())
def test_rows_are_in_tree_order_and_reimport_is_stable(content):
    text = export_csv(content)
    items, associations, descriptors = parse_csv(text, content.scale)
    assert [i.identifier for i in items] == [i.identifier for i in tree_order(content)]
    again = parse_csv(text, content.scale)
    assert again == (items, associations, descriptors)  # identifiers of links included


@given(version_contents())
def test_identifiers_come_from_known_codes_when_the_column_is_blank(content):
    rows = list(csv.reader(io.StringIO(export_csv(content), newline="")))
    for row in rows[1:]:
        row[0] = ""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    known = {item.code: item.identifier for item in content.items}
    items, associations, _ = parse_csv(out.getvalue(), content.scale, known)
    assert set(items) == set(content.items)
    assert link_keys(associations) == link_keys(content.associations)


@given(version_contents())
def test_export_has_bom_free_crlf_rows_with_descriptor_columns_in_level_order(content):
    text = export_csv(content)
    assert not text.startswith("\ufeff")
    header = next(csv.reader(io.StringIO(text, newline="")))
    levels = sorted(content.scale.levels, key=lambda level: level.position)
    assert header == [
        *REQUIRED_COLUMNS,
        "associations",
        *(f"descriptor:{level.code}" for level in levels),
    ]
    assert text.endswith("\r\n")


# --- examples ----------------------------------------------------------------------------------

SCALE = ScaleContent(
    identifier=uuid.UUID(int=7),
    title="Proficiency",
    levels=(
        LevelContent("essential", 1, "Essential"),
        LevelContent("proficient", 2, "Proficient", proficient_threshold=True),
    ),
)
HEADER = [*REQUIRED_COLUMNS, "associations", "descriptor:essential", "descriptor:proficient"]
C1_ID = "0b0e5a1e-6f55-4a40-9c1f-1d6f1f0a0001"


def row(**cells) -> list[str]:
    values = {
        "identifier": "",
        "code": "",
        "type": "capability",
        "statement": "A statement",
        "description": "",
        "audience": "all_staff",
        "parent_code": "",
        "sequence": "",
        "source": "",
        "associations": "",
        "descriptor:essential": "",
        "descriptor:proficient": "",
    }
    values.update({key.replace("descriptor_", "descriptor:"): value for key, value in cells.items()})
    return [values.get(column, "") for column in HEADER]


def sheet(*rows: list[str], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue()


def good_rows() -> list[list[str]]:
    return [
        row(identifier=C1_ID, code="C1", type="component", statement="Leadership of all"),
        row(
            code="C1.AS.1",
            parent_code="C1",
            statement="Steps up",
            descriptor_essential="Sometimes",
            descriptor_proficient="Consistently",
            associations="is_related_to:V1",
        ),
        row(code="V1", type="value", statement="Compassion", audience="team_leaders"),
    ]


def errors_of(text: str, known=None) -> list[CsvRowError]:
    with pytest.raises(CsvImportError) as caught:
        parse_csv(text, SCALE, known)
    return caught.value.errors


def where(errors: list[CsvRowError]) -> list[tuple[int, str | None]]:
    return [(e.row, e.field) for e in errors]


def test_good_sheet_parses():
    items, associations, descriptors = parse_csv(sheet(*good_rows()), SCALE)
    c1, cap, v1 = items
    assert str(c1.identifier) == C1_ID
    assert (cap.code, cap.type, cap.sequence, cap.description) == (
        "C1.AS.1",
        ItemType.capability,
        1,
        None,
    )
    assert v1.audience == Audience.team_leaders
    assert (c1.sequence, v1.sequence) == (1, 2)  # blank sequence: row order among siblings
    assert [(a.type, a.origin, a.destination, a.sequence) for a in associations] == [
        (AssociationType.is_child_of, cap.identifier, c1.identifier, 1),
        (AssociationType.is_related_to, cap.identifier, v1.identifier, None),
    ]
    assert associations[0].identifier == child_association_id(cap.identifier, c1.identifier)
    assert associations[1].identifier == link_association_id("is_related_to", cap.identifier, v1.identifier)
    assert [(d.level, d.description) for d in descriptors] == [
        ("essential", "Sometimes"),
        ("proficient", "Consistently"),
    ]


def test_bom_crlf_and_blank_lines_are_tolerated():
    text = "\ufeff" + sheet(*good_rows()) + ",,,,,,,,,,,\r\n\r\n"
    items, _, _ = parse_csv(text, SCALE)
    assert [i.code for i in items] == ["C1", "C1.AS.1", "V1"]


def test_optional_columns_may_be_absent_and_cells_are_trimmed():
    header = list(REQUIRED_COLUMNS)
    text = sheet(
        [" ", " C1 ", "component", " Leadership\r\nof all ", "", "", "", " 5 ", ""],
        header=header,
    )
    [item], associations, descriptors = parse_csv(text, SCALE)
    assert (item.code, item.statement, item.sequence) == ("C1", "Leadership\nof all", 5)
    assert associations == () and descriptors == ()


def test_blank_identifier_uses_known_identifiers_else_a_new_one():
    known_id = uuid.uuid4()
    items, _, _ = parse_csv(sheet(*good_rows()), SCALE, {"V1": known_id})
    assert items[2].identifier == known_id
    assert items[1].identifier.version == 4


def test_blank_descriptor_cell_is_no_descriptor():
    rows = good_rows()
    rows[1] = row(code="C1.AS.1", parent_code="C1", descriptor_essential="  ")
    _, _, descriptors = parse_csv(sheet(*rows), SCALE)
    assert descriptors == ()


def test_missing_required_columns_are_reported_on_row_1():
    header = [c for c in HEADER if c not in ("type", "sequence")]
    errors = errors_of(sheet(header=header))
    assert where(errors) == [(1, "type"), (1, "sequence")]
    assert "'type'" in errors[0].message


def test_unknown_descriptor_level_column_is_reported_on_row_1_with_the_rest():
    header = [*HEADER, "descriptor:outstanding"]
    rows = [[*r, "x"] for r in good_rows()]
    rows[2][3] = ""  # and a blank statement on row 4
    errors = errors_of(sheet(*rows, header=header))
    assert where(errors) == [(1, "descriptor:outstanding"), (4, "statement")]
    assert "essential, proficient" in errors[0].message


def test_empty_file():
    assert where(errors_of("")) == [(1, None)]


@pytest.mark.parametrize(
    ("cells", "field", "needle"),
    [
        ({"code": ""}, "code", "code is blank"),
        ({"statement": "   "}, "statement", "statement is blank"),
        ({"type": "skill"}, "type", "component, value, behaviour, capability"),
        ({"type": ""}, "type", "team_criterion"),
        ({"audience": "managers"}, "audience", "all_staff, team_leaders, senior_system_leaders"),
        ({"identifier": "not-a-uuid"}, "identifier", "'not-a-uuid' is not a UUID"),
        ({"parent_code": "C9"}, "parent_code", "'C9'"),
        ({"parent_code": "X1"}, "parent_code", "own parent"),
        ({"sequence": "2.5"}, "sequence", "'2.5' is not a whole number"),
        ({"associations": "is_related_to"}, "associations", "type:code"),
        ({"associations": "is_related_to:"}, "associations", "type:code"),
        ({"associations": ":V1"}, "associations", "type:code"),
        ({"associations": "is_related_to:CC5"}, "associations", "'CC5'"),
        ({"associations": "is_peer_of:V1"}, "associations", "exact_match_of"),
        ({"associations": "is_child_of:C1"}, "associations", "parent_code"),
    ],
)
def test_each_error_names_its_row_and_column(cells, field, needle):
    rows = good_rows()
    rows.insert(2, row(**({"code": "X1"} | cells)))  # spreadsheet row 4
    errors = errors_of(sheet(*rows))
    assert where(errors) == [(4, field)]
    assert needle in errors[0].message


def test_duplicate_code_and_identifier_name_the_first_row():
    rows = good_rows()
    rows.append(row(code="C1.AS.1"))  # row 5
    rows.append(row(code="C2", identifier=C1_ID))  # row 6
    errors = errors_of(sheet(*rows))
    assert where(errors) == [(5, "code"), (6, "identifier")]
    assert "row 3" in errors[0].message
    assert "row 2" in errors[1].message


def test_a_known_identifier_can_collide_with_an_explicit_one():
    errors = errors_of(sheet(*good_rows()), {"V1": uuid.UUID(C1_ID)})
    assert where(errors) == [(4, "identifier")]


def test_all_errors_are_reported_at_once_in_row_order():
    rows = [
        row(code="C1", type="component", statement=""),  # row 2
        row(code="", type="skill", sequence="first"),  # row 3
        row(code="C1", parent_code="nowhere", associations="is_related_to:V9; bad"),  # row 4
    ]
    errors = errors_of(sheet(*rows))
    assert where(errors) == [
        (2, "statement"),
        (3, "code"),
        (3, "type"),
        (3, "sequence"),
        (4, "code"),
        (4, "parent_code"),
        (4, "associations"),
        (4, "associations"),
    ]
    assert "CSV" in str(CsvImportError(errors))


def test_repeated_association_is_imported_once():
    rows = good_rows()
    rows[1] = row(code="C1.AS.1", parent_code="C1", associations="is_related_to:V1;is_related_to:V1")
    _, associations, _ = parse_csv(sheet(*rows), SCALE)
    assert len([a for a in associations if a.type == AssociationType.is_related_to]) == 1


def test_descriptor_columns_need_a_scale():
    errors = errors_of_without_scale(sheet(*good_rows()))
    assert where(errors) == [(1, "descriptor:essential"), (1, "descriptor:proficient")]
    assert "no scale" in errors[0].message


def errors_of_without_scale(text: str) -> list[CsvRowError]:
    with pytest.raises(CsvImportError) as caught:
        parse_csv(text, None)
    return caught.value.errors


def test_export_of_a_broken_draft_keeps_every_item():
    items, associations, _ = parse_csv(sheet(*good_rows()), SCALE)
    cap = items[1]
    stray = AssociationContent(uuid.uuid4(), AssociationType.is_child_of, items[2].identifier, uuid.uuid4())
    loop = AssociationContent(uuid.uuid4(), AssociationType.is_child_of, items[0].identifier, cap.identifier)
    content = VersionContent(
        framework_identifier=uuid.uuid4(),
        title="Broken",
        version="0.1.0",
        items=items,
        associations=(*associations, stray, loop),
        scale=SCALE,
    )
    rows = list(csv.reader(io.StringIO(export_csv(content), newline="")))
    assert sorted(r[1] for r in rows[1:]) == ["C1", "C1.AS.1", "V1"]
    parents = {r[1]: r[6] for r in rows[1:]}
    assert parents == {"C1": "C1.AS.1", "C1.AS.1": "C1", "V1": ""}


def test_unreadable_csv_is_an_error_not_a_crash():
    huge = "x" * (csv.field_size_limit() + 1)
    errors = errors_of(sheet(*good_rows(), row(code="BIG", statement=huge)))
    assert where(errors) == [(5, None)]


def test_a_row_with_more_cells_than_the_header_is_an_error_naming_the_row():
    rows = good_rows()
    rows[2] = [*rows[2], "and kindness"]  # "Compassion, and kindness" written without quotes
    errors = errors_of(sheet(*rows))
    assert where(errors) == [(4, None)]
    assert f"{len(HEADER) + 1} cells but the header has {len(HEADER)}" in errors[0].message


def test_formula_leads_written_by_the_export_are_read_back_exactly():
    rows = good_rows()
    rows[2] = row(code="V1", type="value", statement="'=1+2", description='=HYPERLINK("x")', source="@SUM(1)")
    out = io.StringIO()
    from servicekit import csvio

    csvio.writer(out, lineterminator="\r\n").writerows([HEADER, *rows])
    assert "'=HYPERLINK" in out.getvalue() and "'''=1+2" not in out.getvalue()
    items, _, _ = parse_csv(out.getvalue(), SCALE)
    v1 = next(item for item in items if item.code == "V1")
    assert (v1.statement, v1.description, v1.source) == ("'=1+2", '=HYPERLINK("x")', "@SUM(1)")
