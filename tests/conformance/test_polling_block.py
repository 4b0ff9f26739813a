"""POLLING_OMNIBUS_BLOCK waits on the device (protocol.polling): until the polled word
matches, until its deadline, or until the server's limit on emulated time per program, which
ends a PPU program that never sleeps with the documented limit error instead of a hang. The
PPU programs are raw machine words (no toolchain needed)."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.chipsim.chip import Chip
from bss2emu.chipsim.fpga import Executor, Limits
from bss2emu.chipsim.server import EmbeddedServer
from bss2emu.host.connection import ProgramLimitExceeded, connect
from bss2emu.host.ppu.runner import start_write, stop_write, wait_for_sleep
from bss2emu.host.program import PlaybackProgramBuilder
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol import polling

LI_R3 = 0x3860_0000   # addi r3, 0, imm
MTCTR_R3 = 0x7C69_03A6
BDNZ_SELF = 0x4200_0000
WAIT = 0x7C00_007C
BRANCH_SELF = 0x4800_0000
SLEEPS_SOON = [LI_R3 | 3000, MTCTR_R3, BDNZ_SELF, WAIT]   # counts down, then sleeps
NEVER_SLEEPS = [BRANCH_SELF]


def _load(builder: PlaybackProgramBuilder, code: list[int], hemisphere: int = 0) -> None:
    builder.write(*stop_write(hemisphere))
    base = ob.PPU_MEMORY_BASE[hemisphere]
    builder.write_many(base + np.arange(len(code)), np.array(code, np.int64))
    builder.write(*start_write(hemisphere))


def _configure(builder: PlaybackProgramBuilder, address: int, mask: int, target: int,
               deadline: int) -> None:
    builder.write_many(np.array([polling.ADDRESS, polling.MASK, polling.TARGET,
                                 polling.DEADLINE]),
                       np.array([address, mask, target, deadline]))


@pytest.fixture(scope="module")
def device():
    srv = EmbeddedServer(executor=Executor(Chip(seed=2), Limits(program_ms=5)))
    yield srv
    srv.close()


def test_one_program_waits_until_the_ppu_sleeps(device):
    with connect(device.url) as conn:
        builder = PlaybackProgramBuilder(timer_setup=False)
        _load(builder, SLEEPS_SOON)
        status, timer = wait_for_sleep(builder, 0, 500 * 125)
        conn.run(builder.done())
        assert ob.PPU_STATUS.parse(status.value)["sleep"] == 1
        assert 0 < timer.value < 500 * 125  # slept well before the deadline
        assert device.chip.ppus[0].sleeping


def test_a_ppu_that_never_sleeps_ends_the_block_at_its_deadline(device):
    with connect(device.url) as conn:
        builder = PlaybackProgramBuilder(timer_setup=False)
        _load(builder, NEVER_SLEEPS)
        status, timer = wait_for_sleep(builder, 0, 300 * 125)
        conn.run(builder.done())
        assert ob.PPU_STATUS.parse(status.value)["sleep"] == 0
        assert timer.value == 300 * 125


def test_without_deadline_a_ppu_that_never_sleeps_hits_the_time_limit(device):
    """No deadline, a PPU that runs forever: the server's 5 ms per program end the block with
    the limit notice; the device then serves the next program."""
    with connect(device.url) as conn:
        builder = PlaybackProgramBuilder(timer_setup=False)
        _load(builder, NEVER_SLEEPS)
        status, _ = wait_for_sleep(builder, 0, 0)
        with pytest.raises(ProgramLimitExceeded,
                           match="polling block asks for 5.0 ms of emulated time, over the "
                                 "limit of 5 ms"):
            conn.run(builder.done(), timeout=10)
        builder = PlaybackProgramBuilder()
        idle = builder.read(ob.ppu_status_address(0))
        conn.run(builder.done())
        assert ob.PPU_STATUS.parse(idle.value)["sleep"] == 0


def test_polls_in_doubling_steps_and_a_silent_address_times_out(device):
    with connect(device.url) as conn:
        builder = PlaybackProgramBuilder(timer_setup=False)
        _configure(builder, fr.TIMER, 0xFFFF_FFFF, 0, 0)  # wait until the timer is not 0
        builder.timer_setup()
        builder.polling_block(equal=False)
        first = builder.read(fr.TIMER)
        step = polling.POLL_FIRST_TICKS
        _configure(builder, fr.TIMER, 0xFFFF_FFFF, 3 * step, 0)  # reads at 0, 1, 3 steps
        builder.timer_setup()
        builder.polling_block(equal=True)
        third = builder.read(fr.TIMER)
        conn.run(builder.done(), timeout=10)
        assert (first.value, third.value) == (step, 3 * step)
        builder = PlaybackProgramBuilder(timer_setup=False)
        _configure(builder, 0x7FFF_FFF0, 0, 0, 0)  # nobody answers this address
        builder.polling_block(equal=False)
        _, responses = conn.exchange(builder.done().words, timeout=10)
        assert responses.timeout["value"].tolist() == [0x7FFF_FFF0]  # answered, not stuck
