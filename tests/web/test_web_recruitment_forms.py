"""The recruitment pages' pure helpers: the design and panel forms, answers on a stage's scale,
and ranks with ties."""

from __future__ import annotations

import uuid

from starlette.datastructures import FormData

from collective_clients.recruitment.models import (
    CandidateResultPublic,
    ScorePublic,
    SheetPublic,
    StagePublic,
    VacancyPublic,
)
from collective_clients.runtime import body_of
from web.recruitment.forms import (
    MemberForm,
    design_body,
    design_problem_errors,
    members_from_form,
    panel_body,
    stages_from_form,
)
from web.recruitment.results import rank_labels
from web.recruitment.sheets import answer_text, first_unanswered, parse_answer, sheet_items

CODES = ["V1", "V2"]


NOW = "2026-01-15T10:00:00Z"
# recruitment-api's own scale for shortlisting (StagePublic.anchors).
SHORTLISTING = [
    {"score": 0, "title": "Not met", "description": "No evidence."},
    {"score": 1, "title": "Partly met", "description": "Some evidence."},
    {"score": 2, "title": "Fully met", "description": "Clear evidence."},
]


def _stage(kind: str = "interview", low: int = 1, high: int = 4) -> StagePublic:
    link = {"criterion_id": str(uuid.uuid4()), "essential": False}
    return StagePublic.model_validate(
        {
            "id": str(uuid.uuid4()),
            "name": "Interview",
            "kind": kind,
            "sequence": 0,
            "essentials_required": True,
            "scale_min": low,
            "scale_max": high,
            "anchors": SHORTLISTING if kind == "shortlisting" else None,
            "criteria": [{**link, "criterion": "V2", "weight": 1}, {**link, "criterion": "V1", "weight": 2}],
        }
    )


def _score(**fields) -> ScorePublic:
    return ScorePublic.model_validate({"criterion_id": str(uuid.uuid4()), **fields})


def test_the_design_form_becomes_the_design_body_leaving_blank_stages_out():
    form = FormData(
        [
            ("stage_count", "3"),
            ("stage-0-name", "Interview"),
            ("stage-0-kind", "interview"),
            ("stage-0-criteria", "V1"),
            ("stage-0-criteria", "V2"),
            ("stage-0-weight-V1", "2"),
            ("stage-0-weight-V2", ""),
            ("stage-0-essential-V2", "yes"),
            ("stage-0-min_weighted_mean", "2.5"),
            ("stage-0-essentials_required", "yes"),
            ("stage-1-name", ""),
            ("stage-2-name", "SJT"),
            ("stage-2-kind", "sjt"),
            ("stage-2-pass_mark", "60"),
        ]
    )
    body, errors, slots = design_body(stages_from_form(form, CODES))
    assert errors == {} and slots == [0, 2]
    interview, sjt = body_of(body)["stages"]
    assert interview["criteria"] == [
        {"criterion": "V1", "weight": 2.0, "essential": False},
        {"criterion": "V2", "weight": 1.0, "essential": True},
    ]
    assert interview["min_weighted_mean"] == 2.5 and interview["min_per_value"] is None
    assert interview["essentials_required"] is True and interview["pass_mark"] is None
    assert sjt == {
        "name": "SJT",
        "kind": "sjt",
        "min_weighted_mean": None,
        "min_per_value": None,
        "essentials_required": False,
        "pass_mark": 60.0,
        "criteria": [],
    }


def test_the_design_form_names_each_problem_beside_its_field():
    form = FormData(
        [
            ("stage_count", "2"),
            ("stage-0-name", "Interview"),
            ("stage-0-kind", "interview"),
            ("stage-0-min_per_value", "eleven"),
            ("stage-1-name", "Interview"),
            ("stage-1-kind", "sjt"),
            ("stage-1-criteria", "V1"),
            ("stage-1-weight-V1", "0"),
        ]
    )
    _, errors, _ = design_body(stages_from_form(form, CODES))
    assert errors["stage-0-criteria"] == "Choose at least one criterion for stage 1"
    assert errors["stage-0-min_per_value"].endswith("must be a number")
    assert "same name" in errors["stage-1-name"]
    assert "more than 0" in errors["stage-1-weight-V1"]
    assert "choose no criteria" in errors["stage-1-criteria"]
    assert design_body([])[1] == {"stage-0-name": "Add at least one stage"}


def test_the_services_design_errors_land_on_the_stage_they_concern():
    errors = design_problem_errors(
        [
            {"field": "body.stages.1.criteria.0.criterion", "message": "no criterion V9 in this vacancy"},
            {"field": "body.stages.0.name", "message": "too long"},
            {"field": "body.stages", "message": "Value error, stage names must be unique"},
        ],
        slots=[0, 2],
        detail="",
    )
    assert errors == {
        "stage-2-criteria": "Stage 3: no criterion V9 in this vacancy",
        "stage-0-name": "Stage 1: too long",
        "problem": "Stage names must be unique",
    }


def test_the_panel_form_needs_known_distinct_assessors():
    names = {"a": "Ann", "b": "Bob"}
    form = FormData([("member_count", "4"), ("member-0", "a"), ("lead-0", "yes"), ("member-1", "b"), ("member-2", "")])
    members = members_from_form(form)
    assert members[0] == MemberForm("a", True) and len(members) == 4
    body, errors = panel_body(members, names)
    assert errors == {}
    assert body_of(body)["members"] == [
        {"assessor": "a", "name": "Ann", "is_lead": True},
        {"assessor": "b", "name": "Bob", "is_lead": False},
    ]
    _, errors = panel_body([MemberForm("a"), MemberForm("a"), MemberForm("z"), MemberForm("", True)], names)
    assert set(errors) == {"member-1", "member-2", "member-3"}
    assert panel_body([MemberForm()], names)[1] == {"member-0": "Choose at least one assessor"}


def test_answers_are_on_the_stages_scale_and_not_evidenced_is_separate():
    interview, shortlisting = _stage(), _stage("shortlisting", 0, 2)
    assert parse_answer("", interview) == (None, False)
    assert parse_answer("not_evidenced", interview) == (None, True)
    assert parse_answer("4", interview) == (4, False)
    assert parse_answer("0", interview) is None and parse_answer("x", interview) is None
    assert parse_answer("0", shortlisting) == (0, False) and parse_answer("3", shortlisting) is None


def test_the_sheet_follows_the_stages_order_with_anchors_and_answers():
    anchors = [{"score": s, "title": t, "description": f"{t} evidence"} for s, t in ((1, "Essential"), (3, "Strong"))]
    criterion = {"kind": "value", "anchors": anchors, "indicators": [], "sequence": 0}
    vacancy = VacancyPublic.model_validate(
        {
            "id": str(uuid.uuid4()),
            "org": "BSO",
            "title": "Post",
            "status": "scoring",
            "criteria_source": "framework",
            "retention_days": 365,
            "design_locked": False,
            "created_at": NOW,
            "updated_at": NOW,
            "criteria": [
                {**criterion, "id": str(uuid.uuid4()), "code": "V1", "statement": "Working Together"},
                {**criterion, "id": str(uuid.uuid4()), "code": "V2", "statement": "Excellence"},
            ],
        }
    )
    sheet = SheetPublic.model_validate(
        {
            "id": str(uuid.uuid4()),
            "stage_id": str(uuid.uuid4()),
            "candidate_id": str(uuid.uuid4()),
            "candidate_code": "C-AAAAAA",
            "assessor": "me",
            "status": "draft",
            "updated_at": NOW,
            "scores": [_score(criterion="V2", score=3).model_dump(mode="json")],
        }
    )
    items = sheet_items(vacancy, _stage(), sheet)
    assert [item.code for item in items] == ["V2", "V1"]  # the stage's order
    assert [(o.score, o.title) for o in items[0].options] == [(1, "Essential"), (2, ""), (3, "Strong"), (4, "")]
    assert items[0].answer == "3" and items[0].answer_text == "3: Strong"
    assert items[1].answer == "" and items[1].answer_text == "Not answered"
    assert first_unanswered(items) == 2
    assert answer_text(_score(criterion="V1", not_evidenced=True), []) == "Not evidenced"
    shortlisting = sheet_items(vacancy, _stage("shortlisting", 0, 2), None)
    assert [o.title for o in shortlisting[0].options] == ["Not met", "Partly met", "Fully met"]


def test_ties_share_a_rank():
    def row(rank):
        return CandidateResultPublic.model_construct(candidate_id=uuid.uuid4(), candidate_code="C", rank=rank)

    rows = [row(1), row(2), row(2), row(4), row(None)]
    assert list(rank_labels(rows).values()) == ["1", "=2", "=2", "4", ""]
