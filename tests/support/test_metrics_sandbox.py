"""On the sandbox (whose statistics are wall-clock, from its parts) both clocks must agree exactly."""

from __future__ import annotations

import pandas as pd
import pytest
from support_helpers import sandbox_frames

import intercomkit as ik
from intercomkit.sandbox import Sandbox


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    # 300 conversations: index % 250 == 17 has more than 500 parts, so the big ones are in (with all their parts)
    return sandbox_frames(Sandbox(contacts=200, companies=5, conversations=300, tickets=0, seed=11))


def test_wall_statistics_equal_the_sandbox_statistics(frames):
    convs, parts = frames
    assert (convs["count_conversation_parts"] > 500).any()
    wall = ik.support.wall_statistics(convs, parts)
    for column in ik.support.STATISTIC_COLUMNS:
        pd.testing.assert_series_equal(wall[column], convs[column], check_names=False, obj=column)


@pytest.mark.parametrize("by", [None, "week", "month", "admin", "team", "channel", ["team", "channel"]])
def test_wall_metrics_equal_intercom_metrics_on_the_sandbox(frames, by):
    convs, parts = frames
    intercom = ik.support.metrics(convs, by=by, clock="intercom")
    wall = ik.support.metrics(convs, parts, by=by, clock="wall")
    pd.testing.assert_frame_equal(wall, intercom, check_exact=True)
    assert intercom["conversations"].sum() == len(convs)
