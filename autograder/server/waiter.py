"""Waiting for results without a query per waiting request.

A request that asks to wait (``?wait=SECONDS``) registers its job here; one poller per app
process asks the gradebook every tick which of *all* the awaited jobs are done, in one query
that reads them too, and wakes their requests with them (a request then costs no read of its
own, nor a thread to do it in). The gradebook stays the only channel between app and workers, so app
processes stay stateless and interchangeable.
"""

from __future__ import annotations

import asyncio

from starlette.concurrency import run_in_threadpool

from autograder.server.store import JobView, Store

TICK = 0.02


class Waiter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: dict[int, list[asyncio.Future[JobView]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def wait(self, job_id: int, timeout: float) -> JobView | None:
        """The job once it is done (read by the poller, so the request need not read it
        again), or None after `timeout` seconds."""
        if timeout <= 0:
            return None
        future: asyncio.Future[JobView] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(job_id, []).append(future)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return None
        finally:
            futures = self._waiting.get(job_id, [])
            if future in futures:
                futures.remove(future)
            if not futures:
                self._waiting.pop(job_id, None)

    async def _poll(self) -> None:
        while self._waiting:
            await asyncio.sleep(TICK)
            ids = list(self._waiting)
            if not ids:
                break
            done = await run_in_threadpool(self.store.done_jobs, ids)
            for job_id, view in done.items():
                for future in self._waiting.pop(job_id, []):
                    if not future.done():
                        future.set_result(view)
