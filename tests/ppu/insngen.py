"""Seeded random instruction sequences for the differential test of the scalar core.

Every sequence is valid code that both emulators must run identically: memory operands are
placed inside DATA (set up with `li` right before the access, aligned), branches only go forward
inside the block or back in a CTR-bounded loop, and it ends with `wait`. Encodings are written
here from the Power ISA independently of the core's table (ppu_isa.h), so a wrong opcode in the
table shows up as a difference instead of being copied into the test.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tests.ppu.unicorn_harness import WAIT_WORD, Start

CODE_BASE = 0x0000
DATA_BASE = 0x2000
DATA_BYTES = 0x1000
MAX_WORDS = (DATA_BASE - CODE_BASE) // 4 - 1

# Interesting register values: zero, signs, edges of 16/32-bit ranges, small shift counts.
SPECIAL_VALUES = (0, 1, 2, 31, 32, 33, 63, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF,
                  0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFF8000)
XER_BITS = 0xE000007F  # SO, OV, CA and the byte count: the bits a Book E XER holds

# extended opcodes (primary 31) by mnemonic: XO-form arithmetic (OE allowed, RB used)
XO_ARITH = {"add": 266, "addc": 10, "adde": 138, "subf": 40, "subfc": 8, "subfe": 136,
            "mullw": 235, "divw": 491, "divwu": 459}
XO_UNARY = {"neg": 104, "addme": 234, "addze": 202, "subfme": 232, "subfze": 200}  # RB = 0
XO_NO_OE = {"mulhw": 75, "mulhwu": 11}
X_LOGICAL = {"and": 28, "or": 444, "xor": 316, "nand": 476, "nor": 124, "eqv": 284, "andc": 60,
             "orc": 412, "slw": 24, "srw": 536, "sraw": 792}
X_UNARY_LOGICAL = {"cntlzw": 26, "extsb": 954, "extsh": 922}
D_ARITH = {"addi": 14, "addis": 15, "addic": 12, "addic.": 13, "subfic": 8, "mulli": 7}
D_LOGICAL = {"ori": 24, "oris": 25, "xori": 26, "xoris": 27, "andi.": 28, "andis.": 29}
CR_LOGIC = {"crand": 257, "cror": 449, "crxor": 193, "crnand": 225, "crnor": 33, "creqv": 289,
            "crandc": 129, "crorc": 417}
# (mnemonic, primary or extended opcode, size, update, indexed, is_store)
LOADS_STORES = (
    ("lwz", 32, 4, 0, 0, 0), ("lwzu", 33, 4, 1, 0, 0), ("lwzx", 23, 4, 0, 1, 0),
    ("lwzux", 55, 4, 1, 1, 0), ("lbz", 34, 1, 0, 0, 0), ("lbzu", 35, 1, 1, 0, 0),
    ("lbzx", 87, 1, 0, 1, 0), ("lbzux", 119, 1, 1, 1, 0), ("lhz", 40, 2, 0, 0, 0),
    ("lhzu", 41, 2, 1, 0, 0), ("lhzx", 279, 2, 0, 1, 0), ("lhzux", 311, 2, 1, 1, 0),
    ("lha", 42, 2, 0, 0, 0), ("lhau", 43, 2, 1, 0, 0), ("lhax", 343, 2, 0, 1, 0),
    ("lhaux", 375, 2, 1, 1, 0), ("lwbrx", 534, 4, 0, 1, 0), ("lhbrx", 790, 2, 0, 1, 0),
    ("stw", 36, 4, 0, 0, 1), ("stwu", 37, 4, 1, 0, 1), ("stwx", 151, 4, 0, 1, 1),
    ("stwux", 183, 4, 1, 1, 1), ("stb", 38, 1, 0, 0, 1), ("stbu", 39, 1, 1, 0, 1),
    ("stbx", 215, 1, 0, 1, 1), ("stbux", 247, 1, 1, 1, 1), ("sth", 44, 2, 0, 0, 1),
    ("sthu", 45, 2, 1, 0, 1), ("sthx", 407, 2, 0, 1, 1), ("sthux", 439, 2, 1, 1, 1),
    ("stwbrx", 662, 4, 0, 1, 1), ("sthbrx", 918, 2, 0, 1, 1),
)
# valid BO values (with and without the prediction hint where the ISA has one)
BO_VALUES = (0, 2, 4, 5, 6, 7, 8, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20)
BO_NO_CTR = (4, 5, 6, 7, 12, 13, 14, 15, 20)


def d_form(op: int, rt: int, ra: int, imm: int) -> int:
    return op << 26 | rt << 21 | ra << 16 | (imm & 0xFFFF)


def x_form(rt: int, ra: int, rb: int, xo: int, rc: int = 0, op: int = 31) -> int:
    return op << 26 | rt << 21 | ra << 16 | rb << 11 | xo << 1 | rc


def xo_form(rt: int, ra: int, rb: int, xo: int, oe: int, rc: int) -> int:
    return 31 << 26 | rt << 21 | ra << 16 | rb << 11 | oe << 10 | xo << 1 | rc


def m_form(op: int, rs: int, ra: int, sh: int, mb: int, me: int, rc: int) -> int:
    return op << 26 | rs << 21 | ra << 16 | sh << 11 | mb << 6 | me << 1 | rc


def spr_form(xo: int, rt: int, spr: int) -> int:
    return x_form(rt, spr & 31, spr >> 5, xo)


def li(rt: int, value: int) -> int:
    """addi rt, 0, value (value in -32768..32767)."""
    return d_form(14, rt, 0, value)


@dataclass
class Sequence:
    """One block of code with its starting registers and data."""

    words: list[int] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    start: Start = field(default_factory=Start)
    data: bytes = b""

    def emit(self, word: int, text: str) -> None:
        self.words.append(word & 0xFFFFFFFF)
        self.text.append(text)

    @property
    def address(self) -> int:
        """Address of the next instruction."""
        return CODE_BASE + 4 * len(self.words)

    def image(self) -> bytes:
        code = b"".join(w.to_bytes(4, "big") for w in self.words + [WAIT_WORD])
        return code.ljust(DATA_BASE, b"\0") + self.data

    def listing(self) -> str:
        return "\n".join(f"{CODE_BASE + 4 * i:04x}: {w:08x}  {t}"
                         for i, (w, t) in enumerate(zip(self.words, self.text, strict=True)))


class Generator:
    """Random instruction emitters over one numpy Generator (reproducible by seed)."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.emitters: list[tuple[float, Callable[[Sequence], None]]] = [
            (6, self.xo_arith), (2, self.divide_corner), (4, self.d_immediate),
            (5, self.logical), (3, self.rotate), (1.5, self.shift_immediate), (3, self.compare),
            (2, self.cr_logic), (1.5, self.cr_moves), (1.5, self.spr_moves), (6, self.load_store),
            (1, self.load_store_multiple), (0.5, self.dcbz), (0.5, self.no_op),
            (1, self.isel), (2, self.branch_forward), (1, self.branch_to_register),
            (1, self.ctr_loop),
        ]
        weights = np.array([w for w, _ in self.emitters])
        self.weights = weights / weights.sum()

    # random pieces
    def reg(self) -> int:
        return int(self.rng.integers(32))

    def bit(self) -> int:
        return int(self.rng.integers(2))

    def value(self) -> int:
        if self.rng.random() < 0.3:
            return int(self.rng.choice(SPECIAL_VALUES))
        return int(self.rng.integers(1 << 32, dtype=np.uint64))

    def imm16(self) -> int:
        if self.rng.random() < 0.3:
            return int(self.rng.choice((0, 1, -1, 0x7FFF, -0x8000, 0xFFFF, 31, 32)))
        return int(self.rng.integers(-0x8000, 0x8000))

    def set_register(self, seq: Sequence, reg: int, value: int) -> None:
        """lis/ori pair loading a full 32-bit value."""
        seq.emit(d_form(15, reg, 0, value >> 16), f"lis r{reg}, {value >> 16:#x}")
        seq.emit(d_form(24, reg, reg, value & 0xFFFF), f"ori r{reg}, r{reg}, {value & 0xFFFF:#x}")

    # emitters
    def xo_arith(self, seq: Sequence) -> None:
        kind = self.rng.integers(3)
        rt, ra, rb, rc = self.reg(), self.reg(), self.reg(), self.bit()
        if kind == 0:
            name, xo = list(XO_ARITH.items())[self.rng.integers(len(XO_ARITH))]
            oe = self.bit()
        elif kind == 1:
            name, xo = list(XO_UNARY.items())[self.rng.integers(len(XO_UNARY))]
            oe, rb = self.bit(), 0
        else:
            name, xo = list(XO_NO_OE.items())[self.rng.integers(len(XO_NO_OE))]
            oe = 0
        seq.emit(xo_form(rt, ra, rb, xo, oe, rc),
                 f"{name}{'o' * oe}{'.' * rc} r{rt}, r{ra}, r{rb}")

    def divide_corner(self, seq: Sequence) -> None:
        ra, rb = self.reg(), self.reg()
        while rb == ra:
            rb = self.reg()
        if self.bit():
            seq.emit(li(rb, 0), f"li r{rb}, 0")
        else:
            self.set_register(seq, ra, 0x80000000)
            seq.emit(li(rb, -1), f"li r{rb}, -1")
        name = "divw" if self.bit() else "divwu"
        rt, oe, rc = self.reg(), self.bit(), self.bit()
        seq.emit(xo_form(rt, ra, rb, XO_ARITH[name], oe, rc),
                 f"{name}{'o' * oe}{'.' * rc} r{rt}, r{ra}, r{rb}")

    def d_immediate(self, seq: Sequence) -> None:
        table = D_ARITH if self.bit() else D_LOGICAL
        name, op = list(table.items())[self.rng.integers(len(table))]
        rt, ra, imm = self.reg(), self.reg(), self.imm16()
        seq.emit(d_form(op, rt, ra, imm), f"{name} {rt}, {ra}, {imm}")

    def logical(self, seq: Sequence) -> None:
        rs, ra, rb, rc = self.reg(), self.reg(), self.reg(), self.bit()
        if self.rng.random() < 0.25:
            name, xo = list(X_UNARY_LOGICAL.items())[self.rng.integers(len(X_UNARY_LOGICAL))]
            rb = 0
        else:
            name, xo = list(X_LOGICAL.items())[self.rng.integers(len(X_LOGICAL))]
            if name in ("slw", "srw", "sraw") and self.bit():
                amount = int(self.rng.integers(64))
                seq.emit(li(rb, amount), f"li r{rb}, {amount}")
        seq.emit(x_form(rs, ra, rb, xo, rc), f"{name}{'.' * rc} r{ra}, r{rs}, r{rb}")

    def rotate(self, seq: Sequence) -> None:
        name, op = [("rlwimi", 20), ("rlwinm", 21), ("rlwnm", 23)][self.rng.integers(3)]
        rs, ra, sh = self.reg(), self.reg(), int(self.rng.integers(32))
        mb, me, rc = int(self.rng.integers(32)), int(self.rng.integers(32)), self.bit()
        seq.emit(m_form(op, rs, ra, sh, mb, me, rc),
                 f"{name}{'.' * rc} r{ra}, r{rs}, {sh}, {mb}, {me}")

    def shift_immediate(self, seq: Sequence) -> None:
        rs, ra, sh, rc = self.reg(), self.reg(), int(self.rng.integers(32)), self.bit()
        seq.emit(x_form(rs, ra, sh, 824, rc), f"srawi{'.' * rc} r{ra}, r{rs}, {sh}")

    def compare(self, seq: Sequence) -> None:
        crf, ra, rb, kind = int(self.rng.integers(8)), self.reg(), self.reg(), self.rng.integers(4)
        if kind == 0:
            seq.emit(x_form(crf << 2, ra, rb, 0), f"cmpw cr{crf}, r{ra}, r{rb}")
        elif kind == 1:
            seq.emit(x_form(crf << 2, ra, rb, 32), f"cmplw cr{crf}, r{ra}, r{rb}")
        elif kind == 2:
            imm = self.imm16()
            seq.emit(d_form(11, crf << 2, ra, imm), f"cmpwi cr{crf}, r{ra}, {imm}")
        else:
            imm = self.imm16() & 0xFFFF
            seq.emit(d_form(10, crf << 2, ra, imm), f"cmplwi cr{crf}, r{ra}, {imm}")

    def cr_logic(self, seq: Sequence) -> None:
        name, xo = list(CR_LOGIC.items())[self.rng.integers(len(CR_LOGIC))]
        bt, ba, bb = self.reg(), self.reg(), self.reg()
        seq.emit(x_form(bt, ba, bb, xo, op=19), f"{name} {bt}, {ba}, {bb}")

    def cr_moves(self, seq: Sequence) -> None:
        kind, rt = self.rng.integers(5), self.reg()
        field_ = int(self.rng.integers(8))
        if kind == 0:
            src = int(self.rng.integers(8))
            seq.emit(x_form(field_ << 2, src << 2, 0, 0, op=19), f"mcrf cr{field_}, cr{src}")
        elif kind == 1:
            seq.emit(x_form(field_ << 2, 0, 0, 512), f"mcrxr cr{field_}")
        elif kind == 2:
            seq.emit(x_form(rt, 0, 0, 19), f"mfcr r{rt}")
        elif kind == 3:
            fxm = int(self.rng.integers(256))
            seq.emit(31 << 26 | rt << 21 | fxm << 12 | 144 << 1, f"mtcrf {fxm:#x}, r{rt}")
        else:
            one, to_cr = 1 << int(self.rng.integers(8)), self.bit()
            word = 31 << 26 | rt << 21 | 1 << 20 | one << 12 | (144 if to_cr else 19) << 1
            seq.emit(word, f"mtocrf {one:#x}, r{rt}" if to_cr else f"mfocrf r{rt}, {one:#x}")

    def spr_moves(self, seq: Sequence) -> None:
        rt = self.reg()
        name, spr = [("xer", 1), ("lr", 8), ("ctr", 9)][self.rng.integers(3)]
        if self.bit():
            seq.emit(spr_form(339, rt, spr), f"mf{name} r{rt}")
            return
        if name == "xer":  # QEMU keeps reserved XER bits that a Book E core drops: write valid ones
            self.set_register(seq, rt, self.value() & XER_BITS)
        seq.emit(spr_form(467, rt, spr), f"mt{name} r{rt}")

    def _address(self, size: int, span: int = 0) -> int:
        """Aligned address in DATA with room for `span` more bytes."""
        slots = (DATA_BYTES - span - size) // size + 1
        return DATA_BASE + size * int(self.rng.integers(slots))

    def load_store(self, seq: Sequence) -> None:
        name, op, size, update, indexed, store = LOADS_STORES[self.rng.integers(len(LOADS_STORES))]
        rt, ea = self.reg(), self._address(size)
        ra = self.reg()
        while (update and (ra == 0 or (not store and ra == rt))) or (ra == rt and not store):
            ra = self.reg()
        if indexed:
            rb = self.reg()
            while rb == ra or rb == 0 or (rb == rt and not store):
                rb = self.reg()
            offset = int(self.rng.integers(-256, 256))
            if ra:
                seq.emit(li(ra, ea - offset), f"li r{ra}, {ea - offset:#x}")
            else:
                offset = ea
            seq.emit(li(rb, offset), f"li r{rb}, {offset}")
            seq.emit(x_form(rt, ra, rb, op), f"{name} r{rt}, r{ra}, r{rb}")
        else:
            disp = int(self.rng.integers(-0x100, 0x100)) if ra else ea
            if ra:
                seq.emit(li(ra, ea - disp), f"li r{ra}, {ea - disp:#x}")
            seq.emit(d_form(op, rt, ra, disp), f"{name} r{rt}, {disp}(r{ra})")

    def load_store_multiple(self, seq: Sequence) -> None:
        first = int(self.rng.integers(20, 32))
        count = 32 - first
        ea = self._address(4, 4 * count)
        store = self.bit()
        ra = self.reg()
        while ra == 0 or (not store and ra >= first):
            ra = self.reg()
        disp = int(self.rng.integers(-64, 64)) * 4
        seq.emit(li(ra, ea - disp), f"li r{ra}, {ea - disp:#x}")
        name, op = ("stmw", 47) if store else ("lmw", 46)
        seq.emit(d_form(op, first, ra, disp), f"{name} r{first}, {disp}(r{ra})")

    def dcbz(self, seq: Sequence) -> None:
        rb = self.reg()
        while rb == 0:
            rb = self.reg()
        ea = DATA_BASE + int(self.rng.integers(DATA_BYTES))
        seq.emit(li(rb, ea), f"li r{rb}, {ea:#x}")
        seq.emit(x_form(0, 0, rb, 1014), f"dcbz 0, r{rb}")

    def no_op(self, seq: Sequence) -> None:
        kind = self.rng.integers(7)
        if kind < 3:
            word, text = [(x_form(0, 0, 0, 598), "sync"), (x_form(0, 0, 0, 150, op=19), "isync"),
                          (x_form(0, 0, 0, 854), "mbar")][kind]
            seq.emit(word, text)
            return
        rb = self.reg()
        while rb == 0:
            rb = self.reg()
        name, xo = [("dcbt", 278), ("dcbst", 54), ("dcbf", 86), ("icbi", 982)][kind - 3]
        ea = DATA_BASE + int(self.rng.integers(DATA_BYTES))
        seq.emit(li(rb, ea), f"li r{rb}, {ea:#x}")
        seq.emit(x_form(0, 0, rb, xo), f"{name} 0, r{rb}")

    def isel(self, seq: Sequence) -> None:
        rt, ra, rb, bc = self.reg(), self.reg(), self.reg(), self.reg()
        seq.emit(31 << 26 | rt << 21 | ra << 16 | rb << 11 | bc << 6 | 15 << 1,
                 f"isel r{rt}, r{ra}, r{rb}, {bc}")

    def simple(self, seq: Sequence) -> None:
        """One instruction without branches, CTR or memory side effects on the layout."""
        [self.xo_arith, self.d_immediate, self.logical, self.rotate, self.compare,
         self.cr_logic][self.rng.integers(6)](seq)

    def branch_forward(self, seq: Sequence) -> None:
        skip, lk, aa = int(self.rng.integers(0, 4)), self.bit(), int(self.rng.random() < 0.2)
        here = seq.address
        skipped = Sequence()
        for _ in range(skip):
            self.simple(skipped)
        target = here + 4 + 4 * len(skipped.words)
        offset = target - here
        if self.bit():
            field_ = target if aa else offset
            seq.emit(18 << 26 | (field_ & 0x03FFFFFC) | aa << 1 | lk,
                     f"b{'l' * lk}{'a' * aa} {target:#x}")
        else:
            bo, bi = int(self.rng.choice(BO_VALUES)), self.reg()
            field_ = target if aa else offset
            seq.emit(16 << 26 | bo << 21 | bi << 16 | (field_ & 0xFFFC) | aa << 1 | lk,
                     f"bc{'l' * lk}{'a' * aa} {bo}, {bi}, {target:#x}")
        seq.words += skipped.words
        seq.text += skipped.text

    def branch_to_register(self, seq: Sequence) -> None:
        skip, lk, to_ctr = int(self.rng.integers(0, 4)), self.bit(), self.bit()
        rx = self.reg()
        skipped = Sequence()
        for _ in range(skip):
            self.simple(skipped)
        target = seq.address + 12 + 4 * len(skipped.words)
        seq.emit(li(rx, target), f"li r{rx}, {target:#x}")
        bi = self.reg()
        if to_ctr:
            bo = int(self.rng.choice(BO_NO_CTR))
            seq.emit(spr_form(467, rx, 9), f"mtctr r{rx}")
            seq.emit(x_form(bo, bi, 0, 528, lk, op=19), f"bcctr{'l' * lk} {bo}, {bi}")
        else:
            bo = int(self.rng.choice(BO_VALUES))
            seq.emit(spr_form(467, rx, 8), f"mtlr r{rx}")
            seq.emit(x_form(bo, bi, 0, 16, lk, op=19), f"bclr{'l' * lk} {bo}, {bi}")
        seq.words += skipped.words
        seq.text += skipped.text

    def ctr_loop(self, seq: Sequence) -> None:
        rx, count = self.reg(), int(self.rng.integers(1, 6))
        seq.emit(li(rx, count), f"li r{rx}, {count}")
        seq.emit(spr_form(467, rx, 9), f"mtctr r{rx}")
        top = seq.address
        for _ in range(int(self.rng.integers(1, 4))):
            [self.simple, self.load_store][self.rng.integers(2)](seq)
        offset = top - seq.address
        seq.emit(16 << 26 | 16 << 21 | (offset & 0xFFFC), f"bdnz {top:#x}")

    # whole sequences
    def sequence(self, length: int) -> Sequence:
        """About `length` instructions (the last emitter may add a few), then `wait`."""
        seq = Sequence(start=Start(
            gpr=tuple(self.value() for _ in range(32)),
            cr=int(self.rng.integers(1 << 32, dtype=np.uint64)),
            xer=self.value() & XER_BITS,
            lr=self.value(), ctr=self.value()))
        seq.data = self.rng.integers(0, 256, DATA_BYTES, dtype=np.uint8).tobytes()
        while len(seq.words) < length:
            index = self.rng.choice(len(self.emitters), p=self.weights)
            self.emitters[index][1](seq)
        assert len(seq.words) <= MAX_WORDS
        return seq
