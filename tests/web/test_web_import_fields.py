"""pages.import_fields: what every import page's form shows."""

from __future__ import annotations

from web.pages import MAX_PROBLEMS_SHOWN, import_fields


def test_a_fresh_key_unless_the_form_is_shown_again():
    first, second = import_fields()["idempotency_key"], import_fields()["idempotency_key"]
    assert first != second
    assert import_fields(key="again-1")["idempotency_key"] == "again-1"


def test_problems_by_row_are_listed_up_to_the_limit():
    rows = [{"row": n, "column": None, "message": "bad"} for n in range(2, MAX_PROBLEMS_SHOWN + 500)]
    shown = import_fields(rows=rows, errors={"file": "No values were recorded"})
    assert shown["rows"] == rows[:MAX_PROBLEMS_SHOWN]
    assert shown["errors"] == {"file": "No values were recorded"}
    assert import_fields()["rows"] == [] and import_fields()["errors"] == {}
