"""Where the on-chip learning program's data lives in the FPGA external memory, and the tables
the host writes there: the label table (what each event label means to the program) and the
label layer's synapse quad words with the slot of every weight (so the program needs no
knowledge of the omnibus word layout). Shared numbers come from ppu_programs/learning/onchip.h.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
from bss2emu.host.chip.mapping import Placement, marker_label
from bss2emu.ppu_programs import ROOT as PROGRAMS_ROOT
from bss2emu.protocol import event_ring as er
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.layouts.synram import SYNAPSE_WEIGHT_QUAD
from bss2emu.protocol.ppu_memory import EXTMEM_BASE, EXTMEM_BYTES
from bss2emu.protocol.synapse import COLUMN_ENTRY, COLUMN_QUAD, WEIGHT_TO_STORED

from bss2emu.errors import InputError

HEADER = PROGRAMS_ROOT / "learning" / "onchip.h"
RING_CAPACITY = 4096
RING_HEADER_BYTES = 16
RING_ENTRY_BYTES = 8


class OnChipLayoutError(InputError, ValueError):
    """The network does not fit the program's memory; the message names what is too large."""


@cache
def onchip_constants() -> dict[str, int]:
    """The ONCHIP_* numbers of onchip.h without the prefix, e.g. ``["BATCH"] == 1``."""
    found = re.findall(r"^#define ONCHIP_(\w+) (0x[0-9A-Fa-f]+|\d+)u?\b", HEADER.read_text(),
                       re.MULTILINE)
    return {name: int(value, 0) for name, value in found}


@dataclass(frozen=True)
class Region:
    """A byte range of external memory (offset from its start)."""

    offset: int
    size: int

    @property
    def ppu_address(self) -> int:
        """The address the PPU uses for it."""
        return EXTMEM_BASE + self.offset

    def omnibus_words(self) -> np.ndarray:
        """Omnibus word addresses of its 32-bit words (host side)."""
        return (fr.EXTMEM_BASE + self.offset // 4
                + np.arange(self.size // 4, dtype=np.uint32)).astype(np.uint32)


@dataclass(frozen=True)
class LabelQuads:
    """The label layer's synapse quads: omnibus addresses, initial words, and per weight
    (h, j) the quad of its excitatory and inhibitory synapse and the field's bit position."""

    addresses: np.ndarray  # uint32 [n_quads]
    slots: np.ndarray      # uint32 [n_hidden * n_out]: exc << 20 | inh << 8 | shift


def label_quads(placement: Placement) -> LabelQuads:
    """Quads of the bottom rows that hold label-layer synapses, and each weight's slot."""
    fields = SYNAPSE_WEIGHT_QUAD.words[0].fields
    quads: dict[int, int] = {}
    slots = np.zeros((placement.n_hidden, placement.n_labels), np.uint32)
    for h, driver in enumerate(placement.hidden_drivers.tolist()):
        for j, column in enumerate(range(placement.n_labels)):
            index = []
            for row in (2 * driver, 2 * driver + 1):
                address = ob.synapse_quad_address(1, row, int(COLUMN_QUAD[column]))
                index.append(quads.setdefault(address, len(quads)))
            shift = fields[f"weight_{int(COLUMN_ENTRY[column])}"][0]
            slots[h, j] = (index[0] << 20) | (index[1] << 8) | shift
    return LabelQuads(np.array(list(quads), np.uint32), slots.reshape(-1))


def label_table(placement: Placement, n_classes: int) -> np.ndarray:
    """The program's 512-slot open-addressing table: (label | ring flags << 16) -> kind << 12 |
    index (injected inputs and chip spikes may carry the same label)."""
    c = onchip_constants()
    chip = er.CHIP_FLAG << 16
    entries = [(int(lab), c["KIND_INPUT"], i) for i, lab in enumerate(placement.input_labels)]
    entries += [(int(lab) | chip, c["KIND_HIDDEN"], h)
                for h, lab in enumerate(placement.hidden_labels)]
    entries += [(int(lab) | chip, c["KIND_LABEL"], j)
                for j, lab in enumerate(placement.output_labels)]
    for index in [*range(n_classes), *(k | c["MARKER_EVAL"] for k in range(n_classes)),
                  c["MARKER_END"]]:
        entries.append((marker_label(index), c["KIND_MARKER"], index))
    slots = c["TABLE_SLOTS"]
    table = np.full(slots, 0xFFFF_FFFF, np.uint32)
    if len(entries) > slots // 2:
        raise OnChipLayoutError(f"{len(entries)} event labels do not fit the program's table")
    for key, kind, index in entries:
        slot = ((key * c["HASH_MULTIPLIER"]) & 0xFFFF_FFFF) >> 23
        while table[slot] != 0xFFFF_FFFF:
            slot = (slot + 1) % slots
        table[slot] = (key << 15) | (kind << 12) | index
    return table


@dataclass(frozen=True)
class OnChipLayout:
    """Byte regions of external memory used by the learning program."""

    regions: dict[str, Region]
    n_quads: int

    @classmethod
    def plan(cls, n_in: int, replicas: int, n_hidden: int, n_out: int, n_quads: int,
             start: int = 0) -> OnChipLayout:
        """Place every array after the first `start` bytes (the program's own extmem
        sections), 16-byte aligned, the row scratch 128-byte aligned."""
        groups = -(-n_in // replicas)
        sizes = {
            "control": 4 * onchip_constants()["WORDS"],
            "table": 4 * onchip_constants()["TABLE_SLOTS"],
            "ring": RING_HEADER_BYTES + RING_ENTRY_BYTES * RING_CAPACITY,
            "w1": 4 * n_in * n_hidden, "w2": 4 * n_hidden * n_out,
            "w1g": 4 * groups * n_hidden, "g1": 4 * groups * n_hidden, "m1": 4 * groups * n_hidden,
            "v1": 8 * groups * n_hidden,
            "g2": 4 * n_hidden * n_out, "m2": 4 * n_hidden * n_out, "v2": 8 * n_hidden * n_out,
            "hw1": n_in * n_hidden, "rows": 512, "quads": 12 * n_quads,
            "slots": 4 * n_hidden * n_out, "perm": 64,
        }
        regions, at = {}, start
        for name, size in sizes.items():
            align = 128 if name == "rows" else 16
            at = -(-at // align) * align
            regions[name] = Region(at, size)
            at += size
        if at > EXTMEM_BYTES:
            raise OnChipLayoutError(
                f"the on-chip learning state needs {at} bytes of FPGA memory, which has "
                f"{EXTMEM_BYTES} (network {n_in}-{n_hidden}-{n_out}, {replicas} replicas)")
        return cls(regions, n_quads)

    def words(self, name: str, values: np.ndarray, dtype: str = ">i4"
              ) -> tuple[np.ndarray, np.ndarray]:
        """Omnibus writes that store `values` (as big-endian `dtype`) at region `name`."""
        region = self.regions[name]
        raw = np.ascontiguousarray(values).astype(dtype).tobytes()
        if len(raw) > region.size:
            raise OnChipLayoutError(f"{name}: {len(raw)} bytes for a {region.size}-byte region")
        raw += bytes(-len(raw) % 4)
        data = np.frombuffer(raw, ">u4").astype(np.uint32)
        return region.omnibus_words()[:data.size], data

    @staticmethod
    def permutation() -> np.ndarray:
        """Weight magnitude -> the bits stored in the synapse (the weight DAC's wiring)."""
        return WEIGHT_TO_STORED.astype(np.uint8)
