"""Real threads against the real database, for the concurrency tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connection


def _connections_free() -> int:
    """How many more connections the database takes now (unlimited for SQLite files)."""
    if connection.vendor != "postgresql":
        return 10_000
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity)")
        return cursor.fetchone()[0]


def run_together(jobs: list[Callable[[], object]], *, within: float = 30) -> list[object]:
    """Run each job on its own thread, all released at once; returns each job's result or error."""
    # Half of what the server has left, so that other test runs sharing it keep working.
    in_database = threading.BoundedSemaphore(max(2, min(len(jobs), _connections_free() // 2)))
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(i: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=15)
            with in_database:
                try:
                    results[i] = job()
                finally:
                    connection.close()
        except Exception as err:  # noqa: BLE001 — the test inspects every outcome
            results[i] = err

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a job hung"
    assert time.monotonic() - started < within
    return results
