"""Bodies of bulk imports: the content type, CSV as UTF-8, and JSON rows numbered by row."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from starlette.requests import Request

from servicekit import uploads
from servicekit.errors import ProblemError


class Rows(BaseModel):
    rows: list[int]


def request_of(content_type: str | None) -> Request:
    headers = [] if content_type is None else [(b"content-type", content_type.encode())]
    return Request({"type": "http", "method": "POST", "headers": headers})


def test_media_type_drops_parameters_and_case():
    assert uploads.media_type(request_of("Text/CSV; charset=utf-8"), (uploads.CSV,)) == "text/csv"


@pytest.mark.parametrize(
    ("accepted", "detail"),
    [
        ((uploads.CSV, uploads.JSON), "Send text/csv or application/json."),
        ((uploads.JSON, uploads.CSV), "Send application/json or text/csv."),
        ((uploads.CSV,), "Send text/csv."),
    ],
)
def test_another_media_type_is_415_naming_what_to_send(accepted, detail):
    with pytest.raises(ProblemError) as refused:
        uploads.media_type(request_of("application/xml"), accepted)
    assert (refused.value.status, refused.value.slug, refused.value.detail) == (415, "unsupported-media-type", detail)


def test_csv_that_is_not_utf8_is_422_csv_invalid():
    assert uploads.csv_text("é".encode()) == "é"
    with pytest.raises(ProblemError) as refused:
        uploads.csv_text(b"\xff\xfe")
    assert (refused.value.status, refused.value.slug) == (422, "csv-invalid")


def test_json_rows_are_numbered_from_one_and_not_json_is_said_so():
    assert uploads.json_body(Rows, b'{"rows": [1, 2]}', "{count}").rows == [1, 2]
    with pytest.raises(ProblemError) as refused:
        uploads.json_body(Rows, b'{"rows": [1, "x", 3, "y"]}', "{count} problem(s)")
    assert refused.value.detail == "2 problem(s)"
    assert refused.value.slug == "import-invalid"
    assert [e["row"] for e in refused.value.errors or []] == [2, 4]
    assert refused.value.errors and refused.value.errors[0]["field"] == "body.rows.1"
    with pytest.raises(ProblemError) as not_json:
        uploads.json_body(Rows, b"{", "{count}")
    assert (not_json.value.status, not_json.value.slug) == (422, "validation-error")
