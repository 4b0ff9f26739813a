"""On-chip bus (omnibus) address map of the emulated HICANN-X v3, word-compatible with
haldls/halco v3 (../shared/reference/haldls-layouts.md): every configuration container at its
real base, stride and word count. Layouts live in protocol.layouts; word addresses throughout.

Each `Block` is one copy (hemisphere, side, quadrant ...) of a repeated container; entry i's
word k sits at `base + (i // per_row) * row_stride + (i % per_row) * stride + offsets[k]`.
Entries are numbered as halco enumerates them, and `first + i` is the entry's number across all
copies of its kind (the index the chip model stores it under).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .container import Container
from .layouts.background import BACKGROUND_SPIKE_SOURCE
from .layouts.cadc import (
    CADC_CHANNEL_CONFIG,
    CADC_CONFIG,
    CADC_SAMPLE_QUAD,
    COMMON_CORRELATION_CONFIG,
)
from .layouts.capmem import CAPMEM_BLOCK_CONFIG, CAPMEM_CELL, NEURON_ROWS, SHARED_CELLS
from .layouts.crossbar import (
    CROSSBAR_INPUT_DROP_COUNTER,
    CROSSBAR_NODE,
    CROSSBAR_OUTPUT_CONFIG,
    CROSSBAR_OUTPUT_EVENT_COUNTER,
)
from .layouts.madc import MADC_CONFIG, MADC_CONTROL, RAW_WORD, READOUT_SOURCE_SELECTION
from .layouts.neuron import (
    COMMON_NEURON_BACKEND,
    NEURON_BACKEND,
    NEURON_CONFIG,
    SPIKE_COUNTER_READ,
    TRIGGER,
)
from .layouts.ppu import PPU_CONTROL, PPU_DEBUG, PPU_MEMORY_WORD, PPU_STACK_LIMIT, PPU_STATUS
from .layouts.sram_timing import SRAM_TIMING, SYNAPSE_DRIVER_SRAM_TIMING
from .layouts.synapse_driver import (
    COMMON_PADI_BUS_CONFIG,
    COMMON_STP_CONFIG,
    PADI_EVENT,
    SYNAPSE_DRIVER,
)
from .layouts.synram import (
    COLUMN_CORRELATION_QUAD,
    COLUMN_CURRENT_QUAD,
    COMMON_SYNRAM_CONFIG,
    SYNAPSE_AMP_CALIB_QUAD,
    SYNAPSE_BIAS_SELECTION,
    SYNAPSE_LABEL_QUAD,
    SYNAPSE_QUAD,
    SYNAPSE_TIME_CALIB_QUAD,
    SYNAPSE_WEIGHT_QUAD,
)

# --- geometry --------------------------------------------------------------------------------
HEMISPHERES = 2
COLUMNS = 256
NEURONS = HEMISPHERES * COLUMNS
SYNAPSE_ROWS = 256
SYNAPSE_DRIVERS = 128  # per hemisphere; driver d: top row 2d+1, bottom row 2d
PADI_BUSES = 4  # per hemisphere
QUADS_PER_ROW = COLUMNS // 4
CAPMEM_BLOCKS = 4  # NW, NE, SW, SE = 2 * hemisphere + column // 128
CAPMEM_COLUMNS = 130  # 128 per-neuron columns + 2 shared columns
CAPMEM_ROWS = 24
CAPMEM_MAX = 1022  # largest DAC value; 1023 = "disable refresh"
CROSSBAR_INPUTS = 20  # 0..7 neuron event outputs, 8..11 FPGA (L2), 12..19 background sources
CROSSBAR_OUTPUTS = 12  # 0..3 top PADI buses, 4..7 bottom, 8..11 FPGA (L2)
BACKGROUND_SOURCES = 8
JTAG_IDCODE_HXV3 = 0x348580AF


def _crossbar_nodes() -> np.ndarray:
    """(input, output) of the populated nodes in halco's numbering (inputs, then outputs)."""
    populated = np.zeros((CROSSBAR_INPUTS, CROSSBAR_OUTPUTS), bool)
    for k in range(8):  # neuron event output k
        populated[k, [k % 4, 4 + k % 4, 8 + k % 4]] = True
    for j in range(4):  # FPGA input j: every PADI bus and FPGA output j
        populated[8 + j, 0:8] = True
        populated[8 + j, 8 + j] = True
    for k in range(BACKGROUND_SOURCES):
        populated[12 + k, [k, 8 + k % 4]] = True
    return np.argwhere(populated)


CROSSBAR_NODES = _crossbar_nodes()
"""CROSSBAR_NODES[n] = (input, output) of crossbar node n (76 nodes)."""
NODES_OF_INPUT = tuple(np.flatnonzero(CROSSBAR_NODES[:, 0] == x) for x in range(CROSSBAR_INPUTS))
"""Node numbers of each crossbar input, outputs ascending."""

# --- bases -----------------------------------------------------------------------------------
SYNAPSE_BIAS_SELECTION_ADDRESS = 0x0010_0000
MADC_BASE = 0x000C_0000
PADI_BASE = (0x0011_0000, 0x0011_8000)  # + 0 event trigger, + 1 bus config, + 2 STP config
SYNAPSE_DRIVER_BASE = (0x0011_0400, 0x0011_8400)  # + 4d
NEURON_RESET_BASE = (0x0012_2000, 0x0012_A000)  # west (columns 0..127), east; + 4i
SPIKE_COUNTER_READ_OFFSET = 0x800
SPIKE_COUNTER_RESET_OFFSET = 0xC00
BLOCK_POST_PULSE_OFFSET = 0x400
SPL1_BASE = 0x0013_0000
CROSSBAR_OUTPUT_CONFIG_ADDRESS = SPL1_BASE
BACKGROUND_BASE = SPL1_BASE + 0x01  # + 3k
CROSSBAR_NODE_BASE = SPL1_BASE + 0x19  # + node number
CROSSBAR_INPUT_DROP_COUNTER_BASE = SPL1_BASE + 0x65
CROSSBAR_OUTPUT_EVENT_COUNTER_BASE = SPL1_BASE + 0x79
CAPMEM_BASE = (0x0014_0000, 0x0014_8000, 0x0015_0000, 0x0015_8000)
CAPMEM_COLUMN_STRIDE = 32
CAPMEM_BLOCK_CONFIG_OFFSET = 0x4000
NEURON_CONFIG_BASE = (0x0016_0000, 0x0016_8000, 0x0017_0000, 0x0017_8000)
NEURON_CONFIG_STRIDE = 8  # words + 2 .. + 7 of neuron n at base + 8n
NEURON_BACKEND_BASE = (0x001A_1000, 0x001A_9000)  # + 4i
COMMON_NEURON_BACKEND_BASE = (0x001A_1800, 0x001A_9800)
PPU_SUBTREE_BASE = (0x0200_0000, 0x0300_0000)  # + 0 CommonSynramConfig
COMMON_CORRELATION_OFFSET = 0x20_0000
CADC_OFFSET = 0x40_0000
CADC_CONFIG_OFFSET = 0x1000
CADC_CHANNEL_OFFSET = (0x800, 0x0)  # west, east channel SRAM within the CADC base
PPU_MEMORY_BASE = (0x0280_0000, 0x0380_0000)
PPU_MEMORY_WORDS = 4096
PPU_CONTROL_OFFSET = 0x20_0000
PPU_STATUS_OFFSET = 0x20_0001
PPU_DEBUG_OFFSET = 0x20_0002  # bss2emu: + 0 program counter, + 1 exception cause, + 2 its PC
PPU_DEBUG_WORDS = 3
PPU_STACK_LIMIT_OFFSET = 0x20_0005  # bss2emu: the stack guard (read-write)
SYNRAM_BASE = (0x02C0_0000, 0x03C0_0000)  # "synacc": PPU memory base | 1 << 22
SYNRAM_LABEL_OFFSET = 0x4_0000
SYNRAM_TIME_CALIB_OFFSET = 0x1_0000
SYNRAM_AMP_CALIB_OFFSET = 0x2_0000
SYNRAM_QUAD_OFFSET = 0xF_0000  # combined view: 128 words per row, label word at + 64
CADC_SAMPLE_OFFSET = (0x8_0000, 0xC_0000)  # causal, acausal; + 64r + q
CADC_BUFFERED_OFFSET = 0x20_0000  # OR into a sample address: last result, no conversion
CORRELATION_RESET_OFFSET = 0x9_0000  # + 64r + q; "row 256" = NeuronResetQuad
COLUMN_CORRELATION_OFFSETS = (0xF_8080, 0xF_80C0, 0x4000, 0x4_4000)
COLUMN_CURRENT_OFFSETS = (0x1_4000, 0x2_4000)
NEURON_SRAM_TIMING_OFFSET = 0x402  # | neuron config base and neuron backend base
SYNAPSE_DRIVER_SRAM_TIMING_OFFSET = 0x202  # | synapse driver base
CAPMEM_SRAM_TIMING_OFFSET = 0x2800  # | CapMem base
CADC_SRAM_TIMING_OFFSET = 0x102  # | CADC channel SRAM base


# --- address map -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Block:
    """`count` entries of one container in one copy (`unit`) of a repeated block."""

    kind: str
    unit: tuple[int, ...]
    base: int
    count: int
    container: Container
    first: int = 0
    stride: int = 1
    offsets: tuple[int, ...] | None = None
    per_row: int | None = None
    row_stride: int = 0
    readable: bool = True
    writable: bool = True

    @property
    def words(self) -> int:
        return len(self.container.words)

    @cached_property
    def word_offsets(self) -> tuple[int, ...]:
        return self.offsets if self.offsets is not None else tuple(range(self.words))

    def address(self, index: int, word: int = 0) -> int:
        """Word address of word `word` of entry `index`."""
        if not 0 <= index < self.count:
            raise IndexError(f"{self.name}: entry {index} outside 0..{self.count - 1}")
        return int(self.addresses(np.array([index]), word)[0])

    def addresses(self, index: np.ndarray, word: int = 0) -> np.ndarray:
        """Vectorised `address` (no range check)."""
        index = np.asarray(index, np.int64)
        if self.per_row is None:
            rel = index * self.stride
        else:
            row, col = np.divmod(index, self.per_row)
            rel = row * self.row_stride + col * self.stride
        return self.base + rel + self.word_offsets[word]

    @cached_property
    def _locations(self) -> dict[int, tuple[int, int]]:
        out = {}
        index = np.arange(self.count)
        for k in range(self.words):
            for i, a in zip(index.tolist(), self.addresses(index, k).tolist(), strict=True):
                out[a] = (i, k)
        return out

    def locate(self, address: int) -> tuple[int, int] | None:
        """(entry, word) at a word address inside this block, or None."""
        return self._locations.get(address)

    @property
    def name(self) -> str:
        return f"{self.kind}{list(self.unit) if self.unit else ''}"


def _synram_blocks(h: int) -> list[Block]:
    s = SYNRAM_BASE[h]
    n = SYNAPSE_ROWS * QUADS_PER_ROW
    first = h * n
    out = [
        Block("synapse_weight_quad", (h,), s, n, SYNAPSE_WEIGHT_QUAD, first),
        Block("synapse_label_quad", (h,), s + SYNRAM_LABEL_OFFSET, n, SYNAPSE_LABEL_QUAD, first),
        Block("synapse_time_calib_quad", (h,), s + SYNRAM_TIME_CALIB_OFFSET, n,
              SYNAPSE_TIME_CALIB_QUAD, first),
        Block("synapse_amp_calib_quad", (h,), s + SYNRAM_AMP_CALIB_OFFSET, n,
              SYNAPSE_AMP_CALIB_QUAD, first),
        Block("synapse_quad", (h,), s + SYNRAM_QUAD_OFFSET, n, SYNAPSE_QUAD, first,
              offsets=(0, QUADS_PER_ROW), per_row=QUADS_PER_ROW, row_stride=2 * QUADS_PER_ROW),
        Block("column_correlation_quad", (h,), s, QUADS_PER_ROW, COLUMN_CORRELATION_QUAD,
              h * QUADS_PER_ROW, offsets=COLUMN_CORRELATION_OFFSETS),
        Block("column_current_quad", (h,), s, QUADS_PER_ROW, COLUMN_CURRENT_QUAD,
              h * QUADS_PER_ROW, offsets=COLUMN_CURRENT_OFFSETS),
        Block("correlation_reset", (h,), s + CORRELATION_RESET_OFFSET, n, TRIGGER, first,
              readable=False),
        Block("neuron_reset_quad", (h,), s + CORRELATION_RESET_OFFSET + n, QUADS_PER_ROW, TRIGGER,
              h * QUADS_PER_ROW, readable=False),
    ]
    for which, offset in enumerate(CADC_SAMPLE_OFFSET):
        for buffered in (0, 1):
            out.append(Block("cadc_sample_quad", (h, which, buffered),
                             s + offset + buffered * CADC_BUFFERED_OFFSET, n, CADC_SAMPLE_QUAD,
                             first, writable=False))
    return out


def _hemisphere_blocks(h: int) -> list[Block]:
    subtree, cadc, ppu = PPU_SUBTREE_BASE[h], PPU_SUBTREE_BASE[h] + CADC_OFFSET, PPU_MEMORY_BASE[h]
    out = [
        Block("padi_event", (h,), PADI_BASE[h], 1, PADI_EVENT, h, readable=False),
        Block("common_padi_bus_config", (h,), PADI_BASE[h] + 1, 1, COMMON_PADI_BUS_CONFIG, h),
        Block("common_stp_config", (h,), PADI_BASE[h] + 2, 1, COMMON_STP_CONFIG, h),
        Block("synapse_driver", (h,), SYNAPSE_DRIVER_BASE[h], SYNAPSE_DRIVERS, SYNAPSE_DRIVER,
              h * SYNAPSE_DRIVERS, stride=4),
        Block("synapse_driver_sram_timing", (h,),
              SYNAPSE_DRIVER_BASE[h] | SYNAPSE_DRIVER_SRAM_TIMING_OFFSET, 1,
              SYNAPSE_DRIVER_SRAM_TIMING, h),
        Block("common_synram_config", (h,), subtree, 1, COMMON_SYNRAM_CONFIG, h),
        Block("common_correlation_config", (h,), subtree + COMMON_CORRELATION_OFFSET, 1,
              COMMON_CORRELATION_CONFIG, h),
        Block("cadc_config", (h,), cadc + CADC_CONFIG_OFFSET, 1, CADC_CONFIG, h),
        Block("ppu_memory", (h,), ppu, PPU_MEMORY_WORDS, PPU_MEMORY_WORD, h * PPU_MEMORY_WORDS),
        Block("ppu_control", (h,), ppu + PPU_CONTROL_OFFSET, 1, PPU_CONTROL, h),
        Block("ppu_status", (h,), ppu + PPU_STATUS_OFFSET, 1, PPU_STATUS, h, writable=False),
        Block("ppu_debug", (h,), ppu + PPU_DEBUG_OFFSET, PPU_DEBUG_WORDS, PPU_DEBUG,
              h * PPU_DEBUG_WORDS, writable=False),
        Block("ppu_stack_limit", (h,), ppu + PPU_STACK_LIMIT_OFFSET, 1, PPU_STACK_LIMIT, h),
    ]
    for side in range(2):
        sram = cadc + CADC_CHANNEL_OFFSET[side]
        out.append(Block("cadc_channel_config", (h, side), sram, 2 * 128, CADC_CHANNEL_CONFIG,
                         (2 * h + side) * 256))
        out.append(Block("cadc_sram_timing", (h, side), sram | CADC_SRAM_TIMING_OFFSET, 1,
                         SRAM_TIMING, 2 * h + side))
    return out + _synram_blocks(h)


def _side_blocks(side: int) -> list[Block]:
    reset, backend = NEURON_RESET_BASE[side], NEURON_BACKEND_BASE[side]
    n = 2 * 128
    return [
        Block("neuron_reset", (side,), reset, n, TRIGGER, side * n, stride=4, readable=False),
        Block("spike_counter_read", (side,), reset + SPIKE_COUNTER_READ_OFFSET, n,
              SPIKE_COUNTER_READ, side * n, stride=4, writable=False),
        Block("spike_counter_reset", (side,), reset + SPIKE_COUNTER_RESET_OFFSET, n, TRIGGER,
              side * n, stride=4, readable=False),
        Block("block_post_pulse", (side,), reset + BLOCK_POST_PULSE_OFFSET, 1, TRIGGER, side,
              readable=False),
        Block("neuron_backend", (side,), backend, n, NEURON_BACKEND, side * n, stride=4),
        Block("neuron_backend_sram_timing", (side,), backend | NEURON_SRAM_TIMING_OFFSET, 1,
              SRAM_TIMING, side),
        Block("common_neuron_backend", (side,), COMMON_NEURON_BACKEND_BASE[side], 1,
              COMMON_NEURON_BACKEND, side),
    ]


def _quadrant_blocks(q: int) -> list[Block]:
    cells = CAPMEM_COLUMNS * CAPMEM_ROWS
    return [
        Block("capmem_cell", (q,), CAPMEM_BASE[q], cells, CAPMEM_CELL, q * cells,
              per_row=CAPMEM_ROWS, row_stride=CAPMEM_COLUMN_STRIDE),
        Block("capmem_block_config", (q,), CAPMEM_BASE[q] + CAPMEM_BLOCK_CONFIG_OFFSET, 1,
              CAPMEM_BLOCK_CONFIG, q),
        Block("capmem_sram_timing", (q,), CAPMEM_BASE[q] | CAPMEM_SRAM_TIMING_OFFSET, 1,
              SRAM_TIMING, q),
        Block("neuron_config", (q,), NEURON_CONFIG_BASE[q] + 2, 128, NEURON_CONFIG, q * 128,
              stride=NEURON_CONFIG_STRIDE),
        Block("neuron_sram_timing", (q,), NEURON_CONFIG_BASE[q] | NEURON_SRAM_TIMING_OFFSET, 1,
              SRAM_TIMING, q),
    ]


def _chip_blocks() -> list[Block]:
    raw = [("current_dac", 11, 1), ("pad_multiplexer_config", 14, 4),
           ("reference_generator_config", 18, 9)]
    return [
        Block("synapse_bias_selection", (), SYNAPSE_BIAS_SELECTION_ADDRESS, 1,
              SYNAPSE_BIAS_SELECTION),
        Block("crossbar_output_config", (), CROSSBAR_OUTPUT_CONFIG_ADDRESS, 1,
              CROSSBAR_OUTPUT_CONFIG),
        Block("background_spike_source", (), BACKGROUND_BASE, BACKGROUND_SOURCES,
              BACKGROUND_SPIKE_SOURCE, stride=3),
        Block("crossbar_node", (), CROSSBAR_NODE_BASE, len(CROSSBAR_NODES), CROSSBAR_NODE),
        Block("crossbar_input_drop_counter", (), CROSSBAR_INPUT_DROP_COUNTER_BASE,
              CROSSBAR_INPUTS, CROSSBAR_INPUT_DROP_COUNTER, writable=False),
        Block("crossbar_output_event_counter", (), CROSSBAR_OUTPUT_EVENT_COUNTER_BASE,
              CROSSBAR_OUTPUTS, CROSSBAR_OUTPUT_EVENT_COUNTER, writable=False),
        Block("madc_control", (), MADC_BASE, 1, MADC_CONTROL, readable=False),
        Block("madc_config", (), MADC_BASE + 1, 1, MADC_CONFIG),
        Block("readout_source_selection", (), MADC_BASE + 12, 1, READOUT_SOURCE_SELECTION),
        *[Block(kind, (), MADC_BASE + offset, n, RAW_WORD) for kind, offset, n in raw],
    ]


def _blocks() -> list[Block]:
    out = _chip_blocks()
    for h in range(HEMISPHERES):
        out += _hemisphere_blocks(h)
    for side in range(2):
        out += _side_blocks(side)
    for q in range(CAPMEM_BLOCKS):
        out += _quadrant_blocks(q)
    return out


BLOCKS: tuple[Block, ...] = tuple(_blocks())
KINDS: dict[str, tuple[Block, ...]] = {}
for _b in BLOCKS:
    KINDS[_b.kind] = (*KINDS.get(_b.kind, ()), _b)
del _b

_PAGE = 12  # address bits below a lookup page


def _pages() -> dict[int, tuple[Block, ...]]:
    out: dict[int, list[Block]] = {}
    for block in BLOCKS:
        for k in range(block.words):
            ends = block.addresses(np.array([0, block.count - 1]), k)
            for page in range(int(ends.min()) >> _PAGE, (int(ends.max()) >> _PAGE) + 1):
                out.setdefault(page, []).append(block)
    return {p: tuple(dict.fromkeys(bs)) for p, bs in out.items()}


_PAGES: dict[int, tuple[Block, ...]] = {}


def locate(address: int) -> tuple[Block, int, int] | None:
    """(block, entry, word) of a chip word address, or None if no container lives there."""
    if not _PAGES:
        _PAGES.update(_pages())
    for block in _PAGES.get(address >> _PAGE, ()):
        hit = block.locate(address)
        if hit is not None:
            return block, hit[0], hit[1]
    return None


def block(kind: str, *unit: int) -> Block:
    """The block of a kind for one unit (hemisphere, side, quadrant, ...)."""
    for b in KINDS[kind]:
        if b.unit == unit:
            return b
    raise KeyError(f"no {kind} block for unit {unit}")


# --- coordinates ---------------------------------------------------------------------------
CAPMEM_NEURON_ROWS = NEURON_ROWS
CAPMEM_SHARED_CELLS = SHARED_CELLS


def capmem_address(quadrant: int, column: int, row: int) -> int:
    """Word address of a CapMem cell (column 0..129, row 0..23) of a block."""
    return CAPMEM_BASE[quadrant] + column * CAPMEM_COLUMN_STRIDE + row


def neuron_quadrant(neuron: int) -> tuple[int, int]:
    """(CapMem/config block, column within the block) of global neuron = hemisphere*256 + col;
    also its NeuronConfigOnDLS = 128 * block + column."""
    hemisphere, column = divmod(neuron, COLUMNS)
    return 2 * hemisphere + column // 128, column % 128


def neuron_backend_index(neuron: int) -> tuple[int, int]:
    """(side west/east, index within the side) of backend, reset and spike counters."""
    hemisphere, column = divmod(neuron, COLUMNS)
    return column // 128, hemisphere * 128 + column % 128


NEURON_TO_BACKEND = np.array([256 * s + i for s, i in map(neuron_backend_index, range(NEURONS))])
"""Global neuron -> NeuronBackendConfigOnDLS (256 * side + index), where the chip model keeps
backend, reset and counter state."""
BACKEND_TO_NEURON = np.argsort(NEURON_TO_BACKEND)


def synapse_quad_address(hemisphere: int, row: int, quad: int, label_plane: bool = False) -> int:
    """Word address of a synapse quad in the weight (or label) plane."""
    base = SYNRAM_BASE[hemisphere] + (SYNRAM_LABEL_OFFSET if label_plane else 0)
    return base + row * QUADS_PER_ROW + quad


def driver_rows(driver: int) -> tuple[int, int]:
    """(top row, bottom row) of synapse driver d: (2d + 1, 2d)."""
    return 2 * driver + 1, 2 * driver


def ppu_memory_address(hemisphere: int, word: int) -> int:
    """Omnibus word address of word `word` (byte address 4*word) of a PPU's SRAM."""
    return PPU_MEMORY_BASE[hemisphere] + word


def ppu_control_address(hemisphere: int) -> int:
    return PPU_MEMORY_BASE[hemisphere] + PPU_CONTROL_OFFSET


def ppu_status_address(hemisphere: int) -> int:
    return PPU_MEMORY_BASE[hemisphere] + PPU_STATUS_OFFSET


def ppu_debug_address(hemisphere: int, index: int) -> int:
    """bss2emu debug word: 0 program counter, 1 last exception cause (0xFFFFFFFF none), 2 its
    PC."""
    return PPU_MEMORY_BASE[hemisphere] + PPU_DEBUG_OFFSET + index


def ppu_stack_limit_address(hemisphere: int) -> int:
    """bss2emu stack guard of a PPU (layouts.ppu.PPU_STACK_LIMIT)."""
    return PPU_MEMORY_BASE[hemisphere] + PPU_STACK_LIMIT_OFFSET


def crossbar_node_number(input_: int, output: int) -> int:
    """halco's CrossbarNodeOnDLS of a populated (input, output) pair; ValueError otherwise."""
    hit = np.flatnonzero((CROSSBAR_NODES[:, 0] == input_) & (CROSSBAR_NODES[:, 1] == output))
    if hit.size == 0:
        raise ValueError(f"crossbar node (input {input_}, output {output}) is not populated")
    return int(hit[0])


def crossbar_node_address(input_: int, output: int) -> int:
    """Word address of the crossbar node from input to output."""
    return CROSSBAR_NODE_BASE + crossbar_node_number(input_, output)
