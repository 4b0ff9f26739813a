"""Event times through the emulated FPGA: the SYSTIME/SYSDELTA the FPGA sends let the host
decoder (fisch's rule, +1 tick per message) rebuild every event's exact FPGA tick; chip spikes
and MADC samples arrive at the ticks Chip.run produces."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.chipsim import Chip, input_events
from bss2emu.chipsim.fpga import Executor as FPGA
from bss2emu.chipsim.fpga import ResponseStream, _event_chunk
from bss2emu.protocol import builders as b
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol.ut import (
    Direction,
    FromFPGA,
    LoopbackKind,
    ResponseDecoder,
    encode,
    loopback,
    omnibus_reads,
    omnibus_writes,
    spike_injection,
    timer_setup,
    wait_until,
)
from chip_setups import input_spikes, network_writes

HALT = encode([loopback(LoopbackKind.HALT)], Direction.TO_FPGA)


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sorted times mixing bursts (many events in one tick), small and huge gaps."""
    gaps = rng.choice([0, 0, 0, 1, 3, 60, 127, 128, 200, 255, 256, 300, 10_000, 2**33],
                      size=n)
    return np.cumsum(gaps) + int(rng.integers(0, 2**20))


@pytest.mark.parametrize("seed", range(6))
def test_decoder_rebuilds_every_event_time(seed):
    rng = np.random.default_rng(seed)
    stream = ResponseStream()
    expect = []
    for _ in range(5):  # event batches with other messages in between, as in a program
        n = int(rng.integers(1, 400))
        t = _times(rng, n) + (max(expect[-1]) if expect else 0)
        chip_t = 2 * t + rng.integers(0, 2, n)
        packs, first, last = _event_chunk("spike", t, chip_t, {"label": np.arange(n) % 65536})
        stream.events(packs, first, last)
        expect.append(t)
        for _ in range(int(rng.integers(0, 200))):
            stream.single(int(FromFPGA.LOOPBACK) << 56 | 1)
    out = ResponseDecoder().feed(stream.take())
    assert out.spikes["chip_time"].tolist() == np.concatenate(expect).tolist()


def test_time_messages_are_only_sent_when_needed():
    stream = ResponseStream()
    t = np.arange(100_000, 130_000, 10)  # one event every 10 ticks, far from time 0
    packs, first, last = _event_chunk("spike", t, 2 * t, {"label": np.zeros(t.size, int)})
    stream.events(packs, first, last)
    out = ResponseDecoder().feed(stream.take())
    assert out.spikes["chip_time"].tolist() == t.tolist()
    n_time = np.isin(out.headers, [FromFPGA.SYSTIME, FromFPGA.SYSDELTA]).sum()
    assert n_time <= len(packs.lo)  # at most one per pack (each pack spans 20-30 ticks)
    assert (out.headers == FromFPGA.SYSTIME).sum() == 1  # only the first jump needs SYSTIME


def _configured(seed: int) -> tuple[Chip, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    addresses, words = network_writes(rng)
    chip = Chip(seed=seed)
    chip.write_many(addresses, words)
    return chip, addresses, words


def test_spikes_of_a_piecewise_run_keep_their_ticks():
    """Reads in the middle make the FPGA run the chip in pieces; times stay absolute."""
    rng = np.random.default_rng(7)
    ref, addresses, words = _configured(7)
    times, labels = input_spikes(rng, 600, 250_000)
    cuts = [0, 70_000, 70_001, 180_000, 250_000]
    program = [encode([timer_setup()], Direction.TO_FPGA), omnibus_writes(addresses, words)]
    expect = []
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        sel = (times >= lo) & (times < hi)
        program += [spike_injection(times[sel], labels[sel]),
                    encode([wait_until(hi)], Direction.TO_FPGA),
                    omnibus_reads(np.array([fr.TIMER]))]
        res = ref.run(input_events(times[sel] - lo, labels[sel]), hi - lo)
        expect.append(res.events["time"] + lo)
    fpga = FPGA(Chip(seed=7))
    out = ResponseDecoder().feed(fpga.execute(np.concatenate(program + [HALT])))
    expect = np.concatenate(expect)
    assert expect.size > 100
    assert out.spikes["chip_time"].tolist() == expect.tolist()
    assert out.omnibus["value"].tolist() == cuts[1:]


def test_madc_samples_match_chip_run_record():
    rng = np.random.default_rng(3)
    ref, addresses, words = _configured(3)
    times, labels = input_spikes(rng, 40, 4_000)
    neurons = [5, 300]
    res = ref.run(input_events(times, labels), 5_000, record=neurons)
    program = np.concatenate([
        encode([timer_setup()], Direction.TO_FPGA), omnibus_writes(addresses, words),
        omnibus_writes(*b.madc_record(neurons)),
        spike_injection(times, labels), encode([wait_until(5_000)], Direction.TO_FPGA),
        omnibus_writes(*b.madc_stop(neurons)),
        encode([wait_until(6_000)], Direction.TO_FPGA), HALT])
    out = ResponseDecoder().feed(FPGA(Chip(seed=3)).execute(program))
    samples, k = res.madc.shape
    assert out.madc.size == samples * k
    assert out.madc["value"].tolist() == res.madc.reshape(-1).tolist()
    assert out.madc["channel"].tolist() == [0, 1] * samples
    ticks = np.floor(res.madc_time).astype(np.int64) // 2
    assert out.madc["chip_time"][::2].tolist() == ticks.tolist()
    first_part = out.spikes["chip_time"][out.spikes["chip_time"] < 5_000]
    assert first_part.tolist() == res.events["time"].tolist()


def test_documented_time_message_example():
    """docs/protocol.md §3.3: SYSTIME(999), SYSDELTA(8), then no time message."""
    from bss2emu.protocol.ut import Direction, decode
    from bss2emu.protocol.ut.bulk import event_packs

    t = np.array([1000, 1010, 1010, 1010, 1011])
    packs = event_packs("spike", {"timestamp": (2 * t) & 0xFF, "label": np.arange(5)},
                        new_group=np.array([True, True, True, False, False]))
    stream = ResponseStream()
    stream.events(packs, np.array([1000, 1010, 1010]), np.array([1000, 1010, 1011]))
    messages = decode(stream.take(), Direction.FROM_FPGA)
    assert [(m.instruction, m.fields.get("value")) for m in messages] == [
        (FromFPGA.SYSTIME, 999), (FromFPGA.SPIKE_PACK_1, None), (FromFPGA.SYSDELTA, 8),
        (FromFPGA.SPIKE_PACK_1, None), (FromFPGA.SPIKE_PACK_3, None)]


def test_long_madc_recordings_run_in_bounded_pieces(monkeypatch):
    import bss2emu.chipsim.fpga as fpga_module

    monkeypatch.setattr(fpga_module, "MADC_MAX_RUN_TICKS", 1000)
    rng = np.random.default_rng(9)
    ref, addresses, words = _configured(9)
    times, labels = input_spikes(rng, 30, 3_500)
    expect_values, expect_ticks = [], []
    for lo, hi in [(0, 1000), (1000, 2000), (2000, 3000), (3000, 3500)]:
        sel = (times >= lo) & (times < hi)
        res = ref.run(input_events(times[sel] - lo, labels[sel]), hi - lo, record=[40])
        expect_values.append(res.madc[:, 0])
        expect_ticks.append(lo + np.floor(res.madc_time).astype(np.int64) // 2)
    program = np.concatenate([
        encode([timer_setup()], Direction.TO_FPGA), omnibus_writes(addresses, words),
        omnibus_writes(*b.madc_record([40])),
        spike_injection(times, labels), encode([wait_until(3_500)], Direction.TO_FPGA), HALT])
    out = ResponseDecoder().feed(FPGA(Chip(seed=9)).execute(program))
    assert out.madc["value"].tolist() == np.concatenate(expect_values).tolist()
    assert out.madc["chip_time"].tolist() == np.concatenate(expect_ticks).tolist()
