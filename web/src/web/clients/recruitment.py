"""Client of recruitment-api: vacancies, design, candidates, panels, score sheets, moderation,
results, feedback, fairness and data protection.

Every call carries the signed-in user's short-lived token, so recruitment-api decides what the
user may see and do (blindness included); this client only reads and sends."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel

from web.clients.base import Download, ServiceClient

# Bulk imports of thousands of candidates take longer than an ordinary call.
IMPORT_TIMEOUT_SECONDS = 300.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# --- vacancies and design -------------------------------------------------------------------


class Anchor(_Model):
    score: int
    title: str
    description: str


class Criterion(_Model):
    id: uuid.UUID
    code: str
    kind: str
    statement: str
    description: str | None = None
    value_code: str | None = None
    anchors: list[Anchor] = []
    indicators: list[str] = []
    sequence: int = 0


class Vacancy(_Model):
    id: uuid.UUID
    org: str
    title: str
    band: str | None = None
    staff_group: str | None = None
    closing_date: date | None = None
    status: str
    criteria_source: str = "framework"
    framework_version_id: uuid.UUID | None = None
    framework_title: str | None = None
    framework_version: str | None = None
    retention_days: int | None = None
    design_locked: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    candidate_count: int = 0
    criteria: list[Criterion] = []

    def criterion(self, code: str) -> Criterion | None:
        return next((c for c in self.criteria if c.code == code), None)


class VacancyPage(_Model):
    items: list[Vacancy]
    next: str | None = None


class StageCriterion(_Model):
    criterion: str
    criterion_id: uuid.UUID | None = None
    weight: float = 1.0
    essential: bool = False


class Stage(_Model):
    id: uuid.UUID
    name: str
    kind: str
    sequence: int = 0
    scale_min: int | None = None
    scale_max: int | None = None
    min_weighted_mean: float | None = None
    min_per_value: float | None = None
    essentials_required: bool = True
    pass_mark: float | None = None
    criteria: list[StageCriterion] = []

    @property
    def scored(self) -> bool:
        return self.kind != "sjt"

    @property
    def scale(self) -> list[int]:
        if self.scale_min is None or self.scale_max is None:
            return []
        return list(range(self.scale_min, self.scale_max + 1))


class Design(_Model):
    vacancy_id: uuid.UUID
    locked: bool = False
    locked_at: datetime | None = None
    stages: list[Stage] = []

    def stage(self, stage_id: uuid.UUID) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)


class DesignRead(_Model):
    """The design with the ETag to send back as If-Match when replacing it."""

    design: Design
    etag: str | None = None


# --- candidates -----------------------------------------------------------------------------


class Evidence(_Model):
    title: str
    text: str


class BlindCandidate(_Model):
    """A candidate as an assessor sees them: the code and the evidence. Built from whatever the
    service sends (an admin's view has personal details too): this model keeps none of them, so no
    page can show a name by mistake."""

    id: uuid.UUID
    code: str
    withdrawn: bool = False
    evidence: list[Evidence] = []


class CandidatePage(_Model):
    items: list[BlindCandidate]
    next: str | None = None


class ImportResult(_Model):
    imported: int
    candidates: list[BlindCandidate] | None = None


class PersonalDetails(_Model):
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class CandidateRecord(BlindCandidate):
    """A candidate as recruitment admins see them, personal details included. Only the candidate
    record and its data-protection pages use it: every other page keeps to BlindCandidate."""

    external_ref: str | None = None
    personal: PersonalDetails | None = None
    erased: bool = False
    created_at: datetime | None = None


class SjtImported(_Model):
    imported: int


# --- panels and score sheets ----------------------------------------------------------------


class MyPanel(_Model):
    vacancy_id: uuid.UUID
    vacancy_title: str
    vacancy_status: str
    stage_id: uuid.UUID
    stage_name: str
    stage_kind: str
    is_lead: bool = False
    submitted: int = 0
    drafts: int = 0


class MyPanels(RootModel[list[MyPanel]]):
    def find(self, stage_id: uuid.UUID) -> MyPanel | None:
        return next((p for p in self.root if p.stage_id == stage_id), None)


class SheetStatusEntry(_Model):
    candidate_id: uuid.UUID
    candidate_code: str
    status: str | None = None


class SheetStatuses(RootModel[list[SheetStatusEntry]]):
    pass


class PanelMember(_Model):
    assessor: str
    name: str | None = None
    is_lead: bool = False


class Panel(_Model):
    stage_id: uuid.UUID
    stage_name: str
    members: list[PanelMember] = []


class Score(_Model):
    criterion: str
    criterion_id: uuid.UUID | None = None
    score: int | None = None
    not_evidenced: bool = False
    notes: str | None = None
    amended: bool = False
    raw_score: int | None = None
    raw_not_evidenced: bool = False

    @property
    def answered(self) -> bool:
        return self.score is not None or self.not_evidenced


class Sheet(_Model):
    id: uuid.UUID
    stage_id: uuid.UUID
    candidate_id: uuid.UUID
    candidate_code: str
    assessor: str
    status: str
    updated_at: datetime | None = None
    submitted_at: datetime | None = None
    scores: list[Score] = []
    missing: list[str] = []

    @property
    def submitted(self) -> bool:
        return self.status == "submitted"

    def score_for(self, code: str) -> Score | None:
        return next((s for s in self.scores if s.criterion == code), None)


class Flag(_Model):
    criterion: str
    kind: str
    detail: str


class PanelView(_Model):
    candidate_id: uuid.UUID
    candidate_code: str
    sheets: list[Sheet] = []
    flags: list[Flag] = []


class QueueEntry(_Model):
    candidate_id: uuid.UUID
    candidate_code: str
    flags: list[Flag] = []


class Queue(RootModel[list[QueueEntry]]):
    pass


class Amendment(_Model):
    id: uuid.UUID
    sheet_id: uuid.UUID
    criterion: str
    previous_score: int | None = None
    previous_not_evidenced: bool = False
    score: int | None = None
    not_evidenced: bool = False
    reason: str


# --- results, reliability, fairness ---------------------------------------------------------


class Decision(_Model):
    id: uuid.UUID | None = None
    candidate_id: uuid.UUID
    candidate_code: str
    outcome: str
    reason: str
    decided_by: str | None = None
    decided_at: datetime | None = None


class CriterionResult(_Model):
    criterion: str
    mean: float | None = None
    minimum: int | None = None
    maximum: int | None = None
    spread: int | None = None
    sd: float | None = None
    n_scores: int = 0
    n_not_evidenced: int = 0


class CandidateResult(_Model):
    candidate_id: uuid.UUID
    candidate_code: str
    rank: int | None = None
    weighted_mean: float | None = None
    weighted_total: float | None = None
    value_means: dict[str, float | None] = {}
    appointable: bool = False
    reasons: list[str] = []
    criteria: list[CriterionResult] = []
    sheets_submitted: int = 0
    flags: list[str] = []
    decision: Decision | None = None


class StageResults(_Model):
    vacancy_id: uuid.UUID
    stage_id: uuid.UUID
    stage_name: str
    candidates: list[CandidateResult] = []
    next: str | None = None


class Coefficient(_Model):
    name: str
    value: float | None = None
    band: str | None = None
    n_candidates: int = 0
    n_assessors: int = 0


class Leniency(_Model):
    assessor: str
    mean: float
    z: float | None = None
    n: int = 0


class Reliability(_Model):
    vacancy_id: uuid.UUID
    stage_id: uuid.UUID
    design: str
    coefficients: list[Coefficient] = []
    leniency: list[Leniency] = []
    flagged_candidates: int = 0


class GroupImpact(_Model):
    group: str
    considered: int | None = None
    selected: int | None = None
    selection_rate: float | None = None
    impact_ratio: float | None = None
    flagged: bool = False
    fisher_p: float | None = None
    suppressed: bool = False
    reference: bool = False


class AdverseImpact(_Model):
    vacancy_id: uuid.UUID
    stage_id: uuid.UUID
    stage_name: str
    category: str
    threshold: float
    min_cell: int
    reference_group: str | None = None
    groups: list[GroupImpact] = []
    note: str | None = None


class FeedbackValue(_Model):
    criterion: str
    statement: str
    your_score: float | None = None
    cohort_mean: float | None = None
    cohort_spread: float | None = None


class Feedback(_Model):
    candidate_id: uuid.UUID
    candidate_code: str
    stage_id: uuid.UUID
    stage_name: str
    cohort_size: int | None = None
    cohort_withheld: bool = False
    values: list[FeedbackValue] = []


class RecruitmentClient(ServiceClient):
    service = "recruitment"

    # --- vacancies and design

    async def list_vacancies(self, *, status: str | None = None, cursor: str | None = None, limit: int = 50):
        params = {"status": status, "cursor": cursor, "limit": limit}
        return await self._get_model(VacancyPage, "/vacancies", params)

    async def get_vacancy(self, vacancy_id: uuid.UUID) -> Vacancy:
        return await self._get_model(Vacancy, f"/vacancies/{vacancy_id}")

    async def create_vacancy(self, body: dict[str, Any], *, idempotency_key: str | None = None) -> Vacancy:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self._send_model(Vacancy, "POST", "/vacancies", json=body, headers=headers)

    async def change_status(self, vacancy_id: uuid.UUID, status: str) -> Vacancy:
        return await self._send_model(Vacancy, "POST", f"/vacancies/{vacancy_id}/status", json={"status": status})

    async def get_design(self, vacancy_id: uuid.UUID) -> DesignRead:
        path = f"/vacancies/{vacancy_id}/design"
        response = await self._get(path)
        design = self._model(Design, self._json(response, path), path)
        return DesignRead(design=design, etag=response.headers.get("etag"))

    async def put_design(self, vacancy_id: uuid.UUID, body: dict[str, Any], *, etag: str) -> Design:
        return await self._send_model(
            Design, "PUT", f"/vacancies/{vacancy_id}/design", json=body, headers={"If-Match": etag}
        )

    # --- candidates

    async def list_candidates(self, vacancy_id: uuid.UUID, *, cursor: str | None = None, limit: int = 100):
        params = {"cursor": cursor, "limit": limit}
        return await self._get_model(CandidatePage, f"/vacancies/{vacancy_id}/candidates", params)

    def _candidate(self, vacancy_id: uuid.UUID, candidate_id: uuid.UUID) -> str:
        return f"/vacancies/{vacancy_id}/candidates/{candidate_id}"

    async def get_candidate(self, vacancy_id: uuid.UUID, candidate_id: uuid.UUID) -> BlindCandidate:
        return await self._get_model(BlindCandidate, self._candidate(vacancy_id, candidate_id))

    async def import_candidates(
        self, vacancy_id: uuid.UUID, csv_text: str, *, idempotency_key: str | None = None
    ) -> ImportResult:
        headers = {"Content-Type": "text/csv; charset=utf-8"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return await self._send_model(
            ImportResult,
            "POST",
            f"/vacancies/{vacancy_id}/candidates/import",
            content=csv_text.encode("utf-8"),
            headers=headers,
            timeout=IMPORT_TIMEOUT_SECONDS,
        )

    async def get_candidate_record(self, vacancy_id: uuid.UUID, candidate_id: uuid.UUID) -> CandidateRecord:
        """The admin's view of a candidate, with their personal details (recruitment:admin)."""
        return await self._get_model(CandidateRecord, self._candidate(vacancy_id, candidate_id))

    async def withdraw(self, vacancy_id: uuid.UUID, candidate_id: uuid.UUID) -> CandidateRecord:
        path = self._candidate(vacancy_id, candidate_id) + "/withdraw"
        return await self._send_model(CandidateRecord, "POST", path)

    async def import_sjt_scores(
        self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, scores: list[dict[str, Any]]
    ) -> SjtImported:
        path = self._stage(vacancy_id, stage_id) + "/sjt-scores"
        return await self._send_model(
            SjtImported, "POST", path, json={"scores": scores}, timeout=IMPORT_TIMEOUT_SECONDS
        )

    async def feedback(self, vacancy_id: uuid.UUID, candidate_id: uuid.UUID, stage_id: uuid.UUID) -> Feedback:
        path = self._candidate(vacancy_id, candidate_id) + "/feedback"
        return await self._get_model(Feedback, path, {"stage": str(stage_id)})

    async def subject_access(self, vacancy_id: uuid.UUID, candidate_id: uuid.UUID) -> Download:
        """Everything held on the candidate, as the service's JSON document."""
        return await self._download(self._candidate(vacancy_id, candidate_id) + "/subject-access", "application/json")

    async def erase(self, vacancy_id: uuid.UUID, candidate_id: uuid.UUID) -> None:
        """Erase personal details, equality answers, evidence and notes; the scores stay (204)."""
        await self._request("POST", self._candidate(vacancy_id, candidate_id) + "/erasure")

    # --- panels and score sheets

    async def my_panels(self) -> MyPanels:
        return await self._get_model(MyPanels, "/panels/mine")

    def _stage(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID) -> str:
        return f"/vacancies/{vacancy_id}/stages/{stage_id}"

    async def get_panel(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID) -> Panel:
        return await self._get_model(Panel, self._stage(vacancy_id, stage_id) + "/panel")

    async def set_panel(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, members: list[dict[str, Any]]) -> Panel:
        path = self._stage(vacancy_id, stage_id) + "/panel"
        return await self._send_model(Panel, "PUT", path, json={"members": members})

    async def my_sheets(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID) -> SheetStatuses:
        return await self._get_model(SheetStatuses, self._stage(vacancy_id, stage_id) + "/my-sheets")

    def _sheet(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, candidate_id: uuid.UUID) -> str:
        return self._stage(vacancy_id, stage_id) + f"/candidates/{candidate_id}/sheet"

    async def get_sheet(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, candidate_id: uuid.UUID) -> Sheet:
        return await self._get_model(Sheet, self._sheet(vacancy_id, stage_id, candidate_id))

    async def save_sheet(
        self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, candidate_id: uuid.UUID, scores: list[dict[str, Any]]
    ) -> Sheet:
        path = self._sheet(vacancy_id, stage_id, candidate_id)
        return await self._send_model(Sheet, "PUT", path, json={"scores": scores})

    async def submit_sheet(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, candidate_id: uuid.UUID) -> Sheet:
        return await self._send_model(Sheet, "POST", self._sheet(vacancy_id, stage_id, candidate_id) + "/submit")

    async def panel_scores(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, candidate_id: uuid.UUID) -> PanelView:
        path = self._stage(vacancy_id, stage_id) + f"/candidates/{candidate_id}/scores"
        return await self._get_model(PanelView, path)

    async def moderation(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID) -> Queue:
        return await self._get_model(Queue, self._stage(vacancy_id, stage_id) + "/moderation")

    async def amend(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, body: dict[str, Any]) -> Amendment:
        return await self._send_model(Amendment, "POST", self._stage(vacancy_id, stage_id) + "/amendments", json=body)

    # --- results, reliability, decisions, fairness

    async def results(
        self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, *, cursor: str | None = None, limit: int = 100
    ) -> StageResults:
        params = {"cursor": cursor, "limit": limit}
        return await self._get_model(StageResults, self._stage(vacancy_id, stage_id) + "/results", params)

    async def results_csv(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID) -> Download:
        return await self._download(self._stage(vacancy_id, stage_id) + "/results.csv", "text/csv")

    async def reliability(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID) -> Reliability:
        return await self._get_model(Reliability, self._stage(vacancy_id, stage_id) + "/reliability")

    async def decide(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, body: dict[str, Any]) -> Decision:
        return await self._send_model(Decision, "POST", self._stage(vacancy_id, stage_id) + "/decisions", json=body)

    async def adverse_impact(self, vacancy_id: uuid.UUID, stage_id: uuid.UUID, category: str) -> AdverseImpact:
        path = self._stage(vacancy_id, stage_id) + "/adverse-impact"
        return await self._get_model(AdverseImpact, path, {"category": category})
