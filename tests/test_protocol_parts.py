"""The parts accounting rules, pure: written vs counted per conversation, 500-part truncation named, deletions
counted, any other shortfall a gap (``intercomkit._protocol.parts``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from intercomkit._protocol.parts import (
    COMPLETE,
    GAP,
    MAX_PARTS,
    TRUNCATED,
    UNCHECKED,
    PartsAccount,
    check_parts,
)


def test_every_counted_part_written_is_complete_and_more_is_fine():
    assert check_parts("1", 3, 3, 3).outcome == COMPLETE
    # A part added between the listing and the GET: the answer's own count is the later one.
    assert check_parts("1", 3, 4, 4).outcome == COMPLETE


def test_500_most_recent_of_more_is_truncated_not_a_gap():
    # "If you have more than that we will return the 500 most recent conversation parts."
    check = check_parts("7", 640, 640, MAX_PARTS)
    assert (check.outcome, check.short) == (TRUNCATED, 140)


def test_any_other_shortfall_is_a_gap_and_the_larger_count_is_expected():
    assert check_parts("2", 5, 5, 4).outcome == GAP
    assert check_parts("2", 6, 5, 5).outcome == GAP  # the listing counted more than the answer holds
    assert check_parts("2", 600, 600, 499).outcome == GAP  # under 500: not Intercom's cut
    assert check_parts("2", None, 9, 8).expected == 9


def test_no_count_at_all_is_unchecked_and_odd_counts_are_ignored():
    assert check_parts("3", None, None, 2).outcome == UNCHECKED
    assert check_parts("3", True, "9", 2).outcome == UNCHECKED
    assert check_parts("3", -1, 2, 2).outcome == COMPLETE


def test_the_account_names_truncated_counts_deleted_and_words_gaps():
    account = PartsAccount()
    for check in (
        check_parts("1", 3, 3, 3),
        check_parts("2", 700, 700, 500),
        check_parts("3", 4, 4, 1),
        check_parts("4", None, None, 2),
        check_parts("6", 0, 0, 0),
    ):
        account.add(check)
    account.gone("5")
    assert (account.conversations, account.parts, account.expected) == (5, 506, 707)
    assert account.empty == ["6"]  # no part row names it: the account does
    assert account.truncated == ["2"] and account.truncated_parts == 200
    assert account.deleted == ["5"] and account.unchecked == 1
    assert account.missing == 3 and account.gaps == [
        "conversation 3: Intercom counts 4 parts, the answer held 1"
    ]
    assert not account.complete
    assert PartsAccount.from_json(account.to_json()) == account
    assert PartsAccount.from_json(None) == PartsAccount() and PartsAccount().complete


@given(st.lists(st.tuples(st.integers(0, 900), st.integers(0, 900)), max_size=20), st.integers(0, 19))
def test_merging_accounts_is_adding_their_checks(pairs, cut):
    checks = [check_parts(str(i), expected, None, written) for i, (expected, written) in enumerate(pairs)]
    whole, left, right = PartsAccount(), PartsAccount(), PartsAccount()
    for k, check in enumerate(checks):
        whole.add(check)
        (left if k < cut else right).add(check)
    left.merge(right)
    assert left == whole
    # Every conversation lands in exactly one place, and a gap's shortfall is all that is missing.
    assert whole.missing == sum(c.short for c in checks if c.outcome == GAP)
    assert len(whole.truncated) + len(whole.gaps) == sum(c.outcome in (TRUNCATED, GAP) for c in checks)
