"""The rules that pick a worker for the next workspace (``fleet._placement``), without a cluster."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from intercomkit.fleet._placement import free_threads, pick


def test_the_worker_running_a_long_workspace_still_has_a_free_thread():
    # Row 8's third round: A runs one large workspace, B two that just started; the next one belongs on A.
    free = free_threads({"A": 2, "B": 2}, {"A": ["ws1"], "B": ["ws5", "ws6"]}, {})
    assert free == {"A": 1, "B": 0}
    assert pick(free) == "A"


def test_a_task_just_sent_counts_where_it_was_sent_until_the_scheduler_lists_it():
    assert free_threads({"A": 2, "B": 2}, {"A": ["ws1"]}, {"ws2": "A"}) == {"A": 0, "B": 2}
    # Listed elsewhere (its worker was lost and Dask moved it): counted where it is, once.
    assert free_threads({"A": 2, "B": 2}, {"B": ["ws2"]}, {"ws2": "A"}) == {"A": 2, "B": 1}


def test_workers_that_left_are_not_offered_and_other_clients_tasks_take_threads():
    free = free_threads({"B": 1}, {"A": ["x"], "B": ["someone-else"]}, {"ws3": "A"})
    assert free == {"B": 0}
    assert pick(free) is None
    assert pick({}) is None


def test_ties_go_to_the_first_worker_by_address():
    assert pick({"tcp://b": 1, "tcp://a": 1, "tcp://c": 0}) == "tcp://a"


@given(
    st.dictionaries(st.sampled_from("ABCD"), st.integers(1, 4), min_size=1),
    st.dictionaries(st.sampled_from("ABCDE"), st.lists(st.integers(0, 30), max_size=5, unique=True)),
    st.dictionaries(st.integers(0, 30), st.sampled_from("ABCDE")),
)
def test_a_picked_worker_is_present_and_has_a_free_thread(nthreads, processing, sent):
    keys = [k for ks in processing.values() for k in ks]
    if len(keys) != len(set(keys)):
        return  # the scheduler lists a task on one worker only
    free = free_threads(nthreads, processing, sent)
    assert set(free) == set(nthreads)
    worker = pick(free)
    if worker is None:
        assert all(n <= 0 for n in free.values())
    else:
        assert worker in nthreads and free[worker] == max(free.values()) > 0
