"""The FPGA's placement of event packs in its response stream (timing messages before packs
that do not fit the decoder's window): the C scan against its Python reference, and the
messages it yields against single-message encoding."""
from __future__ import annotations

import numpy as np
from bss2emu.chipsim.fpga import ResponseStream, place_packs, reference_placement
from bss2emu.protocol.ut import FromFPGA
from bss2emu.protocol.ut.constants import FPGA_TIME_MASK
from bss2emu.protocol.ut.fields import Wide, single_word


def _packs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pack times as the executor makes them: sorted last times, dense bursts and long gaps
    (beyond SYSDELTA's field), first <= last within the window."""
    gaps = rng.choice([0, 1, 2, 7, 100, 5000, 1 << 20], n, p=[.3, .2, .1, .1, .1, .1, .1])
    last = np.cumsum(gaps) + int(rng.integers(0, 3))
    first = last - rng.integers(0, 120, n)
    return np.maximum(first, 0), last


def test_c_scan_equals_the_reference():
    rng = np.random.default_rng(12)
    kinds = set()
    for _ in range(200):
        first, last = _packs(rng, int(rng.integers(1, 400)))
        now = int(rng.integers(0, 50))
        got = place_packs(first, last, now)
        want = reference_placement(first, last, now)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
        assert got[2] == want[2]
        kinds |= set(got[0].tolist())
    assert kinds == {0, 1, 2}  # no timing, SYSDELTA and SYSTIME all occur


def test_stream_is_each_pack_after_its_timing_message():
    rng = np.random.default_rng(3)
    first, last = _packs(rng, 300)
    packs = Wide(np.zeros(300, np.uint64), rng.integers(0, 1 << 62, 300).astype(np.uint64),
                 np.full(300, 64, np.int64))
    stream = ResponseStream()
    stream.events(packs, first, last)
    kind, value, _ = reference_placement(first, last, 0)
    expected = []
    for i in range(300):
        if kind[i] == 1:
            expected.append(single_word(FromFPGA.SYSDELTA, value=int(value[i])))
        elif kind[i] == 2:
            expected.append(single_word(FromFPGA.SYSTIME, value=int(value[i]) & FPGA_TIME_MASK))
        expected.append(int(packs.lo[i]))
    got = np.concatenate([p.lo for p in stream._pieces]).tolist()
    assert got == expected and stream.messages == len(expected)
