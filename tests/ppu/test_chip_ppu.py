"""The PPUs on the chip: programs observe and change the network at the emulated time they
run at (lockstep), reach the chip over the omnibus window, and stop cleanly on faults."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.chipsim import Chip
from bss2emu.host.ppu.toolchain import mailbox_layout
from bss2emu.protocol import omnibus as ob

from .chip_support import NEURON, compile_c, inputs, load, mailbox_word, one_neuron_writes

pytest.importorskip("ziglang")

COUNTER_PROGRAM = r"""
#include "ppu.h"
/* Sample the test neuron's spike counter at 10 us steps (time base since start). */
int start(void)
{
    for (uint32_t k = 1; k <= 4; k++) {
        while (ppu_time_base() < (uint64_t)k * 10 * PPU_CYCLES_PER_US)
            ;
        mailbox_set_word(k - 1, spike_counter_read(0, NEURON));
    }
    return 0;
}
"""


def test_ppu_sees_the_spike_counter_at_its_own_time(tmp_path):
    """The counts a polling program reads at 10/20/30/40 us equal the spikes the run reports
    before those times: the network is brought up to the PPU's time at every access."""
    program = compile_c(tmp_path, COUNTER_PROGRAM.replace("NEURON", str(NEURON)))
    chip = Chip(1)
    chip.write_many(*one_neuron_writes())
    load(chip, program)
    result = chip.run(inputs([1, 3, 5, 9, 13, 15, 17, 22, 24, 26, 31, 33]), 125 * 50)
    spikes = result.spikes["chip_time"][result.spikes["neuron"] == NEURON]
    assert spikes.size >= 4
    for k in range(1, 5):
        expected = int(np.sum(spikes < k * 10 * 250))  # chip ticks of 4 ns = PPU cycles
        got = mailbox_word(chip, k - 1)
        # the read happens a few cycles after the time base passed the mark
        assert got == expected or got == int(np.sum(spikes <= k * 10 * 250 + 40)), (k, got)
    assert len({mailbox_word(chip, k) for k in range(4)}) > 1  # the count moved
    assert chip.ppus[0].sleeping


WEIGHT_PROGRAM = r"""
#include "ppu.h"
/* At 20 us set the weights of synapse row 0 to zero through the omnibus window. */
int start(void)
{
    while (ppu_time_base() < 20 * PPU_CYCLES_PER_US)
        ;
    for (uint32_t quad = 0; quad < 64; quad++)
        *OMNIBUS(OMNIBUS_SYNRAM_TOP + quad) = 0;
    return 0;
}
"""


def test_ppu_weight_write_changes_the_running_network(tmp_path):
    """Up to the PPU's write the run is the same as without it (the neuron also keeps its
    state across the write: no settling to rest); once the synaptic current left by earlier
    inputs decayed, inputs no longer make the neuron fire."""
    program = compile_c(tmp_path, WEIGHT_PROGRAM)
    times = [1, 3, 5, 7, 9, 11, 13, 15, 23, 25, 27, 29, 31, 33, 35, 37]
    chip = Chip(2)
    chip.write_many(*one_neuron_writes())
    free = chip.run(inputs(times), 125 * 45).spikes["chip_time"] / 250
    chip = Chip(2)
    chip.write_many(*one_neuron_writes())
    load(chip, program)
    spikes = chip.run(inputs(times), 125 * 45).spikes["chip_time"] / 250
    assert np.array_equal(spikes[spikes < 21], free[free < 21])
    assert (spikes > 30).sum() == 0 and (free > 30).sum() >= 4
    assert chip.config.weight[0, 0].max() == 0


FAULTS = {
    "illegal": ("__asm__ volatile(\".long 0\");", 7),
    "misaligned": ("(void)*(volatile uint32_t *)0x1002;", 6),
    "unmapped": ("(void)*(volatile uint32_t *)0x20000000;", 3),
    "no_register": ("(void)*OMNIBUS(0x00123456);", 3),
}


@pytest.mark.parametrize("name", FAULTS)
def test_faults_are_reported_with_cause_and_pc_through_the_host(tmp_path, name):
    from bss2emu.host.connection import connect
    from bss2emu.host.ppu.runner import run_program

    body, vector = FAULTS[name]
    program = compile_c(tmp_path, f"#include \"ppu.h\"\nint start(void)\n{{\n    {body}\n"
                        "    return 5;\n}\n")
    start = program.symbol("start")
    with connect(seed=3) as conn:
        result = run_program(conn, program, timeout_us=200)
        assert result.finished and result.exit_code is None
        assert result.fault is not None and result.fault.vector == vector
        assert start.address <= result.fault.pc < start.address + start.size
        assert f"at pc {result.fault.pc:#010x}" in result.describe()
        # the emulator is still fine: the next program runs
        ok = compile_c(tmp_path, "int start(void) { return 7; }", "ok")
        assert run_program(conn, ok, hemisphere=1).exit_code == 7


def test_runaway_program_times_out_with_its_pc(tmp_path):
    from bss2emu.host.connection import connect
    from bss2emu.host.ppu.runner import run_program

    program = compile_c(tmp_path, "int start(void) { for (;;) ; return 0; }")
    start = program.symbol("start")
    with connect() as conn:
        result = run_program(conn, program, timeout_us=300)
    assert not result.finished and result.exit_code is None and result.fault is None
    assert start.address <= result.pc < start.address + start.size
    assert "still running" in result.describe() and "after 300.0 us" in result.describe()


def test_runaway_program_past_the_servers_time_limit_is_a_clear_error(tmp_path):
    """The device waits for the PPU (polling block); a wait longer than the server allows per
    program ends with the limit error, never a hang, and the device keeps serving."""
    from bss2emu.chipsim.fpga import Executor, Limits
    from bss2emu.chipsim.server import EmbeddedServer
    from bss2emu.host.connection import connect
    from bss2emu.host.ppu.runner import PpuRunError, run_program

    program = compile_c(tmp_path, "int start(void) { for (;;) ; return 0; }")
    srv = EmbeddedServer(executor=Executor(Chip(seed=0), Limits(program_ms=2)))
    try:
        with connect(srv.url) as conn:
            with pytest.raises(PpuRunError, match="over the limit of 2 ms per program"):
                run_program(conn, program, timeout_us=50_000)
            assert not run_program(conn, program, timeout_us=1000).finished  # within the limit
    finally:
        srv.close()


def test_extmem_written_by_the_host_is_read_by_the_ppu(tmp_path):
    from bss2emu.host.connection import connect
    from bss2emu.host.ppu.runner import run_program
    from bss2emu.host.program import PlaybackProgramBuilder
    from bss2emu.protocol import fpga_registers as fr

    program = compile_c(tmp_path, r"""
#include "ppu.h"
int start(void)
{
    volatile uint32_t *ext = (volatile uint32_t *)PPU_EXTMEM_BASE;
    uint32_t sum = 0;
    for (int i = 0; i < 100; i++)
        sum += ext[1000 + i];
    ext[0] = sum;
    return (int)(sum & 0xFFFF);
}
""")
    values = np.arange(100, dtype=np.uint32) * 977 + 5
    with connect() as conn:
        builder = PlaybackProgramBuilder(timer_setup=False)
        builder.write_many(fr.EXTMEM_BASE + 1000 + np.arange(100, dtype=np.uint32), values)
        conn.run(builder.done())
        result = run_program(conn, program)
        builder = PlaybackProgramBuilder(timer_setup=False)
        back = builder.read(fr.extmem_address(0))
        conn.run(builder.done())
    assert result.exit_code == int(values.sum()) & 0xFFFF
    assert back.value == int(values.sum()) & 0xFFFF_FFFF


def test_control_register_holds_and_restarts_the_core(tmp_path):
    """Reset (inhibit_reset 0) stops a sleeping core; releasing it runs the program from PC 0
    again, as the host loader relies on."""
    program = compile_c(tmp_path, r"""
#include "ppu.h"
static uint32_t runs;  /* in .bss: zeroed by the runtime at every start */
int start(void) { runs++; mailbox_set_word(0, mailbox_word_get()); return (int)runs; }
""".replace("mailbox_word_get()", "MAILBOX_WORD(MAILBOX_USER_WORDS) + 1"))
    chip = Chip(0)
    load(chip, program)
    chip.run(None, 125 * 20)
    assert chip.ppus[0].sleeping and mailbox_word(chip, 0) == 1
    status = ob.ppu_status_address(0)
    assert ob.PPU_STATUS.parse(chip.read(status))["sleep"] == 1
    chip.write(ob.ppu_control_address(0), ob.PPU_CONTROL.build(inhibit_reset=0))
    assert ob.PPU_STATUS.parse(chip.read(status))["sleep"] == 0
    chip.write(ob.ppu_control_address(0), ob.PPU_CONTROL.build(inhibit_reset=1))
    chip.run(None, 125 * 20)
    assert mailbox_word(chip, 0) == 2  # ran again (mailbox is not cleared by a restart)


MEMBRANE_PROGRAM = r"""
#include "fxv.h"
/* Switch the neuron's CADC channel to its membrane, then sample the half row at 5 us (rest)
 * and again at 12 us (after inputs), storing both vectors in the mailbox user words. */
int start(void)
{
    /* ColumnCorrelationQuad word 2 (weight plane, row 256): enable_cadc_neuron_readout_causal
     * is bit 5 of the neuron's byte lane (entry e in byte 3 - e) */
    uint32_t quad = 32 * (NEURON % 2) + NEURON / 8, entry = (NEURON / 2) % 4;
    *OMNIBUS(OMNIBUS_SYNRAM_TOP + 0x4000u + quad) = 1u << (8 * (3 - entry) + 5);
    uint32_t index = fxv_half_row(0, NEURON & 1);
    while (ppu_time_base() < 5 * PPU_CYCLES_PER_US)
        ;
    FXV_INX(0, PPU_VIO_CADC_CAUSAL + index, FXV_ALWAYS);
    FXV_STAX(0, MAILBOX_BASE + MAILBOX_USER_WORDS);
    while (ppu_time_base() < 12 * PPU_CYCLES_PER_US)
        ;
    FXV_INX(1, PPU_VIO_CADC_CAUSAL + index, FXV_ALWAYS);
    FXV_STAX(1, MAILBOX_BASE + MAILBOX_USER_WORDS + 128);
    return 0;
}
"""


def test_cadc_samples_the_membrane_when_the_column_switch_says_so(tmp_path):
    """At rest the code is the leak potential on the 1.2 V scale (plus the channel offset);
    after excitatory inputs it is higher; other columns of the half row read correlations."""
    from bss2emu.chipsim.cadc import BASELINE_LSB, CADC_MAX, MEMBRANE_FULL_SCALE_V

    program = compile_c(tmp_path, MEMBRANE_PROGRAM.replace("NEURON", str(NEURON)))
    chip = Chip(4)
    chip.write_many(*one_neuron_writes(weight=20))
    load(chip, program)
    chip.run(inputs([9, 10, 11]), 125 * 20)
    assert chip.ppus[0].sleeping and chip.config.cadc_neuron_causal[0, NEURON]
    layout = mailbox_layout()
    sram = chip.ppus[0].core.read_memory(layout["BASE"] + layout["USER_WORDS"], 256)
    lane = NEURON // 2
    rest, driven = sram[lane], sram[128 + lane]
    offset = chip.cadc.offset[0, 0, NEURON] - BASELINE_LSB
    e_leak = chip.parameters.e_leak[NEURON]
    assert rest == int(np.clip(np.round(e_leak / MEMBRANE_FULL_SCALE_V * CADC_MAX + offset),
                               0, CADC_MAX))
    assert driven > rest + 3
    other = (lane + 1) % 128  # a correlation channel: its (zero) accumulator plus offset
    assert sram[other] == int(np.floor(chip.cadc.offset[0, 0, 2 * other + (NEURON & 1)]))


def test_a_ppu_can_stop_itself_and_start_the_other(tmp_path):
    """Omnibus stores to PPU control registers: the top PPU starts the bottom one, then holds
    itself in reset mid-program (the store is its last instruction)."""
    top = compile_c(tmp_path, r"""
#include "ppu.h"
int start(void)
{
    *OMNIBUS(0x03A00000u) = 1;   /* bottom PPU: inhibit_reset = 1 */
    *OMNIBUS(0x02A00000u) = 0;   /* top PPU (this one): into reset */
    return 99;                   /* never reached */
}
""", "top")
    bottom = compile_c(tmp_path, "int start(void) { return 5; }", "bottom")
    chip = Chip(0)
    load(chip, bottom, hemisphere=1, start=False)
    load(chip, top)
    chip.run(None, 125 * 20)
    assert not chip.ppus[0].active and not chip.ppus[0].sleeping
    assert chip.ppus[0].control["inhibit_reset"] == 0
    assert chip.ppus[1].sleeping and chip.ppus[1].read_word(0x3004 // 4) == 5


def test_runner_rejects_bad_arguments_with_clear_errors(tmp_path):
    from bss2emu.host.connection import connect
    from bss2emu.host.ppu.runner import PpuRunError, run_program

    program = compile_c(tmp_path, "int start(void) { return 0; }")
    with connect() as conn:
        with pytest.raises(PpuRunError, match="hemisphere must be 0 .top. or 1 .bottom."):
            run_program(conn, program, hemisphere=2)
        with pytest.raises(PpuRunError, match="must be positive"):
            run_program(conn, program, timeout_us=0)
        assert run_program(conn, program).exit_code == 0  # the connection is still fine
