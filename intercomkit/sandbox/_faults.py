"""Seeded fault injection: server errors, dropped connections, truncated bodies, bursts of 429."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["FAULT_KINDS", "FaultInjector", "Faults"]

FAULT_KINDS = ("500", "502", "503", "drop", "truncate", "429burst")


@dataclass(frozen=True)
class Faults:
    """Each request independently gets a fault with probability ``rate``; the draw sequence follows ``seed``.

    ``drop_after_effect``: a dropped request still takes effect (the connection dies after the write), which is
    what makes a POST's outcome genuinely unknown to the client. ``error_after_effect``: a 500/502/503 is answered
    after the request took effect (a scroll page advanced, a message sent), as when Intercom's scroll answers
    "Request failed due to an internal network error. Please restart the scroll operation."; by default they
    come before it. ``burst`` is how many requests a ``429burst`` turns away, counting the one that triggered it.
    """

    rate: float = 0.05
    seed: int = 1
    kinds: tuple[str, ...] = FAULT_KINDS
    drop_after_effect: bool = True
    burst: int = 3
    error_after_effect: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError("Faults.rate must be between 0 and 1")
        bad = [k for k in self.kinds if k not in FAULT_KINDS]
        if bad or not self.kinds:
            raise ValueError(f"Unknown fault kinds {bad}; choose from {FAULT_KINDS}")


class FaultInjector:
    def __init__(self, faults: Faults | None) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed if faults else 0)
        self._burst_left = 0
        self.injected: list[str] = []

    def draw(self) -> str | None:
        """The fault for the next request, or None. Exactly one random draw per request keeps runs reproducible."""
        if self.faults is None:
            return None
        if self._burst_left > 0:
            self._burst_left -= 1
            self.injected.append("429burst")
            return "429burst"
        r = self._rng.random()
        if r >= self.faults.rate:
            return None
        # Reuse the same draw to pick the kind so the sequence of draws does not depend on the outcome.
        kind = self.faults.kinds[int(r / self.faults.rate * len(self.faults.kinds)) % len(self.faults.kinds)]
        if kind == "429burst":
            self._burst_left = max(self.faults.burst - 1, 0)
        self.injected.append(kind)
        return kind
