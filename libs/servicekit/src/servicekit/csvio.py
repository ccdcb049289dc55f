"""CSV written for people, and read back: cells a spreadsheet would run as formulas are neutralised.

Every CSV the product writes goes through `writer`; every CSV it reads that may be one of its own
exports goes through `reader`, which undoes the escape exactly.

defusedcsv (OWASP's CSV injection advice) prefixes an apostrophe to a cell that starts with
`=`, `+`, `-`, `@`, `|` or `%`, unless the cell is a plain number such as `-3.5`, and then writes
each `|` of that cell as `\\|`. It leaves alone cells that start with a tab or a carriage return,
which OWASP lists too, so those get the apostrophe here; and so does a cell that already starts
with an apostrophe, which makes the escape unambiguous: `unescape` strips exactly one leading
apostrophe, only when another apostrophe or a character that is escaped follows it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

import defusedcsv.csv as defused

# What defusedcsv escapes (a leading character; plain numbers excepted), and what is added here.
DEFUSED_LEADS = ("=", "+", "-", "@", "|", "%")
EXTRA_LEADS = ("\t", "\r", "'")
# Cells that start with one of these are never written as they are (OWASP's list and the above).
DANGEROUS_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _pre_escape(value: Any) -> Any:
    """The apostrophe for what defusedcsv leaves alone; its result then passes defusedcsv untouched."""
    if isinstance(value, str) and value.startswith(EXTRA_LEADS):
        return "'" + value
    return value


def escape(text: str) -> str:
    """One cell as `writer` writes it (through defusedcsv's public writer, so it cannot drift)."""
    out = io.StringIO()
    writer(out).writerow([text])
    [cell] = next(csv.reader(io.StringIO(out.getvalue(), newline="")))
    return cell


def unescape(cell: str) -> str:
    """The text that was written: exactly the inverse of the escape `writer` applies."""
    if len(cell) < 2 or cell[0] != "'":
        return cell
    lead = cell[1]
    # defusedcsv writes `|` as `\|` before it prefixes, so a leading `|` comes back as `'\|`.
    if lead in DEFUSED_LEADS or cell.startswith("'\\|"):
        return cell[1:].replace("\\|", "|")
    if lead in EXTRA_LEADS:
        return cell[1:]
    return cell


class _Writer:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._inner.writerow([_pre_escape(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: io.TextIOBase | io.StringIO, **fmtparams: Any) -> _Writer:
    """A csv.writer whose every cell (the header too) is neutralised for spreadsheets."""
    return _Writer(defused.writer(out, **fmtparams))


def reader(text: str) -> Iterator[list[str]]:
    """Records of `text` (a leading BOM dropped) with the export's escape undone in every cell.

    Raises csv.Error where the csv module does (e.g. a cell beyond its size limit)."""
    for record in csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")):
        yield [unescape(cell) for cell in record]
