"""Importing candidates (issue 6 §8): problems in plain words by row and column (not validator
text such as "is required" or "2 error(s)"), an error message on the field that was used (NHS.UK
error message pattern, not a red bar alone), and a template CSV whose header the import accepts."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from recruitment_support import admin_headers, create_vacancy

from web.recruitment.forms import import_problems, import_template

ORG = "SEHSCT"
VALIDATOR_WORDS = re.compile(r"is required|error\(s\)|String should|value is not a valid|missing column|unknown column")


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def importer(recruitment_services, keys, browser_as):
    admin = browser_as("recruiter", org=ORG, roles=("recruitment_admin",))
    api = recruitment_services["api"]
    vacancy = create_vacancy(api, keys, ORG)
    url = f"/recruitment/vacancies/{vacancy['id']}/candidates/import"
    token = csrf_from(admin.get(url).text)

    def send(text: str, *, as_file: bool = False, htmx: bool = False):
        files = {"file": ("candidates.csv", text.encode(), "text/csv")} if as_file else {"file": ("", b"")}
        data = {"csrf_token": token} if as_file else {"csrf_token": token, "csv": text}
        return admin.post(url, data=data, files=files, headers={"HX-Request": "true"} if htmx else {})

    importer = type("Importer", (), {})()
    importer.admin, importer.api, importer.keys, importer.vacancy, importer.url, importer.send = (
        admin,
        api,
        keys,
        vacancy,
        url,
        send,
    )
    return importer


def problem_rows(page: str) -> list[tuple[str, str, str]]:
    table = page.split('class="nhsuk-table collective-import-errors"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody", 1)[1]
    rows = []
    for row in re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", body, re.S):
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        rows.append(tuple(cells))
    return rows


def test_problems_are_listed_by_row_and_column_in_plain_words(importer):
    refused = importer.send(
        "name,email,external_ref\n,not-an-email,A-0\nSecond Person,s@example.org,A-1\nThird Person,,A-1\n"
    )
    assert refused.status_code == 422
    assert problem_rows(refused.text) == [
        ("2", "email", "Enter the email address in the right format, like name@example.org"),
        ("2", "name", "Enter the candidate's name"),
        ("4", "external_ref", "Row 3 has the same external_ref: give each candidate their own"),
    ]
    assert not VALIDATOR_WORDS.search(refused.text)
    assert "The pasted CSV has 3 problems" in refused.text


def test_an_unknown_column_and_a_long_answer_are_named_by_their_column(importer):
    unknown = importer.send("name,colour\nA Person,blue\n")
    assert problem_rows(unknown.text)[0][1:] == (
        "colour",
        "The import does not know the column colour: use name, email, phone, external_ref, "
        "or evidence: followed by the question",
    )
    long_answer = "x" * 20001
    refused = importer.send(f'name,evidence:Working together,evidence:Compassion\nA Person,,"{long_answer}"\n')
    assert problem_rows(refused.text) == [
        ("2", "evidence:Compassion", "Shorten this answer to 20,000 characters or fewer")
    ]
    assert not VALIDATOR_WORDS.search(refused.text)


def test_an_unquoted_comma_and_an_empty_file_are_explained(importer):
    refused = importer.send("name,evidence:Working together\nA Person,I led it, then I handed over\n")
    assert problem_rows(refused.text) == [
        (
            "2",
            "",
            "This row has 3 cells but the header has 2: put quotation marks round a cell that holds a comma, "
            "or remove the extra cells",
        )
    ]
    empty = importer.send("name,email\n")
    assert "There are no candidates: add one row per candidate below the header row" in html.unescape(empty.text)
    assert not VALIDATOR_WORDS.search(refused.text + empty.text)


def test_the_file_field_gets_an_error_message_not_only_a_red_bar(importer):
    refused = importer.send("name,email\n,x@example.org\n", as_file=True)
    assert refused.status_code == 422
    group = refused.text.split('for="file"', 1)[0].rsplit('<div class="nhsuk-form-group', 1)[1]
    assert group.startswith(" nhsuk-form-group--error")
    message = re.search(r'<span class="nhsuk-error-message" id="file-error">(.*?)<input', refused.text, re.S)
    assert message is not None
    assert "The file has 1 problem" in message.group(1) and "Error:" in message.group(1)
    assert re.search(
        r'<input class="nhsuk-file-upload__input" id="file"[^>]*aria-describedby="file-error"', refused.text
    )
    assert '<a href="#file">The file has 1 problem' in refused.text  # the error summary links to the field
    # Pasted CSV: the message is on the text box instead.
    pasted = importer.send("name,email\n,x@example.org\n", htmx=True)
    assert 'id="csv-error"' in pasted.text and '<a href="#csv">' in pasted.text and 'id="file-error"' not in pasted.text


def test_the_template_csv_has_the_header_the_import_accepts(importer):
    page = importer.admin.get(importer.url)
    link = f"{importer.url}/template.csv"
    assert f'href="{link}"' in page.text
    template = importer.admin.get(link)
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("text/csv")
    assert template.headers["content-disposition"] == 'attachment; filename="candidates-template.csv"'
    header = next(csv.reader(io.StringIO(template.text)))
    assert header == [
        "name",
        "email",
        "phone",
        "external_ref",
        "evidence:Working Together",
        "evidence:Excellence",
        "evidence:Openness and Honesty",
        "evidence:Compassion",
    ]
    # Filled in, the template imports as it is.
    filled = template.text + "Aoife Byrne,aoife@example.org,028 9000 0000,ATS-1,I led a huddle,,,I listened\r\n"
    imported = importer.send(filled, as_file=True)
    assert imported.status_code == 200 and "1 candidate imported" in imported.text
    count = importer.api.get(f"/vacancies/{importer.vacancy['id']}", headers=admin_headers(importer.keys, ORG))
    assert count.json()["candidate_count"] == 1


def test_import_problems_cover_the_services_other_messages():
    summary, problems = import_problems(
        [
            {"row": 1, "field": "name", "message": "missing column"},
            {"row": 4, "field": "phone", "message": "String should have at most 50 characters"},
            {"row": 5, "field": "external_ref", "message": "duplicate of an existing candidate"},
            {"row": 6, "field": "evidence", "message": "List should have at most 20 items after validation, not 21"},
            {"row": 7, "field": None, "message": "new-line character seen in unquoted field"},
            {
                "row": 8,
                "field": None,
                "message": "4 cells but the header has 3: quote a cell that holds a comma, or remove the extra cells",
            },
            {"row": None, "field": "body.candidates", "message": "at least one candidate is needed"},
        ],
        "",
        count=1200,
    )
    assert summary == "The file has 1,200 problems, listed below: fix them and import the file again"
    assert [(p.row, p.column, p.message) for p in problems] == [
        (1, "name", "Add a column headed name to the header row (the first row of the file)"),
        (4, "phone", "Shorten the phone number to 50 characters or fewer"),
        (5, "external_ref", "A candidate of this vacancy already has this external_ref: give each candidate their own"),
        (6, "evidence:", "Give at most 20 answers (evidence: columns) for one candidate"),
        (7, "", "This row cannot be read as CSV: check its quotation marks and commas"),
        (
            8,
            "",
            "This row has 4 cells but the header has 3: put quotation marks round a cell that holds a comma, "
            "or remove the extra cells",
        ),
        (None, "", "There are no candidates: add one row per candidate below the header row"),
    ]


def test_the_template_never_starts_a_cell_with_a_formula():
    header = next(csv.reader(io.StringIO(import_template(["=HYPERLINK(1)", "Line\nbreak"]))))
    assert header[-2:] == ["evidence:=HYPERLINK(1)", "evidence:Line break"]
    assert all(cell[0].isalpha() for cell in header)
