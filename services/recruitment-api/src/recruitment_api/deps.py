"""Route dependencies shared by every domain: who may call (the principal aliases of the scopes)."""

from __future__ import annotations

from typing import Annotated

from recruitment_api.scopes import Scope
from servicekit.auth import Principal
from servicekit.params import require

Reader = Annotated[Principal, require(Scope.READ)]
Scorer = Annotated[Principal, require(Scope.SCORE)]
Admin = Annotated[Principal, require(Scope.ADMIN)]
EqualityReader = Annotated[Principal, require(Scope.EQUALITY_READ)]
EqualityWriter = Annotated[Principal, require(Scope.EQUALITY_WRITE)]
