"""The emulated FPGA (chipsim.fpga.Executor) at the UT-word level: the minimal real-system
sequence, omnibus semantics and timeouts, malformed words, programs split anywhere, JTAG,
registers of the FPGA itself, chip reset."""
from __future__ import annotations

import bss2emu.chipsim.fpga as fpga
import numpy as np
import pytest
from bss2emu.chipsim import Chip
from bss2emu.chipsim.fpga import Executor
from bss2emu.host.chip.mapping import map_network
from bss2emu.protocol import builders as b
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.ut import (
    Direction,
    FromFPGA,
    JtagIR,
    LoopbackKind,
    ToFPGA,
    decode,
    encode,
    jtag_data,
    jtag_init,
    jtag_ins,
    jtag_scaler,
    loopback,
    message,
    omnibus_read,
    omnibus_reads,
    omnibus_write,
    omnibus_writes,
    system_reset,
    timer_setup,
    wait_until,
)
from bss2emu.protocol.ut.bulk import spike_injection

SYNAPSE_QUADS = ob.block("synapse_quad", 0).base  # combined view: every 32-bit word is legal
PADI = ob.PADI_BASE[0] + 1  # CommonPADIBusConfig (+ 0 is the write-only event trigger)
DRIVERS = ob.SYNAPSE_DRIVER_BASE[0]
UNKNOWN = 0x000D_0000
HALT = encode([loopback(LoopbackKind.HALT)], Direction.TO_FPGA)


def words(*parts) -> np.ndarray:
    """Concatenate message lists and word arrays into one program."""
    out = []
    for part in parts:
        if isinstance(part, np.ndarray):
            out.append(part.astype(np.uint64))
        else:
            flat = [m for p in part for m in (p if isinstance(p, list) else [p])]
            out.append(encode(flat, Direction.TO_FPGA))
    return np.concatenate(out)


def responses(ex: Executor, program: np.ndarray):
    return decode(ex.execute(program), Direction.FROM_FPGA)


def test_minimal_real_system_sequence_gives_exactly_two_responses():
    ex = Executor(Chip(seed=0))
    program = words([system_reset(True), timer_setup(), wait_until(10), system_reset(False),
                     wait_until(100), jtag_scaler(3), jtag_init(),
                     jtag_data(0, 32, keep_response=True), wait_until(10000),
                     loopback(LoopbackKind.HALT)])
    out = responses(ex, program)
    assert out == [message(FromFPGA.JTAG_DATA, value=0x348580AF),
                   message(FromFPGA.LOOPBACK, value=LoopbackKind.HALT)]
    assert ex.timer == 10000 and ex.programs_done


def test_jtag_bypass_and_unmodelled_registers():
    ex = Executor(Chip(seed=0))
    out = responses(ex, words([jtag_ins(JtagIR.BYPASS), jtag_data(0b1011, 8, True),
                               jtag_ins(JtagIR.PLL_TARGET_REG), jtag_data(0xFF, 8, True),
                               jtag_data(0xFF, 8, False)], HALT))
    assert [m["value"] for m in out[:2]] == [0b10110, 0]
    assert len(out) == 3


def test_omnibus_reads_and_writes_in_program_order():
    ex = Executor(Chip(seed=0))
    program = words([omnibus_write(PADI, 3), omnibus_read(PADI), omnibus_write(PADI, 5),
                     omnibus_read(PADI)], HALT)
    out = responses(ex, program)
    assert [(m.instruction, m["value"]) for m in out] == [
        (FromFPGA.OMNIBUS_DATA, 3), (FromFPGA.OMNIBUS_DATA, 5), (FromFPGA.LOOPBACK, 0)]


def test_unknown_address_answers_timeout_and_the_program_goes_on():
    ex = Executor(Chip(seed=0))
    program = words([omnibus_write(UNKNOWN, 1), omnibus_read(UNKNOWN),
                     omnibus_write(PADI, 7), omnibus_read(PADI),
                     omnibus_read(ob.NEURON_RESET_BASE[0])],  # write-only trigger
                    HALT)
    out = responses(ex, program)
    assert [(m.instruction, m["value"]) for m in out] == [
        (FromFPGA.TIMEOUT_NOTIFICATION, UNKNOWN), (FromFPGA.TIMEOUT_NOTIFICATION, UNKNOWN),
        (FromFPGA.OMNIBUS_DATA, 7),
        (FromFPGA.TIMEOUT_NOTIFICATION, ob.NEURON_RESET_BASE[0]), (FromFPGA.LOOPBACK, 0)]


def test_bulk_write_run_equals_write_by_write_even_with_a_bad_word():
    rng = np.random.default_rng(4)
    addr, data = b.synapse_rows(1, np.arange(4), rng.integers(0, 64, (4, 256)),
                                rng.integers(0, 64, (4, 256)))
    addr, data = addr.astype(np.int64), data.astype(np.int64)
    addr[100] = UNKNOWN  # one bad address in the middle of the run
    addr[200] = addr[300]  # a repeated address: the later write wins
    bulk = Executor(Chip(seed=0))
    out = responses(bulk, words(omnibus_writes(addr, data), omnibus_reads(addr), HALT))
    one = Executor(Chip(seed=0))
    slow = [m for a, d in zip(addr.tolist(), data.tolist(), strict=True)
            for m in omnibus_write(a, d) + [omnibus_read(0x8800_0000)]]  # breaks the runs
    one.execute(words(slow, HALT))
    ref = responses(one, words(omnibus_reads(addr), HALT))
    assert out[1:] == ref  # out[0] is the write's timeout
    assert out[0] == message(FromFPGA.TIMEOUT_NOTIFICATION, omnibus_reads_in_flight=0,
                             trace_stall_count=0, value=UNKNOWN)
    values = [m["value"] for m in out if m.instruction is FromFPGA.OMNIBUS_DATA]
    last = {a: d for a, d in zip(addr.tolist(), data.tolist(), strict=True)}
    assert values == [last[a] for a in addr.tolist() if a != UNKNOWN]
    assert values[199] == data[300]  # read 200 (the timed-out read 100 has no data)


def test_partial_byte_enables_merge_with_the_current_word():
    ex = Executor(Chip(seed=0))
    address = ob.block("synapse_quad", 0).base  # combined view: all 8 bits of a lane defined
    out = responses(ex, words([omnibus_write(address, 0x11223344),
                               omnibus_write(address, 0xAABBCCDD, byte_enables=0b0101),
                               omnibus_read(address)], HALT))
    assert out[0]["value"] == 0x11BB33DD


def test_malformed_words_answer_decode_errors_and_execution_continues():
    ex = Executor(Chip(seed=0))
    bad_header = np.array([0x7F << 56], np.uint64)
    stray_data = encode([message(ToFPGA.OMNIBUS_DATA, value=1)], Direction.TO_FPGA)
    lone_address = encode([omnibus_write(PADI, 9)[0]], Direction.TO_FPGA)
    idle = np.array([0x8000_0000_0000_0000], np.uint64)  # comma word: ignored
    out = responses(ex, words(bad_header, stray_data, lone_address, idle,
                              [omnibus_write(PADI, 2), omnibus_read(PADI)], HALT))
    kinds = [m.instruction for m in out]
    assert kinds == [FromFPGA.HIGHSPEED_LINK_NOTIFICATION] * 3 + [FromFPGA.OMNIBUS_DATA,
                                                                   FromFPGA.LOOPBACK]
    assert all(m["decode_error"] and m["link_up"] for m in out[:3])
    assert out[3]["value"] == 2


@pytest.mark.parametrize("seed", range(3))
def test_a_program_split_anywhere_gives_the_same_responses(seed):
    rng = np.random.default_rng(seed)
    addr = np.concatenate([SYNAPSE_QUADS + rng.integers(0, 4096, 50), [UNKNOWN, PADI]])
    data = rng.integers(0, 2**32, addr.size) & np.where(addr == PADI, 0xF, 0xFFFFFFFF)
    program = words([timer_setup()], omnibus_writes(addr, data), omnibus_reads(addr),
                    [wait_until(500)], omnibus_reads(np.array([fr.TIMER, fr.SYSTIME_LOW])), HALT)
    whole = responses(Executor(Chip(seed=0)), program)
    ex = Executor(Chip(seed=0))
    cuts = np.sort(rng.choice(np.arange(1, program.size), 12, replace=False))
    pieces = []
    for part in np.split(program, cuts):
        pieces.append(ex.execute(part))
    split = [m for p in pieces for m in decode(p, Direction.FROM_FPGA)]
    assert split == whole
    assert [m["value"] for m in whole[-3:-1]] == [500, 500]


def test_fpga_registers_timer_and_systime():
    ex = Executor(Chip(seed=0))
    out = responses(ex, words([wait_until(1000), timer_setup(), wait_until(250)],
                              omnibus_reads(np.array([fr.TIMER, fr.SYSTIME_LOW,
                                                      fr.SYSTIME_HIGH])), HALT))
    assert [m["value"] for m in out[:3]] == [250, 1250, 0]
    out = responses(ex, words([omnibus_write(fr.TIMER, 1)], HALT))  # read-only
    assert out[0].instruction is FromFPGA.TIMEOUT_NOTIFICATION


def test_system_reset_returns_the_chip_to_reset_values():
    ex = Executor(Chip(seed=0))
    responses(ex, words([omnibus_write(PADI, 5)], HALT))
    out = responses(ex, words([system_reset(True), system_reset(False),
                               omnibus_read(PADI)], HALT))
    assert out[0]["value"] == 0


def test_wait_until_does_not_go_back_and_timer_setup_rebases():
    ex = Executor(Chip(seed=0))
    ex.execute(words([timer_setup(), wait_until(100), wait_until(50)], HALT))
    assert (ex.systime, ex.timer) == (100, 100)
    ex.execute(words([timer_setup(), wait_until(50)], HALT))
    assert (ex.systime, ex.timer) == (150, 50)


def test_each_program_gets_one_log_line():
    ex = Executor(Chip(seed=0))
    ex.execute(words([omnibus_write(PADI, 1), omnibus_read(UNKNOWN)], HALT,
                     [omnibus_read(PADI)], HALT))
    assert len(ex.programs_done) == 2
    assert "1 writes" in str(ex.programs_done[0]) and "1 timeouts" in str(ex.programs_done[0])


def test_writes_received_before_an_abandoned_program_are_applied():
    chip = Chip(seed=0)
    ex = Executor(chip)
    addr = SYNAPSE_QUADS + np.arange(3000)
    data = np.arange(3000) * 7919 % 2**32
    half = omnibus_writes(addr, data)
    assert ex.execute(half[:4001]).size == 0  # a program cut mid-write, no halt
    assert ex.in_program
    ex.abort_program()
    assert not ex.in_program
    assert [chip.read(int(a)) for a in addr[:2000]] == data[:2000].tolist()
    assert chip.read(int(addr[2000])) == 0  # its data word never arrived
    out = responses(ex, words([omnibus_read(PADI)], HALT))  # the next program starts clean
    assert [m.instruction for m in out] == [FromFPGA.OMNIBUS_DATA, FromFPGA.LOOPBACK]



def _playback(labels: np.ndarray, over_limit: bool) -> np.ndarray:
    """A chip-mode style program: timer setup, 400 input spikes at increasing times (several
    labels per time), a final wait, a read of the timer, halt; optionally one wait far past
    the server's emulated-time limit in the middle of the spikes."""
    rng = np.random.default_rng(5)
    times = np.sort(rng.integers(0, 20_000, 400))
    spikes = spike_injection(times, labels[rng.integers(0, labels.size, 400)])
    if over_limit:
        far = encode([wait_until(int(2e9))], Direction.TO_FPGA)
        spikes = np.concatenate([spikes[:spikes.size // 2], far, spikes[spikes.size // 2:]])
    return words([timer_setup()], spikes, [wait_until(25_000)],
                 omnibus_reads(np.array([fr.TIMER, fr.SYSTIME_LOW])), HALT)


@pytest.mark.parametrize("over_limit", [False, True])
def test_timed_spike_runs_equal_word_by_word(monkeypatch, over_limit):
    """Runs of WAIT_UNTIL and spike packs executed at once give the word-by-word answers: the
    same spikes reach the chip at the same times (its responses and state agree), and a wait
    over the time limit inside such a run ends the program at the same word."""
    rng = np.random.default_rng(11)
    placement, writes, _, _ = map_network(rng.normal(0.3, 0.3, (25, 30)),
                                          rng.normal(0.2, 0.4, (30, 3)))
    program = _playback(np.array(placement.input_labels), over_limit)
    results = []
    for run_words in (fpga.TIMED_RUN_WORDS, 10**9):  # fast path, then word by word
        monkeypatch.setattr(fpga, "TIMED_RUN_WORDS", run_words)
        chip = Chip(seed=3)
        chip.write_many(*writes)
        ex = Executor(chip)
        out = responses(ex, program)
        results.append((out, list(ex.notices), chip.state.v.copy()))
    (fast, fast_notes, fast_v), (slow, slow_notes, slow_v) = results
    assert fast == slow and fast_notes == slow_notes
    assert np.array_equal(fast_v, slow_v)
    spikes_out = [m for m in fast if m.instruction in (FromFPGA.SPIKE_PACK_1,
                                                       FromFPGA.SPIKE_PACK_2,
                                                       FromFPGA.SPIKE_PACK_3)]
    if over_limit:
        assert fast_notes and "limit" in fast_notes[0]
    else:
        assert len(spikes_out) > 10  # the input spikes did drive the network
