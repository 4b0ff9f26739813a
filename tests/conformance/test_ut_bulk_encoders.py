"""The numpy bulk encoders produce exactly what the scalar builders produce."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.protocol.ut import (
    Direction,
    FromFPGA,
    UTError,
    build,
    decode,
    encode,
    event_packs,
    message,
    omnibus_read,
    omnibus_reads,
    omnibus_write,
    omnibus_writes,
    pack_words,
    spec,
    spike_injection,
    spike_pack,
    wait_until,
    wait_until_words,
)
from bss2emu.protocol.ut.bulk import pack_groups
from bss2emu.protocol.ut.enums import MADC_PACKS_FROM_FPGA, SPIKE_PACKS_FROM_FPGA
from conformance_strategies import SEEDED
from hypothesis import given
from hypothesis import strategies as st

U32 = st.integers(0, 2**32 - 1)


@SEEDED
@given(st.lists(st.tuples(U32, U32, st.integers(0, 15)), max_size=50))
def test_omnibus_writes_match_builders(writes):
    addr, value, be = np.array(writes, np.uint64).reshape(-1, 3).T
    expected = encode([m for a, v, b in writes for m in omnibus_write(a, v, b)], Direction.TO_FPGA)
    assert np.array_equal(omnibus_writes(addr, value, be), expected)


@SEEDED
@given(st.lists(U32, max_size=50))
def test_omnibus_reads_match_builders(addresses):
    expected = encode([omnibus_read(a) for a in addresses], Direction.TO_FPGA)
    assert np.array_equal(omnibus_reads(np.array(addresses, np.uint64)), expected)


@SEEDED
@given(st.lists(U32, max_size=50))
def test_wait_until_words_match_builders(times):
    expected = encode([wait_until(t) for t in times], Direction.TO_FPGA)
    assert np.array_equal(wait_until_words(np.array(times, np.int64)), expected)
    if times:
        assert np.array_equal(wait_until_words(times[0]), expected[:1])


def _scalar_injection(times, labels):
    """Reference: one WaitUntil per distinct time, its labels in packs of up to three."""
    msgs, i = [], 0
    while i < len(times):
        j = i
        while j < len(times) and times[j] == times[i]:
            j += 1
        msgs.append(wait_until(times[i]))
        msgs += [spike_pack(labels[k:min(k + 3, j)]) for k in range(i, j, 3)]
        i = j
    return msgs


@SEEDED
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 2**16 - 1)), max_size=60))
def test_spike_injection_matches_scalar_reference(spikes):
    spikes.sort(key=lambda s: s[0])
    times = [t for t, _ in spikes]
    labels = [lab for _, lab in spikes]
    words = spike_injection(np.array(times, np.int64), np.array(labels, np.int64))
    assert decode(words, Direction.TO_FPGA) == _scalar_injection(times, labels)


def test_spike_injection_example():
    words = spike_injection(np.array([5, 5, 5, 5, 9]), np.array([1, 2, 3, 4, 5]))
    assert [hex(w) for w in words] == [
        "0x500000000000005",    # WaitUntil(5)
        "0xf00000100020003",    # SpikePack3(1, 2, 3)
        "0xd00000000000004",    # SpikePack1(4)
        "0x500000000000009",    # WaitUntil(9)
        "0xd00000000000005",    # SpikePack1(5)
    ]


@pytest.mark.parametrize(("times", "labels", "match"), [
    ([3, 2], [1, 1], "non-decreasing"),
    ([1], [1 << 16], "out of range"),
    ([1 << 32], [1], "out of range"),
    ([1, 2], [1], "equal length"),
])
def test_spike_injection_rejects_bad_input(times, labels, match):
    with pytest.raises(UTError, match=match):
        spike_injection(np.array(times), np.array(labels))


@SEEDED
@given(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 2**16 - 1)), max_size=40))
def test_spike_event_packs_match_messages(events):
    ts = np.array([e[0] for e in events], np.int64)
    labels = np.array([e[1] for e in events], np.int64)
    got = decode(pack_words(event_packs("spike", {"timestamp": ts, "label": labels})),
                 Direction.FROM_FPGA) if events else []
    flat = [(m[f"timestamp_{s}"], m[f"label_{s}"]) for m in got
            for s in range(int(m.instruction.name[-1]))]
    assert flat == [tuple(e) for e in events]
    assert all(m.instruction is FromFPGA.SPIKE_PACK_3 for m in got[:-1])


def test_madc_event_packs_example():
    words = pack_words(event_packs("madc", {"timestamp": np.array([1, 3]),
                                            "channel": np.array([0, 1]),
                                            "value": np.array([2, 4])}))
    assert decode(words, Direction.FROM_FPGA) == [message(
        FromFPGA.MADC_SAMPLE_PACK_2, timestamp_0=1, channel_0=0, value_0=2,
        timestamp_1=3, channel_1=1, value_1=4)]


def _groups_one_by_one(new_group: list[bool]) -> list[tuple[int, int]]:
    """(first item, size) of every pack: a new pack at a group start or after 3 items."""
    packs: list[list[int]] = []
    for i, new in enumerate(new_group):
        if i == 0 or new or len(packs[-1]) == 3:
            packs.append([])
        packs[-1].append(i)
    return [(p[0], len(p)) for p in packs]


@pytest.mark.parametrize("kind", ["spike", "madc"])
def test_grouped_event_packs_match_one_build_per_pack(kind):
    """Random events and groupings: the table-driven packer gives every pack exactly the
    message `build` gives it (fields in the high and the low word, all pack sizes)."""
    rng = np.random.default_rng(3)
    instructions = SPIKE_PACKS_FROM_FPGA if kind == "spike" else MADC_PACKS_FROM_FPGA
    widths = {name.rsplit("_", 1)[0]: width
              for name, (_, width) in spec(instructions[0]).fields.items()}
    for n in (1, 2, 5, 400):
        columns = {name: rng.integers(0, 1 << width, n) for name, width in widths.items()}
        new_group = rng.random(n) < 0.3
        got = event_packs(kind, columns, new_group=new_group)
        packs = _groups_one_by_one([True, *new_group[1:].tolist()])
        assert [(int(f), int(s)) for f, s in zip(*pack_groups(np.r_[True, new_group[1:]]),
                                                 strict=True)] == packs
        for k, (first, size) in enumerate(packs):
            want = build(instructions[size - 1], **{
                f"{name}_{slot}": int(col[first + slot])
                for name, col in columns.items() for slot in range(size)})
            assert (got.hi[k], got.lo[k], got.width[k]) == (want.hi[0], want.lo[0],
                                                             want.width[0])
        assert len(got.lo) == len(packs)
    too_wide = {name: np.full(2, 1 << width) for name, width in widths.items()}
    with pytest.raises(UTError, match="out of range"):
        event_packs(kind, too_wide)
