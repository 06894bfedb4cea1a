"""Logging in with throttling: every attempt is recorded, and repeated failures make the next try wait.

Failures are counted per account (the username as typed, known or not, since that account's last
successful login) and per client address (whatever the username), within a sliding window. Once a count
reaches its limit, the next attempt must wait a delay after the latest failure that doubles with each
further failure (1 s, 2 s, 4 s … up to a ceiling); an attempt made sooner is refused without looking at
the password, even a right one. Attempts refused that way are recorded (``throttled``) but do not make
the delay grow, so an officer who retries too early is not locked out for longer.

Each attempt is written before it is judged, so that parallel guesses see each other: an attempt still
being checked counts as a failure for every other attempt.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from states.accounts import MAX_USERNAME_LENGTH, WRONG_PASSWORD, authenticate
from states.actors import Actor
from states.errors import AuthenticationError, ThrottledError
from states.payloads import has_control_characters
from states.store.database import Database
from states.store.repository import Record

logger = logging.getLogger(__name__)

THROTTLED = "throttled"
CHECKING = "checking"
"""The reason of an attempt written but not yet judged (it counts as a failure for the others)."""
MAX_ADDRESS_LENGTH = 64
UNKNOWN_ADDRESS = "unknown"
_MAX_DOUBLINGS = 40  # far beyond any ceiling; keeps the arithmetic small


@dataclass(frozen=True)
class ThrottlePolicy:
    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if min(self.account_failures, self.address_failures) < 1:
            raise ValueError("failure limits must be at least 1")
        if self.first_delay <= timedelta(0) or self.max_delay < self.first_delay or self.window <= timedelta(0):
            raise ValueError("delays and window must be positive, the ceiling no shorter than the first delay")

    def delay(self, failures: int, limit: int) -> timedelta:
        """How long to wait after the latest of ``failures`` failures, for a counter with ``limit``."""
        if failures < limit:
            return timedelta(0)
        doublings = min(failures - limit, _MAX_DOUBLINGS)
        grown = self.first_delay.total_seconds() * 2.0**doublings
        return min(timedelta(seconds=min(grown, self.max_delay.total_seconds())), self.max_delay)

    def fetch_limit(self, limit: int) -> int:
        """How many recent attempts can still change a decision for a counter with ``limit``."""
        doublings = 0
        while self.delay(limit + doublings, limit) < self.max_delay and doublings < _MAX_DOUBLINGS:
            doublings += 1
        return limit + doublings + 2


@dataclass(frozen=True)
class Attempt:
    id: int
    at: datetime
    succeeded: bool
    reason: str | None

    @classmethod
    def of(cls, row: Record) -> Attempt:
        return cls(id=row["id"], at=row["at"], succeeded=row["succeeded"], reason=row["reason"])


def failures_counted(attempts: Sequence[Attempt], *, own_id: int, since_success: bool) -> list[datetime]:
    """The times of the failures that count: only attempts begun before the one being judged (so that of
    guesses sent together the first is always checked), not those refused unchecked, and, for an account, only
    those after its latest success (attempts are ordered by id)."""
    ordered = sorted((a for a in attempts if a.id < own_id and a.reason != THROTTLED), key=lambda a: a.id)
    if since_success:
        successes = [index for index, attempt in enumerate(ordered) if attempt.succeeded]
        if successes:
            ordered = ordered[successes[-1] + 1 :]
    return [attempt.at for attempt in ordered if not attempt.succeeded]


def seconds_to_wait(failures: Sequence[datetime], *, limit: int, policy: ThrottlePolicy, now: datetime) -> int:
    """Whole seconds before the next attempt may be checked (0: now)."""
    if len(failures) < limit:
        return 0
    remaining = max(failures) + policy.delay(len(failures), limit) - now
    return max(0, math.ceil(remaining.total_seconds()))


def throttle_wait(
    *,
    account: Sequence[Attempt],
    address: Sequence[Attempt],
    own_id: int,
    policy: ThrottlePolicy,
    now: datetime,
) -> int:
    """Whole seconds the attempt ``own_id`` must wait, the longer of its account's and its address's."""
    by_account = failures_counted(account, own_id=own_id, since_success=True)
    by_address = failures_counted(address, own_id=own_id, since_success=False)
    return max(
        seconds_to_wait(by_account, limit=policy.account_failures, policy=policy, now=now),
        seconds_to_wait(by_address, limit=policy.address_failures, policy=policy, now=now),
    )


def _storable(text: str, limit: int) -> str:
    """The text as it can be stored and logged: control or invisible characters (and lone surrogates,
    which PostgreSQL refuses) replaced, capped to the column's length."""
    capped = text[:limit]
    if not has_control_characters(capped):
        return capped
    return "".join("\ufffd" if has_control_characters(char) else char for char in capped)


def log_in(
    db: Database,
    username: str,
    password: str,
    *,
    address: str | None,
    now: datetime,
    policy: ThrottlePolicy,
) -> Actor:
    """The officer behind a username and password, unless the account or address must wait.

    Raises ``ThrottledError`` (``retry_after`` seconds) or ``AuthenticationError`` with the same message for
    every other refusal; the attempt and its outcome are recorded either way.
    """
    typed = _storable(username, MAX_USERNAME_LENGTH)
    origin = _storable(address or UNKNOWN_ADDRESS, MAX_ADDRESS_LENGTH)
    since = now - policy.window
    # The attempt is recorded and judged against those begun before it under one lock per username and
    # address, so that of guesses sent at the same moment the first is always checked and no more than the
    # limit are.
    with db.transaction() as repo:
        repo.lock_login_keys(username=typed, address=origin)
        attempt_id = repo.insert_login_attempt(username=typed, address=origin, succeeded=False, reason=CHECKING, at=now)
        account = repo.recent_login_attempts(
            username=typed, since=since, before_id=attempt_id, limit=policy.fetch_limit(policy.account_failures)
        )
        by_address = repo.recent_login_attempts(
            address=origin, since=since, before_id=attempt_id, limit=policy.fetch_limit(policy.address_failures)
        )
    wait = throttle_wait(
        account=[Attempt.of(row) for row in account],
        address=[Attempt.of(row) for row in by_address],
        own_id=attempt_id,
        policy=policy,
        now=now,
    )
    actor: Actor | None = None
    refused: AuthenticationError | None = None
    if not wait:
        with db.reading() as repo:
            try:
                actor = authenticate(repo, username, password)
            except AuthenticationError as error:
                refused = error
    reason = THROTTLED if wait else None if actor is not None else _reason(refused)
    with db.transaction() as repo:
        repo.finish_login_attempt(attempt_id, succeeded=actor is not None, reason=reason)
    if actor is not None:
        logger.info("đăng nhập thành công: tài khoản %r từ %s", typed, origin)
        return actor
    logger.warning("đăng nhập bị từ chối: tài khoản %r từ %s, lý do %s", typed, origin, reason)
    if wait:
        raise ThrottledError(f"Đăng nhập sai quá nhiều lần; hãy thử lại sau {wait} giây", retry_after=wait)
    assert refused is not None
    raise AuthenticationError(refused.message)


def _reason(refused: AuthenticationError | None) -> str:
    reason = refused.details.get("reason") if refused is not None else None
    return reason if isinstance(reason, str) else WRONG_PASSWORD
