"""Hypothesis strategies and settings shared by the conformance tests (seeded: derandomized)."""
from __future__ import annotations

from bss2emu.protocol.ut import DICTIONARIES, Direction, Message
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: every property test is deterministic (fixed seed derived from the test) and unhurried
SEEDED = settings(derandomize=True, deadline=None, max_examples=300,
                  suppress_health_check=[HealthCheck.too_slow])


def messages_of(direction: Direction, exclude: tuple = ()) -> st.SearchStrategy[Message]:
    """Any message of a direction with every field drawn over its full width."""
    rows = [r for r in DICTIONARIES[direction] if r.instruction not in exclude]

    def one(row):
        return st.fixed_dictionaries({
            name: st.integers(0, (1 << width) - 1) for name, (_, width) in row.fields.items()
        }).map(lambda fields: Message(row.instruction, fields))

    return st.sampled_from(rows).flatmap(one)
