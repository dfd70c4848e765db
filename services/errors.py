"""Typed errors of the domain. The GraphQL face turns them into userErrors or error codes."""

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class ErrorCode(str, enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    VALIDATION = "VALIDATION"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    SESSION_TERMINAL = "SESSION_TERMINAL"
    ALREADY_SCORED = "ALREADY_SCORED"
    CONFLICT = "CONFLICT"
    APPLICATION_NOT_APPROVED = "APPLICATION_NOT_APPROVED"


@dataclass(frozen=True)
class Problem:
    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None


class DomainError(Exception):
    """A refused business rule or bad input; the operation wrote nothing."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        assert problems, "a DomainError needs at least one problem"
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)

    @classmethod
    def one(cls, code: ErrorCode, message: str, field: Sequence[str] | None = None) -> "DomainError":
        return cls([Problem(code, message, tuple(field) if field else None)])


def not_found(what: str, field: Sequence[str] | None = None) -> DomainError:
    return DomainError.one(ErrorCode.NOT_FOUND, f"{what} not found", field)


def invalid(message: str, field: Sequence[str] | None = None) -> DomainError:
    return DomainError.one(ErrorCode.VALIDATION, message, field)


class AccessError(Exception):
    """Missing credential (UNAUTHENTICATED) or a role that may not do this (FORBIDDEN)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def unauthenticated(message: str = "a valid API key is required") -> AccessError:
    return AccessError("UNAUTHENTICATED", message)


def forbidden(message: str) -> AccessError:
    return AccessError("FORBIDDEN", message)
