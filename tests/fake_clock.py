"""The one fake clock of the test suite: unix time that only moves when someone sleeps (or a test moves it).

Share one between a Sandbox (``clock=``) and an AsyncClient (``clock=``, ``sleep=``) so the rate-limit windows the
sandbox announces and the waits the client computes agree; retries, backoff and rate-limit waits cost no real time.
Importable from every test module: pytest puts ``tests/`` on ``sys.path`` for the root ``conftest.py``.
"""

from __future__ import annotations

import time

import anyio

__all__ = ["FakeClock"]


class FakeClock:
    """``clock()`` is the time; ``await clock.sleep(s)`` advances it at once; ``slept`` lists every sleep."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else float(start)
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        seconds = max(float(seconds), 0.0)
        self.now += seconds
        self.slept.append(seconds)
        await anyio.sleep(0)  # still a checkpoint, so other tasks run
