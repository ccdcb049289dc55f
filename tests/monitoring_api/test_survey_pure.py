"""Properties of the surveys' pure parts: the instrument CSV, answer options, and the roll-up of figures up
a frozen tree (what the results add is what the respondents gave, whatever the tree)."""

from __future__ import annotations

import csv
import io
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring_api.surveys import scoring
from monitoring_api.surveys.ingest import QuestionLookup, _option
from monitoring_api.surveys.instruments import (
    BUILT_IN_CODES,
    CHOOSABLE_THEMES,
    SCALES,
    CsvProblems,
    QuestionDef,
    built_in_questions,
    parse_instrument,
)
from monitoring_api.surveys.results import QuestionRow, UnitRow, WaveData, _roll_up

codes = st.from_regex(r"[a-z][a-z0-9_.]{0,20}", fullmatch=True).filter(lambda c: c not in BUILT_IN_CODES)


@st.composite
def questions(draw) -> list[QuestionDef]:
    out = []
    for code in draw(st.lists(codes, min_size=1, max_size=8, unique=True)):
        scale = draw(st.sampled_from(sorted(SCALES)))
        options = SCALES[scale].options
        positive = tuple(sorted(draw(st.sets(st.sampled_from(options), min_size=1))))
        theme = draw(st.sampled_from(CHOOSABLE_THEMES))
        items = ("HLM.1",) if theme == "framework" else ()
        text = draw(st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=40).map(str.strip))
        out.append(QuestionDef(code, text or "x", scale, positive, draw(st.booleans()), theme, items))
    return out


def as_csv(rows: list[QuestionDef]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "text", "scale", "positive", "reverse", "theme", "framework_items"])
    for q in rows:
        writer.writerow(
            [
                q.code,
                q.text,
                q.scale,
                "|".join(q.positive),
                "yes" if q.reverse else "no",
                q.theme,
                "|".join(q.framework_items),
            ]
        )
    return out.getvalue()


@given(questions())
def test_an_instrument_csv_reads_back_what_was_written(rows):
    assert parse_instrument(as_csv(rows)) == rows


@given(questions(), st.data())
def test_a_broken_row_is_named_and_nothing_else_is_read(rows, data):
    broken = data.draw(st.integers(0, len(rows) - 1))
    bad = [
        QuestionDef(
            q.code, q.text, "likert" if i == broken else q.scale, q.positive, q.reverse, q.theme, q.framework_items
        )
        for i, q in enumerate(rows)
    ]
    with pytest.raises(CsvProblems) as problem:
        parse_instrument(as_csv(bad))
    assert [(e["row"], e["field"]) for e in problem.value.errors] == [(broken + 2, "scale")]


def test_the_built_in_questions_score_as_scoring_py_does():
    for q in built_in_questions():
        engine = scoring.ENGAGEMENT_QUESTIONS[q.code]
        assert q.scoring().option_scores == engine.option_scores
        assert q.scoring().positive_options == engine.positive_options


@given(st.sampled_from(sorted(SCALES)), st.booleans(), st.integers(-3, 8), st.sampled_from(["name", "int", "text"]))
def test_an_answer_is_an_option_name_or_its_position(scale, reverse, position, form):
    options = SCALES[scale].options
    q = QuestionLookup(1, options, SCALES[scale].scores[::-1] if reverse else SCALES[scale].scores)
    raw: str | int = position if form == "int" else str(position)
    if form == "name":
        raw = options[position - 1].upper() if 1 <= position <= 5 else "nonsense"
    expected = position - 1 if 1 <= position <= 5 else None
    assert _option(q, raw) == expected


@settings(max_examples=60)
@given(st.integers(1, 12), st.integers(0, 10**6))
def test_figures_roll_up_the_frozen_tree_to_what_the_respondents_gave(size, seed):
    rng = random.Random(seed)
    units = [UnitRow(1, None, "/T/", "T", "T", "organisation", 1, "u1")]
    for i in range(2, size + 1):
        parent = rng.choice(units)
        units.append(UnitRow(i, parent.id, f"{parent.path}U{i}/", f"U{i}", f"U{i}", "team", parent.level + 1, f"u{i}"))
    question = QuestionRow(1, "q", "vision", scoring.Question("q", "Q"))
    data = WaveData(1, "w", "W", units, [question], ["vision"])
    people: list[tuple[int, str, int, float]] = []  # unit, sex, option, score
    for u in units:
        for _ in range(rng.randint(0, 4)):
            people.append((u.id, rng.choice(["men", "women", "not_given"]), rng.randint(0, 4), rng.uniform(0, 10)))
    breakdowns = {"sex": ["men", "not_given", "women"]}
    for unit_id, sex, option, score in people:
        for key in ((unit_id, None, None), (unit_id, "sex", sex)):
            data.own_respondents[key] = data.own_respondents.get(key, 0) + 1
            data.own_hist.setdefault(key, {}).setdefault("q", [0] * 5)[option] += 1
            summary = data.own_scores.setdefault(key, {}).get("vision", scoring.ScoreSummary())
            data.own_scores[key]["vision"] = summary + scoring.ScoreSummary.from_scores([score])
    _roll_up(data, breakdowns)
    for u in units:
        inside = [p for p in people if any(v.id == p[0] and v.path.startswith(u.path) for v in units)]
        for sex in (None, "men", "not_given", "women"):
            mine = [p for p in inside if sex is None or p[1] == sex]
            key = (u.id, None if sex is None else "sex", sex)
            assert data.respondents[key] == len(mine)
            counts = data.hist[key].get("q", [0] * 5)
            assert counts == [sum(1 for p in mine if p[2] == k) for k in range(5)]
            summary = data.scores[key].get("vision", scoring.ScoreSummary())
            assert summary.n == len(mine)
            assert summary.total == pytest.approx(sum(p[3] for p in mine))
