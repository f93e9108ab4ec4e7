"""How far a ward has got: approved criteria over the size of its set."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """ "18/22": the one definition every page, export and the admin use."""

    approved: int
    size: int

    @property
    def label(self) -> str:
        return f"{self.approved}/{self.size}"

    @property
    def ratio(self) -> float:
        return self.approved / self.size if self.size else 0.0

    @property
    def percent(self) -> int:
        return round(100 * self.ratio)

    @property
    def is_complete(self) -> bool:
        return bool(self.size) and self.approved >= self.size
