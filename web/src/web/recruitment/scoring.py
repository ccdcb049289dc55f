"""Panels and scoring, beside recruitment-api's scoring: my panels, a stage's panel (recruitment
admins choose it), a stage's candidates, the score sheet one value at a time (autosaved), submitting
it, the panel's scores afterwards, moderation and amendments.

Blindness is recruitment-api's: it gives assessors no names and refuses the panel's scores until
the assessor has submitted their own sheet (403 submit-your-own-first). The pages only ever hold a
candidate's code and evidence (CandidateBlind), and explain the refusal instead of the scores."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from collective_clients.recruitment import operations as recruitment
from collective_clients.recruitment.models import (
    AmendmentWrite,
    CandidateBlind,
    DivergencePublic,
    PanelView,
    SheetPublic,
    SheetWrite,
    StagePublic,
    VacancyPublic,
)
from servicekit.db import in_session
from web.accounts.auth import Identity
from web.accounts.directory import people, person_name
from web.clients.answers import answered, blind, criterion_of, score_in, scored, seat_on, stage_in, submitted
from web.clients.base import ServiceClient, unvalidated
from web.notices import Notice, attempt, gather
from web.pages import LOCAL_TIME, render, see_other, templates
from web.recruitment.deps import (
    STAGE,
    Admin,
    AtStage,
    AtStageCandidate,
    Client,
    Reader,
    Scorer,
    StageCandidatePath,
    StagePath,
    form_status,
    my_panel,
    my_panels,
    or_blind,
    problem_messages,
    stage_of,
)
from web.recruitment.forms import MAX_MEMBERS, MemberForm, members_from_form, members_from_panel, panel_body
from web.recruitment.sheets import (
    SheetItem,
    first_unanswered,
    options_for,
    parse_answer,
    score_body,
    sheet_items,
    stage_scale,
)
from web.recruitment.vacancies import assessor_choices

router = APIRouter(prefix="/recruitment", include_in_schema=False)
stage_router = APIRouter(prefix=STAGE, include_in_schema=False)
SHEET = "/candidates/{candidate_id}/sheet"

Answer = Annotated[str, Form(max_length=20)]
Notes = Annotated[str, Form(max_length=10000)]


def flag_text(flag: DivergencePublic, stage: StagePublic | None) -> str:
    """A divergence flag in the pages' words: the stage's `min_per_value` is "the minimum per value"
    everywhere (the design form, the vacancy, moderation), never also "the pass mark", which is the
    SJT stage's `pass_mark`."""
    if flag.kind == "threshold" and stage is not None and stage.min_per_value is not None:
        return f"Assessors are on both sides of the minimum per value, {stage.min_per_value:g}."
    return flag.detail


templates.env.filters["flag_text"] = flag_text


def _notice_page(request: Request, notice: Notice, title: str, **context: Any) -> Response:
    return render(
        request,
        "recruitment/notice.html",
        {"page_title": title, "notice": notice, **context},
        status_code=notice.status_code,
    )


# --- the recruitment area and my panels -----------------------------------------------------


@router.get("")
def hub(request: Request, identity: Reader) -> Response:
    return render(request, "recruitment/hub.html", {"page_title": "Recruitment"})


@router.get("/panels")
async def list_my_panels(request: Request, identity: Scorer, client: Client) -> Response:
    (panels,), notice = await gather(my_panels(client, identity))
    return render(
        request,
        "recruitment/panels.html",
        {"page_title": "My panels", "panels": panels or [], "notice": notice},
        status_code=notice.status_code if notice else 200,
    )


@stage_router.get("")
def stage_page(at: StagePath, identity: Reader) -> Response:
    """A stage lives on its vacancy's page."""
    return see_other(f"{at.vacancy_url}#stage-{at.stage_id}")


@stage_router.get("/candidates")
async def stage_candidates(request: Request, at: StagePath, identity: Scorer, client: Client) -> Response:
    (sheets, panels), notice = await gather(
        client.send(recruitment.my_sheets(at.vacancy_id, at.stage_id)), my_panels(client, identity)
    )
    seat = seat_on(panels, at.stage_id) if panels else None
    entries = sheets or []
    return render(
        request,
        "recruitment/stage.html",
        {
            "page_title": f"{seat.stage_name}: {seat.vacancy_title}" if seat else "Candidates to score",
            "seat": seat,
            "entries": entries,
            "submitted": sum(1 for e in entries if e.status == "submitted"),
            "vacancy_id": at.vacancy_id,
            "stage_id": at.stage_id,
            "notice": notice,
        },
        status_code=notice.status_code if notice and sheets is None else 200,
    )


# --- a stage's panel (recruitment admins) ---------------------------------------------------


async def _panel_page(
    request: Request,
    identity: Identity,
    client: ServiceClient,
    at: AtStage,
    *,
    members: list[MemberForm] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    (vacancy, read, panel), notice = await gather(
        client.send(recruitment.read_vacancy(at.vacancy_id)),
        client.send(recruitment.read_design(at.vacancy_id)),
        client.send(recruitment.read_panel(at.vacancy_id, at.stage_id)),
    )
    stage = stage_of(read, at.stage_id)
    choices = await assessor_choices(request, identity)
    if panel is not None:
        # A member who is not (or no longer) a user who can score stays choosable, by their stored name.
        for person in panel.members:
            choices.setdefault(person.assessor, person.name or f"Assessor {person.assessor[:8]}")
    if members is None:
        members = members_from_panel(panel) if panel else []
        if panel is not None and len(members) < MAX_MEMBERS:
            members.append(MemberForm())  # a free row to add someone
    return render(
        request,
        "recruitment/panel.html",
        {
            "page_title": f"Panel: {stage.name}" if stage else "Panel",
            "vacancy": vacancy,
            "stage": stage,
            "vacancy_id": at.vacancy_id,
            "stage_id": at.stage_id,
            "rows": list(members),
            "choices": sorted(choices.items(), key=lambda item: item[1].lower()),
            "errors": errors or {},
            "notice": notice,
        },
        status_code=notice.status_code if notice and panel is None else status_code,
    )


@stage_router.get("/panel")
async def panel_form(request: Request, at: StagePath, identity: Admin, client: Client) -> Response:
    return await _panel_page(request, identity, client, at)


@stage_router.post("/panel")
async def save_panel(request: Request, at: StagePath, identity: Admin, client: Client) -> Response:
    form = await request.form()
    members = members_from_form(form)
    if form.get("action") == "add":
        if len(members) < MAX_MEMBERS:
            members.append(MemberForm())
        return await _panel_page(request, identity, client, at, members=members)
    (panel,), _notice = await gather(client.send(recruitment.read_panel(at.vacancy_id, at.stage_id)))
    choices = await assessor_choices(request, identity)
    for person in panel.members if panel else []:
        choices.setdefault(person.assessor, person.name or f"Assessor {person.assessor[:8]}")
    body, errors = panel_body(members, choices)
    if errors:
        return await _panel_page(request, identity, client, at, members=members, errors=errors, status_code=422)
    outcome = await attempt(client.send(recruitment.set_panel(at.vacancy_id, at.stage_id, body)))
    if outcome.ok:
        return see_other(f"{at.vacancy_url}?changed=panel")
    if outcome.notice:
        errors = {"problem": f"The panel was not saved. {outcome.notice.text}"}
        return await _panel_page(request, identity, client, at, members=members, errors=errors)
    assert outcome.problem is not None
    return await _panel_page(
        request,
        identity,
        client,
        at,
        members=members,
        errors=problem_messages(outcome.problem, {}),
        status_code=form_status(outcome.problem),
    )


# --- the score sheet ------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetContext:
    at: AtStageCandidate
    vacancy: VacancyPublic
    stage: StagePublic
    candidate: CandidateBlind
    sheet: SheetPublic
    items: list[SheetItem]

    def base(self) -> dict[str, Any]:
        return {
            "vacancy": self.vacancy,
            "stage": self.stage,
            "candidate": self.candidate,
            "sheet": self.sheet,
            "items": self.items,
            "vacancy_id": self.at.vacancy_id,
            "stage_id": self.at.stage_id,
            "candidate_id": self.at.candidate_id,
            "stage_url": self.at.stage_url,
            "candidate_url": self.at.candidate_url,
        }


async def _load_sheet(client: ServiceClient, at: AtStageCandidate) -> tuple[SheetContext | None, Notice | None]:
    (vacancy, design, candidate, sheet), notice = await gather(
        client.send(recruitment.read_vacancy(at.vacancy_id)),
        client.send(recruitment.read_design(at.vacancy_id)),
        client.send(recruitment.read_candidate(at.vacancy_id, at.candidate_id)),
        client.send(recruitment.read_sheet(at.vacancy_id, at.stage_id, at.candidate_id)),
    )
    if notice is not None:
        return None, notice
    stage = stage_in(design.value, at.stage_id)
    if stage is None or not scored(stage):
        raise HTTPException(404)
    items = sheet_items(vacancy, stage, sheet)
    return SheetContext(at, vacancy, stage, blind(candidate), sheet, items), None


async def _value_page(
    request: Request,
    client: ServiceClient,
    at: AtStageCandidate,
    index: int,
    *,
    form: tuple[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context, notice = await _load_sheet(client, at)
    if context is None:
        assert notice is not None
        return _notice_page(request, notice, "Score sheet")
    if submitted(context.sheet):
        return see_other(f"{at.candidate_url}/sheet/submit")
    items = context.items
    if not 1 <= index <= len(items):
        raise HTTPException(404)
    item = items[index - 1]
    answer, notes = form if form is not None else (item.answer, (item.score.notes or "") if item.score else "")
    return render(
        request,
        "recruitment/sheet.html",
        {
            **context.base(),
            "page_title": f"{item.criterion.statement}: score candidate {context.candidate.code}",
            "item": item,
            "total": len(items),
            "answer": answer,
            "notes": notes,
            "errors": errors or {},
            "saved": request.query_params.get("saved") == "1" and not errors,
            "save": None,
        },
        status_code=status_code,
    )


@stage_router.get(SHEET)
async def score_sheet(request: Request, at: StageCandidatePath, identity: Scorer, client: Client) -> Response:
    """The sheet opens at the first value still without an answer, by its own address: reloading
    it then stays on that value, even once it is answered."""
    context, notice = await _load_sheet(client, at)
    if context is None:
        assert notice is not None
        return _notice_page(request, notice, "Score sheet")
    if submitted(context.sheet):
        return see_other(f"{at.candidate_url}/sheet/submit")
    if not context.items:
        raise HTTPException(404)
    return see_other(f"{at.candidate_url}/sheet/{first_unanswered(context.items)}")


@stage_router.get(SHEET + "/{index:int}")
async def score_value(
    request: Request, at: StageCandidatePath, index: int, identity: Scorer, client: Client
) -> Response:
    """The n-th value of the stage (1-based), with its anchors, the evidence and my answer."""
    return await _value_page(request, client, at, index)


@dataclass(frozen=True)
class SaveStatus:
    ok: bool
    message: str


@dataclass
class Saved:
    """What saving one value came to."""

    sheet: SheetPublic | None = None
    errors: dict[str, str] = field(default_factory=dict)
    notice: Notice | None = None
    slug: str | None = None  # the service's problem, if it refused
    total: int = 0  # how many values the sheet has
    steps: list[tuple[int, bool]] = field(default_factory=list)  # (value's index, answered) once saved


async def _save_value(client: ServiceClient, at: AtStageCandidate, index: int, answer: str, notes: str) -> Saved:
    """Save one value's answer as a draft."""
    (design,), notice = await gather(client.send(recruitment.read_design(at.vacancy_id)))
    if design is None:
        return Saved(notice=notice)
    stage = stage_in(design.value, at.stage_id)
    if stage is None or not scored(stage) or not 1 <= index <= len(stage.criteria):
        raise HTTPException(404)
    total = len(stage.criteria)
    parsed = parse_answer(answer, stage)
    if parsed is None:
        return Saved(errors={"answer": "Choose a score from the scale, or not evidenced"}, total=total)
    code = stage.criteria[index - 1].criterion
    body = unvalidated(SheetWrite, scores=[score_body(code, parsed, notes)])
    outcome = await attempt(client.send(recruitment.save_sheet(at.vacancy_id, at.stage_id, at.candidate_id, body)))
    if outcome.notice:
        return Saved(notice=outcome.notice, total=total)
    if outcome.problem:
        fields = {"body.scores.0.score": "answer", "body.scores.0.notes": "notes", "body.scores.0": "answer"}
        errors = problem_messages(outcome.problem, fields, general="answer")
        return Saved(errors=errors, slug=outcome.problem.slug, total=total)
    sheet = outcome.value
    assert sheet is not None
    steps = [(number, answered(score_in(sheet, link.criterion))) for number, link in enumerate(stage.criteria, 1)]
    return Saved(sheet=sheet, total=total, steps=steps)


@stage_router.post(SHEET + "/{index:int}")
async def save_value(
    request: Request,
    at: StageCandidatePath,
    index: int,
    identity: Scorer,
    client: Client,
    answer: Answer = "",
    notes: Notes = "",
    action: Annotated[str, Form(max_length=20)] = "save",
) -> Response:
    """Without JavaScript (and for Next and Previous): save the value, then go where asked."""
    here = at.candidate_url
    saved = await _save_value(client, at, index, answer, notes)
    if saved.notice is not None:
        return _notice_page(
            request, saved.notice, "Your answer was not saved", not_saved=True, back=f"{here}/sheet/{index}"
        )
    if saved.slug == "sheet-submitted":
        return see_other(f"{here}/sheet/submit")
    if saved.errors:
        return await _value_page(request, client, at, index, form=(answer, notes), errors=saved.errors, status_code=422)
    if action == "previous":
        return see_other(f"{here}/sheet/{max(index - 1, 1)}")
    if action == "next" and index < saved.total:
        return see_other(f"{here}/sheet/{index + 1}")
    if action in ("next", "review"):
        return see_other(f"{here}/sheet/submit")
    return see_other(f"{here}/sheet/{index}?saved=1")


@stage_router.put(SHEET + "/{index:int}")
async def autosave_value(
    request: Request,
    at: StageCandidatePath,
    index: int,
    identity: Scorer,
    client: Client,
    answer: Answer = "",
    notes: Notes = "",
) -> Response:
    """htmx, on every change: save the value as a draft and answer with a short status."""
    saved = await _save_value(client, at, index, answer, notes)
    if saved.sheet is not None:
        when = (saved.sheet.updated_at or datetime.now(UTC)).astimezone(LOCAL_TIME)
        save = SaveStatus(True, f"Saved as a draft at {when:%H:%M:%S}")
    elif saved.notice is not None:
        save = SaveStatus(False, f"Not saved: {saved.notice.heading[:1].lower()}{saved.notice.heading[1:]}. Try again.")
    elif saved.slug == "sheet-submitted":
        save = SaveStatus(False, "Not saved: this score sheet is submitted and locked.")
    else:
        save = SaveStatus(False, "Not saved: " + next(iter(saved.errors.values()), "the answer was not accepted"))
    return render(request, "recruitment/save_status.html", {"save": save, "steps": saved.steps})


async def _summary_page(
    request: Request,
    client: ServiceClient,
    at: AtStageCandidate,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context, notice = await _load_sheet(client, at)
    if context is None:
        assert notice is not None
        return _notice_page(request, notice, "Score sheet")
    missing = [item for item in context.items if not item.answered]
    title = "Your submitted scores" if submitted(context.sheet) else "Check your scores and submit them"
    return render(
        request,
        "recruitment/submit.html",
        {
            **context.base(),
            "page_title": f"{title}: candidate {context.candidate.code}",
            "title": title,
            "missing": missing,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@stage_router.get(SHEET + "/submit")
async def submit_page(request: Request, at: StageCandidatePath, identity: Scorer, client: Client) -> Response:
    return await _summary_page(request, client, at)


@stage_router.post(SHEET + "/submit")
async def submit_sheet(request: Request, at: StageCandidatePath, identity: Scorer, client: Client) -> Response:
    here = at.candidate_url
    outcome = await attempt(client.send(recruitment.submit_sheet(at.vacancy_id, at.stage_id, at.candidate_id)))
    if outcome.ok or (outcome.problem and outcome.problem.slug == "sheet-submitted"):
        return see_other(f"{here}/scores?submitted=1")
    if outcome.notice:
        return _notice_page(request, outcome.notice, "Your scores were not submitted", back=f"{here}/sheet/submit")
    problem = outcome.problem
    assert problem is not None
    return await _summary_page(
        request,
        client,
        at,
        errors=problem_messages(problem, {}, general="problem"),
        status_code=form_status(problem),
    )


# --- the panel's scores, moderation and amendments ------------------------------------------


def _score_rows(stage: StagePublic, vacancy: VacancyPublic, view: PanelView) -> list[dict[str, Any]]:
    """One row per criterion of the stage: the criterion, each sheet's score, and its flags."""
    rows = []
    for link in stage.criteria:
        criterion = criterion_of(vacancy, link.criterion)
        rows.append(
            {
                "code": link.criterion,
                "statement": criterion.statement if criterion else link.criterion,
                "scores": [score_in(sheet, link.criterion) for sheet in view.sheets],
                "flags": [flag for flag in view.flags if flag.criterion == link.criterion],
            }
        )
    return rows


async def _panel_context(
    request: Request, identity: Identity, client: ServiceClient, at: AtStageCandidate, criterion: str | None = None
) -> tuple[dict[str, Any], Notice | None]:
    (view, vacancy, design, seat), notice = await gather(
        or_blind(client.send(recruitment.panel_view(at.vacancy_id, at.stage_id, at.candidate_id))),
        client.send(recruitment.read_vacancy(at.vacancy_id)),
        client.send(recruitment.read_design(at.vacancy_id)),
        my_panel(client, identity, at.stage_id),
    )
    stage = stage_of(design, at.stage_id)
    panel_view = view if isinstance(view, PanelView) else None
    context: dict[str, Any] = {
        "vacancy": vacancy,
        "stage": stage,
        "seat": seat,
        "blind": view == "blind",
        "view": panel_view,
        "vacancy_id": at.vacancy_id,
        "stage_id": at.stage_id,
        "candidate_id": at.candidate_id,
        "stage_url": at.stage_url,
        "candidate_url": at.candidate_url,
        "notice": notice,
    }
    if panel_view is not None and stage is not None and vacancy is not None:
        # The assessors' names from the web's own accounts: a short session of its own, after the
        # services have answered (no database place is held while they are awaited).
        assessors = [sheet.assessor for sheet in panel_view.sheets]
        directory = await in_session(request.app, people, identity.user.org, assessors)
        context["assessors"] = [person_name(directory, sheet.assessor, identity) for sheet in panel_view.sheets]
        context["rows"] = _score_rows(stage, vacancy, panel_view)
        context["scale"] = stage_scale(stage, vacancy, criterion)
        # What each score means, value by value: the behavioural anchors the assessors scored against.
        context["anchors"] = [
            (row, options_for(stage, found)) for row in context["rows"] if (found := criterion_of(vacancy, row["code"]))
        ]
    return context, notice


@stage_router.get("/candidates/{candidate_id}/scores")
async def panel_scores(request: Request, at: StageCandidatePath, identity: Reader, client: Client) -> Response:
    context, notice = await _panel_context(request, identity, client, at)
    view = context["view"]
    code = view.candidate_code if view else None
    return render(
        request,
        "recruitment/scores.html",
        {
            **context,
            "page_title": f"The panel's scores for candidate {code}" if code else "The panel's scores",
            "submitted": request.query_params.get("submitted") == "1",
            "amended": request.query_params.get("amended"),
        },
        status_code=notice.status_code if notice and view is None and not context["blind"] else 200,
    )


@stage_router.get("/moderation")
async def moderation_queue(request: Request, at: StagePath, identity: Reader, client: Client) -> Response:
    (queue, vacancy, design, seat), notice = await gather(
        client.send(recruitment.moderation_queue(at.vacancy_id, at.stage_id)),
        client.send(recruitment.read_vacancy(at.vacancy_id)),
        client.send(recruitment.read_design(at.vacancy_id)),
        my_panel(client, identity, at.stage_id),
    )
    stage = stage_of(design, at.stage_id)
    return render(
        request,
        "recruitment/moderation.html",
        {
            "page_title": f"Moderation: {stage.name}" if stage else "Moderation",
            "queue": queue or [],
            "loaded": queue is not None,
            "vacancy": vacancy,
            "stage": stage,
            "vacancy_id": at.vacancy_id,
            "stage_id": at.stage_id,
            "stage_url": at.stage_url,
            "is_lead": bool(seat and seat.is_lead),
            "notice": notice,
        },
        status_code=notice.status_code if notice and queue is None else 200,
    )


async def _amend_page(
    request: Request,
    identity: Identity,
    client: ServiceClient,
    at: AtStageCandidate,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    form = form or {}
    chosen = form.get("criterion") or request.query_params.get("criterion")
    context, notice = await _panel_context(request, identity, client, at, criterion=chosen)
    view = context["view"]
    # recruitment-api lets only the panel lead change a score: say so before the form is filled
    # in, not after it is sent. (Unknown while the service is down: its notice says that instead.)
    seat = context["seat"]
    not_lead = notice is None and not (seat and seat.is_lead)
    if not_lead:
        status_code = 403
    elif notice and view is None and not context["blind"]:
        status_code = notice.status_code
    return render(
        request,
        "recruitment/amend.html",
        {
            **context,
            "page_title": f"Change a score for candidate {view.candidate_code}" if view else "Change a score",
            "form": {"criterion": chosen or "", **form},
            "errors": errors or {},
            "not_lead": not_lead,
        },
        status_code=status_code,
    )


@stage_router.get("/candidates/{candidate_id}/amend")
async def amend_form(
    request: Request,
    at: StageCandidatePath,
    identity: Scorer,
    client: Client,
    answer: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The lead's form. Choosing the value asks for the form again (htmx, or the query string) to
    show that value's anchors beside the scores, keeping the score already chosen."""
    return await _amend_page(request, identity, client, at, form={"answer": answer})


@stage_router.post("/candidates/{candidate_id}/amend")
async def amend(
    request: Request,
    at: StageCandidatePath,
    identity: Scorer,
    client: Client,
    sheet_id: Annotated[str, Form(max_length=100)] = "",
    criterion: Annotated[str, Form(max_length=50)] = "",
    answer: Answer = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    form = {"sheet_id": sheet_id, "criterion": criterion, "answer": answer, "reason": reason}
    errors: dict[str, str] = {}
    try:
        sheet = uuid.UUID(sheet_id)
    except ValueError:
        errors["sheet_id"] = "Choose whose score to change"
    if not criterion:
        errors["criterion"] = "Choose the value whose score changes"
    score: int | None = None
    not_evidenced = answer == "not_evidenced"
    if not not_evidenced:
        try:
            score = int(answer)
        except ValueError:
            errors["answer"] = "Choose the new score, or not evidenced"
    if not reason.strip():
        errors["reason"] = "Enter the reason for the change"
    if errors:
        return await _amend_page(request, identity, client, at, form=form, errors=errors, status_code=422)
    body = unvalidated(
        AmendmentWrite,
        sheet_id=sheet,
        criterion=criterion,
        score=score,
        not_evidenced=not_evidenced,
        reason=reason.strip(),
    )
    outcome = await attempt(client.send(recruitment.amend(at.vacancy_id, at.stage_id, body)))
    if outcome.ok:
        return see_other(f"{at.candidate_url}/scores?amended={criterion}")
    if outcome.notice:
        return _notice_page(request, outcome.notice, "The score was not changed", back=f"{at.candidate_url}/amend")
    problem = outcome.problem
    assert problem is not None
    fields = {
        "body.sheet_id": "sheet_id",
        "body.criterion": "criterion",
        "body.score": "answer",
        "body.not_evidenced": "answer",
        "body.reason": "reason",
    }
    return await _amend_page(
        request,
        identity,
        client,
        at,
        form=form,
        errors=problem_messages(problem, fields),
        status_code=form_status(problem),
    )
