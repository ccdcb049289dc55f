"""CSV written for people: no cell a spreadsheet would run, and the import undoes exactly that."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicekit import csvio

# A plain number is not a formula: defusedcsv leaves `-3.5` as a number (its own test, kept here).
PLAIN_NUMBER = re.compile(r"-?[0-9,.]+\n?")


def is_safe(cell: str) -> bool:
    return not cell.startswith(csvio.DANGEROUS_LEADS) or bool(PLAIN_NUMBER.fullmatch(cell))


def written(*cells: str) -> list[str]:
    out = io.StringIO()
    csvio.writer(out).writerow(cells)
    return next(csv.reader(io.StringIO(out.getvalue(), newline="")))


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+2+cmd|' /C calc'!A0", "'=1+2+cmd\\|' /C calc'!A0"),
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("|x", "'\\|x"),
        ("%x", "'%x"),
        # An apostrophe already there gets another, so reading back is never a guess.
        ("'=1", "''=1"),
        ("'plain", "''plain"),
        # Left alone: plain numbers and text that starts harmlessly.
        ("-3.500", "-3.500"),
        ("Ranked first; = is fine later", "Ranked first; = is fine later"),
        ("", ""),
    ],
)
def test_dangerous_leads_are_escaped_and_read_back(text, cell):
    assert written(text) == [cell]
    assert csvio.escape(text) == cell
    assert csvio.unescape(cell) == text


def test_the_header_row_is_escaped_too():
    assert written("mean:=X", "-y") == ["mean:=X", "'-y"]


@given(st.text())
def test_every_written_cell_is_safe_and_reads_back_exactly(text):
    cell = csvio.escape(text)
    assert is_safe(cell)
    assert csvio.unescape(cell) == text


@given(st.lists(st.lists(st.text(), min_size=1, max_size=5), min_size=1, max_size=5))
def test_reader_gives_back_exactly_the_rows_the_writer_wrote(rows):
    out = io.StringIO()
    csvio.writer(out, lineterminator="\r\n").writerows(rows)
    back = list(csvio.reader(out.getvalue()))
    assert back == rows


def test_text_that_merely_looks_escaped_is_left_alone_on_reading():
    # Only an apostrophe before an escaped lead (or another apostrophe) is the export's.
    for cell in ("'x", "'", "'\\x", "don't"):
        assert csvio.unescape(cell) == cell
