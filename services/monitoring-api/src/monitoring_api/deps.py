"""Route dependencies shared by every domain: who may call (the principal aliases of the scopes)."""

from __future__ import annotations

from typing import Annotated

from monitoring_api.scopes import Scope
from servicekit.auth import Principal
from servicekit.params import require

Reader = Annotated[Principal, require(Scope.READ)]
Writer = Annotated[Principal, require(Scope.WRITE)]
Admin = Annotated[Principal, require(Scope.ADMIN)]
SurveyTool = Annotated[Principal, require(Scope.SURVEY_INGEST)]
