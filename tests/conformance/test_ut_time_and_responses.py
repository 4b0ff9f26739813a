"""Time reconstruction (fisch rule, bss2-facts §5.3) and the bulk response decoder."""
from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from bss2emu.protocol.ut import (
    Direction,
    FromFPGA,
    ResponseDecoder,
    Responses,
    TimeTracker,
    UTError,
    decode,
    encode,
    event_time,
    message,
    message_times,
)
from bss2emu.protocol.ut.constants import FPGA_TIME_MASK
from conformance_strategies import SEEDED, messages_of
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(("now", "timestamp", "expected"), [
    (1000, 0, 896),          # 1000 = 7*128 + 104: low 7 bits replaced by 0
    (1000, 208, 1000),       # 208/2 = 104: exactly now
    (1000, 210, 873),        # 105 would be in the future: one 128-tick period earlier
    (1000, 255, 1023 - 128),  # 255/2 = 127 (integer halving)
    (128, 2, 129 - 128),     # 1 + 128 > 128 -> 1
    (5, 20, (10 - 128) & FPGA_TIME_MASK),  # before the first period: wraps in 43 bits
])
def test_event_time_examples(now, timestamp, expected):
    assert event_time(now, timestamp) == expected


def test_message_times_follow_systime_and_sysdelta():
    headers = [FromFPGA.SPIKE_PACK_1, FromFPGA.SYSTIME, FromFPGA.SPIKE_PACK_1,
               FromFPGA.SYSDELTA, FromFPGA.LOOPBACK]
    values = [0, 1000, 0, 10, 0]
    # +1 per message; Systime sets, Sysdelta adds on top of the +1
    times, end = message_times(np.array(headers), np.array(values), start=0)
    assert times.tolist() == [1, 1000, 1001, 1012, 1013] and end == 1013
    times, end = message_times(np.array(headers[:1]), np.array(values[:1]), start=50)
    assert times.tolist() == [51] and end == 51


@SEEDED
@given(st.lists(messages_of(Direction.FROM_FPGA), max_size=40), st.integers(0, 1 << 40))
def test_vectorised_times_match_scalar_tracker(msgs, start):
    tracker = TimeTracker(start)
    expected = [tracker.update(m) for m in msgs]
    headers = np.array([int(m.instruction) for m in msgs], np.int64)
    values = np.array([m.fields.get("value", 0) for m in msgs], np.int64)
    times, end = message_times(headers, values, start)
    assert times.tolist() == expected and end == tracker.now


def _scalar_responses(msgs, start):
    """Reference: walk messages one by one with the scalar tracker."""
    tracker = TimeTracker(start)
    spikes, madc, omnibus = [], [], []
    for m in msgs:
        now = tracker.update(m)
        name = m.instruction.name
        if name.startswith(("SPIKE_PACK", "MADC_SAMPLE_PACK")):
            for slot in range(int(name[-1])):
                ts = m[f"timestamp_{slot}"]
                rest = ((m[f"label_{slot}"],) if name.startswith("SPIKE")
                        else (m[f"channel_{slot}"], m[f"value_{slot}"]))
                (spikes if name.startswith("SPIKE") else madc).append(
                    (event_time(now, ts), now, ts, *rest))
        elif m.instruction is FromFPGA.OMNIBUS_DATA:
            omnibus.append((now, m["value"]))
    return spikes, madc, omnibus, tracker.now


@SEEDED
@given(st.lists(messages_of(Direction.FROM_FPGA), max_size=40), st.integers(0, 1 << 30),
       st.lists(st.integers(0, 40), max_size=4))
def test_response_decoder_matches_scalar_path_in_any_chunking(msgs, start, cuts):
    words = encode(msgs, Direction.FROM_FPGA)
    dec = ResponseDecoder(start)
    bounds = [0, *sorted(min(c, len(words)) for c in cuts), len(words)]
    out = Responses.concatenate([dec.feed(words[a:b]) for a, b in pairwise(bounds)])
    spikes, madc, omnibus, end = _scalar_responses(msgs, start)
    assert [tuple(int(x) for x in r) for r in out.spikes] == spikes
    assert [tuple(int(x) for x in r) for r in out.madc] == madc
    assert [tuple(int(x) for x in r) for r in out.omnibus] == omnibus
    assert dec.time == end and dec.pending_words == 0
    assert len(out.loopback) == sum(m.instruction is FromFPGA.LOOPBACK for m in msgs)


def test_response_arrays_field_names():
    dec = ResponseDecoder()
    msgs = [message(FromFPGA.SYSTIME, value=500),
            message(FromFPGA.SPIKE_PACK_2, timestamp_0=0, label_0=7, timestamp_1=2, label_1=9),
            message(FromFPGA.MADC_SAMPLE_PACK_1, timestamp_0=4, channel_0=1, value_0=1023),
            message(FromFPGA.JTAG_DATA, value=0x248580AF)]
    out = dec.feed(encode(msgs, Direction.FROM_FPGA))
    # message 2 arrives at 501: 501 = 3*128 + 117 -> 384 | ts/2
    assert out.spikes["label"].tolist() == [7, 9]
    assert out.spikes["chip_time"].tolist() == [384, 385]
    assert out.spikes["fpga_time"].tolist() == [501, 501]
    assert out.madc[["value", "channel", "chip_time"]].tolist() == [(1023, 1, 386)]
    assert out.jtag["value"].tolist() == [0x248580AF]
    assert out.jtag["fpga_time"].tolist() == [503]


def test_response_decoder_rejects_unknown_header_and_recovers():
    dec = ResponseDecoder()
    with pytest.raises(UTError, match="unknown"):
        dec.feed(np.array([0x0D00_0000_0000_0000], np.uint64))
    halt = decode(np.array([0x0200_0000_0000_0000], np.uint64), Direction.FROM_FPGA)
    assert len(dec.feed(encode(halt, Direction.FROM_FPGA)).loopback) == 1
