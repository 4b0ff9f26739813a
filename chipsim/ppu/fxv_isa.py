"""The FXV vector instruction set as one declarative table: mnemonic, extended opcode (XO),
operand form, lane width, meaning of the C field and issue cycles.

The C interpreter (chipsim/csrc/ppu_fxv.c), the numpy reference (fxv_reference.py), the
assembler helper `encode`, the C intrinsics header (`render_c_header`) and the tests all read
this table. Encoding (nux pu_inst_pkg.sv, binutils ppc-opc.c `FXV`): primary opcode 4 in bits
0-5 (IBM numbering, bit 0 = MSB), VRT 6-10, VRA 11-15, VRB 16-20, XO 21-29, C 30-31.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

PRIMARY_OPCODE = 4
#: C field values used as predicates (0 = always)
COND_ALWAYS, COND_GT, COND_LT, COND_EQ = 0, 1, 2, 3


class Form(Enum):
    """Operand list of an instruction, in assembler order; each names the field it fills."""

    VRT_VRA_VRB = ("vrt", "vra", "vrb")
    VRA_VRB = ("vra", "vrb")            # result goes to the accumulator
    VRT_VRA = ("vrt", "vra")            # VRA combined with the accumulator into VRT
    VRA = ("vra",)                      # accumulator moves and compares
    VRT_RA = ("vrt", "ra")              # splat from a GPR
    VRT_VRA_SHIFT = ("vrt", "vra", "shift")  # VRB field holds a signed 5-bit shift
    VRT_RA_RB = ("vrt", "ra", "rb")     # memory and parallel I/O, address (RA|0) + RB


class CField(Enum):
    """What the 2-bit C field means for an instruction."""

    PREDICATE = "predicate"  # 0 always, 1 GT, 2 LT, 3 EQ (per byte lane of VCR)
    SIZE = "size"            # pack/unpack: fraction width is 8 - C bits
    IGNORED = "ignored"


class Kind(Enum):
    """Semantic family, shared by the C decode table and the reference."""

    LANE_TO_VRT = 1    # per-lane arithmetic written to VRT
    LANE_TO_ACC = 2    # per-lane arithmetic written to the accumulator
    COMPARE = 3
    SPLAT = 4
    SHIFT = 5
    SELECT = 6
    PACK_UPPER = 7
    PACK_LOWER = 8
    UNPACK_LEFT = 9
    UNPACK_RIGHT = 10
    LOAD = 11
    STORE = 12
    INPUT = 13
    OUTPUT = 14


@dataclass(frozen=True)
class Instruction:
    """One FXV instruction: its encoding, operands and cost."""

    mnemonic: str
    xo: int
    form: Form
    kind: Kind
    lane_bits: int      # 8 (byte lanes), 16 (halfword lanes); 8 for byte-wise permutes/memory
    c_field: CField
    cycles: int
    summary: str


#: issue cost in cycles (250 MHz). Our model, not a measured number: one cycle per instruction,
#: the 4-stage multiplier's latency for anything that multiplies, one cycle per 16-byte slice
#: for SRAM/extmem vector loads and stores, and 2 cycles to hand a parallel-I/O access to the bus.
CYCLES_SIMPLE, CYCLES_MULTIPLY, CYCLES_MEMORY, CYCLES_IO = 1, 4, 8, 2

_P, _S, _N = CField.PREDICATE, CField.SIZE, CField.IGNORED
_V, _A = Kind.LANE_TO_VRT, Kind.LANE_TO_ACC
_M, _1 = CYCLES_MULTIPLY, CYCLES_SIMPLE


def _pair(stem: str, xo_h: int, form: Form, kind: Kind, cycles: int, summary: str,
          suffix: str = "m") -> list[Instruction]:
    """The halfword and byte variants of one operation (byte XO = halfword XO + 1)."""
    return [
        Instruction(f"{stem}h{suffix}", xo_h, form, kind, 16, _P, cycles, summary),
        Instruction(f"{stem}b{suffix}", xo_h + 1, form, kind, 8, _P, cycles, summary),
    ]


_VVV, _VV, _VA, _A1 = Form.VRT_VRA_VRB, Form.VRA_VRB, Form.VRT_VRA, Form.VRA

# The byte variant of each pair has XO + 1, except the accumulator moves (14 byte / 15 half,
# 30 byte / 31 half); facts: nux doc/guide/src/fxv.tex, binutils ppc-opc.c.
INSTRUCTIONS: tuple[Instruction, ...] = tuple(
    _pair("fxvma", 12, _VVV, _V, _M, "VRT = VRA*VRB + ACC mod 2^n")
    + [Instruction("fxvmtacb", 14, _A1, _A, 8, _P, _1, "ACC = sext(VRA)"),
       Instruction("fxvmtach", 15, _A1, _A, 16, _P, _1, "ACC = sext(VRA)")]
    + _pair("fxvma", 28, _VVV, _V, _M, "VRT = high(sat(multsatfract(VRA,VRB) + ACC))",
            suffix="fs")
    + [Instruction("fxvmtacbf", 30, _A1, _A, 8, _P, _1, "ACC = VRA << n"),
       Instruction("fxvmtachf", 31, _A1, _A, 16, _P, _1, "ACC = VRA << n")]
    + _pair("fxvmatac", 44, _VV, _A, _M, "ACC = VRA*VRB + ACC mod 2^2n")
    + _pair("fxvmatac", 60, _VV, _A, _M, "ACC = sat(multsatfract(VRA,VRB) + ACC)",
            suffix="fs")
    + _pair("fxvmul", 76, _VVV, _V, _M, "VRT = VRA*VRB mod 2^n")
    + _pair("fxvmul", 92, _VVV, _V, _M, "VRT = high(multsatfract(VRA,VRB))", suffix="fs")
    + _pair("fxvmultac", 108, _VV, _A, _M, "ACC = VRA*VRB mod 2^2n")
    + _pair("fxvmultac", 124, _VV, _A, _M, "ACC = multsatfract(VRA,VRB)", suffix="fs")
    + [Instruction("fxvinx", 236, Form.VRT_RA_RB, Kind.INPUT, 8, _P, CYCLES_IO,
                   "VRT <- parallel I/O at (RA|0)+RB, bytes masked by C"),
       Instruction("fxvpckbu", 239, _VVV, Kind.PACK_UPPER, 8, _S, _1,
                   "VRT bytes = upper 8-C bits of VRA, VRB halfwords (per slice)"),
       Instruction("fxvoutx", 252, Form.VRT_RA_RB, Kind.OUTPUT, 8, _P, CYCLES_IO,
                   "parallel I/O at (RA|0)+RB <- VRT, bytes masked by C"),
       Instruction("fxvpckbl", 255, _VVV, Kind.PACK_LOWER, 8, _S, _1,
                   "VRT bytes = next 8-C bits of VRA, VRB halfwords (per slice)"),
       Instruction("fxvsplath", 268, Form.VRT_RA, Kind.SPLAT, 16, _N, _1,
                   "VRT halfwords = low halfword of GPR RA"),
       Instruction("fxvsplatb", 269, Form.VRT_RA, Kind.SPLAT, 8, _N, _1,
                   "VRT bytes = low byte of GPR RA"),
       Instruction("fxvupckbr", 271, _VVV, Kind.UNPACK_RIGHT, 8, _S, _1,
                   "VRT halfwords = right-half bytes of VRA:VRB joined (per slice)"),
       Instruction("fxvupckbl", 287, _VVV, Kind.UNPACK_LEFT, 8, _S, _1,
                   "VRT halfwords = left-half bytes of VRA:VRB joined (per slice)"),
       Instruction("fxvcmph", 300, _A1, Kind.COMPARE, 16, _N, _1,
                   "VCR = (VRA = 0, > 0, < 0) per halfword"),
       Instruction("fxvcmpb", 301, _A1, Kind.COMPARE, 8, _N, _1,
                   "VCR = (VRA = 0, > 0, < 0) per byte"),
       Instruction("fxvshh", 316, Form.VRT_VRA_SHIFT, Kind.SHIFT, 16, _N, _1,
                   "VRT = VRA << s (s > 0) or logical >> -s"),
       Instruction("fxvshb", 317, Form.VRT_VRA_SHIFT, Kind.SHIFT, 8, _N, _1,
                   "VRT = VRA << s (s > 0) or logical >> -s"),
       Instruction("fxvsel", 319, _VVV, Kind.SELECT, 8, _P, _1,
                   "per byte VRT = cond ? VRB : VRA (C = 0: VRB)")]
    + _pair("fxvsub", 332, _VVV, _V, _1, "VRT = VRA - VRB mod 2^n")
    + _pair("fxvsub", 348, _VVV, _V, _1, "VRT = sat(VRA - VRB)", suffix="fs")
    + _pair("fxvaddactac", 364, _A1, _A, _1, "ACC = sext(VRA) + ACC mod 2^2n")
    + [Instruction("fxvaddactachf", 380, _A1, _A, 16, _P, _1, "ACC = sat((VRA << n) + ACC)"),
       Instruction("fxvaddactacbf", 381, _A1, _A, 8, _P, _1, "ACC = sat((VRA << n) + ACC)")]
    + _pair("fxvaddac", 396, _VA, _V, _1, "VRT = sext(VRA) + ACC mod 2^n")
    + _pair("fxvaddac", 412, _VA, _V, _1, "VRT = high(sat((VRA << n) + ACC))", suffix="fs")
    + _pair("fxvaddtac", 428, _VV, _A, _1, "ACC = sext(VRA) + sext(VRB)", suffix="")
    + _pair("fxvadd", 460, _VVV, _V, _1, "VRT = VRA + VRB mod 2^n")
    + _pair("fxvadd", 476, _VVV, _V, _1, "VRT = sat(VRA + VRB)", suffix="fs")
    + [Instruction("fxvlax", 492, Form.VRT_RA_RB, Kind.LOAD, 8, _N, CYCLES_MEMORY,
                   "VRT = 128 bytes of memory at (RA|0)+RB"),
       Instruction("fxvstax", 508, Form.VRT_RA_RB, Kind.STORE, 8, _N, CYCLES_MEMORY,
                   "128 bytes of memory at (RA|0)+RB = VRT")]
)

BY_MNEMONIC: dict[str, Instruction] = {i.mnemonic: i for i in INSTRUCTIONS}
BY_XO: dict[int, Instruction] = {i.xo: i for i in INSTRUCTIONS}
_FIELD_SHIFT = {"vrt": 21, "vra": 16, "ra": 16, "vrb": 11, "rb": 11, "shift": 11}


@dataclass(frozen=True)
class Fields:
    """The raw fields of an FXV instruction word."""

    vrt: int
    vra: int
    vrb: int
    xo: int
    c: int

    @property
    def shift(self) -> int:
        """The VRB field read as a signed 5-bit immediate (shift instructions)."""
        return self.vrb - 32 if self.vrb & 0x10 else self.vrb


def fields(word: int) -> Fields:
    """Split an instruction word into its fields (no check of the primary opcode)."""
    return Fields((word >> 21) & 31, (word >> 16) & 31, (word >> 11) & 31, (word >> 2) & 0x1FF,
                  word & 3)


def is_fxv(word: int) -> bool:
    """True when `word` has the FXV primary opcode 4."""
    return (word >> 26) & 0x3F == PRIMARY_OPCODE


def encode(mnemonic: str, *operands: int, c: int = 0) -> int:
    """Assemble one FXV instruction, operands in the form's order, e.g.
    `encode("fxvaddbm", 1, 2, 3)`, `encode("fxvshh", 4, 5, -3)`, `encode("fxvlax", 7, 0, 9)`."""
    insn = BY_MNEMONIC.get(mnemonic)
    if insn is None:
        raise ValueError(f"unknown FXV mnemonic {mnemonic!r}")
    names = insn.form.value
    if len(operands) != len(names):
        raise ValueError(f"{mnemonic} takes {len(names)} operands ({', '.join(names)}), "
                         f"got {len(operands)}")
    if not 0 <= c <= 3:
        raise ValueError(f"C field must be 0..3, got {c}")
    word = (PRIMARY_OPCODE << 26) | (insn.xo << 2) | c
    for name, value in zip(names, operands, strict=True):
        if name == "shift":
            if not -16 <= value <= 15:
                raise ValueError(f"{mnemonic}: shift must be -16..15, got {value}")
            value &= 31
        elif not 0 <= value <= 31:
            raise ValueError(f"{mnemonic}: register {name} must be 0..31, got {value}")
        word |= value << _FIELD_SHIFT[name]
    return word


def disassemble(word: int) -> str:
    """Text form of an FXV word (`.long 0x...` when it is not a known FXV instruction)."""
    f = fields(word)
    insn = BY_XO.get(f.xo) if is_fxv(word) else None
    if insn is None:
        return f".long {word:#010x}"
    values = {"vrt": f.vrt, "vra": f.vra, "ra": f.vra, "vrb": f.vrb, "rb": f.vrb,
              "shift": f.shift}
    ops = [str(values[n]) for n in insn.form.value]
    if insn.c_field is not CField.IGNORED and f.c:
        ops.append(str(f.c))
    return f"{insn.mnemonic} {', '.join(ops)}"


# ---- C intrinsics header -------------------------------------------------------------------

#: GPRs the header binds memory/I/O addresses and splat values to (caller-saved, not r0)
HEADER_ADDRESS_GPR, HEADER_VALUE_GPR = 12, 11

_HEADER_PROLOGUE = """\
/* GENERATED by chipsim.ppu.fxv_isa.render_c_header(); do not edit (a test compares them).
 *
 * FXV vector instructions for PPU programs compiled by a compiler that does not know them
 * (zig cc). Each macro emits the instruction word with `.long`; vector register numbers and
 * the C field must be integer literals (0..31, C 0..3), the assembler evaluates the word.
 * GPR operands are bound to fixed registers: addresses to r@ADDR@, splat values to r@VALUE@;
 * memory forms use RA = 0, so the address is (r@ADDR@).
 * C field: 0 always, 1 GT, 2 LT, 3 EQ (predicate) or the fraction size (pack/unpack).
 * Vector loads/stores need a 16-byte aligned address in SRAM or external memory.
 */
#ifndef BSS2_FXV_OPS_H
#define BSS2_FXV_OPS_H
#include <stdint.h>

#define FXV_STR_(x) #x
#define FXV_STR(x) FXV_STR_(x)
#define FXV_WORD(xo, t, a, b, c) \\
    ((4 << 26) | (((t) & 31) << 21) | (((a) & 31) << 16) | (((b) & 31) << 11) \\
     | ((xo) << 2) | ((c) & 3))
#define FXV_EMIT(xo, t, a, b, c) \\
    __asm__ volatile(".long " FXV_STR(FXV_WORD(xo, t, a, b, c)) ::: "memory")
#define FXV_EMIT_GPR(xo, t, a, b, c, reg, value) do { \\
        register uint32_t fxv_gpr_ __asm__(reg) = (uint32_t)(value); \\
        __asm__ volatile(".long " FXV_STR(FXV_WORD(xo, t, a, b, c)) \\
                         :: "r"(fxv_gpr_) : "memory"); \\
    } while (0)
"""

#: macro parameters and the FXV_EMIT arguments (t, a, b, c) for each form
_HEADER_FORMS = {
    Form.VRT_VRA_VRB: ("vt, va, vb", "vt, va, vb"),
    Form.VRA_VRB: ("va, vb", "0, va, vb"),
    Form.VRT_VRA: ("vt, va", "vt, va, 0"),
    Form.VRA: ("va", "0, va, 0"),
    Form.VRT_VRA_SHIFT: ("vt, va, shift", "vt, va, shift"),
}


def _header_macro(insn: Instruction) -> str:
    name = "FXV_" + insn.mnemonic[3:].upper()
    takes_c = insn.c_field is not CField.IGNORED
    c_param, c_arg = (", c", "c") if takes_c else ("", "0")
    if insn.form is Form.VRT_RA:
        return (f"#define {name}(vt, value) FXV_EMIT_GPR({insn.xo}, vt, "
                f"{HEADER_VALUE_GPR}, 0, 0, \"r{HEADER_VALUE_GPR}\", value)")
    if insn.form is Form.VRT_RA_RB:
        return (f"#define {name}(vt, address{c_param}) FXV_EMIT_GPR({insn.xo}, vt, 0, "
                f"{HEADER_ADDRESS_GPR}, {c_arg}, \"r{HEADER_ADDRESS_GPR}\", address)")
    params, args = _HEADER_FORMS[insn.form]
    return f"#define {name}({params}{c_param}) FXV_EMIT({insn.xo}, {args}, {c_arg})"


def render_c_header() -> str:
    """Text of fxv_ops.h: one macro per instruction (FXV_ADDBM(vt, va, vb, c), FXV_LAX(vt,
    address), FXV_SPLATH(vt, value), FXV_SHH(vt, va, shift), FXV_CMPH(va), ...)."""
    addr, value = HEADER_ADDRESS_GPR, HEADER_VALUE_GPR
    lines = [_HEADER_PROLOGUE.replace("@ADDR@", str(addr)).replace("@VALUE@", str(value))]
    for insn in sorted(INSTRUCTIONS, key=lambda i: i.xo):
        lines.append(f"/* {insn.mnemonic} (XO {insn.xo}): {insn.summary} */")
        lines.append(_header_macro(insn))
    lines.append("\n#endif\n")
    return "\n".join(lines)


def render_markdown_table() -> str:
    """The instruction table as Markdown, as it appears in docs/ppu_fxv.md (a test keeps them
    equal)."""
    rows = ["| XO | Mnemonic | Operands | C field | Cycles | Operation |",
            "|---|---|---|---|---|---|"]
    for i in sorted(INSTRUCTIONS, key=lambda i: i.xo):
        rows.append(f"| {i.xo} | {i.mnemonic} | {', '.join(i.form.value)} | {i.c_field.value} "
                    f"| {i.cycles} | {i.summary} |")
    return "\n".join(rows) + "\n"
