"""The enumerations shared by the database, the domain and the GraphQL face."""

import enum


class SessionStatus(str, enum.Enum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


TERMINAL_STATUSES = frozenset({SessionStatus.COMPLETED, SessionStatus.FAILED, SessionStatus.CANCELLED})
OPEN_STATUSES = frozenset({SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS})


class EventType(str, enum.Enum):
    SESSION_CREATED = "SESSION_CREATED"
    SESSION_STARTED = "SESSION_STARTED"
    SESSION_COMPLETED = "SESSION_COMPLETED"
    SESSION_FAILED = "SESSION_FAILED"
    SESSION_CANCELLED = "SESSION_CANCELLED"
    SESSION_SCORED = "SESSION_SCORED"

    @property
    def wire_name(self) -> str:
        """The name webhooks carry: SESSION_CREATED -> session.created."""
        return self.value.lower().replace("_", ".", 1)

    @classmethod
    def from_wire_name(cls, name: str) -> "EventType":
        return cls(name.upper().replace(".", "_", 1))


class HrStatus(str, enum.Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ApplicationSource(str, enum.Enum):
    PUBLIC_APPLY = "PUBLIC_APPLY"
    MANUAL = "MANUAL"


class RollupStatus(str, enum.Enum):
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    REJECTED = "REJECTED"
    NOT_SCHEDULED = "NOT_SCHEDULED"
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    AWAITING_SCORE = "AWAITING_SCORE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    NOT_PASSED = "NOT_PASSED"
    PASSED_ALL_STAGES = "PASSED_ALL_STAGES"


class Speaker(str, enum.Enum):
    AI = "AI"
    CANDIDATE = "CANDIDATE"


class Severity(str, enum.Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Decision(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"


class Role(str, enum.Enum):
    ADMIN = "ADMIN"
    RECRUITER = "RECRUITER"
    AGENT = "AGENT"
    SCORER = "SCORER"
    VIEWER = "VIEWER"


class DeliveryStatus(str, enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
