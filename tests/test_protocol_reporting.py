"""The reporting-export rules without a server: windows, polling, qualified ids, job states."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intercomkit._protocol.reporting import JobPolling, job_status, qualify, split_range
from intercomkit.errors import ConfigurationError, InvalidResponse


@given(st.integers(0, 2_000_000_000), st.integers(0, 10_000_000), st.integers(1, 300), st.integers(0, 5000))
def test_windows_cover_the_range_exactly_once(start, length, pieces, extra):
    end, size = start + length, length // pieces + 1 + extra  # at most ~300 windows: fast examples
    windows = split_range(start, end, size)
    assert windows[0][0] == start and windows[-1][1] == end
    assert all(s <= e and e - s + 1 <= size for s, e in windows)
    assert all(b[0] == a[1] + 1 for a, b in zip(windows, windows[1:], strict=False))  # no gap, no overlap


def test_bad_ranges_are_configuration_errors():
    with pytest.raises(ConfigurationError, match="ends"):
        split_range(10, 9, 5)
    with pytest.raises(ConfigurationError):
        split_range(0, 9, 0)


def test_polling_grows_to_its_ceiling():
    polling = JobPolling(first=2, factor=2, longest=10)
    assert [polling.wait(n) for n in range(1, 6)] == [2, 4, 8, 10, 10]


DATASETS = [
    {
        "id": "conversation",
        "attributes": [
            {"id": "conversation_id", "qualified_id": "conversation.conversation_id"},
            {"id": "Brand", "qualified_id": "conversation.Brand"},
            {"id": "Brand", "qualified_id": "people.Brand"},
        ],
    }
]


def test_qualify_maps_ids_and_refuses_ambiguous_or_unknown_ones():
    assert qualify(DATASETS, "conversation", None) == [
        "conversation.conversation_id", "conversation.Brand", "people.Brand"
    ]  # fmt: skip
    assert qualify(DATASETS, "conversation", ["conversation_id", "people.Brand"]) == [
        "conversation.conversation_id", "people.Brand"
    ]  # fmt: skip
    with pytest.raises(
        ConfigurationError, match="'Brand' is ambiguous: use one of conversation.Brand, people.Brand"
    ):
        qualify(DATASETS, "conversation", ["Brand"])
    with pytest.raises(ConfigurationError, match="not one of its attributes"):
        qualify(DATASETS, "conversation", ["nope"])
    with pytest.raises(ConfigurationError, match="no reporting dataset 'ticket'"):
        qualify(DATASETS, "ticket", None)


def test_job_status_accepts_only_the_documented_states():
    assert job_status({"status": "complete"}) == "complete"
    for body in ({"status": "done"}, {}, []):
        with pytest.raises(InvalidResponse):
            job_status(body)
