"""Assessors' and panel leads' pages: my panels, a stage's candidates, the score sheet one value at
a time (autosaved), submitting it, the panel's scores afterwards, moderation and amendments.

Blindness is recruitment-api's: it gives assessors no names and refuses the panel's scores until
the assessor has submitted their own sheet (403 submit-your-own-first). The pages only ever hold a
candidate's code and evidence (BlindCandidate), and explain the refusal instead of the scores."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from servicekit.db import in_session
from web.clients.recruitment import BlindCandidate, Flag, RecruitmentClient, Sheet, Stage, Vacancy
from web.pages import render, see_other, templates
from web.panels import Notice, gather
from web.recruitment.deps import (
    Client,
    Reader,
    Scorer,
    attempt,
    form_status,
    my_panel,
    or_blind,
    people,
    person_name,
    problem_messages,
    stage_of,
    stage_url,
)
from web.recruitment.sheets import (
    SheetItem,
    first_unanswered,
    options_for,
    parse_answer,
    score_body,
    sheet_items,
    stage_scale,
)

router = APIRouter()

STAGE = "/recruitment/vacancies/{vacancy_id}/stages/{stage_id}"
CANDIDATE = STAGE + "/candidates/{candidate_id}"
LOCAL_TIME = ZoneInfo("Europe/London")

Answer = Annotated[str, Form(max_length=20)]
Notes = Annotated[str, Form(max_length=10000)]


def flag_text(flag: Flag, stage: Stage | None) -> str:
    """A divergence flag in the pages' words: the stage's `min_per_value` is "the minimum per value"
    everywhere (the design form, the vacancy, moderation), never also "the pass mark", which is the
    SJT stage's `pass_mark`."""
    if flag.kind == "threshold" and stage is not None and stage.min_per_value is not None:
        return f"Assessors are on both sides of the minimum per value, {stage.min_per_value:g}."
    return flag.detail


templates.env.filters["flag_text"] = flag_text


def candidate_url(vacancy_id: uuid.UUID, stage_id: uuid.UUID, candidate_id: uuid.UUID) -> str:
    return f"{stage_url(vacancy_id, stage_id)}/candidates/{candidate_id}"


def _notice_page(request: Request, notice: Notice, title: str, **context) -> Response:
    return render(
        request,
        "recruitment/notice.html",
        {"page_title": title, "notice": notice, **context},
        status_code=notice.status_code,
    )


# --- the recruitment area and my panels -----------------------------------------------------


@router.get("/recruitment", include_in_schema=False)
def hub(request: Request, identity: Reader) -> Response:
    return render(request, "recruitment/hub.html", {"page_title": "Recruitment"})


@router.get("/recruitment/panels", include_in_schema=False)
async def my_panels(request: Request, identity: Scorer, client: Client) -> Response:
    (panels,), notice = await gather(client.my_panels())
    return render(
        request,
        "recruitment/panels.html",
        {"page_title": "My panels", "panels": panels.root if panels else [], "notice": notice},
        status_code=notice.status_code if notice else 200,
    )


@router.get(STAGE, include_in_schema=False)
def stage_page(vacancy_id: uuid.UUID, stage_id: uuid.UUID, identity: Reader) -> Response:
    """A stage lives on its vacancy's page."""
    return see_other(f"/recruitment/vacancies/{vacancy_id}#stage-{stage_id}")


@router.get(STAGE + "/candidates", include_in_schema=False)
async def stage_candidates(
    request: Request, vacancy_id: uuid.UUID, stage_id: uuid.UUID, identity: Scorer, client: Client
) -> Response:
    (sheets, panels), notice = await gather(client.my_sheets(vacancy_id, stage_id), client.my_panels())
    seat = panels.find(stage_id) if panels else None
    entries = sheets.root if sheets else []
    return render(
        request,
        "recruitment/stage.html",
        {
            "page_title": f"{seat.stage_name}: {seat.vacancy_title}" if seat else "Candidates to score",
            "seat": seat,
            "entries": entries,
            "submitted": sum(1 for e in entries if e.status == "submitted"),
            "vacancy_id": vacancy_id,
            "stage_id": stage_id,
            "notice": notice,
        },
        status_code=notice.status_code if notice and sheets is None else 200,
    )


# --- the score sheet ------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetContext:
    vacancy: Vacancy
    stage: Stage
    candidate: BlindCandidate
    sheet: Sheet
    items: list[SheetItem]

    def base(self) -> dict:
        vacancy, stage, candidate = self.vacancy, self.stage, self.candidate
        return {
            "vacancy": vacancy,
            "stage": stage,
            "candidate": candidate,
            "sheet": self.sheet,
            "items": self.items,
            "vacancy_id": vacancy.id,
            "stage_id": stage.id,
            "candidate_id": candidate.id,
            "stage_url": stage_url(vacancy.id, stage.id),
            "candidate_url": candidate_url(vacancy.id, stage.id, candidate.id),
        }


async def _load_sheet(
    client: RecruitmentClient, vacancy_id: uuid.UUID, stage_id: uuid.UUID, candidate_id: uuid.UUID
) -> tuple[SheetContext | None, Notice | None]:
    (vacancy, design, candidate, sheet), notice = await gather(
        client.get_vacancy(vacancy_id),
        client.get_design(vacancy_id),
        client.get_candidate(vacancy_id, candidate_id),
        client.get_sheet(vacancy_id, stage_id, candidate_id),
    )
    if notice is not None:
        return None, notice
    stage = design.design.stage(stage_id)
    if stage is None or not stage.scored:
        raise HTTPException(404)
    return SheetContext(vacancy, stage, candidate, sheet, sheet_items(vacancy, stage, sheet)), None


async def _value_page(
    request: Request,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    index: int,
    *,
    form: tuple[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context, notice = await _load_sheet(client, vacancy_id, stage_id, candidate_id)
    if context is None:
        return _notice_page(request, notice, "Score sheet")
    here = candidate_url(vacancy_id, stage_id, candidate_id)
    if context.sheet.submitted:
        return see_other(f"{here}/sheet/submit")
    items = context.items
    if not items:
        raise HTTPException(404)
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


@router.get(CANDIDATE + "/sheet", include_in_schema=False)
async def score_sheet(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    identity: Scorer,
    client: Client,
) -> Response:
    """The sheet opens at the first value still without an answer, by its own address: reloading
    it then stays on that value, even once it is answered."""
    context, notice = await _load_sheet(client, vacancy_id, stage_id, candidate_id)
    if context is None:
        return _notice_page(request, notice, "Score sheet")
    here = candidate_url(vacancy_id, stage_id, candidate_id)
    if context.sheet.submitted:
        return see_other(f"{here}/sheet/submit")
    if not context.items:
        raise HTTPException(404)
    return see_other(f"{here}/sheet/{first_unanswered(context.items)}")


@router.get(CANDIDATE + "/sheet/{index:int}", include_in_schema=False)
async def score_value(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    index: int,
    identity: Scorer,
    client: Client,
) -> Response:
    """The n-th value of the stage (1-based), with its anchors, the evidence and my answer."""
    return await _value_page(request, client, vacancy_id, stage_id, candidate_id, index)


@dataclass(frozen=True)
class SaveStatus:
    ok: bool
    message: str


@dataclass
class Saved:
    """What saving one value came to."""

    sheet: Sheet | None = None
    errors: dict[str, str] = field(default_factory=dict)
    notice: Notice | None = None
    slug: str | None = None  # the service's problem, if it refused
    total: int = 0  # how many values the sheet has
    steps: list[tuple[int, bool]] = field(default_factory=list)  # (value's index, answered) once saved


async def _save_value(
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    index: int,
    answer: str,
    notes: str,
) -> Saved:
    """Save one value's answer as a draft."""
    (design,), notice = await gather(client.get_design(vacancy_id))
    if design is None:
        return Saved(notice=notice)
    stage = design.design.stage(stage_id)
    if stage is None or not stage.scored or not 1 <= index <= len(stage.criteria):
        raise HTTPException(404)
    total = len(stage.criteria)
    parsed = parse_answer(answer, stage)
    if parsed is None:
        return Saved(errors={"answer": "Choose a score from the scale, or not evidenced"}, total=total)
    code = stage.criteria[index - 1].criterion
    outcome = await attempt(client.save_sheet(vacancy_id, stage_id, candidate_id, [score_body(code, parsed, notes)]))
    if outcome.notice:
        return Saved(notice=outcome.notice, total=total)
    if outcome.problem:
        fields = {"body.scores.0.score": "answer", "body.scores.0.notes": "notes", "body.scores.0": "answer"}
        errors = problem_messages(outcome.problem, fields, general="answer")
        return Saved(errors=errors, slug=outcome.problem.slug, total=total)
    sheet = outcome.value
    steps = []
    for number, link in enumerate(stage.criteria, start=1):
        score = sheet.score_for(link.criterion)
        steps.append((number, score is not None and score.answered))
    return Saved(sheet=sheet, total=total, steps=steps)


@router.post(CANDIDATE + "/sheet/{index:int}", include_in_schema=False)
async def save_value(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    index: int,
    identity: Scorer,
    client: Client,
    answer: Answer = "",
    notes: Notes = "",
    action: Annotated[str, Form(max_length=20)] = "save",
) -> Response:
    """Without JavaScript (and for Next and Previous): save the value, then go where asked."""
    here = candidate_url(vacancy_id, stage_id, candidate_id)
    saved = await _save_value(client, vacancy_id, stage_id, candidate_id, index, answer, notes)
    if saved.notice is not None:
        return _notice_page(
            request, saved.notice, "Your answer was not saved", not_saved=True, back=f"{here}/sheet/{index}"
        )
    if saved.slug == "sheet-submitted":
        return see_other(f"{here}/sheet/submit")
    if saved.errors:
        return await _value_page(
            request,
            client,
            vacancy_id,
            stage_id,
            candidate_id,
            index,
            form=(answer, notes),
            errors=saved.errors,
            status_code=422,
        )
    if action == "previous":
        return see_other(f"{here}/sheet/{max(index - 1, 1)}")
    if action == "next" and index < saved.total:
        return see_other(f"{here}/sheet/{index + 1}")
    if action in ("next", "review"):
        return see_other(f"{here}/sheet/submit")
    return see_other(f"{here}/sheet/{index}?saved=1")


@router.put(CANDIDATE + "/sheet/{index:int}", include_in_schema=False)
async def autosave_value(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    index: int,
    identity: Scorer,
    client: Client,
    answer: Answer = "",
    notes: Notes = "",
) -> Response:
    """htmx, on every change: save the value as a draft and answer with a short status."""
    saved = await _save_value(client, vacancy_id, stage_id, candidate_id, index, answer, notes)
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
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context, notice = await _load_sheet(client, vacancy_id, stage_id, candidate_id)
    if context is None:
        return _notice_page(request, notice, "Score sheet")
    sheet = context.sheet
    missing = [item for item in context.items if not item.answered]
    title = "Your submitted scores" if sheet.submitted else "Check your scores and submit them"
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


@router.get(CANDIDATE + "/sheet/submit", include_in_schema=False)
async def submit_page(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    identity: Scorer,
    client: Client,
) -> Response:
    return await _summary_page(request, client, vacancy_id, stage_id, candidate_id)


@router.post(CANDIDATE + "/sheet/submit", include_in_schema=False)
async def submit_sheet(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    identity: Scorer,
    client: Client,
) -> Response:
    here = candidate_url(vacancy_id, stage_id, candidate_id)
    outcome = await attempt(client.submit_sheet(vacancy_id, stage_id, candidate_id))
    if outcome.ok or (outcome.problem and outcome.problem.slug == "sheet-submitted"):
        return see_other(f"{here}/scores?submitted=1")
    if outcome.notice:
        return _notice_page(request, outcome.notice, "Your scores were not submitted", back=f"{here}/sheet/submit")
    problem = outcome.problem
    assert problem is not None
    return await _summary_page(
        request,
        client,
        vacancy_id,
        stage_id,
        candidate_id,
        errors=problem_messages(problem, {}, general="problem"),
        status_code=form_status(problem),
    )


# --- the panel's scores, moderation and amendments ------------------------------------------


def _score_rows(stage: Stage, vacancy: Vacancy, view) -> list[dict]:
    """One row per criterion of the stage: the criterion, each sheet's score, and its flags."""
    rows = []
    for link in stage.criteria:
        criterion = vacancy.criterion(link.criterion)
        rows.append(
            {
                "code": link.criterion,
                "statement": criterion.statement if criterion else link.criterion,
                "scores": [sheet.score_for(link.criterion) for sheet in view.sheets],
                "flags": [flag for flag in view.flags if flag.criterion == link.criterion],
            }
        )
    return rows


async def _panel_context(
    request: Request,
    identity,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    criterion: str | None = None,
) -> tuple[dict, Notice | None]:
    (view, vacancy, design, seat), notice = await gather(
        or_blind(client.panel_scores(vacancy_id, stage_id, candidate_id)),
        client.get_vacancy(vacancy_id),
        client.get_design(vacancy_id),
        my_panel(client, identity, stage_id),
    )
    stage = stage_of(design, stage_id)
    context = {
        "vacancy": vacancy,
        "stage": stage,
        "seat": seat,
        "blind": view == "blind",
        "view": view if view not in (None, "blind") else None,
        "vacancy_id": vacancy_id,
        "stage_id": stage_id,
        "candidate_id": candidate_id,
        "stage_url": stage_url(vacancy_id, stage_id),
        "candidate_url": candidate_url(vacancy_id, stage_id, candidate_id),
        "notice": notice,
    }
    panel_view = context["view"]
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
            (row, options_for(stage, found)) for row in context["rows"] if (found := vacancy.criterion(row["code"]))
        ]
    return context, notice


@router.get(CANDIDATE + "/scores", include_in_schema=False)
async def panel_scores(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    identity: Reader,
    client: Client,
) -> Response:
    context, notice = await _panel_context(request, identity, client, vacancy_id, stage_id, candidate_id)
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


@router.get(STAGE + "/moderation", include_in_schema=False)
async def moderation_queue(
    request: Request, vacancy_id: uuid.UUID, stage_id: uuid.UUID, identity: Reader, client: Client
) -> Response:
    (queue, vacancy, design, seat), notice = await gather(
        client.moderation(vacancy_id, stage_id),
        client.get_vacancy(vacancy_id),
        client.get_design(vacancy_id),
        my_panel(client, identity, stage_id),
    )
    stage = stage_of(design, stage_id)
    return render(
        request,
        "recruitment/moderation.html",
        {
            "page_title": f"Moderation: {stage.name}" if stage else "Moderation",
            "queue": queue.root if queue else [],
            "loaded": queue is not None,
            "vacancy": vacancy,
            "stage": stage,
            "vacancy_id": vacancy_id,
            "stage_id": stage_id,
            "stage_url": stage_url(vacancy_id, stage_id),
            "is_lead": bool(seat and seat.is_lead),
            "notice": notice,
        },
        status_code=notice.status_code if notice and queue is None else 200,
    )


async def _amend_page(
    request: Request,
    identity,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    form = form or {}
    chosen = form.get("criterion") or request.query_params.get("criterion")
    context, notice = await _panel_context(
        request, identity, client, vacancy_id, stage_id, candidate_id, criterion=chosen
    )
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


@router.get(CANDIDATE + "/amend", include_in_schema=False)
async def amend_form(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    identity: Scorer,
    client: Client,
    answer: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The lead's form. Choosing the value asks for the form again (htmx, or the query string) to
    show that value's anchors beside the scores, keeping the score already chosen."""
    return await _amend_page(request, identity, client, vacancy_id, stage_id, candidate_id, form={"answer": answer})


@router.post(CANDIDATE + "/amend", include_in_schema=False)
async def amend(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
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
        return await _amend_page(
            request, identity, client, vacancy_id, stage_id, candidate_id, form=form, errors=errors, status_code=422
        )
    body = {
        "sheet_id": str(sheet),
        "criterion": criterion,
        "score": score,
        "not_evidenced": not_evidenced,
        "reason": reason.strip(),
    }
    outcome = await attempt(client.amend(vacancy_id, stage_id, body))
    if outcome.ok:
        return see_other(f"{candidate_url(vacancy_id, stage_id, candidate_id)}/scores?amended={criterion}")
    if outcome.notice:
        return _notice_page(
            request,
            outcome.notice,
            "The score was not changed",
            back=f"{candidate_url(vacancy_id, stage_id, candidate_id)}/amend",
        )
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
        vacancy_id,
        stage_id,
        candidate_id,
        form=form,
        errors=problem_messages(problem, fields),
        status_code=form_status(problem),
    )
