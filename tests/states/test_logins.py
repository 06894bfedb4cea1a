"""Login throttling: the pure decision from recent attempts and the clock, and ``log_in`` on a database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from states.errors import AuthenticationError, ThrottledError
from states.logins import (
    CHECKING,
    THROTTLED,
    Attempt,
    ThrottlePolicy,
    failures_counted,
    log_in,
    seconds_to_wait,
    throttle_wait,
)
from tests.conftest import PASSWORD, World

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
POLICY = ThrottlePolicy()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def failed(attempt_id: int, seconds: float = 0, reason: str = "wrong_password") -> Attempt:
    return Attempt(id=attempt_id, at=at(seconds), succeeded=False, reason=reason)


def test_the_delay_starts_at_the_limit_and_doubles_up_to_the_ceiling() -> None:
    delays = [POLICY.delay(failures, 5).total_seconds() for failures in range(0, 20)]
    assert delays == [0] * 5 + [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900, 900]
    assert POLICY.delay(10_000, 5) == timedelta(minutes=15)
    custom = ThrottlePolicy(first_delay=timedelta(seconds=3), max_delay=timedelta(seconds=10))
    assert [custom.delay(n, 2).total_seconds() for n in range(1, 6)] == [0, 3, 6, 10, 10]


def test_a_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(account_failures=0)
    with pytest.raises(ValueError):
        ThrottlePolicy(first_delay=timedelta(minutes=20), max_delay=timedelta(minutes=15))


def test_counted_failures_skip_the_own_attempt_the_throttled_and_those_before_a_success() -> None:
    attempts = [
        failed(1),
        failed(2),
        Attempt(id=3, at=at(1), succeeded=True, reason=None),
        failed(4, 2),
        failed(5, 3, THROTTLED),
        failed(6, 4, CHECKING),
        failed(7, 5, CHECKING),
    ]
    assert failures_counted(attempts, own_id=7, since_success=True) == [at(2), at(4)]
    assert failures_counted(attempts, own_id=7, since_success=False) == [at(0), at(0), at(2), at(4)]
    # Order is by id, whatever order the rows come in.
    assert failures_counted(list(reversed(attempts)), own_id=7, since_success=True) == [at(2), at(4)]
    # An attempt begun after the one judged (a guess sent at the same moment) does not count against it.
    assert failures_counted(attempts, own_id=5, since_success=False) == [at(0), at(0), at(2)]


def test_the_wait_runs_from_the_latest_failure_in_whole_seconds() -> None:
    four = [at(0), at(1), at(2), at(3)]
    assert seconds_to_wait(four, limit=5, policy=POLICY, now=at(3)) == 0
    five = [*four, at(10)]
    assert seconds_to_wait(five, limit=5, policy=POLICY, now=at(10)) == 1
    assert seconds_to_wait(five, limit=5, policy=POLICY, now=at(10.3)) == 1
    assert seconds_to_wait(five, limit=5, policy=POLICY, now=at(11)) == 0
    seven = [*five, at(20), at(21)]
    assert seconds_to_wait(seven, limit=5, policy=POLICY, now=at(21)) == 4
    assert seconds_to_wait(seven, limit=5, policy=POLICY, now=at(23.5)) == 2


def test_the_longer_of_account_and_address_waits_counts() -> None:
    account = [failed(i, i) for i in range(1, 6)]  # 5 failures, the latest at 5 s: free from 6 s
    address = [failed(i, 0) for i in range(10, 33)]  # 23 failures at 0 s: free from 8 s
    assert throttle_wait(account=account, address=[], own_id=99, policy=POLICY, now=at(5)) == 1
    assert throttle_wait(account=[], address=address, own_id=99, policy=POLICY, now=at(5)) == 3
    assert throttle_wait(account=account, address=address, own_id=99, policy=POLICY, now=at(5)) == 3
    assert throttle_wait(account=account, address=address[:20], own_id=99, policy=POLICY, now=at(5)) == 1
    assert throttle_wait(account=account, address=address, own_id=99, policy=POLICY, now=at(8)) == 0


def recorded(world: World) -> list[tuple[str, str, bool, str | None]]:
    with world.db.reading() as repo:
        return [(r["username"], r["address"], r["succeeded"], r["reason"]) for r in repo.login_attempts()]


def test_log_in_records_each_attempt_and_throttles_on_the_injected_clock(world: World) -> None:
    def go(username: str, password: str = PASSWORD) -> None:
        log_in(world.db, username, password, address="192.0.2.7", now=world.clock.now(), policy=POLICY)

    for _ in range(5):
        with pytest.raises(AuthenticationError):
            go("nobody", "not-the-password")
    with pytest.raises(ThrottledError) as throttled:
        go("nobody")
    assert throttled.value.details == {"retry_after": 1}
    world.clock.set(world.clock.now() + timedelta(seconds=1))
    with pytest.raises(AuthenticationError):
        go("nobody")
    with pytest.raises(AuthenticationError):
        go("system")
    go("police")
    assert recorded(world) == [
        *[("nobody", "192.0.2.7", False, "unknown_user")] * 5,
        ("nobody", "192.0.2.7", False, "throttled"),
        ("nobody", "192.0.2.7", False, "unknown_user"),
        ("system", "192.0.2.7", False, "service_account"),
        ("police", "192.0.2.7", True, None),
    ]


def test_parallel_guesses_see_each_other(world: World) -> None:
    def guess(serial: int) -> str:
        try:
            log_in(world.db, "police", f"guess-{serial:04}", address=None, now=world.clock.now(), policy=POLICY)
        except ThrottledError:
            return "throttled"
        except AuthenticationError:
            return "checked"
        return "logged in"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(16)))
    # Judged in the order they were recorded: the first ones up to the limit are checked, the rest wait.
    assert outcomes.count("checked") == POLICY.account_failures
    assert outcomes.count("checked") + outcomes.count("throttled") == 16
    rows = recorded(world)
    assert len(rows) == 16 and {row[1] for row in rows} == {"unknown"}
    assert sorted(row[3] or "" for row in rows) == sorted(
        "wrong_password" if outcome == "checked" else "throttled" for outcome in outcomes
    )
