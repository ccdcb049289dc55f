"""The overview's representation: what a manager's home shows of their organisation, in one answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from monitoring_api.indicators.models import SummaryRow
from monitoring_api.plan.models import PlanItemPublic
from monitoring_api.structure.models import UnitRef
from monitoring_api.surveys.models import CellPublic, WavePublic


class CultureHeadline(BaseModel):
    """The latest closed culture survey wave over the whole organisation, and its top figures."""

    wave: WavePublic | None = Field(description="The latest closed wave over the whole organisation; null: none.")
    cell: CellPublic | None = Field(
        description="The organisation's figures in that wave, against the wave before it, under disclosure control "
        "(the first cell of the wave's results); null with the wave."
    )
    others: bool = Field(description="Closed waves of the organisation exist (over a part of it, when `wave` is null).")


class OverviewPublic(BaseModel):
    """The token's own organisation: its plan items, its summary rows (the organisation itself, every indicator
    it can see) and the culture survey's headline."""

    unit: UnitRef = Field(description="The organisation (level 1 of the structure).")
    plan_items: list[PlanItemPublic] = Field(description="The organisation's plan items, oldest first.")
    plan_complete: bool = Field(description="false: there are more plan items than `plan_items` holds.")
    summary: list[SummaryRow] = Field(description="The summary table at the organisation (level 1).")
    summary_complete: bool = Field(description="false: there are more summary rows than `summary` holds.")
    culture: CultureHeadline
