"""A pass's Last-Modified rises with every change, whatever their order and timing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import pass_seconds

# A run of changes: (who changes, how far the clock moved before it, whether the
# member's change read an older, cached copy of the program).
changes = st.lists(
    st.tuples(st.sampled_from(["member", "program"]), st.integers(0, 3), st.booleans()),
    min_size=1,
    max_size=40,
)


@given(changes, st.booleans())
def test_every_change_gives_a_later_last_modified(run, stored_before_seen_was_kept):
    now = 1_800_000_000
    program = now
    member, seen = now, (None if stored_before_seen_was_kept else now)
    history = [program]  # the program's seconds so far, for a cached read
    served = pass_seconds.served(member, program, seen)
    for who, wait, cached in run:
        now += wait
        if who == "program":
            program = pass_seconds.next_program(program, now)
            history.append(program)
        else:
            read = history[-2] if cached and len(history) > 1 else program
            member = pass_seconds.next_member(member, read, seen, now)
            seen = read
        after = pass_seconds.served(member, program, seen)
        assert after > served, (who, served, after)
        served = after


def test_a_design_change_shows_while_the_member_is_ahead_of_the_clock():
    # Three stamps in one second put the member two seconds ahead of the clock.
    now, program = 1_800_000_000, 1_799_999_999
    member, seen = now, program
    for _ in range(2):
        member = pass_seconds.next_member(member, program, seen, now)
    before = pass_seconds.served(member, program, seen)

    program = pass_seconds.next_program(program, now)

    assert pass_seconds.served(member, program, seen) == before + 1


def test_it_stays_near_the_clock_when_the_design_changes_long_after_the_member():
    month = 30 * 86_400
    member = seen = 1_800_000_000
    program = pass_seconds.next_program(seen, 1_800_000_000 + month)
    assert pass_seconds.served(member, program, seen) == 1_800_000_000 + month
