"""The C FXV unit (chipsim/csrc/ppu_fxv.c, called directly through cffi) against the numpy
reference (chipsim/ppu/fxv_reference.py): every instruction on random and corner operands,
random VCR predicates and all four C values must agree bit for bit, including cycles, faults
and parallel-I/O bus requests. Hand-worked expectations pin the reference to the specification
(nux doc/guide/src/fxv.tex and the golden model vector_predictor.sv)."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.chipsim._ppu import ffi, lib
from bss2emu.chipsim.ppu import fxv_reference as ref
from bss2emu.chipsim.ppu.fxv_isa import BY_MNEMONIC, BY_XO, INSTRUCTIONS, Form, disassemble, encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: XO numbers as listed in the project's facts file (bss2-facts.md 4.3, from nux fxv.tex and
#: binutils ppc-opc.c); the instruction table must reproduce them exactly
FACTS_XO = {
    "fxvmahm": 12, "fxvmabm": 13, "fxvmtacb": 14, "fxvmtach": 15, "fxvmahfs": 28,
    "fxvmabfs": 29, "fxvmtacbf": 30, "fxvmtachf": 31, "fxvmatachm": 44, "fxvmatacbm": 45,
    "fxvmatachfs": 60, "fxvmatacbfs": 61, "fxvmulhm": 76, "fxvmulbm": 77, "fxvmulhfs": 92,
    "fxvmulbfs": 93, "fxvmultachm": 108, "fxvmultacbm": 109, "fxvmultachfs": 124,
    "fxvmultacbfs": 125, "fxvinx": 236, "fxvpckbu": 239, "fxvoutx": 252, "fxvpckbl": 255,
    "fxvsplath": 268, "fxvsplatb": 269, "fxvupckbr": 271, "fxvupckbl": 287, "fxvcmph": 300,
    "fxvcmpb": 301, "fxvshh": 316, "fxvshb": 317, "fxvsel": 319, "fxvsubhm": 332,
    "fxvsubbm": 333, "fxvsubhfs": 348, "fxvsubbfs": 349, "fxvaddactachm": 364,
    "fxvaddactacbm": 365, "fxvaddactachf": 380, "fxvaddactacbf": 381, "fxvaddachm": 396,
    "fxvaddacbm": 397, "fxvaddachfs": 412, "fxvaddacbfs": 413, "fxvaddtach": 428,
    "fxvaddtacb": 429, "fxvaddhm": 460, "fxvaddbm": 461, "fxvaddhfs": 476, "fxvaddbfs": 477,
    "fxvlax": 492, "fxvstax": 508,
}

EXCEPTIONS = {None: lib.BSS2_EXC_NONE, "program": lib.BSS2_EXC_PROGRAM,
              "alignment": lib.BSS2_EXC_ALIGNMENT, "data_storage": lib.BSS2_EXC_DATA_STORAGE}
HALF_CORNERS = [0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x7F80, 0x807F, 0x00FF, 0xFF00,
                0x4000, 0xC000]
WORD_CORNERS = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x3FFF_8000, 0xC000_8000,
                0x7FFF_0000, 0x8000_FFFF, 0x0000_8000]


# ---- harness -------------------------------------------------------------------------------

def corner_bytes(rng: np.random.Generator, n: int, corners: list[int], width: int) -> np.ndarray:
    """n bytes: a uniform random mix of fully random data and big-endian corner values."""
    if rng.random() < 0.4:
        return rng.integers(0, 256, n, dtype=np.uint8)
    values = rng.choice(np.array(corners, dtype=np.uint64), n // width)
    return values.astype(f">u{width}").view(np.uint8).copy()


def random_state(seed: int) -> ref.FxvState:
    """Registers full of random and corner values, random VCR flags; memories random."""
    rng = np.random.default_rng(seed)
    vr = np.stack([corner_bytes(rng, 128, HALF_CORNERS, 2) for _ in range(32)])
    acc = corner_bytes(rng, 256, WORD_CORNERS, 4)
    vcr = rng.integers(0, 8, 128, dtype=np.uint8)
    gpr = rng.integers(0, 2**32, 32, dtype=np.uint64).astype(np.uint32)
    return ref.FxvState(vr, acc, vcr, gpr, rng.integers(0, 256, ref.SRAM_BYTES, dtype=np.uint8),
                        rng.integers(0, 256, ref.EXTMEM_BYTES, dtype=np.uint8))


class CUnit:
    """A bss2_ppu holding an FxvState, for calling the C unit directly."""

    def __init__(self, state: ref.FxvState, cycles: int = 1000):
        self.p = ffi.new("bss2_ppu *")
        self.extmem = ffi.new("uint8_t[]", ref.EXTMEM_BYTES)
        ffi.memmove(self.p.vr, state.vr.tobytes(), state.vr.size)
        ffi.memmove(self.p.acc, state.acc.tobytes(), 256)
        ffi.memmove(self.p.vcr, state.vcr.tobytes(), 128)
        ffi.memmove(self.p.gpr, state.gpr.astype(np.uint32).tobytes(), 128)
        ffi.memmove(self.p.sram, state.sram.tobytes(), ref.SRAM_BYTES)
        if state.extmem is not None:
            ffi.memmove(self.extmem, state.extmem.tobytes(), ref.EXTMEM_BYTES)
            self.p.extmem = self.extmem
        self.p.cycles = cycles
        self.p.last_addr = 0xDEAD_BEEF

    def array(self, field, shape=None) -> np.ndarray:
        out = np.frombuffer(ffi.buffer(field), dtype=np.uint8).copy()
        return out.reshape(shape) if shape else out

    def state(self, with_extmem: bool) -> ref.FxvState:
        return ref.FxvState(self.array(self.p.vr, (32, 128)), self.array(self.p.acc),
                            self.array(self.p.vcr),
                            np.frombuffer(ffi.buffer(self.p.gpr), dtype=np.uint32).copy(),
                            self.array(self.p.sram),
                            np.frombuffer(ffi.buffer(self.extmem), dtype=np.uint8).copy()
                            if with_extmem else None)


def assert_states_equal(c: ref.FxvState, r: ref.FxvState, word: int) -> None:
    what = disassemble(word)
    for name in ("vr", "acc", "vcr", "gpr", "sram", "extmem"):
        a, b = getattr(c, name), getattr(r, name)
        if a is None and b is None:
            continue
        if not np.array_equal(a, b):
            where = np.argwhere(a != b)[:4].tolist()
            raise AssertionError(f"{what}: {name} differs at {where}")


def run_both(word: int, state: ref.FxvState) -> tuple[ref.Outcome, CUnit]:
    """Execute `word` in C and in the reference; assert they agree on everything."""
    expected = ref.execute(word, state)
    unit = CUnit(state)
    code = lib.bss2_fxv_execute(unit.p, word)
    what = disassemble(word)
    if expected.bus is not None:
        assert code == lib.BSS2_FXV_BUS, what
        bus = expected.bus
        assert unit.p.bus_kind == (lib.BSS2_BUS_VIN if bus.kind == "in" else lib.BSS2_BUS_VOUT)
        assert unit.p.bus_addr == bus.address and unit.p.bus_reg == bus.register, what
        assert np.array_equal(unit.array(unit.p.bus_mask) != 0, bus.mask), what
        if bus.vector is not None:
            assert np.array_equal(unit.array(unit.p.bus_vector), bus.vector), what
    else:
        assert code == EXCEPTIONS[expected.exception], (what, code, expected.exception)
    if expected.fault_address is not None:
        assert unit.p.last_addr == expected.fault_address, what
    else:
        assert unit.p.last_addr == 0xDEAD_BEEF, what
    assert unit.p.cycles == 1000 + expected.cycles, what
    assert_states_equal(unit.state(state.extmem is not None), expected.state, word)
    return expected, unit


# ---- C equals reference on every instruction -----------------------------------------------

def _address_strategy():
    """Effective addresses: aligned or not, SRAM, extmem, straddling an end, unmapped."""
    return st.one_of(
        st.integers(0, ref.SRAM_BYTES // 16 - 8).map(lambda k: 16 * k),
        st.integers(0, ref.EXTMEM_BYTES // 16 - 8).map(lambda k: ref.EXTMEM_BASE + 16 * k),
        st.sampled_from([ref.SRAM_BYTES - 64, ref.SRAM_BYTES - 128, ref.SRAM_BYTES,
                         ref.EXTMEM_BASE - 16, ref.EXTMEM_BASE + ref.EXTMEM_BYTES - 64,
                         0x8000_0000, 0xFFFF_FFF0]),
        st.integers(0, 2**32 - 1),
    )


@st.composite
def instruction_case(draw, mnemonic: str):
    insn = BY_MNEMONIC[mnemonic]
    state = random_state(draw(st.integers(0, 2**32 - 1)))
    regs = st.integers(0, 31)
    values = {"vrt": draw(regs), "vra": draw(regs), "vrb": draw(regs),
              "ra": draw(st.integers(0, 31)), "rb": draw(st.integers(1, 31)),
              "shift": draw(st.integers(-16, 15))}
    if insn.form is Form.VRT_RA_RB:
        address, split = draw(_address_strategy()), draw(st.integers(0, 2**32 - 1))
        ra, rb = values["ra"], values["rb"]
        if ra == rb:
            ra = 0
        if ra:
            state.gpr[ra] = split
        state.gpr[rb] = (address - (split if ra else 0)) & 0xFFFF_FFFF
        values["ra"], values["rb"] = ra, rb
    operands = [values[name] for name in insn.form.value]
    return encode(mnemonic, *operands, c=draw(st.integers(0, 3))), state


@pytest.mark.parametrize("mnemonic", sorted(BY_MNEMONIC))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_c_unit_equals_reference(mnemonic, data):
    word, state = data.draw(instruction_case(mnemonic))
    run_both(word, state)


@pytest.mark.parametrize("mnemonic", sorted(BY_MNEMONIC))
def test_all_predicates_on_one_state(mnemonic):
    """All four C values over the same operands (aliasing VRT = VRA as well)."""
    insn = BY_MNEMONIC[mnemonic]
    state = random_state(7)
    state.gpr[5] = 0x40
    defaults = {"vrt": 3, "vra": 3, "vrb": 9, "ra": 0, "rb": 5, "shift": -5}
    for c in range(4):
        run_both(encode(mnemonic, *[defaults[n] for n in insn.form.value], c=c), state)


# ---- table and encodings -------------------------------------------------------------------

def test_table_matches_the_facts():
    assert {i.mnemonic: i.xo for i in INSTRUCTIONS} == FACTS_XO
    assert len(BY_XO) == len(INSTRUCTIONS)


def test_golden_encodings():
    # primary opcode 4, VRT 6-10, VRA 11-15, VRB 16-20, XO 21-29, C 30-31 (IBM bit numbers)
    assert encode("fxvaddbm", 1, 2, 3, c=0) == 0x10221F34
    assert encode("fxvaddhm", 31, 0, 31, c=3) == (4 << 26) | (31 << 21) | (31 << 11) | 460 << 2 | 3
    assert encode("fxvlax", 7, 0, 9) == 0x10E04FB0
    assert encode("fxvshh", 1, 2, -1) == (4 << 26) | (1 << 21) | (2 << 16) | (31 << 11) | 316 << 2
    assert encode("fxvcmph", 4) == (4 << 26) | (4 << 16) | 300 << 2
    assert disassemble(encode("fxvmahm", 1, 2, 3, c=1)) == "fxvmahm 1, 2, 3, 1"


@pytest.mark.parametrize("bad", [("fxvnope", 1, 2, 3), ("fxvaddbm", 1, 2), ("fxvaddbm", 1, 2, 32),
                                 ("fxvshb", 1, 2, 16)])
def test_encode_rejects_bad_operands(bad):
    with pytest.raises(ValueError):
        encode(*bad)


def test_unknown_xo_is_a_program_exception_and_changes_nothing():
    state = random_state(3)
    unknown = [xo for xo in range(512) if xo not in BY_XO]
    assert len(unknown) == 512 - len(INSTRUCTIONS)
    for xo in unknown:
        word = (4 << 26) | (1 << 21) | (2 << 16) | (3 << 11) | (xo << 2) | 1
        expected, unit = run_both(word, state)
        assert expected.exception == "program" and unit.p.cycles == 1000


# ---- hand-worked expectations (the reference against the specification) --------------------

def big_endian(values: list[int], width: int, count: int) -> np.ndarray:
    """`values` repeated to `count` lanes of `width` bytes, as big-endian bytes."""
    return np.resize(np.array(values, dtype=np.int64), count).astype(f">u{width}").view(np.uint8)


def one_op(mnemonic: str, a: list[int], b: list[int], acc: list[int] | None = None,
           c: int = 0, vcr: int = 0) -> ref.Outcome:
    """Run `mnemonic` VRT=1, VRA=2, VRB=3 with lanes a, b (repeated over the vector)."""
    insn = BY_MNEMONIC[mnemonic]
    width = insn.lane_bits // 8
    state = random_state(1)
    lanes = 128 // width
    state.vr[2] = big_endian(a, width, lanes)
    state.vr[3] = big_endian(b, width, lanes)
    if acc is not None:
        state.acc[:] = big_endian(acc, 2 * width, lanes)
    state.vcr[:] = vcr
    operands = {"vrt": 1, "vra": 2, "vrb": 3, "shift": b[0]}
    word = encode(mnemonic, *[operands[n] for n in insn.form.value], c=c)
    return run_both(word, state)[0]


def lanes_of(outcome: ref.Outcome, mnemonic: str, count: int, source: str = "vr") -> list[int]:
    width = BY_MNEMONIC[mnemonic].lane_bits // 8
    if source == "acc":
        return outcome.state.acc.view(f">u{2 * width}")[:count].tolist()
    return outcome.state.vr[1].view(f">u{width}")[:count].tolist()


def test_fractional_multiply_saturates_only_minus_one_squared():
    # Q15: (-1)(-1) -> 0x7FFF; (-1)(1 - 2^-15) -> -(1 - 2^-15) = 0x8001; 0.5 * 0.5 = 0.25
    out = one_op("fxvmulhfs", [0x8000, 0x8000, 0x4000, 0xFFFF], [0x8000, 0x7FFF, 0x4000, 0x0001])
    assert lanes_of(out, "fxvmulhfs", 4) == [0x7FFF, 0x8001, 0x2000, 0xFFFF]
    out = one_op("fxvmulbfs", [0x80, 0x80, 0x40], [0x80, 0x7F, 0xC0])
    assert lanes_of(out, "fxvmulbfs", 3) == [0x7F, 0x81, 0xE0]
    out = one_op("fxvmultachfs", [0x8000, 0x8000], [0x8000, 0x8001])
    assert lanes_of(out, "fxvmultachfs", 2, "acc") == [0x7FFF_FFFF, 0x7FFF_0000]


def test_saturating_add_subtract_at_the_limits():
    out = one_op("fxvaddhfs", [0x7FFF, 0x8000, 0x0001], [0x0001, 0xFFFF, 0x0002])
    assert lanes_of(out, "fxvaddhfs", 3) == [0x7FFF, 0x8000, 0x0003]
    out = one_op("fxvsubbfs", [0x80, 0x7F, 0x00], [0x01, 0x80, 0x80])
    assert lanes_of(out, "fxvsubbfs", 3) == [0x80, 0x7F, 0x7F]
    out = one_op("fxvmatachfs", [0x7FFF], [0x7FFF], acc=[0x7FFF_0000])
    assert lanes_of(out, "fxvmatachfs", 1, "acc") == [0x7FFF_FFFF]
    # VRA left-aligned onto the accumulator, saturated, high half written
    out = one_op("fxvaddachfs", [0x4000, 0xC000], [0], acc=[0x4000_0000, 0xC000_0000])
    assert lanes_of(out, "fxvaddachfs", 2) == [0x7FFF, 0x8000]


def test_modulo_forms_wrap():
    out = one_op("fxvaddbm", [0xFF, 0x80], [0x01, 0x80])
    assert lanes_of(out, "fxvaddbm", 2) == [0x00, 0x00]
    out = one_op("fxvmulhm", [0x0100, 0xFFFF], [0x0100, 0xFFFF])
    assert lanes_of(out, "fxvmulhm", 2) == [0x0000, 0x0001]
    # signed products into the accumulator: (-1)(-1) + (-1) = 0, 0x7FFF^2 wraps at 2^32 only
    out = one_op("fxvmatachm", [0xFFFF, 0x7FFF], [0xFFFF, 0x7FFF], acc=[0xFFFF_FFFF, 0])
    assert lanes_of(out, "fxvmatachm", 2, "acc") == [0, 0x3FFF_0001]
    out = one_op("fxvmahm", [0x0002], [0x0003], acc=[0x0001_FFFF])
    assert lanes_of(out, "fxvmahm", 1) == [0x0005]


@pytest.mark.parametrize("mnemonic, value, shift, expected", [
    ("fxvshh", 0x8001, 15, 0x8000), ("fxvshh", 0x8001, -15, 0x0001), ("fxvshh", 0xFFFF, -16, 0),
    ("fxvshh", 0x1234, 0, 0x1234), ("fxvshb", 0x81, 7, 0x80), ("fxvshb", 0x81, -7, 0x01),
    ("fxvshb", 0xFF, -8, 0x00), ("fxvshb", 0xFF, 8, 0x00), ("fxvshb", 0x40, -1, 0x20),
])
def test_shifts_by_signed_immediate_fill_zeros(mnemonic, value, shift, expected):
    assert lanes_of(one_op(mnemonic, [value], [shift]), mnemonic, 1) == [expected]


def test_compare_then_predicated_add_and_select():
    state = random_state(5)
    state.vr[2] = big_endian([5, 0, 0xFFFB], 2, 64)
    state.vr[3] = 1
    state = run_both(encode("fxvcmph", 2), state)[0].state
    assert state.vcr[:6].tolist() == [ref.VCR_GT] * 2 + [ref.VCR_EQ] * 2 + [ref.VCR_LT] * 2
    before = state.vr[4].copy()
    after = run_both(encode("fxvaddbm", 4, 3, 3, c=2), state)[0].state  # only where LT
    lt = state.vcr == ref.VCR_LT
    assert np.array_equal(after.vr[4][lt], np.full(lt.sum(), 2))
    assert np.array_equal(after.vr[4][~lt], before[~lt])
    sel = run_both(encode("fxvsel", 6, 2, 3, c=1), state)[0].state  # VRB where GT else VRA
    gt = state.vcr == ref.VCR_GT
    assert np.array_equal(sel.vr[6], np.where(gt, state.vr[3], state.vr[2]))


@pytest.mark.parametrize("size", range(4))
def test_unpack_then_pack_restores_the_bytes(size):
    """Unpacking two byte vectors into halfwords and packing them back is the identity on the
    (8 - C)-bit fields (per 16-byte slice)."""
    state = random_state(11 + size)
    mask = 0xFF >> size
    state.vr[2] &= mask
    state.vr[3] &= mask
    state = run_both(encode("fxvupckbl", 4, 2, 3, c=size), state)[0].state
    state = run_both(encode("fxvupckbr", 5, 2, 3, c=size), state)[0].state
    upper = run_both(encode("fxvpckbu", 6, 4, 5, c=size), state)[0].state.vr[6]
    lower = run_both(encode("fxvpckbl", 7, 4, 5, c=size), state)[0].state.vr[7]
    assert np.array_equal(upper, state.vr[2]) and np.array_equal(lower, state.vr[3])
    if size == 0:  # halfword i of slice 0 is VRA byte i : VRB byte i
        joined = (int(state.vr[2][1]) << 8) | int(state.vr[3][1])
        assert state.vr[4].view(">u2")[1] == joined


def test_splat_takes_the_low_bits_of_the_gpr():
    state = random_state(2)
    state.gpr[0] = 0x1234_ABCD  # splat reads r0 itself (no RA = 0 rule)
    out = run_both(encode("fxvsplath", 1, 0), state)[0].state
    assert set(out.vr[1].view(">u2").tolist()) == {0xABCD}
    out = run_both(encode("fxvsplatb", 1, 0), state)[0].state
    assert set(out.vr[1].tolist()) == {0xCD}


# ---- memory --------------------------------------------------------------------------------

def test_load_store_round_trip_sram_and_extmem():
    state = random_state(4)
    for address in (0x0, 0x3F80, ref.EXTMEM_BASE, ref.EXTMEM_BASE + ref.EXTMEM_BYTES - 128):
        state.gpr[9] = address
        stored = run_both(encode("fxvstax", 12, 0, 9), state)[0].state
        offset = address - (ref.EXTMEM_BASE if address >= ref.EXTMEM_BASE else 0)
        memory = stored.extmem if address >= ref.EXTMEM_BASE else stored.sram
        assert np.array_equal(memory[offset:offset + 128], state.vr[12])
        loaded = run_both(encode("fxvlax", 13, 0, 9), stored)[0].state
        assert np.array_equal(loaded.vr[13], state.vr[12])


@pytest.mark.parametrize("address, cause", [
    (0x8, "alignment"), (0x3F81, "alignment"), (ref.SRAM_BYTES - 64, "data_storage"),
    (ref.SRAM_BYTES, "data_storage"), (0x8000_0000, "data_storage"),
    (ref.EXTMEM_BASE + ref.EXTMEM_BYTES - 16, "data_storage")])
@pytest.mark.parametrize("mnemonic", ["fxvlax", "fxvstax"])
def test_memory_faults_change_nothing(mnemonic, address, cause):
    state = random_state(6)
    state.gpr[3], state.gpr[4] = 0x100, (address - 0x100) & 0xFFFF_FFFF  # RA + RB
    expected, unit = run_both(encode(mnemonic, 1, 3, 4), state)
    assert expected.exception == cause and expected.fault_address == address
    assert unit.p.cycles == 1000
    assert_states_equal(unit.state(True), state, 0)


def test_load_without_external_memory_faults():
    state = random_state(8)
    state.extmem = None
    state.gpr[2] = ref.EXTMEM_BASE
    assert run_both(encode("fxvlax", 1, 0, 2), state)[0].exception == "data_storage"


# ---- parallel I/O --------------------------------------------------------------------------

@pytest.mark.parametrize("c", range(4))
def test_input_requests_the_bus_and_complete_merges_by_mask(c):
    state = random_state(9 + c)
    state.gpr[4], state.gpr[5] = 0x80000, 0x42
    expected, unit = run_both(encode("fxvinx", 7, 4, 5, c=c), state)
    assert unit.p.bus_addr == 0x80042 and unit.p.bus_reg == 7
    data = np.random.default_rng(c).integers(0, 256, 128, dtype=np.uint8)
    ffi.memmove(unit.p.bus_vector, data.tobytes(), 128)
    lib.bss2_fxv_complete(unit.p)
    merged = ref.complete_input(expected.state, expected.bus, data)
    assert np.array_equal(unit.state(True).vr, merged.vr)
    mask = expected.bus.mask
    assert np.array_equal(merged.vr[7][mask], data[mask])
    assert np.array_equal(merged.vr[7][~mask], state.vr[7][~mask])
    assert mask.all() == (c == 0)


def test_output_hands_the_vector_and_mask_to_the_bus():
    state = random_state(10)
    state.gpr[6] = 0xC90000
    expected, unit = run_both(encode("fxvoutx", 2, 0, 6, c=3), state)
    assert unit.p.bus_kind == lib.BSS2_BUS_VOUT and unit.p.bus_addr == 0xC90000
    assert np.array_equal(expected.bus.mask, state.vcr & ref.VCR_EQ != 0)
    before = unit.state(True).vr.copy()
    lib.bss2_fxv_complete(unit.p)  # nothing to merge for an output
    assert np.array_equal(unit.state(True).vr, before)
