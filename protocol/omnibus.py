"""On-chip bus (omnibus) address map and register word layouts of the emulated HICANN-X v3.

Ordered as constants -> layouts -> address map. Block bases are the real chip's
(haldls omnibus_constants, see docs/chip.md); where the public sources give no bit layout for a
register, bss2emu defines one here and docs/chip.md marks it as ours. Word addresses throughout.
"""
from __future__ import annotations

from dataclasses import dataclass

from .bitfields import Register, register

# --- geometry --------------------------------------------------------------------------------
HEMISPHERES = 2
COLUMNS = 256
NEURONS = HEMISPHERES * COLUMNS
SYNAPSE_ROWS = 256
SYNAPSE_DRIVERS = 128  # per hemisphere, driver d drives rows 2d and 2d+1
PADI_BUSES = 4  # per hemisphere
QUADS_PER_ROW = COLUMNS // 4
CAPMEM_BLOCKS = 4  # NW, NE, SW, SE = (top, left), (top, right), (bottom, left), (bottom, right)
CAPMEM_COLUMNS = 130  # 128 per-neuron columns + 2 shared columns
CAPMEM_ROWS = 24
CAPMEM_MAX = 1022  # 1023 means "disable refresh" on the real chip and is rejected here
CROSSBAR_INPUTS = 20
CROSSBAR_OUTPUTS = 12
BACKGROUND_SOURCES = 8
JTAG_IDCODE_HXV3 = 0x348580AF

# --- register word layouts (MSB first, ending at bit 0) ---------------------------------------
SYNAPSE_WEIGHT_QUAD = register(
    "synapse_weight_quad",
    *[f for e in range(4) for f in ((f"time_calib_{e}", 2), (f"weight_{e}", 6))],
)
"""Four synapses' weight plane; entry 0 in bits 31..24. `weight_e` holds the permuted bits."""

SYNAPSE_LABEL_QUAD = register(
    "synapse_label_quad",
    *[f for e in range(4) for f in ((f"amp_calib_{e}", 2), (f"label_{e}", 6))],
)
"""Four synapses' label (address) plane; entry 0 in bits 31..24."""

SYNAPSE_DRIVER = register(
    "synapse_driver",
    ("enable_address_out", 1),
    ("row_address_compare_mask", 5),
    ("row_mode_bottom", 2),
    ("row_mode_top", 2),
)
"""Per-driver config (bss2emu layout): row modes 0 disabled, 1 excitatory, 2 inhibitory, 3 both;
top = row 2d, bottom = row 2d+1; compare-mask bits set are compared against the driver index."""

PADI_BUS_CONFIG = register("padi_bus_config", ("enable_spl1", 4))
"""Per hemisphere: bit b lets PADI bus b take events from the crossbar (bss2emu layout)."""

CROSSBAR_NODE = register(
    "crossbar_node", ("enable_drop_counter", 1), ("target", 14), ("mask", 14)
)
"""An event passes a node iff (label14 & mask) == target."""

BACKGROUND_PERIOD = register("background_period", ("period", 16), ("rate", 8), ("mask", 8))
BACKGROUND_SEED = register("background_seed", ("seed", 32))
BACKGROUND_CONTROL = register(
    "background_control", ("enable", 1), ("enable_random", 1), ("neuron_label", 14)
)

CAPMEM_CELL = register("capmem_cell", ("value", 10))

NEURON_CONFIG = register(
    "neuron_config",
    ("readout_source", 2),
    ("enable_readout", 1),
    ("enable_offset_current", 1),
    ("enable_exponential", 1),
    ("enable_adaptation", 1),
    ("enable_synaptic_input_inh", 1),
    ("enable_synaptic_input_exc", 1),
    ("enable_threshold_comparator", 1),
    ("membrane_capacitance", 6),
)
"""Per-neuron analog switches (bss2emu layout, word 0 of the neuron's config words)."""

NEURON_BACKEND = register(
    "neuron_backend",
    ("enable_spike_out", 1),
    ("select_input_clock", 1),
    ("reset_holdoff", 4),
    ("refractory_time", 8),
    ("address_out", 8),
)
"""Per-neuron digital backend (bss2emu layout)."""

NEURON_BACKEND_COMMON = register(
    "neuron_backend_common", ("clock_scale_fast", 4), ("clock_scale_slow", 4)
)
"""Clock dividers of a backend block: f = 250 MHz / 2^(scale+1); input clock 0 slow, 1 fast."""

COLUMN_CORRELATION = register(
    "column_correlation",
    ("enable_cadc_neuron_readout_acausal", 1),
    ("enable_cadc_neuron_readout_causal", 1),
    ("enable_internal_acausal", 1),
    ("enable_internal_causal", 1),
)
"""Per synapse column (bss2emu layout): internal = the column's correlation sensors accumulate
and feed the CADC; neuron readout = the CADC channel samples the column's neuron membrane."""

PPU_MEMORY_WORD = register("ppu_memory_word", ("value", 32))
"""One 32-bit word of a PPU's SRAM; bytes in big-endian order (byte address 4i is bits 31..24)."""

PPU_CONTROL = register(
    "ppu_control",
    ("cache_controller_enable", 1),
    ("force_clock_off", 1),
    ("force_clock_on", 1),
    ("inhibit_reset", 1),
)
"""PPU control: inhibit_reset 1 runs the core, 0 holds it in reset (program start from PC 0)."""

PPU_STATUS = register("ppu_status", ("sleep", 1))
"""PPU status: the core executed `wait` (a finished program sleeps)."""

PPU_DEBUG = register("ppu_debug", ("value", 32))
"""bss2emu extension, read-only: program counter / last exception cause / last exception PC."""

SPIKE_COUNTER_READ = register("spike_counter_read", ("overflow", 1), ("count", 8))
TRIGGER = register("trigger", ("trigger", 1))
"""Write-only strobe word (neuron reset, spike counter reset); its value must be 0 or 1."""


# --- address map -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """`count` registers of one layout, `stride` words apart; `unit` says which copy
    (hemisphere, side, quadrant, ...) of a repeated block this is."""

    kind: str
    unit: tuple[int, ...]
    base: int
    count: int
    layout: Register
    stride: int = 1
    readable: bool = True
    writable: bool = True

    def index(self, address: int) -> int | None:
        """Entry index for a word address inside this block, or None."""
        rel = address - self.base
        if rel < 0 or rel >= self.count * self.stride or rel % self.stride:
            return None
        return rel // self.stride

    @property
    def name(self) -> str:
        return f"{self.kind}{list(self.unit) if self.unit else ''}"


SYNRAM_BASE = (0x02C0_0000, 0x03C0_0000)
SYNRAM_LABEL_OFFSET = 0x4_0000
PADI_BASE = (0x0011_0000, 0x0011_8000)
SYNAPSE_DRIVER_BASE = (0x0011_0400, 0x0011_8400)
NEURON_RESET_BASE = (0x0012_2000, 0x0012_A000)  # left (columns 0..127), right (128..255)
SPIKE_COUNTER_READ_OFFSET = 0x800
SPIKE_COUNTER_RESET_OFFSET = 0xC00
SPL1_BASE = 0x0013_0000
BACKGROUND_BASE = SPL1_BASE + 1  # 3 words per source: period, seed, control
CROSSBAR_NODE_BASE = SPL1_BASE + 0x40  # + output * 20 + input
CAPMEM_BASE = (0x0014_0000, 0x0014_8000, 0x0015_0000, 0x0015_8000)
CAPMEM_COLUMN_STRIDE = 32
NEURON_CONFIG_BASE = (0x0016_0000, 0x0016_8000, 0x0017_0000, 0x0017_8000)
NEURON_CONFIG_STRIDE = 8  # word 0 of neuron n at base + 2 + 8n
NEURON_BACKEND_BASE = (0x001A_1000, 0x001A_9000)  # west (columns 0..127), east
NEURON_BACKEND_COMMON_BASE = (0x001A_1800, 0x001A_9800)
PPU_SUBTREE_BASE = (0x0200_0000, 0x0300_0000)
COLUMN_CORRELATION_OFFSET = 0x1000  # bss2emu: + column, in the synram control region
PPU_MEMORY_BASE = (0x0280_0000, 0x0380_0000)
PPU_MEMORY_WORDS = 4096
PPU_CONTROL_OFFSET = 0x20_0000
PPU_STATUS_OFFSET = 0x20_0001
PPU_DEBUG_OFFSET = 0x20_0002  # bss2emu: + 0 program counter, + 1 exception cause, + 2 its PC
PPU_DEBUG_WORDS = 3


def _blocks() -> list[Block]:
    out: list[Block] = []
    for h in range(HEMISPHERES):
        out.append(Block("synapse_weight", (h,), SYNRAM_BASE[h], SYNAPSE_ROWS * QUADS_PER_ROW,
                         SYNAPSE_WEIGHT_QUAD))
        out.append(Block("synapse_label", (h,), SYNRAM_BASE[h] + SYNRAM_LABEL_OFFSET,
                         SYNAPSE_ROWS * QUADS_PER_ROW, SYNAPSE_LABEL_QUAD))
        out.append(Block("padi_bus_config", (h,), PADI_BASE[h], 1, PADI_BUS_CONFIG))
        out.append(Block("synapse_driver", (h,), SYNAPSE_DRIVER_BASE[h], SYNAPSE_DRIVERS,
                         SYNAPSE_DRIVER))
        out.append(Block("column_correlation", (h,),
                         PPU_SUBTREE_BASE[h] + COLUMN_CORRELATION_OFFSET, COLUMNS,
                         COLUMN_CORRELATION))
        out.append(Block("ppu_memory", (h,), PPU_MEMORY_BASE[h], PPU_MEMORY_WORDS,
                         PPU_MEMORY_WORD))
        out.append(Block("ppu_control", (h,), PPU_MEMORY_BASE[h] + PPU_CONTROL_OFFSET, 1,
                         PPU_CONTROL))
        out.append(Block("ppu_status", (h,), PPU_MEMORY_BASE[h] + PPU_STATUS_OFFSET, 1,
                         PPU_STATUS, writable=False))
        out.append(Block("ppu_debug", (h,), PPU_MEMORY_BASE[h] + PPU_DEBUG_OFFSET,
                         PPU_DEBUG_WORDS, PPU_DEBUG, writable=False))
    for side in range(2):
        base = NEURON_RESET_BASE[side]
        out.append(Block("neuron_reset", (side,), base, 256, TRIGGER, readable=False))
        out.append(Block("spike_counter_read", (side,), base + SPIKE_COUNTER_READ_OFFSET, 256,
                         SPIKE_COUNTER_READ, writable=False))
        out.append(Block("spike_counter_reset", (side,), base + SPIKE_COUNTER_RESET_OFFSET, 256,
                         TRIGGER, readable=False))
        out.append(Block("neuron_backend", (side,), NEURON_BACKEND_BASE[side], 256,
                         NEURON_BACKEND))
        out.append(Block("neuron_backend_common", (side,), NEURON_BACKEND_COMMON_BASE[side], 1,
                         NEURON_BACKEND_COMMON))
    for i, layout in enumerate((BACKGROUND_PERIOD, BACKGROUND_SEED, BACKGROUND_CONTROL)):
        out.append(Block(layout.name, (), BACKGROUND_BASE + i,
                         BACKGROUND_SOURCES, layout, stride=3))
    out.append(Block("crossbar_node", (), CROSSBAR_NODE_BASE, CROSSBAR_INPUTS * CROSSBAR_OUTPUTS,
                     CROSSBAR_NODE))
    for q in range(CAPMEM_BLOCKS):
        for row in range(CAPMEM_ROWS):
            out.append(Block("capmem", (q, row), CAPMEM_BASE[q] + row, CAPMEM_COLUMNS,
                             CAPMEM_CELL, stride=CAPMEM_COLUMN_STRIDE))
        out.append(Block("neuron_config", (q,), NEURON_CONFIG_BASE[q] + 2, 128, NEURON_CONFIG,
                         stride=NEURON_CONFIG_STRIDE))
    return out


BLOCKS: tuple[Block, ...] = tuple(_blocks())


# --- named CapMem rows ---------------------------------------------------------------------
CAPMEM_NEURON_ROWS: tuple[str, ...] = (
    "v_leak", "v_reset", "v_threshold", "e_synin_exc_rev", "e_synin_inh_rev", "v_adapt_leak",
    "v_exp", "v_adapt_ref", "i_bias_leak", "i_bias_reset", "i_bias_synin_exc_tau",
    "i_bias_synin_exc_shift", "i_bias_synin_exc_gm", "i_bias_synin_exc_coba",
    "i_bias_synin_inh_tau", "i_bias_synin_inh_shift", "i_bias_synin_inh_gm",
    "i_bias_synin_inh_coba", "i_bias_adapt_tau", "i_bias_adapt_a", "i_bias_adapt_b",
    "i_bias_exp", "i_mem_offset", "i_bias_nmda",
)
"""Row index -> name of the per-neuron CapMem cells (columns 0..127 of a block)."""

CAPMEM_SHARED_ROWS: tuple[str, ...] = ("syn_i_bias_dac",)
"""Row index -> name of the shared cells in column 128 that the analog model uses."""


def capmem_address(block: int, column: int, row: int) -> int:
    """Word address of a CapMem cell."""
    return CAPMEM_BASE[block] + column * CAPMEM_COLUMN_STRIDE + row


def neuron_quadrant(neuron: int) -> tuple[int, int]:
    """(CapMem/config block, column within the block) of global neuron = hemisphere*256 + col."""
    hemisphere, column = divmod(neuron, COLUMNS)
    return 2 * hemisphere + column // 128, column % 128


def neuron_backend_index(neuron: int) -> tuple[int, int]:
    """(side west/east, index within the side) used by backend, reset and spike counters."""
    hemisphere, column = divmod(neuron, COLUMNS)
    return column // 128, hemisphere * 128 + column % 128


def synapse_quad_address(hemisphere: int, row: int, quad: int, label_plane: bool = False) -> int:
    """Word address of a synapse quad (64 quads per row; quads 0..31 even columns)."""
    base = SYNRAM_BASE[hemisphere] + (SYNRAM_LABEL_OFFSET if label_plane else 0)
    return base + row * QUADS_PER_ROW + quad


def ppu_memory_address(hemisphere: int, word: int) -> int:
    """Omnibus word address of word `word` (byte address 4*word) of a PPU's SRAM."""
    return PPU_MEMORY_BASE[hemisphere] + word


def ppu_control_address(hemisphere: int) -> int:
    """Omnibus word address of a PPU's control register."""
    return PPU_MEMORY_BASE[hemisphere] + PPU_CONTROL_OFFSET


def ppu_status_address(hemisphere: int) -> int:
    """Omnibus word address of a PPU's status register."""
    return PPU_MEMORY_BASE[hemisphere] + PPU_STATUS_OFFSET


def ppu_debug_address(hemisphere: int, index: int) -> int:
    """bss2emu debug word: 0 program counter, 1 last exception cause (0xFFFFFFFF none), 2 its
    PC."""
    return PPU_MEMORY_BASE[hemisphere] + PPU_DEBUG_OFFSET + index


def column_correlation_address(hemisphere: int, column: int) -> int:
    """Omnibus word address of a synapse column's correlation/CADC switch."""
    return PPU_SUBTREE_BASE[hemisphere] + COLUMN_CORRELATION_OFFSET + column


def crossbar_node_address(input_: int, output: int) -> int:
    """Word address of the crossbar node from input to output."""
    return CROSSBAR_NODE_BASE + output * CROSSBAR_INPUTS + input_
