"""A service's limits as its generated models declare them (a score from -1000 to 1000, at most 20
stages), so a form checks what the service will check, in the page's words, without restating
the numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, SupportsFloat, get_args

import annotated_types as at
from pydantic import BaseModel, RootModel


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float
    above_low: bool = False  # more than `low`, not at least

    def check(self, number: float) -> bool:
        return (number > self.low if self.above_low else number >= self.low) and number <= self.high


def _constraints(model: type[BaseModel], field: str) -> list[Any]:
    info = model.model_fields[field]
    found = list(info.metadata)
    for kind in (info.annotation, *get_args(info.annotation)):
        if isinstance(kind, type) and issubclass(kind, RootModel):
            found += kind.model_fields["root"].metadata
    return found


def _float(bound: object) -> float:
    """A constraint's bound as a number (annotated-types declares it only comparable)."""
    if not isinstance(bound, SupportsFloat):
        raise TypeError(f"a bound that is not a number: {bound!r}")
    return float(bound)


def bounds(model: type[BaseModel], field: str) -> Bounds:
    """The range of a number field of `model`."""
    low, high, above = float("-inf"), float("inf"), False
    for constraint in _constraints(model, field):
        if isinstance(constraint, at.Ge):
            low = _float(constraint.ge)
        elif isinstance(constraint, at.Gt):
            low, above = _float(constraint.gt), True
        elif isinstance(constraint, at.Le):
            high = _float(constraint.le)
    return Bounds(low, high, above)


def max_items(model: type[BaseModel], field: str) -> int:
    """The most items a list field of `model` may hold."""
    lengths = [c.max_length for c in _constraints(model, field) if isinstance(c, at.MaxLen)]
    if not lengths:
        raise LookupError(f"{model.__name__}.{field} has no maximum length")
    return min(lengths)
