"""Support analytics over the conversations and parts frames: pure pandas, no requests.

    import intercomkit as ik
    weekly = ik.support.metrics(conversations, by="week")                   # Intercom's statistics (office hours)
    wall = ik.support.metrics(conversations, parts, by="team", clock="wall")  # recomputed from the parts
    ik.support.backlog(conversations, freq="D"); ik.support.csat(conversations, by="admin")

``DEFINITIONS`` holds the one-line definition of every metric (the README's table).
"""

from __future__ import annotations

from ._metrics import DEFINITIONS, GROUP_KEYS, backlog, csat, metrics
from ._wall import STATISTIC_COLUMNS, first_response, wall_statistics

__all__ = [
    "DEFINITIONS",
    "GROUP_KEYS",
    "STATISTIC_COLUMNS",
    "backlog",
    "csat",
    "first_response",
    "metrics",
    "wall_statistics",
]
