"""Document numbers: one gap-free sequence per issuing unit, kind of document and year, however many
officers issue at the same moment and however many issuances fail half-way."""

from __future__ import annotations

import threading

from states.store.database import Database
from tests.conftest import World

THREADS = 12
PER_THREAD = 5


class _Abandoned(Exception):
    """An issuance that fails after taking its number (the rendering failed, the process was stopped)."""


def test_numbers_follow_on_per_unit_type_and_year(world: World) -> None:
    with world.db.transaction() as repo:
        taken = [repo.documents.next_number("UBX-00070", "QĐ", 2026) for _ in range(3)]
        taken.append(repo.documents.next_number("UBX-00070", "TB", 2026))
        taken.append(repo.documents.next_number("CAX-00070", "QĐ", 2026))
        taken.append(repo.documents.next_number("UBX-00070", "QĐ", 2027))
    assert taken == [1, 2, 3, 1, 1, 1]


def test_concurrent_issuance_leaves_no_gap_and_no_duplicate(world: World) -> None:
    committed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def issue(db: Database, thread: int) -> None:
        barrier.wait()
        for attempt in range(PER_THREAD):
            try:
                with db.transaction() as repo:
                    number = repo.documents.next_number("UBX-00070", "QĐ", 2026)
                    if (thread + attempt) % 3 == 0:
                        raise _Abandoned
            except _Abandoned:
                continue
            with lock:
                committed.append(number)

    threads = [threading.Thread(target=issue, args=(world.db, n)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = sum(1 for n in range(THREADS) for a in range(PER_THREAD) if (n + a) % 3 != 0)
    assert sorted(committed) == list(range(1, expected + 1))
