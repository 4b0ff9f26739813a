"""Run PPU code on unicorn (QEMU's e500v2 model, a 32-bit Book E core like Nux) and on our core
from the same starting state, returning the same `State`, so tests can compare them.

Both map 16 KiB SRAM at 0 and optionally the 128 KiB external memory at 0x4000_0000. A run stops
after `wait` (PC then points after it), at `until_pc`, or after `max_instructions`.
Unicorn's XER register access bypasses QEMU's split SO/OV/CA bits, so XER is moved with
mtxer/mfxer executed from a harness page outside the PPU's address map.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from bss2emu.chipsim.ppu.core import EXTMEM_BASE, EXTMEM_BYTES, SRAM_BYTES, PpuCore, Status

try:
    import unicorn
    from unicorn import ppc_const as uc_ppc
except ImportError as exc:  # pragma: no cover - a dev dependency
    raise ImportError("the unicorn engine is needed for the differential tests: "
                      "pip install 'unicorn>=2.1'") from exc

WAIT_WORD = 0x7C00007C
MTXER_R3 = 0x7C6103A6
MFXER_R3 = 0x7C6102A6
STUB_PAGE = 0x7000_0000  # harness-only code, outside every PPU address range
UNICORN_MODEL = uc_ppc.UC_CPU_PPC32_E500V2_V22
_GPRS = [getattr(uc_ppc, f"UC_PPC_REG_{i}") for i in range(32)]


@dataclass(frozen=True)
class State:
    """Architected state that both emulators must agree on after a run."""

    gpr: tuple[int, ...]
    cr: int
    xer: int
    lr: int
    ctr: int
    pc: int
    sram: bytes
    extmem: bytes | None
    stop: str  #: "wait", "until", "limit" or "exception"

    def differences(self, other: State) -> list[str]:
        """Human-readable list of what differs (empty when equal)."""
        out = [f"r{i}: {a:#010x} != {b:#010x}"
               for i, (a, b) in enumerate(zip(self.gpr, other.gpr, strict=True)) if a != b]
        # after an exception unicorn's PC is past the instruction, ours is on it
        both_faulted = self.stop == other.stop == "exception"
        for name in ("cr", "xer", "lr", "ctr") + (() if both_faulted else ("pc",)):
            a, b = getattr(self, name), getattr(other, name)
            if a != b:
                out.append(f"{name}: {a:#010x} != {b:#010x}")
        for name in ("sram", "extmem"):
            a, b = getattr(self, name), getattr(other, name)
            if a != b:
                first = next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), 0)
                out.append(f"{name} differs first at offset 0x{first:x}")
        if self.stop != other.stop:
            out.append(f"stop: {self.stop} != {other.stop}")
        return out


@dataclass
class Start:
    """Registers to set before a run (anything not given starts at 0)."""

    gpr: tuple[int, ...] = (0,) * 32
    cr: int = 0
    xer: int = 0
    lr: int = 0
    ctr: int = 0


class UnicornPpu:
    """One unicorn instance reused for many runs (translated code is flushed per load)."""

    def __init__(self, extmem: bool = False):
        uc = unicorn.Uc(unicorn.UC_ARCH_PPC, unicorn.UC_MODE_PPC32 | unicorn.UC_MODE_BIG_ENDIAN)
        uc.ctl_set_cpu_model(UNICORN_MODEL)
        uc.mem_map(0, SRAM_BYTES)
        uc.mem_map(STUB_PAGE, 0x1000)
        uc.mem_write(STUB_PAGE, struct.pack(">II", MTXER_R3, MFXER_R3))
        self.has_extmem = extmem
        if extmem:
            uc.mem_map(EXTMEM_BASE, EXTMEM_BYTES)
        self.uc = uc

    def _stub(self, address: int, r3: int) -> int:
        """Run one harness instruction with r3 = value; returns r3 after it (r3 restored)."""
        saved = self.uc.reg_read(uc_ppc.UC_PPC_REG_3)
        self.uc.reg_write(uc_ppc.UC_PPC_REG_3, r3)
        self.uc.emu_start(address, address + 4)
        value = self.uc.reg_read(uc_ppc.UC_PPC_REG_3)
        self.uc.reg_write(uc_ppc.UC_PPC_REG_3, saved)
        return value

    def run(self, image: bytes, entry: int = 0, start: Start | None = None,
            until_pc: int | None = None, max_instructions: int = 10_000_000,
            extmem_image: bytes | None = None) -> State:
        """Clear memory, load `image` at 0 (and `extmem_image`), set `start`, run, read back."""
        uc, start = self.uc, start or Start()
        uc.mem_write(0, bytes(image).ljust(SRAM_BYTES, b"\0"))
        if self.has_extmem:
            uc.mem_write(EXTMEM_BASE, bytes(extmem_image or b"").ljust(EXTMEM_BYTES, b"\0"))
        uc.ctl_remove_cache(0, SRAM_BYTES)
        self._stub(STUB_PAGE, start.xer)  # mtxer
        for reg, value in zip(_GPRS, start.gpr, strict=True):
            uc.reg_write(reg, value)
        uc.reg_write(uc_ppc.UC_PPC_REG_CR, start.cr)
        uc.reg_write(uc_ppc.UC_PPC_REG_LR, start.lr)
        uc.reg_write(uc_ppc.UC_PPC_REG_CTR, start.ctr)
        stop = "limit"
        try:
            uc.emu_start(entry, SRAM_BYTES if until_pc is None else until_pc,
                         count=max_instructions)
        except unicorn.UcError as error:
            if error.errno != unicorn.UC_ERR_EXCEPTION:
                raise
            stop = "exception"
        pc = uc.reg_read(uc_ppc.UC_PPC_REG_PC)
        if stop == "exception" and 4 <= pc <= SRAM_BYTES \
                and struct.unpack(">I", uc.mem_read(pc - 4, 4))[0] == WAIT_WORD:
            stop = "wait"  # QEMU's e500 treats wait as a halt request: it stops after it
        elif stop == "limit" and until_pc is not None and pc == until_pc:
            stop = "until"
        return State(
            gpr=tuple(uc.reg_read(r) for r in _GPRS),
            cr=uc.reg_read(uc_ppc.UC_PPC_REG_CR),
            xer=self._stub(STUB_PAGE + 4, 0),  # mfxer
            lr=uc.reg_read(uc_ppc.UC_PPC_REG_LR),
            ctr=uc.reg_read(uc_ppc.UC_PPC_REG_CTR),
            pc=pc,
            sram=bytes(uc.mem_read(0, SRAM_BYTES)),
            extmem=bytes(uc.mem_read(EXTMEM_BASE, EXTMEM_BYTES)) if self.has_extmem else None,
            stop=stop,
        )


class CorePpu:
    """Our core behind the same interface as UnicornPpu (exceptions halt the run)."""

    def __init__(self, extmem: bool = False):
        self.core = PpuCore(extmem=True if extmem else None, halt_on_exception=True)

    def run(self, image: bytes, entry: int = 0, start: Start | None = None,
            until_pc: int | None = None, max_instructions: int = 10_000_000,
            extmem_image: bytes | None = None) -> State:
        core, start = self.core, start or Start()
        core.write_memory(0, bytes(image).ljust(SRAM_BYTES, b"\0"))
        if core.extmem is not None:
            core.extmem[:] = 0
            core.write_memory(EXTMEM_BASE, bytes(extmem_image or b""))
        core.reset()
        core.pc = entry
        for i, value in enumerate(start.gpr):
            core.set_gpr(i, value)
        core.cr, core.xer, core.lr, core.ctr = start.cr, start.xer, start.lr, start.ctr
        stop = "limit"
        while core.instret < max_instructions:
            if until_pc is not None:
                if core.pc == until_pc:
                    stop = "until"
                    break
                status = core.step()
            else:
                status = core.run(core.cycles + max_instructions - core.instret)
            if status == Status.SLEEPING:
                stop = "wait"
                break
            if status != Status.RUNNING:
                stop = "exception"
                break
        return State(
            gpr=tuple(int(v) for v in core.gpr), cr=core.cr, xer=core.xer, lr=core.lr,
            ctr=core.ctr, pc=core.pc, sram=core.read_memory(0, SRAM_BYTES),
            extmem=bytes(core.extmem) if core.extmem is not None else None, stop=stop,
        )


def run_unicorn(image: bytes, entry: int = 0, until_pc: int | None = None,
                max_instructions: int = 10_000_000, extmem_image: bytes | None = None,
                start: Start | None = None) -> State:
    """Run an image on a fresh unicorn instance (see UnicornPpu.run)."""
    return UnicornPpu(extmem=extmem_image is not None).run(
        image, entry, start, until_pc, max_instructions, extmem_image)


def run_core(image: bytes, entry: int = 0, until_pc: int | None = None,
             max_instructions: int = 10_000_000, extmem_image: bytes | None = None,
             start: Start | None = None) -> State:
    """Run an image on a fresh core of ours (see CorePpu.run)."""
    return CorePpu(extmem=extmem_image is not None).run(
        image, entry, start, until_pc, max_instructions, extmem_image)
