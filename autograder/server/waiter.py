"""Waiting for results without a query per waiting request.

A request that asks to wait (``?wait=SECONDS``) registers its job here; one poller per app
process asks the gradebook every tick which of *all* the awaited jobs are done, in one query,
and wakes their requests. The gradebook stays the only channel between app and workers, so app
processes stay stateless and interchangeable.
"""

from __future__ import annotations

import asyncio

from starlette.concurrency import run_in_threadpool

from autograder.server.store import Store

TICK = 0.02


class Waiter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: dict[int, list[asyncio.Future[None]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def wait(self, job_id: int, timeout: float) -> None:
        """Return when the job is done or after `timeout` seconds, whichever comes first."""
        if timeout <= 0:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(job_id, []).append(future)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            pass
        finally:
            futures = self._waiting.get(job_id, [])
            if future in futures:
                futures.remove(future)
            if not futures:
                self._waiting.pop(job_id, None)

    def _done(self, ids: list[int]) -> list[int]:
        marks = ",".join(str(int(i)) for i in ids)  # integers only: nothing to quote
        with self.store.engine.connect() as conn:
            return [
                row[0]
                for row in conn.exec_driver_sql(
                    f"SELECT id FROM jobs WHERE state = 'done' AND id IN ({marks})"
                )
            ]

    async def _poll(self) -> None:
        while self._waiting:
            await asyncio.sleep(TICK)
            ids = list(self._waiting)
            if not ids:
                break
            for job_id in await run_in_threadpool(self._done, ids):
                for future in self._waiting.pop(job_id, []):
                    if not future.done():
                        future.set_result(None)
