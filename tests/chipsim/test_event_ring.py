"""The FPGA event ring (bss2emu extension, protocol/event_ring.py): the entries equal the events
the FPGA injects and streams to the host, a full ring drops and counts, bad configurations are
rejected like bad register writes, and a PPU that polls the ring sees each event exactly once
the chip time passed it."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from bss2emu.chipsim import Chip, input_events
from bss2emu.chipsim.fpga import Executor
from bss2emu.chipsim.ppu.core import BusKind, PpuCore, Status
from bss2emu.protocol import builders as b
from bss2emu.protocol import event_ring as er
from bss2emu.protocol.ut import (
    Direction,
    FromFPGA,
    LoopbackKind,
    ResponseDecoder,
    decode,
    encode,
    loopback,
    omnibus_read,
    omnibus_reads,
    omnibus_write,
    omnibus_writes,
    spike_injection,
    system_reset,
    timer_setup,
    wait_until,
)

from ..ppu.chip_support import compile_c, load, mailbox_word, one_neuron_writes

HEADER = Path(__file__).resolve().parents[2] / "ppu_programs/runtime/include/event_ring.h"
RING = 0x1000  # extmem byte offset used by the tests
HALT = encode([loopback(LoopbackKind.HALT)], Direction.TO_FPGA)


def _words(*messages) -> np.ndarray:
    """Encode messages and message lists (omnibus writes are address + data)."""
    flat = [m for msg in messages for m in (msg if isinstance(msg, list) else [msg])]
    return encode(flat, Direction.TO_FPGA)


def _header(chip: Chip, base: int = RING) -> dict[str, int]:
    return dict(er.HEADER.parse(chip.extmem[base:base + er.HEADER_BYTES].tobytes()))


def _entries(chip: Chip, base: int = RING) -> np.ndarray:
    """The written entries in index order (the ring must not have wrapped)."""
    count = _header(chip, base)["write_index"]
    first = base + er.HEADER_BYTES
    return chip.extmem[first:first + er.ENTRY_BYTES * count].view(er.ENTRY_DTYPE)


def _network() -> b.Writes:
    """One neuron that a few label-0 inputs make fire; its spikes are routed to the FPGA."""
    return b.concat(one_neuron_writes(), b.crossbar_node(0, 8, 0, 0))


def test_c_header_constants_equal_the_protocol_declaration():
    defines = {m[1]: int(m[2], 0) for m in
               re.finditer(r"#define EVENT_RING_(\w+) (0x[0-9A-Fa-f]+)", HEADER.read_text())}
    expected = {name.upper(): offset for name, offset in er.HEADER_OFFSETS.items()}
    expected |= {f"ENTRY_{name.upper()}": offset for name, offset in er.ENTRY_OFFSETS.items()}
    expected |= {"HEADER_BYTES": er.HEADER_BYTES, "ENTRY_BYTES": er.ENTRY_BYTES,
                 "FLAG_CHIP": er.CHIP_FLAG, "ALIGNMENT": er.ALIGNMENT}
    assert defines == expected


def test_entries_equal_the_events_the_host_sees():
    """Injected spikes at the systime they were injected, chip spikes at the systime the host
    decodes, in time order; also across a chip reset at a nonzero systime and a run split by
    an omnibus read."""
    ex = Executor(Chip(1))
    times = np.array([125, 375, 625, 1125, 1625, 1875, 2125, 2126, 2400])
    labels = np.array([0, 0, 0, 0, 0, 0, 0, 0x8123, 0])
    ex.execute(np.concatenate([_words(timer_setup(), wait_until(777), system_reset(True),
                                      system_reset(False)), HALT]))
    program = np.concatenate([
        omnibus_writes(*_network()), omnibus_writes(*er.config_writes(RING, 64)),
        _words(timer_setup()), spike_injection(times[:5], labels[:5]),
        omnibus_reads(np.array([er.CONTROL])), spike_injection(times[5:], labels[5:]),
        _words(wait_until(5000)), HALT])
    host = ResponseDecoder().feed(ex.execute(program))
    ring = _entries(ex.chip)
    chip = ring[ring["flags"] == er.CHIP_FLAG]
    injected = ring[ring["flags"] == 0]
    assert host.spikes.size >= 5
    assert chip["systime"].tolist() == host.spikes["chip_time"].tolist()
    assert chip["label"].tolist() == host.spikes["label"].tolist()
    assert injected["systime"].tolist() == (777 + times).tolist()
    assert injected["label"].tolist() == labels.tolist()
    key = ring["systime"].astype(np.int64) * 2 + ring["flags"]
    assert np.all(np.diff(key) >= 0)  # time order, injected first at equal times
    assert _header(ex.chip)["overflow_count"] == 0


def test_full_ring_drops_and_counts_and_read_index_frees_slots():
    chip = Chip(0)
    chip.configure_event_ring(True, RING, 3)
    chip.run(input_events(np.arange(10, 60, 10), np.arange(5)), 100)
    head = _header(chip)
    assert (head["write_index"], head["read_index"], head["overflow_count"]) == (3, 0, 2)
    assert _entries(chip)["label"].tolist() == [0, 1, 2]
    chip.extmem[RING + 4:RING + 8] = np.frombuffer((2).to_bytes(4, "big"), np.uint8)
    chip.run(input_events(np.arange(0, 30, 10), np.arange(5, 8)), 100)
    head = _header(chip)
    assert (head["write_index"], head["overflow_count"]) == (5, 3)
    slots = chip.extmem[RING + 16:RING + 16 + 24].view(er.ENTRY_DTYPE)
    assert slots["label"].tolist() == [5, 6, 2]  # indices 3, 4 wrapped into slots 0, 1
    assert slots["systime"].tolist() == [100 + 0, 100 + 10, 30]


def test_registers_read_back_and_system_reset_disables():
    ex = Executor(Chip(0))
    regs = np.array([er.CONTROL, er.BASE, er.CAPACITY])
    out = decode(ex.execute(np.concatenate([
        omnibus_writes(*er.config_writes(0x20, 7)), omnibus_reads(regs),
        _words(system_reset(True)), omnibus_reads(regs), HALT])), Direction.FROM_FPGA)
    assert [m["value"] for m in out[:6]] == [1, 0x20, 7, 0, 0, 0]
    assert not ex.chip.event_ring.enabled
    assert ex.chip.ppus[0].core.watches(0x20, 16) is False


@pytest.mark.parametrize("base, capacity", [(0x18, 4), (0x100, 0),
                                            (er.EXTMEM_BYTES - 32, 3)])
def test_enabling_a_ring_that_does_not_fit_times_out(base, capacity):
    ex = Executor(Chip(0))
    with pytest.raises(ValueError):
        er.config_writes(base, capacity)
    out = decode(ex.execute(np.concatenate([
        _words(omnibus_write(er.BASE, base), omnibus_write(er.CAPACITY, capacity),
               omnibus_write(er.CONTROL, 1), omnibus_read(er.CONTROL)), HALT])),
        Direction.FROM_FPGA)
    assert (out[0].instruction, out[0]["value"]) == (FromFPGA.TIMEOUT_NOTIFICATION, er.CONTROL)
    assert out[1]["value"] == 0 and not ex.chip.event_ring.enabled


def test_words_with_reserved_bits_time_out():
    ex = Executor(Chip(0))
    out = decode(ex.execute(np.concatenate([
        _words(omnibus_write(er.BASE, 1 << 17), omnibus_write(er.CAPACITY, 1 << 14),
               omnibus_write(er.CONTROL, 2)), HALT])), Direction.FROM_FPGA)
    assert [(m.instruction, m["value"]) for m in out[:3]] == [
        (FromFPGA.TIMEOUT_NOTIFICATION, a) for a in (er.BASE, er.CAPACITY, er.CONTROL)]


READ_ONCE = r"""
#include "ppu.h"
#include "event_ring.h"
/* Busy-wait, then read write_index once. */
int start(void)
{
    while (ppu_time_base() < 2000)
        ;
    mailbox_set_word(0, *event_ring_word(PPU_EXTMEM_BASE + RING_OFFSET, EVENT_RING_WRITE_INDEX));
    return 0;
}
"""


def _load_tick(program) -> int:
    """PPU cycle of the program's first header access, found on a bare core."""
    core = PpuCore(extmem=True)
    core.load(program.sram_image())
    core.watch(RING, er.HEADER_BYTES)
    assert core.run(100_000) == Status.BUS and core.bus.kind == BusKind.SYNC
    return core.cycles


@pytest.mark.parametrize("visible", [True, False])
def test_ppu_header_read_sees_exactly_the_earlier_events(tmp_path, visible):
    """An injected spike at chip tick c is in write_index for a read at tick t iff c < t."""
    pytest.importorskip("ziglang")
    program = compile_c(tmp_path, READ_ONCE.replace("RING_OFFSET", str(RING)))
    t = _load_tick(program)
    systime = (t - 1) // 2 if visible else (t + 1) // 2
    chip = Chip(0)
    chip.configure_event_ring(True, RING, 8)
    load(chip, program)
    chip.run(input_events([systime], [3]), 2000)
    assert mailbox_word(chip, 0) == int(visible)
    assert _header(chip)["write_index"] == 1  # the event was recorded in any case


POLL = r"""
#include "ppu.h"
#include "event_ring.h"
/* Pop EVENTS events; per event store systime, label | flags << 16 and the time base. */
int start(void)
{
    uint32_t ring = PPU_EXTMEM_BASE + RING_OFFSET;
    event_ring_entry e;
    for (uint32_t k = 0; k < EVENTS; k++) {
        while (!event_ring_pop(ring, &e))
            ;
        uint32_t now = (uint32_t)ppu_time_base();
        mailbox_set_word(3 * k, e.systime);
        mailbox_set_word(3 * k + 1, e.label | (uint32_t)e.flags << 16);
        mailbox_set_word(3 * k + 2, now);
    }
    return 0;
}
"""


def test_polling_ppu_sees_each_event_soon_after_its_time(tmp_path):
    """A PPU consuming a 2-entry ring gets every injected and chip spike without overflow, each
    after its chip tick and within a few polling loops of it."""
    pytest.importorskip("ziglang")
    times = np.array([125, 375, 625, 1125, 1625, 1875, 2125])
    chip = Chip(1)
    chip.write_many(*_network())
    out = chip.run(input_events(times, np.zeros(times.size, int)), 3000).events["chip_time"]
    tick = np.sort(np.concatenate([2 * times, out[out < 5000]]))  # the events the PPU takes
    source = POLL.replace("RING_OFFSET", str(RING)).replace("EVENTS", str(tick.size))
    program = compile_c(tmp_path, source)
    chip = Chip(1)
    chip.write_many(*_network())
    chip.configure_event_ring(True, RING, 2)
    load(chip, program)
    result = chip.run(input_events(times, np.zeros(times.size, int)), 3000)
    assert result.events["chip_time"].tolist() == out.tolist()  # polling changes nothing
    seen = np.array([[mailbox_word(chip, 3 * k + i) for i in range(3)]
                     for k in range(tick.size)])
    assert seen[:, 0].tolist() == (tick // 2).tolist()
    assert (seen[:, 1] >> 16).tolist() == np.isin(tick, out).astype(int).tolist()
    assert (seen[:, 1] & 0xFFFF).tolist() == np.where(np.isin(tick, out), 5, 0).tolist()
    assert np.all(seen[:, 2] > tick)
    assert np.all(seen[:, 2] - tick < 300)
    assert _header(chip)["overflow_count"] == 0
