"""Which worker gets the next workspace: the one with a free thread (pure rules; the driver asks Dask the facts).

Dask places a task that has no dependencies and no restrictions on the worker it estimates least occupied, from the
durations it has seen of the task's prefix. Each workspace is its own prefix (its key names it, so the dashboard
shows tasks by workspace), so Dask knows no duration for a workspace that just started (0.5 s by default) and counts
one that has run for a while as twice its run so far. A worker running one large workspace then looks busier than
a worker whose every thread holds a workspace that just started, and the next workspace was queued behind those
while a thread of the first worker idled: 8 equal workspaces on 2 workers × 2 threads ran in three rounds instead
of two (0.66 × linear in row 8). So the driver names the worker: one with a free thread, counted from the tasks
the scheduler has on each worker and the ones just sent that it may not show yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["free_threads", "pick"]


def free_threads(
    nthreads: Mapping[str, int], processing: Mapping[str, Iterable[Any]], sent: Mapping[Any, str]
) -> dict[str, int]:
    """Free threads per worker: its threads less the tasks the scheduler has on it (``processing``: running or
    queued there, every client's) and the tasks sent to it (key → worker) that the scheduler does not list yet.

    A task the scheduler lists is counted where it is, wherever it was sent (a lost worker's tasks move); workers
    that left (absent from ``nthreads``) are not offered."""
    busy: dict[str, set[Any]] = {worker: set(keys) for worker, keys in processing.items()}
    listed = set().union(*busy.values()) if busy else set()
    for key, worker in sent.items():
        if key not in listed:
            busy.setdefault(worker, set()).add(key)
    return {worker: count - len(busy.get(worker, ())) for worker, count in nthreads.items()}


def pick(free: Mapping[str, int]) -> str | None:
    """The worker with the most free threads (the first by address on a tie), or None when none is free."""
    best = max(sorted(free), key=lambda worker: free[worker], default=None)
    return best if best is not None and free[best] > 0 else None
