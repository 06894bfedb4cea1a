"""The one error hierarchy of hoso. Every message is Vietnamese, for the officer who reads it.

    HosoError
    ├── DefinitionError          a procedure, role, form or calendar file is invalid (load time)
    ├── ChannelError             an SMTP server or SMS gateway refused a notice (retried, never an HTTP answer)
    ├── NotFoundError            the dossier, user, unit or procedure does not exist        -> 404
    ├── AuthenticationError      bad credentials or token                                    -> 401
    ├── ThrottledError           too many failed logins; retry after ``retry_after`` seconds -> 429
    ├── PermissionDeniedError    wrong role, or outside the officer's jurisdiction           -> 403
    ├── ConflictError            the request clashes with the current state of the data      -> 409
    │   ├── StaleVersionError    expected_version is not the dossier's current version
    │   └── TransitionNotAllowedError   the event cannot be fired from the current state
    └── InvalidInputError        the request is malformed or breaks a legal condition        -> 422
        ├── UnknownEventError    the procedure has no such event
        ├── PayloadError         the event's data is missing, mistyped or unexpected
        └── GuardFailedError     a legal condition of the step is not met

The HTTP mapping lives in one place: ``api.errors``.
"""

from __future__ import annotations

from typing import Any


class HosoError(Exception):
    """Base of every error hoso raises on purpose."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class DefinitionError(HosoError):
    pass


class ChannelError(HosoError):
    """A notice channel (SMTP server, SMS gateway) refused or could not take a message; it is tried again."""


class NotFoundError(HosoError):
    pass


class AuthenticationError(HosoError):
    pass


class ThrottledError(HosoError):
    """Raised with ``retry_after``: the whole number of seconds to wait before the next attempt."""


class PermissionDeniedError(HosoError):
    pass


class ConflictError(HosoError):
    pass


class StaleVersionError(ConflictError):
    pass


class TransitionNotAllowedError(ConflictError):
    pass


class InvalidInputError(HosoError):
    pass


class UnknownEventError(InvalidInputError):
    pass


class PayloadError(InvalidInputError):
    pass


class GuardFailedError(InvalidInputError):
    pass


def dossier_not_found(dossier_id: str) -> NotFoundError:
    """The one answer for a dossier that does not exist and for one the caller may not see: the two must
    not be told apart."""
    return NotFoundError(f"Không tìm thấy hồ sơ {dossier_id}", dossier_id=dossier_id)
