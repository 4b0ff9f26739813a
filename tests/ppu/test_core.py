"""Scalar core behaviour that the differential test cannot see: the exception model (both modes),
omnibus bus stops, sleeping, the time base and decrementer, SPRs, cycle costs and the wrapper's
argument checks. Each program is hand assembled; the assembly is in the comments."""
from __future__ import annotations

import pytest
from bss2emu.chipsim.ppu.core import BusKind, Cause, PpuCore, PpuError, Status

from tests.ppu.insngen import d_form, li, spr_form, x_form, xo_form

WAIT = 0x7C00007C
ESR_PIL, ESR_PPR, ESR_PTR, ESR_ST = 0x08000000, 0x04000000, 0x02000000, 0x00800000
MSR_EE, MSR_PR = 0x8000, 0x4000


def program(*words: int) -> bytes:
    return b"".join(w.to_bytes(4, "big") for w in (*words, WAIT))


def core_with(*words: int, halt: bool = True, extmem: bool = False, at: int = 0x100) -> PpuCore:
    core = PpuCore(halt_on_exception=halt, extmem=extmem)
    core.load(program(*words), address=at)
    return core


def lis(rt: int, value: int) -> int:
    return d_form(15, rt, 0, value)


def lwz(rt: int, disp: int, ra: int) -> int:
    return d_form(32, rt, ra, disp)


def stw(rs: int, disp: int, ra: int) -> int:
    return d_form(36, rs, ra, disp)


def mtspr(spr: int, rs: int) -> int:
    return spr_form(467, rs, spr)


def mfspr(rt: int, spr: int) -> int:
    return spr_form(339, rt, spr)


# ---- exceptions in halt mode: stop on the instruction, nothing changed ----------------------

def test_illegal_word_halts_on_it_with_a_message():
    core = core_with(li(3, 7), 0x00000000, li(3, 9))   # li r3,7; .long 0; li r3,9
    cycles_before_fault = 1
    assert core.run(1000) == Status.HALTED
    assert core.pc == 0x104 and core.gpr[3] == 7 and core.cycles == cycles_before_fault
    fault = core.fault
    assert (fault.cause, fault.pc, fault.insn) == (Cause.PROGRAM, 0x104, 0)
    assert "illegal" in fault.message and "0x00000104" in fault.message
    assert core.run(2000) == Status.HALTED and core.pc == 0x104   # stays halted


@pytest.mark.parametrize("word", [
    x_form(3, 0, 0, 1023),           # primary 31, unused extended opcode
    x_form(3, 4, 5, 23, rc=1),       # "lwzx." (Rc = 1 on a form without a record variant)
    1 << 26,                         # primary opcode 1
    xo_form(3, 4, 5, 75, 1, 0),      # "mulhwo" (mulhw has no OE form)
])
def test_unused_encodings_are_illegal(word):
    core = core_with(word)
    assert core.run(100) == Status.HALTED and core.fault.cause == Cause.PROGRAM


def test_update_form_with_ra_zero_or_ra_equal_rt_is_illegal():
    for word in (d_form(33, 3, 0, 0x2000),   # lwzu r3, 0x2000(r0)
                 d_form(33, 3, 3, 0x2000),   # lwzu r3, 0x2000(r3)
                 d_form(37, 3, 0, 0x2000)):  # stwu r3, 0x2000(r0)
        core = core_with(word)
        assert core.run(100) == Status.HALTED and core.fault.cause == Cause.PROGRAM


def test_misaligned_word_access_is_an_alignment_fault():
    core = core_with(li(4, 0x2002), lwz(3, 0, 4))    # li r4,0x2002; lwz r3,0(r4)
    assert core.run(100) == Status.HALTED
    assert (core.fault.cause, core.fault.addr, core.fault.pc) == (Cause.ALIGNMENT, 0x2002, 0x104)
    assert "misaligned" in core.fault.message


def test_byte_access_needs_no_alignment_but_halfwords_do():
    core = core_with(li(4, 0x2001), d_form(34, 3, 4, 0), d_form(40, 3, 4, 0))  # lbz; lhz
    assert core.run(100) == Status.HALTED
    assert core.fault.cause == Cause.ALIGNMENT and core.fault.pc == 0x108


@pytest.mark.parametrize("address", [0x4000, 0x1000_0000, 0x4000_0000, 0x7FFF_FFFC])
def test_unmapped_data_address_is_a_data_storage_fault(address):
    core = core_with(lis(4, address >> 16), d_form(24, 4, 4, address & 0xFFFF), lwz(3, 0, 4))
    assert core.run(100) == Status.HALTED
    assert (core.fault.cause, core.fault.addr) == (Cause.DATA_STORAGE, address)


def test_external_memory_is_data_memory_when_present():
    core = core_with(lis(4, 0x4000), li(3, 1234), stw(3, 0x40, 4), lwz(5, 0x40, 4), extmem=True)
    assert core.run(100) == Status.SLEEPING
    assert core.gpr[5] == 1234
    assert core.read_memory(0x4000_0040, 4) == (1234).to_bytes(4, "big")
    assert core.extmem[0x40:0x44].tobytes() == (1234).to_bytes(4, "big")


def test_access_running_past_the_end_of_sram_faults():
    core = core_with(li(4, 0x3FFC), d_form(46, 30, 4, 0))   # lmw r30, 0(r4): 8 bytes
    assert core.run(100) == Status.HALTED
    assert core.fault.cause == Cause.DATA_STORAGE and core.fault.addr == 0x3FFC


def test_fetch_outside_sram_is_an_instruction_storage_fault():
    core = core_with(18 << 26 | 0x4000 | 2)                 # ba 0x4000
    assert core.run(100) == Status.HALTED
    fault = core.fault
    assert (fault.cause, fault.pc, fault.insn) == (Cause.INSTRUCTION_STORAGE, 0x4000, 0)


def test_sc_and_trap_halt_with_their_causes():
    core = core_with(0x44000002)                             # sc
    assert core.run(100) == Status.HALTED and core.fault.cause == Cause.SYSCALL
    core = core_with(li(3, 5), d_form(3, 4, 3, 5), WAIT)     # twi eq, r3, 5
    assert core.run(100) == Status.HALTED and core.fault.cause == Cause.PROGRAM
    assert "trap" in core.fault.message
    core = core_with(li(3, 5), d_form(3, 4, 3, 6))           # twi eq, r3, 6: not taken
    assert core.run(100) == Status.SLEEPING and core.fault is None


def test_runaway_loop_returns_at_the_cycle_limit_and_continues():
    core = core_with(18 << 26)                               # b .
    assert core.run(1000) == Status.RUNNING
    assert 1000 <= core.cycles < 1010 and core.pc == 0x100 and core.fault is None
    assert core.run(5000) == Status.RUNNING and core.cycles >= 5000


# ---- exceptions in vector mode (the real behaviour) -----------------------------------------

def test_vector_mode_program_exception_saves_state_and_jumps():
    core = core_with(0x00000000, halt=False)
    core.msr = MSR_EE | 0x1000                               # EE and ME
    core.run(3)                                              # exception entry: 3 cycles
    assert (core.srr0, core.srr1) == (0x100, MSR_EE | 0x1000)
    assert core.esr == ESR_PIL and core.msr == 0x1000        # EE cleared, ME kept
    assert core.pc == 4 * Cause.PROGRAM
    assert core.fault.cause == Cause.PROGRAM and core.status == Status.RUNNING


def test_vector_mode_storage_faults_set_dear_and_esr():
    core = core_with(li(4, 0x2002), stw(3, 0, 4), halt=False)
    core.run(4)   # li (1) + exception entry (3): stops at the vector
    assert core.pc == 4 * Cause.ALIGNMENT
    assert (core.dear, core.esr, core.srr0) == (0x2002, ESR_ST, 0x104)
    core = core_with(lis(4, 0x1000), lwz(3, 0, 4), halt=False)
    core.run(4)
    assert core.pc == 4 * Cause.DATA_STORAGE and (core.dear, core.esr) == (0x1000_0000, 0)


def test_vector_mode_sc_returns_after_it_and_rfi_comes_back():
    core = PpuCore()
    # vector 8 (0x20): mfsrr0 r5; rfi.  main at 0x100: sc; li r3,1; wait
    core.write_memory(0x20, program(mfspr(5, 26), x_form(0, 0, 0, 50, op=19)))
    core.load(program(0x44000002, li(3, 1)), address=0x100)
    core.msr = MSR_EE
    assert core.run(1000) == Status.SLEEPING
    assert core.gpr[5] == 0x104 and core.gpr[3] == 1 and core.msr == MSR_EE
    assert core.fault.cause == Cause.SYSCALL


def test_trap_sets_esr_ptr_in_vector_mode():
    core = core_with(0x7FE00008, halt=False)                 # trap (tw 31,0,0)
    core.run(3)                                              # stop at the vector
    assert core.pc == 4 * Cause.PROGRAM and core.esr == ESR_PTR and core.srr0 == 0x100


def test_privileged_instruction_in_user_mode():
    core = core_with(x_form(3, 0, 0, 83), halt=False)        # mfmsr r3
    core.msr = MSR_PR
    core.run(3)
    assert core.pc == 4 * Cause.PROGRAM and core.esr == ESR_PPR and core.msr == 0


# ---- omnibus window: bus stops -------------------------------------------------------------

def test_omnibus_load_stops_and_completes():
    # lis r4,0x8000; lwzu r3,0x40(r4); wait
    core = core_with(lis(4, 0x8000), d_form(33, 3, 4, 0x40))
    assert core.run(1000) == Status.BUS
    access = core.bus
    assert (access.kind, access.address, access.register) == (BusKind.LOAD, 0x10, 3)
    assert core.pc == 0x104 and core.gpr[4] == 0x8000_0000   # nothing done yet
    instret = core.instret
    core.complete(0xCAFEF00D)
    assert core.gpr[3] == 0xCAFEF00D and core.gpr[4] == 0x8000_0040 and core.pc == 0x108
    assert core.instret == instret + 1 and core.status == Status.RUNNING
    assert core.run(2000) == Status.SLEEPING


def test_omnibus_store_carries_the_word():
    core = core_with(lis(4, 0x8123), li(3, -2), x_form(3, 0, 4, 151))   # stwx r3, 0, r4
    assert core.run(1000) == Status.BUS
    assert core.bus.kind == BusKind.STORE and core.bus.data == 0xFFFFFFFE
    assert core.bus.address == 0x0123_0000 >> 2               # omnibus word address
    core.complete()
    assert core.run(2000) == Status.SLEEPING


@pytest.mark.parametrize("word", [d_form(34, 3, 4, 0), d_form(44, 3, 4, 0), d_form(46, 30, 4, 0),
                                  x_form(3, 0, 4, 534)])   # lbz, sth, lmw, lwbrx
def test_only_word_accesses_reach_the_omnibus(word):
    core = core_with(lis(4, 0x8000), word)
    assert core.run(1000) == Status.HALTED
    assert core.fault.cause == Cause.DATA_STORAGE and core.fault.addr == 0x8000_0000


def test_complete_without_a_pending_access_is_an_error():
    core = core_with(li(3, 1))
    with pytest.raises(PpuError, match="no bus access"):
        core.complete(1)


# ---- sleeping, time base, decrementer, SPRs, cycles ----------------------------------------

def test_wait_sleeps_after_it_and_time_still_passes():
    core = core_with(li(3, 1))
    assert core.run(100) == Status.SLEEPING and core.pc == 0x108
    assert core.run(500) == Status.SLEEPING and core.cycles == 500
    core.wake()
    core.write_memory(0x108, program(li(3, 2)))
    assert core.run(1000) == Status.SLEEPING and core.gpr[3] == 2


def test_time_base_reads_cycles_and_writes_set_them():
    # mftb r3; li r4,0; mttbl r4 (284); mftb r5; mftbu r6
    core = core_with(x_form(3, 268 & 31, 268 >> 5, 371), li(4, 0), mtspr(284, 4),
                     x_form(5, 268 & 31, 268 >> 5, 371), mfspr(6, 269))
    core.run(1000)
    assert core.gpr[3] == 0 and core.gpr[5] == 1 and core.gpr[6] == 0


def test_time_base_writes_cannot_keep_the_run_going():
    core = core_with(li(4, 0), mtspr(284, 4), 18 << 26 | (-4 & 0x03FFFFFC))  # loop: mttbl; b loop
    assert core.run(10_000) == Status.RUNNING
    assert core.cycles < 10


def test_decrementer_counts_down_and_reloads():
    # li r3,100; mtdec r3 (at cycle 1); mtdecar r3; lis r4,0x0040 (TCR[ARE]); mttcr r4; b .
    core = core_with(li(3, 100), mtspr(22, 3), mtspr(54, 3), lis(4, 0x0040), mtspr(340, 4),
                     18 << 26)
    core.run(45)
    assert core.state.dec == 100 - (core.cycles - 1) and not core.state.tsr
    core.run(301)
    elapsed = core.cycles - 1
    assert core.state.tsr & 0x08000000          # DIS: reached zero
    assert core.state.dec == 100 - (elapsed - 100) % 100


def test_decrementer_reads_are_current_and_stop_at_zero_without_reload():
    # li r3,100; mtdec r3 (cycle 1); nop; nop; mfdec r5 (cycle 4)
    core = core_with(li(3, 100), mtspr(22, 3), li(0, 0), li(0, 0), mfspr(5, 22))
    core.run(1000)
    assert core.gpr[5] == 97
    core.run(5000)
    assert core.state.dec == 0 and core.state.tsr & 0x08000000


def test_sprs_round_trip_and_unknown_ones_are_illegal():
    # li r3,77; mtsprg2 r3; mfsprg2 r4; mtspr GOUT r3; mfspr r5,GIN
    core = core_with(li(3, 77), mtspr(274, 3), mfspr(4, 274), mtspr(66, 3), mfspr(5, 65))
    core.gin = 0x1234
    core.run(100)
    assert core.gpr[4] == 77 and core.gout == 77 and core.gpr[5] == 0x1234
    for word in (mtspr(65, 3), mfspr(3, 1000), mfspr(3, 54)):   # GIN and DECAR: one way only
        core = core_with(word)
        assert core.run(100) == Status.HALTED and core.fault.cause == Cause.PROGRAM


@pytest.mark.parametrize("words, cycles", [
    ((li(3, 1),), 1),
    ((xo_form(3, 3, 3, 235, 0, 0),), 4),                 # mullw
    ((xo_form(3, 3, 3, 491, 0, 0),), 31),                # divw
    ((li(4, 0x2000), lwz(3, 0, 4)), 1 + 2),
    ((li(4, 0x2000), stw(3, 0, 4)), 1 + 1),
    ((18 << 26 | 4,), 2),                                # b .+4: taken branch
    ((li(4, 0x2000), d_form(47, 28, 4, 0)), 1 + 1 + 4),  # stmw r28: 4 registers
])
def test_cycle_costs(words, cycles):
    core = core_with(*words)
    core.run(1000)
    assert core.cycles == cycles + 1                     # + the final wait


def test_stores_into_code_take_effect():
    # lis/ori r4 = "li r3,42"; stw r4,0x10c(0): overwrites the "li r5,0" that follows
    new = li(3, 42)
    core = core_with(lis(4, new >> 16), d_form(24, 4, 4, new & 0xFFFF), stw(4, 0x10C, 0),
                     li(5, 0))
    core.run(100)
    assert core.gpr[3] == 42 and core.gpr[5] == 0


def test_wrapper_rejects_bad_arguments():
    core = PpuCore()
    with pytest.raises(PpuError, match="not in the PPU's SRAM"):
        core.write_memory(0x3FFE, b"1234")
    with pytest.raises(PpuError, match="0..31"):
        core.set_gpr(32, 0)
    with pytest.raises(PpuError, match="32 bits"):
        core.lr = 1 << 32
    with pytest.raises(PpuError, match="extmem"):
        PpuCore(extmem=bytearray(10))


def test_fxv_faults_carry_the_vector_bit_and_unknown_fxv_words_the_illegal_bit():
    """docs/ppu_isa.md: SPV marks an exception raised by an FXV instruction; an unknown FXV
    word is an illegal instruction (PIL); a bus error of fxvinx keeps SPV."""
    from bss2emu.chipsim._ppu import lib
    from bss2emu.chipsim.ppu.fxv_isa import BY_XO, PRIMARY_OPCODE, encode

    esr_spv = 0x00000080
    unused = next(xo for xo in range(512) if xo not in BY_XO)
    core = core_with((PRIMARY_OPCODE << 26) | (unused << 2), halt=False)
    core.run(3)
    assert core.pc == 4 * Cause.PROGRAM and core.esr == ESR_PIL | esr_spv
    core = core_with(li(4, 0x40), encode("fxvinx", 0, 0, 4), halt=False)
    core.run(100)
    assert core.bus is not None and core.bus.kind == BusKind.VIN
    lib.bss2_ppu_bus_error(core.state)
    assert core.pc == 4 * Cause.DATA_STORAGE and core.esr == esr_spv
