"""Models of cases/, split by concept: the case itself (core), and later the
gespreksleidraad and the motivational conversations."""

from .core import (
    Agreement,
    Case,
    CaseMember,
    ChangeRecord,
    Client,
    Driegesprek,
    Goal,
    Invitation,
    TimelineEntry,
    Versioned,
    WorkSituation,
)

__all__ = [
    "Agreement",
    "Case",
    "CaseMember",
    "ChangeRecord",
    "Client",
    "Driegesprek",
    "Goal",
    "Invitation",
    "TimelineEntry",
    "Versioned",
    "WorkSituation",
]
