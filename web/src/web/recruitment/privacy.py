"""Data protection, beside recruitment-api's privacy domain: the subject-access download and the
erasure of a candidate's personal data (confirmed on a page of its own first)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from collective_clients.recruitment import operations as recruitment
from web.notices import gather
from web.pages import render
from web.recruitment.candidates import confirmation_page, confirmed
from web.recruitment.deps import CANDIDATE, Admin, CandidatePath, Client

router = APIRouter(prefix=CANDIDATE, include_in_schema=False)


def _filename(code: str) -> str:
    return "subject-access-" + (re.sub(r"[^A-Za-z0-9-]+", "-", code).strip("-") or "candidate") + ".json"


@router.get("/subject-access")
async def subject_access(request: Request, at: CandidatePath, identity: Admin, client: Client) -> Response:
    """Everything recruitment-api holds on the candidate, as a JSON file to send them."""
    (download, candidate), notice = await gather(
        client.send(recruitment.subject_access(at.vacancy_id, at.candidate_id)),
        client.send(recruitment.read_candidate(at.vacancy_id, at.candidate_id)),
    )
    if download is None or candidate is None:
        assert notice is not None
        # Like any download: a failure because the service is down is a 503, not a 200 page.
        return render(
            request,
            "recruitment/notice.html",
            {
                "page_title": "The subject access file cannot be downloaded",
                "notice": notice,
                "back": at.record_url,
            },
            status_code=503 if notice.kind == "unavailable" else notice.status_code,
        )
    return Response(
        download.content,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(candidate.code)}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/erasure")
async def erasure_form(request: Request, at: CandidatePath, identity: Admin, client: Client) -> Response:
    return await confirmation_page(request, identity, client, at, "erased")


@router.post("/erasure")
async def erase(request: Request, at: CandidatePath, identity: Admin, client: Client) -> Response:
    call = client.send(recruitment.erase(at.vacancy_id, at.candidate_id))
    return await confirmed(request, identity, client, at, "erased", call)
