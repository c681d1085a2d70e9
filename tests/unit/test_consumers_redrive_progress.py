"""Filtered redrive progress: letters left behind stay redrivable, handled ones are never sent twice."""

from __future__ import annotations

from consumers import redrive_progress as progress


def test_commit_stops_at_the_first_letter_left_and_remembers_what_was_handled_after_it() -> None:
    commit = progress.next_commit(end=20, handled={10, 11, 12, 14, 15, 17}, left=[13, 16, 18, 19])
    assert commit.offset == 13 and commit.passed_over == 0
    assert progress.handled_after(commit.offset, commit.metadata) == {14, 15, 17}


def test_nothing_left_commits_the_end() -> None:
    commit = progress.next_commit(end=20, handled=set(range(5, 20)), left=[])
    assert (commit.offset, commit.metadata) == (20, "r1:")
    assert progress.handled_after(20, commit.metadata) == set()


def test_ranges_round_trip_and_foreign_metadata_means_nothing_recorded() -> None:
    handled = {100, 101, 102, 105, 107, 108}
    commit = progress.next_commit(end=200, handled=handled, left=[99, 150])
    assert commit.metadata == "r1:1-3,6,8-9"
    assert progress.handled_after(99, commit.metadata) == handled
    assert progress.handled_after(99, "") == set()
    assert progress.handled_after(99, "written by another tool") == set()
    assert progress.handled_after(99, "r1:1-x") == set()


def test_metadata_too_long_passes_over_the_oldest_letters_left() -> None:
    # every other letter handled: ranges do not compress, so 4,000 bytes cannot hold them all
    handled = set(range(0, 4000, 2))
    left = list(range(1, 4000, 2))
    commit = progress.next_commit(end=4000, handled=handled, left=left)
    assert len(commit.metadata) <= progress.MAX_METADATA
    assert commit.passed_over > 0 and commit.offset == left[commit.passed_over]
    assert progress.handled_after(commit.offset, commit.metadata) == {o for o in handled if o > commit.offset}
