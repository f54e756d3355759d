"""Models of cases/, split by concept: the case itself (core), and later the
gespreksleidraad and the motivational conversations."""

from .conversation import ChangeTalk, Conversation, MitiSelfAssessment
from .core import (
    Agreement,
    Case,
    CaseContent,
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
from .leidraad import (
    LeidraadCorrection,
    LeidraadReferral,
    LeidraadSession,
    LeidraadThemeNote,
    LeidraadVersion,
)

__all__ = [
    "Agreement",
    "Case",
    "CaseContent",
    "CaseMember",
    "ChangeRecord",
    "Client",
    "Driegesprek",
    "Goal",
    "Invitation",
    "TimelineEntry",
    "Versioned",
    "WorkSituation",
    "LeidraadCorrection",
    "LeidraadReferral",
    "LeidraadSession",
    "LeidraadThemeNote",
    "LeidraadVersion",
    "ChangeTalk",
    "Conversation",
    "MitiSelfAssessment",
]
