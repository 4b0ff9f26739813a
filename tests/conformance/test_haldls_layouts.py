"""Word compatibility of the emulated HICANN-X v3 with haldls/halco v3.

What: for every block of the facts sheet /work/shared/reference/haldls-layouts.md (the only
source of truth here; "§N" below is its section N) this module checks the addresses, strides
and word counts, the default words after a chip reset, round trips of written words, the access
direction (write-only, read-only), the rejection of words with unused bits set, the logical
field values the chip model decodes, and the behaviour that depends on the layout (synapse
driver rows, trigger words with data 0, crossbar nodes, CapMem v3 rows, column current
switches, background sources).

Why: software written for the real chip (haldls, lola, grenade) writes exactly these words;
the emulator is only a stand-in for the chip if it accepts and interprets them the same way.
Every address and word below is a literal worked out by hand from the sheet (the arithmetic is
in the comments); nothing is derived from bss2emu's own protocol package, so a wrong layout
there cannot make these tests agree with itself.

Word-level tests run through the `device` connection (conftest.py: `--device URL`, default an
embedded emulator), each on a freshly reset chip (UT SYSTEM_RESET). A rejected access is
answered with a timeout notification. Field and behaviour tests need the in-process `Chip` and
are skipped with `--device`. Containers that haldls marks unreadable on the hardware target
(CrossbarNode, CapMemBlockConfig, CommonPADIBusConfig, ...) are read back here because the
emulator serves those reads; a real chip would not.
"""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.chipsim import Chip, OmnibusError, input_events
from bss2emu.host.program import PlaybackProgramBuilder
from bss2emu.protocol.ut import system_reset

SEED = 7

# --------------------------------------------------------------------------------------------
# Default words after reset (haldls' default-constructed containers), (address, word).
# --------------------------------------------------------------------------------------------
SRAM_TIMING_DEFAULT = (0xFF, 0xFF)  # read_delay 255 | address_setup 15, write_width 15 (§15)
DEFAULTS: dict[str, list[tuple[int, int]]] = {
    # §1: NE neuron 23 at 0x168000 + 23*8 + 2..7 = 0x1680BA..0x1680BF; every field 0
    "NeuronConfig": [(0x1680BA + k, 0) for k in range(6)],
    # §2: east, i = 128 + 23 -> 0x1a9000 + 128*4 + 23*4 = 0x1A925C; address_out 0 inverted ->
    # 0x3F | holdoff 15 bits 1..0 << 6 = 0xFF; refractory 0 inverted 0xF | address bits 1..0
    # inverted 0x30 | holdoff bits 3..2 << 6 -> 0xFF; refractory bits 3..0 inverted << 2 = 0x3C
    # | bayesian 0x80 -> 0xBC; word 3 0. Same for west index 0 at 0x1A1000.
    "NeuronBackendConfig": [(0x1A925C, 0xFF), (0x1A925D, 0xFF), (0x1A925E, 0xBC),
                            (0x1A925F, 0x00), (0x1A1000, 0xFF), (0x1A1001, 0xFF),
                            (0x1A1002, 0xBC), (0x1A1003, 0x00)],
    # §3: event registers 1 | clocks 1 << 2 | sample_positive_edge 0xF << 12 = 0xF005;
    # waits 1 | 4 << 8 | 112 << 16 | 4 << 24 = 0x04700401
    "CommonNeuronBackendConfig": [(0x1A1800, 0x0000F005), (0x1A1801, 0x04700401),
                                  (0x1A9800, 0x0000F005), (0x1A9801, 0x04700401)],
    # §6: compare mask 0x1F << 9 = 0x3E00; hagen_dac_offset 0 inverted 0x3F << 8 = 0x3F00;
    # charge sharing off inverted -> bit 6 = 0x40. Bottom driver 42 at 0x118400 + 42*4 = 0x1184A8
    "SynapseDriverConfig": [(0x1184A8, 0x3E00), (0x1184A9, 0x3F00), (0x1184AA, 0x40),
                            (0x110400, 0x3E00), (0x110401, 0x3F00), (0x110402, 0x40)],
    "CommonPADIBusConfig": [(0x110001, 0), (0x118001, 0)],  # §7 base + 1
    "CommonSTPConfig": [(0x110002, 0), (0x118002, 0)],  # §7 base + 2
    "CrossbarOutputConfig": [(0x130000, 0)],  # §8
    # §8: bss2emu's documented reset choice (power-on state unspecified): drop_all = mask 0,
    # target 1 << 16 -> 0x00010000; nodes 0..75 at 0x130019 + n (node 75 at 0x130064)
    "CrossbarNode": [(0x130019 + n, 0x00010000) for n in range(76)],
    # §9: all 0; sources 0..7 with 3 words each at 0x130001..0x130018
    "BackgroundSpikeSource": [(0x130001 + k, 0) for k in range(24)],
    # §5: v_global_bias 7 | 3 << 4 | 3 << 8 | 7 << 12 = 0x7337; current_cell_res 8;
    # sub_counter 16 | enable_capmem 1 << 16 | prescale_ramp 3 << 20 | prescale_pause 3 << 24
    # = 0x03310010; pulse_b 7 | pulse_a 4 << 16 = 0x00040007; pause_counter 8096 = 0x1FA0
    "CapMemBlockConfig": [
        (base + k, word) for base in (0x144000, 0x15C000)
        for k, word in enumerate((0, 0, 0, 0x7337, 0x8, 0, 0x03310010, 0x00040007, 0, 0x1FA0))],
    "SynapseBiasSelection": [(0x100000, 0xFFFF)],  # §10: all 16 enables 1
    # §10: pc_conf 8 | 8 << 4 = 0x88; w_conf 3 | 3 << 8 = 0x0303; wait_ctr_clear 4
    "CommonSynramConfig": [(base + k, word) for base in (0x02000000, 0x03000000)
                           for k, word in enumerate((0x88, 0x0303, 0x4))],
    # §10: top quad 3: S + 0x1_0000 + 0x4000 + 3 = 0x02C14003, S + 0x2_0000 + 0x4000 + 3
    "ColumnCurrentQuad": [(0x02C14003, 0), (0x02C24003, 0)],
    # §10: S + 0xF_0000 + 0x8080 + 3, S + 0xF_0000 + 0x80C0 + 3, S + 0x4000 + 3,
    # S + 0x4_4000 + 3 with S = 0x02C0_0000
    "ColumnCorrelationQuad": [(0x02CF8083, 0), (0x02CF80C3, 0), (0x02C04003, 0),
                              (0x02C44003, 0)],
    # §11: reset_wait 100 << 4 = 0x640 | dead_time 20 << 12 = 0x14000 -> 0x00014640
    "CADCConfig": [(0x02401000, 0x00014640), (0x03401000, 0x00014640)],
    # §11: offset 0 + 128 = 0x80; top west column 23 acausal 0x02400800 + 46 + 1, top east
    # column 151 causal 0x02400000 + 2*23, bottom west column 23 causal 0x03400800 + 46
    "CADCChannelConfig": [(0x0240082F, 0x80), (0x0240002E, 0x80), (0x0340082E, 0x80)],
    # §11: sense_delay 1, reset_duration 200 = 0xC8, reset_fall_time 5, mode word 0
    "CommonCorrelationConfig": [(base + k, word) for base in (0x02200000, 0x03200000)
                                for k, word in enumerate((1, 0xC8, 5, 0))],
    # §12: w0 sample_duration_adjust 5 << 8 | sar_reset_wait 3 << 12 = 0x3500; w1 96 = 0x60 |
    # 12 << 12 = 0xC060; w4 3 | 8 << 5 = 0x103; w5 9 | 14 << 5 = 0x1C9; w6 positive edge 1;
    # w7 preamp_to_madc 1 | gain 31 << 3 = 0xF9; w9 bits 0, 4, 6 = 0x51
    "MADCConfig": [(0xC0001 + k, word) for k, word in enumerate(
        (0x3500, 0xC060, 0, 0, 0x0103, 0x01C9, 0x1, 0xF9, 0, 0x51))],
    "PPUControlRegister": [(0x02A00000, 0), (0x03A00000, 0)],  # §13: base | 0x20_0000
    # §15: neuron config block base | 0x402
    "NeuronSRAMTimingConfig": [(base + k, SRAM_TIMING_DEFAULT[k])
                               for base in (0x160402, 0x168402, 0x170402, 0x178402)
                               for k in (0, 1)],
    "NeuronBackendSRAMTimingConfig": [(base + k, SRAM_TIMING_DEFAULT[k])
                                      for base in (0x1A1402, 0x1A9402) for k in (0, 1)],
    # §15: synapse driver read_delay 192 = 0xC0
    "SynapseDriverSRAMTimingConfig": [(base + k, word) for base in (0x110602, 0x118602)
                                      for k, word in enumerate((0xC0, 0xFF))],
    "CapMemSRAMTimingConfig": [(base + k, SRAM_TIMING_DEFAULT[k])
                               for base in (0x142800, 0x14A800, 0x152800, 0x15A800)
                               for k in (0, 1)],
    "CADCOffsetSRAMTimingConfig": [(base + k, SRAM_TIMING_DEFAULT[k])
                                   for base in (0x02400902, 0x02400102, 0x03400902, 0x03400102)
                                   for k in (0, 1)],
}

# --------------------------------------------------------------------------------------------
# Round trips: written in this order on a fresh chip, then every address reads back its word.
# The first and last entries of each block check the sheet's address formula, stride and count.
# --------------------------------------------------------------------------------------------
ROUND_TRIP: dict[str, list[tuple[int, int]]] = {
    # §1: defined-bit masks 0x7F, 0xFE, 0xFF, 0xFD, 0xFD, 0xFF (NE neuron 23); neuron 24 at
    # 0x1680C2..7; first word NW neuron 0 +2 = 0x160002; last SE neuron 127 +7 =
    # 0x178000 + 127*8 + 7 = 0x1783FF
    "NeuronConfig": [(0x1680BA + k, w) for k, w in enumerate((0x7F, 0xFE, 0xFF, 0xFD, 0xFD, 0xFF))]
    + [(0x1680C2 + k, w) for k, w in enumerate((0x2A, 0x54, 0xA5, 0x91, 0x3C, 0x5A))]
    + [(0x160002, 0x55), (0x1783FF, 0xC3)],
    # §2: haldls example (address_out 0x45, refractory 100, holdoff 15, spike_out) at east i 151;
    # i 152 at 0x1A9260; west i 0 at 0x1A1000; east i 255 word 3 at 0x1a9000 + 1020 + 3
    "NeuronBackendConfig": [(0x1A925C, 0xEE), (0x1A925D, 0xE9), (0x1A925E, 0xAC),
                            (0x1A925F, 0x10), (0x1A9260, 0x00), (0x1A9261, 0x00),
                            (0x1A9262, 0x00), (0x1A9263, 0xFF), (0x1A1000, 0x5A),
                            (0x1A93FF, 0xA5)],
    # §3: word 0 defined bits 0..2, 4..23 -> 0x00FFFFF7; word 1 all 32 bits
    "CommonNeuronBackendConfig": [(0x1A1800, 0x00FFFFF7), (0x1A1801, 0x12345678),
                                  (0x1A9800, 0x00ABCDE2), (0x1A9801, 0x89ABCDEF)],
    # §6: decode masks 0xFFFF, 0x3FFF, 0xDF (bottom driver 42); driver 43 at 0x1184AC; top
    # driver 0 at 0x110400; last: bottom driver 127 word 2 = 0x118400 + 508 + 2 = 0x1185FE
    "SynapseDriverConfig": [(0x1184A8, 0xFFFF), (0x1184A9, 0x3FFF), (0x1184AA, 0xDF),
                            (0x1184AC, 0xED5A), (0x1184AD, 0x3A7C), (0x1184AE, 0x95),
                            (0x110400, 0x0000), (0x110401, 0x0000), (0x110402, 0x00),
                            (0x1185FE, 0x9A)],
    # §7: haldls vector 0b1010 | 1 << 4 | 3 << 24 = 0x0300001A; all defined bits 0xFFFF00FF
    "CommonPADIBusConfig": [(0x110001, 0x0300001A), (0x118001, 0xFFFF00FF)],
    "CommonSTPConfig": [(0x110002, 0x1F), (0x118002, 0x17)],  # §7: bits 4..0
    "CrossbarOutputConfig": [(0x130000, 0xFFFF)],  # §8: bits 15..0
    # §8: haldls vector 8 | 9 << 16 | 1 << 31 = 0x80090008 (node 0); all defined bits
    # 0x3FFF | 0x3FFF << 16 | 1 << 31 = 0xBFFF3FFF (node 75); word 0 (node 32 = L2 0 -> L2 0)
    "CrossbarNode": [(0x130019, 0x80090008), (0x130064, 0xBFFF3FFF), (0x130039, 0x00000000),
                     (0x13001A, 0x00003FFF)],
    # §9: write order +1 (seed), +2 (mask/rate/label), +0 (enable/period) last; source 7 at
    # 0x130016: 0xFFFF0003 = period 0xFFFF, random, enable; 0x3FFFFFFF = label 0x3FFF, rate
    # 0xFF, mask 0xFF; source 6 at 0x130013: label 0x2ABC, rate 0x5A, mask 0x0F, period 0x100
    "BackgroundSpikeSource": [(0x130017, 0xDEADBEEF), (0x130018, 0x3FFFFFFF),
                              (0x130016, 0xFFFF0003), (0x130014, 0x12345678),
                              (0x130015, 0x2ABC5A0F), (0x130013, 0x01000000)],
    # §5: cell (x, y) at base + 32x + y: NE (23, 13) = 0x148000 + 736 + 13 = 0x1482ED,
    # (23, 12) = 0x1482EC, (24, 13) = 0x148000 + 768 + 13 = 0x14830D, SW (128, 8) =
    # 0x150000 + 4096 + 8 = 0x151008, SE (129, 23) = 0x158000 + 4128 + 23 = 0x159037 with
    # 1023 (DisableRefresh), NW (0, 0) = 0x140000
    "CapMemCell": [(0x1482ED, 0x320), (0x1482EC, 0x0AB), (0x14830D, 0x155), (0x151008, 0x3E8),
                   (0x159037, 0x3FF), (0x140000, 0x001)],
    # §5: NE: row 2 one-hot bit 23 - 2 = 21 -> 0x00200000, column 23 = 0x17, ...; sub_counter
    # 0xBEEF | enable_capmem 1 << 16 | enable_boost 1 << 17 | prescale_ramp 5 << 20 |
    # prescale_pause 6 << 24 | boost_factor 9 << 28 = 0x9653BEEF; SW: all defined bits
    # (word 6 without bit 19: 0xFFF7FFFF), row 23 -> bit 0, column 129 = 0x81
    "CapMemBlockConfig": [(0x14C000 + k, w) for k, w in enumerate(
        (0x00200000, 0x17, 0x2, 0x1234, 0x2A, 0x1, 0x9653BEEF, 0x00050009, 0x00020003,
         0x1000))]
    + [(0x154000 + k, w) for k, w in enumerate(
        (0x00000001, 0x81, 0x3, 0xFFFF, 0x3F, 0x3, 0xFFF7FFFF, 0xFFFFFFFF, 0xFFFFFFFF,
         0xFFFFFFFF))],
    "SynapseBiasSelection": [(0x100000, 0x8421)],  # §10: bits 15..0
    "CommonSynramConfig": [(0x02000000, 0xFF), (0x02000001, 0xFFFF), (0x02000002, 0x7),
                           (0x03000000, 0x5A), (0x03000001, 0x1234), (0x03000002, 0x6)],
    # §10: S + 64r + q: top row 1 quad 3 = 0x02C00043, row 1 quad 4 = 0x02C00044, bottom
    # row 255 quad 63 = 0x03C00000 + 16320 + 63 = 0x03C03FFF; 6 bits per byte lane
    "SynapseWeightQuad": [(0x02C00043, 0x3F2A1505), (0x02C00044, 0x10203F00),
                          (0x03C03FFF, 0x01020408)],
    "SynapseLabelQuad": [(0x02C40043, 0x3F000A15), (0x03C43FFF, 0x2A3F0001)],  # S + 0x4_0000
    # §10: S + 0x1_0000 (time_calib) / S + 0x2_0000 (amp_calib), 2 bits per byte lane
    "SynapseCorrelationCalibQuad": [(0x02C10043, 0x03020100), (0x02C20043, 0x00010203),
                                    (0x03C13FFF, 0x03030303), (0x03C23FFF, 0x01010101)],
    # §10: S + 0xF_0000 + 128r + q and + 64: haldls row 1 quad 3 top = 0x02CF0083 /
    # 0x02CF00C3; bottom row 255 quad 63: 128*255 + 63 = 0x7FBF -> 0x03CF7FBF / 0x03CF7FFF
    "SynapseQuad": [(0x02CF0083, 0xFFB7407F), (0x02CF00C3, 0x7F3FC000),
                    (0x03CF7FBF, 0x12345678), (0x03CF7FFF, 0x9ABCDEF0)],
    # §10: masks 0xC0C0C0C0, 0xC0C0C0C0, 0x20202020, 0x20202020; bottom quad 63:
    # 0x03CF8080 + 63 = 0x03CF80BF, 0x03CF80FF, 0x03C0403F, 0x03C4403F
    "ColumnCorrelationQuad": [(0x02CF8083, 0xC0C0C0C0), (0x02CF80C3, 0x40804000),
                              (0x02C04003, 0x20202020), (0x02C44003, 0x20002000),
                              (0x03CF80BF, 0x80C00040), (0x03CF80FF, 0xC0C0C0C0),
                              (0x03C0403F, 0x00200020), (0x03C4403F, 0x20202020)],
    # §10: bits 1..0 per byte lane -> mask 0x03030303; bottom quad 63 at 0x03C1403F, 0x03C2403F
    "ColumnCurrentQuad": [(0x02C14003, 0x03030303), (0x02C24003, 0x01020300),
                          (0x03C1403F, 0x00010203), (0x03C2403F, 0x03030303)],
    # §11: defined bits 0, 19..4 -> 0x000FFFF1
    "CADCConfig": [(0x02401000, 0x000FFFF1), (0x03401000, 0x000ABCD1)],
    # §11: last channels: bottom west column 127 acausal 0x03400800 + 254 + 1 = 0x034008FF,
    # bottom east column 255 acausal 0x03400000 + 255 = 0x034000FF
    "CADCChannelConfig": [(0x0240082F, 0xFF), (0x0240082E, 0x00), (0x0240002E, 0x85),
                          (0x034008FF, 0x7F), (0x034000FF, 0x01)],
    "CommonCorrelationConfig": [(0x02200000 + k, w) for k, w in enumerate((0xFFF, 0xFFF, 0xFFF,
                                                                           0x7))]
    + [(0x03200000 + k, w) for k, w in enumerate((0x123, 0x456, 0x789, 0x5))],
    # §12: the defined bits of words 0..9: 0xFFF8, 0xF3FF, 0x83FF, 0xFFFF, 0x3FF, 0x3FF, 0x3,
    # 0xFF, 0x1FFF, 0xFFF
    "MADCConfig": [(0xC0001 + k, w) for k, w in enumerate(
        (0xFFF8, 0xF3FF, 0x83FF, 0xFFFF, 0x3FF, 0x3FF, 0x3, 0xFF, 0x1FFF, 0xFFF))],
    "ReadoutSourceSelection": [(0xC000C, 0x1FFF), (0xC000D, 0x7FFF)],  # §12 decode masks
    # §13: words 0 and 4095 of the top SRAM, word 0 of the bottom one
    "PPUMemoryWord": [(0x02800000, 0xDEADBEEF), (0x02800FFF, 0x01234567),
                      (0x03800000, 0x89ABCDEF)],
    "PPUControlRegister": [(0x02A00000, 0xE), (0x03A00000, 0xF)],  # §13: bits 3..0
    # §15: read_delay bits 7..0; address_setup_time 3..0 | write_width 7..4
    "NeuronSRAMTimingConfig": [(0x160402, 0x5A), (0x160403, 0x3C), (0x178402, 0xC3),
                               (0x178403, 0xF0)],
    "NeuronBackendSRAMTimingConfig": [(0x1A1402, 0x5A), (0x1A1403, 0x3C), (0x1A9402, 0xC3),
                                      (0x1A9403, 0xF0)],
    "SynapseDriverSRAMTimingConfig": [(0x110602, 0x5A), (0x110603, 0x3C), (0x118602, 0xC3),
                                      (0x118603, 0xF0)],
    "CapMemSRAMTimingConfig": [(0x142800, 0x5A), (0x142801, 0x3C), (0x15A800, 0xC3),
                               (0x15A801, 0xF0)],
    "CADCOffsetSRAMTimingConfig": [(0x02400902, 0x5A), (0x02400903, 0x3C), (0x03400102, 0xC3),
                                   (0x03400103, 0xF0)],
}

# --------------------------------------------------------------------------------------------
# Write-only containers: these writes are accepted (trigger data 0 as haldls sends it, and
# other values), and reads of the same addresses are refused.
# --------------------------------------------------------------------------------------------
WRITE_ONLY: dict[str, list[tuple[int, int]]] = {
    # §7: haldls vector 0b0101 | 13 << 16 | 7 << 22 = 0x01CD0005 at top base + 0
    "PADIEvent": [(0x110000, 0x01CD0005), (0x118000, 0x00000000)],
    # §4: haldls NeuronReset(23, block 0) -> 0x122000 + 4*23 = 0x12205C; last east index 255
    # at 0x12A000 + 1020 = 0x12A3FC
    "NeuronReset": [(0x12205C, 0), (0x12A3FC, 0), (0x12205C, 0xFFFFFFFF)],
    # §4: haldls SpikeCounterReset(21) -> 0x122C00 + 84 = 0x122C54; last 0x12AC00 + 1020
    "SpikeCounterReset": [(0x122C54, 0), (0x12AFFC, 0), (0x122C54, 0x1)],
    # §4: haldls (quad 23, bottom) -> 0x03C94000 + 23 = 0x03C94017; top quads 0 and 63
    "NeuronResetQuad": [(0x03C94017, 0), (0x02C94000, 0), (0x02C9403F, 0),
                        (0x03C94017, 0xFFFFFFFF)],
    "BlockPostPulse": [(0x122400, 0), (0x12A400, 0), (0x12A400, 0x1)],  # §4
    # §10: haldls (quad 3, row 31, bottom) -> 0x03C90000 + 64*31 + 3 = 0x03C907C3; top row 0
    # quad 0, top row 255 quad 63 = 0x02C90000 + 0x3FFF
    "CorrelationReset": [(0x03C907C3, 0), (0x02C90000, 0), (0x02C93FFF, 0),
                         (0x03C907C3, 0xFFFFFFFF)],
    "MADCControl": [(0xC0000, 0)],  # §12
}

# --------------------------------------------------------------------------------------------
# Read-only containers: reads are answered, writes (of 0) are refused.
# --------------------------------------------------------------------------------------------
READ_ONLY: dict[str, list[int]] = {
    # §4: haldls SpikeCounterRead(22) -> 0x122800 + 88 = 0x122858; east index 255 at
    # 0x12A800 + 1020 = 0x12ABFC
    "SpikeCounterRead": [0x122858, 0x122800, 0x12ABFC],
    "CrossbarInputDropCounter": [0x130065 + i for i in range(20)],  # §8: + input
    "CrossbarOutputEventCounter": [0x130079 + o for o in range(12)],  # §8: + output
    # §11: S + 0x8_0000 (causal) / + 0xC_0000 (acausal) + 64r + q, | 0x20_0000 buffered
    "CADCSampleQuad": [0x02C80000, 0x03CC3FFF, 0x02E80043, 0x03EC3FFF],
    "PPUStatusRegister": [0x02A00001, 0x03A00001],  # §13: base | 0x20_0001
}

# --------------------------------------------------------------------------------------------
# Words with one unused bit set (one rejected write each).
# --------------------------------------------------------------------------------------------
UNUSED: dict[str, list[tuple[int, int]]] = {
    # §1: +2 bit 7, +3 bit 0, +5 bit 1, +6 bit 1, +7 bit 8
    "NeuronConfig": [(0x1680BA, 0x80), (0x1680BB, 0x01), (0x1680BD, 0x02), (0x1680BE, 0x02),
                     (0x1680BF, 0x100)],
    "NeuronBackendConfig": [(0x1A925C, 0x1FF), (0x1A925F, 0x80000000)],  # §2: bits 7..0 only
    # §3: 0xF005 | bit 3 = 0xF00D; 0xF005 | bit 24
    "CommonNeuronBackendConfig": [(0x1A1800, 0x0000F00D), (0x1A9800, 0x0100F005)],
    # §6: word 0 bit 16; word 1 bit 14 (0x3F00 | 0x4000); word 2 bit 5 (0x40 | 0x20)
    "SynapseDriverConfig": [(0x1184A8, 0x13E00), (0x1184A9, 0x7F00), (0x1184AA, 0x60)],
    # §7: decode mask 0x07FF000F: the haldls vector | bit 4, and bit 27
    "PADIEvent": [(0x110000, 0x01CD0015), (0x118000, 0x08000000)],
    "CommonPADIBusConfig": [(0x110001, 0x100)],  # §7: bits 15..8 unused
    "CommonSTPConfig": [(0x110002, 0x20)],  # §7: bits 4..0 only
    "CrossbarOutputConfig": [(0x130000, 0x10000)],  # §8: bits 15..0 only
    "CrossbarNode": [(0x130019, 0x4000), (0x13001A, 0x40000000)],  # §8: bits 15..14 and 30
    "BackgroundSpikeSource": [(0x130001, 0x4), (0x130003, 0x40000000)],  # §9: +0 bit 2, +2 30
    "CapMemCell": [(0x1482ED, 0x400)],  # §5: value bits 9..0
    # §5: word 0 bit 24, word 2 bit 2, word 3 bit 16, word 4 bit 6, word 5 bit 2, word 6 bit 19
    "CapMemBlockConfig": [(0x144000, 0x01000000), (0x144002, 0x4), (0x144003, 0x17337),
                          (0x144004, 0x40), (0x144005, 0x4), (0x144006, 0x03390010)],
    "SynapseBiasSelection": [(0x100000, 0x1FFFF)],  # §10: bits 15..0
    "CommonSynramConfig": [(0x02000000, 0x188), (0x02000001, 0x10303), (0x02000002, 0xC)],
    # §10: bit 6 of entry 3, bit 7 of entry 0
    "SynapseWeightQuad": [(0x02C00043, 0x00000040), (0x02C00043, 0x80000000)],
    "SynapseLabelQuad": [(0x02C40043, 0x00800000)],
    "SynapseCorrelationCalibQuad": [(0x02C10043, 0x04000000), (0x02C20043, 0x00000080)],
    "ColumnCorrelationQuad": [(0x02CF8083, 0x01000000), (0x02CF80C3, 0x00003F00),
                              (0x02C04003, 0x10000000), (0x02C44003, 0x00000040)],
    "ColumnCurrentQuad": [(0x02C14003, 0x04000000), (0x02C24003, 0x00000080)],
    "CADCConfig": [(0x02401000, 0x00014642), (0x03401000, 0x00114640)],  # §11: bit 1, bit 20
    "CADCChannelConfig": [(0x0240082F, 0x180)],  # §11: bits 7..0
    "CommonCorrelationConfig": [(0x02200000, 0x1001), (0x02200003, 0x8)],
    "MADCControl": [(0xC0000, 0x80)],  # §12: bits 6..0
    # §12: w0 bit 0, w1 bit 10, w6 bit 2, w8 bit 13, w9 bit 12
    "MADCConfig": [(0xC0001, 0x3501), (0xC0002, 0xC460), (0xC0007, 0x5), (0xC0009, 0x2000),
                   (0xC000A, 0x1051)],
    "ReadoutSourceSelection": [(0xC000C, 0x2000), (0xC000D, 0x8000)],
    "PPUControlRegister": [(0x02A00000, 0x10)],  # §13: decode mask 0xF
    "NeuronSRAMTimingConfig": [(0x160402, 0x100), (0x160403, 0x100)],  # §15: bits 7..0
    "NeuronBackendSRAMTimingConfig": [(0x1A9403, 0x100)],
    "SynapseDriverSRAMTimingConfig": [(0x118602, 0x1C0)],
    "CapMemSRAMTimingConfig": [(0x14A801, 0x1FF)],
    "CADCOffsetSRAMTimingConfig": [(0x03400902, 0x100)],
}
WRITE_ONLY_ADDRESSES = {a for writes in WRITE_ONLY.values() for a, _ in writes}


def run_words(device, writes=(), reads=()) -> tuple[list[int | None], list[int]]:
    """On a freshly reset chip: the writes, then the reads. Returns the read values (None for
    a refused read) and the addresses of all refused accesses, sorted."""
    builder = PlaybackProgramBuilder(timer_setup=False)
    builder.messages(system_reset(True), system_reset(False))
    for address, word in writes:
        builder.write(address, word)
    tickets = [builder.read(address) for address in reads]
    result = device.run(builder.done())
    return ([t.value if t.ok else None for t in tickets],
            sorted(int(a) for a in result.timeouts))


def hexes(values) -> list[str | None]:
    """Words as hex strings (readable assertion diffs)."""
    return [None if v is None else f"{v:#x}" for v in values]


# -- word level: through the device connection ---------------------------------------------
@pytest.mark.parametrize("block", sorted(DEFAULTS))
def test_defaults_after_reset(device, block):
    addresses = [a for a, _ in DEFAULTS[block]]
    values, refused = run_words(device, reads=addresses)
    assert refused == []
    assert hexes(values) == hexes(w for _, w in DEFAULTS[block])


@pytest.mark.parametrize("block", sorted(ROUND_TRIP))
def test_round_trip(device, block):
    writes = ROUND_TRIP[block]
    values, refused = run_words(device, writes, [a for a, _ in writes])
    assert refused == []
    assert hexes(values) == hexes(w for _, w in writes)


@pytest.mark.parametrize("block", sorted(WRITE_ONLY))
def test_write_only(device, block):
    writes = WRITE_ONLY[block]
    _, refused = run_words(device, writes)
    assert refused == [], "writes refused"
    addresses = sorted({a for a, _ in writes})
    values, refused = run_words(device, reads=addresses)
    assert values == [None] * len(addresses)
    assert refused == addresses


@pytest.mark.parametrize("block", sorted(READ_ONLY))
def test_read_only(device, block):
    addresses = READ_ONLY[block]
    values, refused = run_words(device, reads=addresses)
    assert refused == [] and None not in values
    _, refused = run_words(device, [(a, 0) for a in addresses])
    assert refused == sorted(addresses)


@pytest.mark.parametrize("block", sorted(UNUSED))
def test_unused_bits_rejected(device, block):
    """Each write is refused and leaves the word as it was."""
    writes = UNUSED[block]
    readable = sorted({a for a, _ in writes} - WRITE_ONLY_ADDRESSES)
    before, _ = run_words(device, reads=readable)
    after, refused = run_words(device, writes, readable)
    assert refused == sorted(a for a, _ in writes)
    assert hexes(after) == hexes(before)


# -- in process: the chip model ------------------------------------------------------------
@pytest.fixture
def chip(device_url) -> Chip:
    if device_url is not None:
        pytest.skip("field and behaviour checks need the in-process chip model (--device given)")
    return Chip(seed=SEED)


@pytest.mark.parametrize("block", sorted(UNUSED))
def test_unused_bits_raise_in_process(chip, block):
    for address, word in UNUSED[block]:
        with pytest.raises(OmnibusError):
            chip.write(address, word)


def write_all(chip: Chip, writes) -> None:
    for address, word in writes:
        chip.write(address, word)


FIELDS = [
    # §1, NE neuron 23 = entry 128*1 + 23 = 151: +2 0x41 = bits 0, 6; +3 0xB6 = bits 1, 2, 4,
    # readout_source bits 6..5 = 0b01, bit 7; +4 0x2C = bits 2, 3, 5; +5 0xB5 = offset bit 0 |
    # 45 << 2; +6 0x2D = bits 0, 2, 3, 5; +7 0x81 = bits 0, 7
    pytest.param("neuron_config", 151, [(0x1680BA + k, w) for k, w in enumerate(
        (0x41, 0xB6, 0x2C, 0xB5, 0x2D, 0x81))], dict(
        enable_reset_degeneration=1, enable_strong_fire=1,
        enable_synaptic_input_inhibitory_coba_mode=1,
        enable_synaptic_input_excitatory_coba_mode=1, enable_readout_amplifier=1,
        readout_source=1, enable_readout=1, enable_adaptation=1, enable_exponential=1,
        enable_synaptic_input_excitatory_small_capacitance=1, enable_membrane_offset=1,
        membrane_capacitor_size=45, invert_membrane_offset=1, enable_fire=1,
        enable_threshold_comparator=1, enable_synaptic_input_excitatory=1,
        connect_soma_right=1, enable_pause=1), id="NeuronConfig-NE23"),
    # §1, NW neuron 0 = entry 0, the complementary fields: +2 0x3E = bits 1..5; +3 0x48 =
    # bit 3, readout_source 0b10; +4 0xD3 = bits 0, 1, 4, 6, 7; +5 0x08 = 2 << 2; +6 0xD0 =
    # bits 4, 6, 7; +7 0x7E = bits 1..6
    pytest.param("neuron_config", 0, [(0x160002 + k, w) for k, w in enumerate(
        (0x3E, 0x48, 0xD3, 0x08, 0xD0, 0x7E))], dict(
        enable_reset_division=1, enable_reset_multiplication=1, enable_leak_degeneration=1,
        enable_leak_division=1, enable_leak_multiplication=1, enable_unbuffered_access=1,
        readout_source=2, invert_adaptation_b=1, invert_adaptation_a=1,
        enable_synaptic_input_inhibitory_small_capacitance=1,
        enable_synaptic_input_inhibitory_high_resistance=1,
        enable_synaptic_input_excitatory_high_resistance=1, membrane_capacitor_size=2,
        enable_synaptic_input_inhibitory=1, enable_bypass_inhibitory=1,
        enable_bypass_excitatory=1, connect_bottom=1, enable_multicomp_conductance=1,
        connect_membrane_right=1, connect_soma=1, enable_multiply_multicomp_conductance_bias=1,
        enable_divide_multicomp_conductance_bias=1), id="NeuronConfig-NW0"),
    # §2 haldls test vector, east i 151 = entry 256 + 151 = 407: address_out 7: bits 7..2
    # 0b000001 inverted 0b111110 | holdoff 15 bits 1..0 << 6 = 0xFE; refractory 0 inverted 0xF
    # | address bits 1..0 0b11 inverted 0 | holdoff bits 3..2 << 6 = 0xCF; 0xBC; 0
    pytest.param("neuron_backend", 407, [(0x1A925C, 0xFE), (0x1A925D, 0xCF), (0x1A925E, 0xBC),
                                         (0x1A925F, 0x00)],
                 dict(address_out=7, reset_holdoff=15, enable_bayesian_extension=1),
                 id="NeuronBackendConfig-haldls-address_out-7"),
    # §2 haldls example: 0x45 bits 7..2 = 0b010001 inverted -> 0x2E | holdoff bits 1..0 0xC0
    # = 0xEE; refractory 100 = 0x64 bits 7..4 0b0110 inverted 0x9 | 0x45 bits 1..0 0b01
    # inverted 0b10 << 4 | 0xC0 = 0xE9; bits 3..0 0b0100 inverted 0b1011 << 2 | 0x80 = 0xAC;
    # spike_out bit 4 = 0x10
    pytest.param("neuron_backend", 407, [(0x1A925C, 0xEE), (0x1A925D, 0xE9), (0x1A925E, 0xAC),
                                         (0x1A925F, 0x10)],
                 dict(address_out=0x45, reset_holdoff=15, refractory_time=100,
                      enable_bayesian_extension=1, enable_spike_out=1),
                 id="NeuronBackendConfig-haldls-example"),
    # §2 west i 5 = entry 5 at 0x1A1000 + 20: address_out 0xA6: bits 7..2 0b101001 inverted
    # 0x16, bits 1..0 0b10 inverted 0b01 << 4; holdoff 9 = 0b1001: 0b01 << 6, 0b10 << 6;
    # refractory 0x3C: bits 7..4 0b0011 inverted 0xC, bits 3..0 0b1100 inverted 0b0011 << 2
    # -> w0 0x40 | 0x16 = 0x56, w1 0x80 | 0x10 | 0xC = 0x9C, w2 post_overwrite 1 |
    # select_input_clock 2 | 0x0C = 0x0F; w3 bits 0, 2, 4, 6 = 0x55
    pytest.param("neuron_backend", 5, [(0x1A1014, 0x56), (0x1A1015, 0x9C), (0x1A1016, 0x0F),
                                       (0x1A1017, 0x55)],
                 dict(address_out=0xA6, reset_holdoff=9, refractory_time=0x3C, post_overwrite=1,
                      select_input_clock=1, enable_neuron_slave=1, connect_fire_from_right=1,
                      enable_spike_out=1, enable_1_bayesian=1),
                 id="NeuronBackendConfig-W5"),
    # §3 east = entry 1: 0x00ABCDE2: force_reset bit 1, slow 0xE, fast 0xD, sample edges 0xC,
    # adaptation pulse 0xB, post pulse 0xA; 0x89ABCDEF: waits 0xEF, 0xCD, 0xAB, 0x89
    pytest.param("common_neuron_backend", 1, [(0x1A9800, 0x00ABCDE2), (0x1A9801, 0x89ABCDEF)],
                 dict(force_reset=1, clock_scale_slow=0xE, clock_scale_fast=0xD,
                      sample_positive_edge=0xC, clock_scale_adaptation_pulse=0xB,
                      clock_scale_post_pulse=0xA, wait_global_post_pulse=0xEF,
                      wait_spike_counter_reset=0xCD, wait_spike_counter_read=0xAB,
                      wait_fire_neuron=0x89), id="CommonNeuronBackendConfig"),
    # §6 bottom driver 42 = entry 128 + 42 = 170: w0 utilization 0xA | offset 5 << 4 |
    # hagen_dac 1 << 8 | mask 22 << 9 = 0x2C00 | address-out-disabled bit 14 | receiver bit 15
    # = 0xED5A; w1 recovery 3 = 0b0011 reversed 0b1100 | exc bottom 0x10 | exc top 0x20 |
    # inh bottom 0x40 | hagen_dac_offset 5 = 0b000101 inverted 0b111010 << 8 = 0x3A00 = 0x3A7C;
    # w2 select_target_voltages 1 | renewing 4 | stp 0x10 | charge sharing on = bit 6 clear |
    # recovery 0x80 = 0x95
    pytest.param("synapse_driver", 170, [(0x1184A8, 0xED5A), (0x1184A9, 0x3A7C),
                                         (0x1184AA, 0x95)],
                 dict(utilization=10, offset=5, enable_hagen_dac=1, row_address_compare_mask=22,
                      enable_address_out=0, enable_receiver=1, recovery=3, row_mode_bottom=3,
                      row_mode_top=1, hagen_dac_offset=5, select_target_voltages=1,
                      enable_renewing=1, enable_stp=1, enable_charge_sharing=1,
                      enable_recovery=1), id="SynapseDriverConfig-B42"),
    # §6 top driver 5 = entry 5 at 0x110400 + 20: w1 inh top 0x80 | inh bottom 0x40 | recovery
    # 2 = 0b0010 reversed 0b0100 | 0x3F00 = 0x3FC4; w0, w2 haldls defaults
    pytest.param("synapse_driver", 5, [(0x110414, 0x3E00), (0x110415, 0x3FC4),
                                       (0x110416, 0x40)],
                 dict(row_address_compare_mask=31, enable_address_out=1, recovery=2,
                      row_mode_bottom=2, row_mode_top=2), id="SynapseDriverConfig-T5"),
    # §7 haldls vector 0b1010 | 1 << 4 | 3 << 24 (bus 2 at bits 27..24), bottom = entry 1
    pytest.param("common_padi_bus_config", 1, [(0x118001, 0x0300001A)],
                 dict(enable_spl1=0b1010, enable_extended_timing=1, dacen_pulse_extension_2=3),
                 id="CommonPADIBusConfig"),
    pytest.param("common_stp_config", 0, [(0x110002, 0x17)],  # §7: 7 | 1 << 4
                 dict(recovery_clock_speed=7, enable_recovery_clock=1), id="CommonSTPConfig"),
    # §8 haldls vectors: node 8 | 9 << 16 | 1 << 31; drop_all mask 0, target 1 (node 75)
    pytest.param("crossbar_node", 0, [(0x130019, 0x80090008)],
                 dict(mask=8, target=9, enable_drop_counter=1), id="CrossbarNode-haldls"),
    pytest.param("crossbar_node", 75, [(0x130064, 0x00010000)], dict(target=1),
                 id="CrossbarNode-drop_all"),
    # §8 haldls vector (1 << 2) | (1 << (7 + 4)): slow L2 output 2, event counter output 7
    pytest.param("crossbar_output_config", 0, [(0x130000, 0x804)],
                 dict(enable_slow=0b0100, enable_event_counter=1 << 7),
                 id="CrossbarOutputConfig-haldls"),
    # §9 source 6 at 0x130013, written +1, +2, +0: label 0x2ABC << 16 | rate 0x5A << 8 | mask
    # 0x0F; period 0x0100 << 16, disabled
    pytest.param("background_spike_source", 6, [(0x130014, 0x12345678), (0x130015, 0x2ABC5A0F),
                                                (0x130013, 0x01000000)],
                 dict(period=0x100, seed=0x12345678, mask=0x0F, rate=0x5A, neuron_label=0x2ABC),
                 id="BackgroundSpikeSource-6"),
    # §9 source 7: enable bit 0 | random bit 1 | period 0xFFFF << 16
    pytest.param("background_spike_source", 7, [(0x130017, 0xDEADBEEF), (0x130018, 0x3FFFFFFF),
                                                (0x130016, 0xFFFF0003)],
                 dict(enable=1, enable_random=1, period=0xFFFF, seed=0xDEADBEEF, mask=0xFF,
                      rate=0xFF, neuron_label=0x3FFF), id="BackgroundSpikeSource-7"),
    # §5 NE = entry 1: w3 0x1234 -> biases 4, 3, 2, 1; w6 0x9653BEEF (see ROUND_TRIP)
    pytest.param("capmem_block_config", 1, [(0x14C000 + k, w) for k, w in enumerate(
        (0, 0, 0x2, 0x1234, 0x2A, 0x1, 0x9653BEEF, 0x00050009, 0x00020003, 0x1000))],
        dict(debug_v_ref_select=2, v_global_bias=4, debug_level_shifter_bias=3,
             debug_source_follower_bias=2, debug_out_amp_bias=1, current_cell_res=42,
             debug_i_out_select=1, sub_counter=0xBEEF, enable_capmem=1, enable_boost=1,
             prescale_ramp=5, prescale_pause=6, boost_factor=9, pulse_b=9, pulse_a=5, boost_b=3,
             boost_a=2, pause_counter=0x1000), id="CapMemBlockConfig"),
    # §10 0x8421 = bits 0 (Q1 output), 5 (Q0 store), 10 (Q3 ramp), 15 (Q2 dac)
    pytest.param("synapse_bias_selection", 0, [(0x100000, 0x8421)],
                 dict(enable_internal_output_1=1, enable_internal_store_0=1,
                      enable_internal_ramp_3=1, enable_internal_dac_2=1),
                 id="SynapseBiasSelection"),
    # §10 bottom = entry 1: 0x5A -> west 0xA, east 5; 0x1234 -> west 0x34, east 0x12
    pytest.param("common_synram_config", 1, [(0x03000000, 0x5A), (0x03000001, 0x1234),
                                             (0x03000002, 0x6)],
                 dict(pc_conf_west=0xA, pc_conf_east=5, w_conf_west=0x34, w_conf_east=0x12,
                      wait_ctr_clear=6), id="CommonSynramConfig"),
    # §11 bottom = entry 1: 0x000ABCD1 = enable | 0xCD << 4 | 0xAB << 12
    pytest.param("cadc_config", 1, [(0x03401000, 0x000ABCD1)],
                 dict(enable=1, reset_wait=0xCD, dead_time=0xAB), id="CADCConfig"),
    # §11 word 3 0x5 = reset_mode bit 0 | select_voltage_left bit 2
    pytest.param("common_correlation_config", 0, [(0x02200000 + k, w) for k, w in enumerate(
        (0x123, 0x456, 0x789, 0x5))],
        dict(sense_delay=0x123, reset_duration=0x456, reset_fall_time=0x789, reset_mode=1,
             select_voltage_left=1), id="CommonCorrelationConfig"),
    # §12: w0 0xB2C8 = bit 3 | 12 << 4 | 2 << 8 | 3 << 12 | 2 << 14; w2 0x8005 = 5 | bit 15;
    # w3 0x1234; w4 3 | 8 << 5; w6 dummy data bit 1; w7 0x52 = pads bit 1 | 10 << 3; w8 0x1FFF
    # = scaling bit 0 | 0xFFF << 1; w9 0xA8A = bits 1, 3, 7, 9, 11
    pytest.param("madc_config", 0, [(0xC0001 + k, w) for k, w in enumerate(
        (0xB2C8, 0, 0x8005, 0x1234, 0x0103, 0, 0x2, 0x52, 0x1FFF, 0xA8A))],
        dict(active_mux_initially_selected_input=1, active_mux_input_select_length=12,
             sample_duration_adjust=2, sar_reset_wait=3, sar_reset_length=2,
             calibration_wait_value=5, enable_calibration=1, number_of_samples=0x1234,
             preamp_sampling_window_start=3, preamp_sampling_window_end=8, enable_dummy_data=1,
             connect_pads_to_madc=1, preamp_gain_capacitor_size=10,
             enable_madc_clock_scaling=1, madc_clock_scale_value=0xFFF,
             enable_pseudo_differential_reference_top=1,
             signal_selection_connect_current_meter=1, enable_iconv_amplifier=1,
             connect_iconv_neuron_bottom=1, connect_iconv_synapse_excitatory=1),
        id="MADCConfig"),
    # §12 (bss2emu flattens the two multiplexers as mux_<m>_<source>): +12 bit 10
    # neuron_top_even of mux 0; +13 bit 9 neuron_top_odd of mux 1, bit 13 buffer_to_pad of
    # mux 1, bit 14 of mux 0 -> 0x6200
    pytest.param("readout_source_selection", 0, [(0xC000C, 0x0400), (0xC000D, 0x6200)],
                 dict(mux_0_neuron_top_even=1, mux_1_neuron_top_odd=1, enable_buffer_to_pad_1=1,
                      enable_buffer_to_pad_0=1), id="ReadoutSourceSelection"),
    pytest.param("ppu_control", 0, [(0x02A00000, 0xE)],  # §13: bits 1, 2, 3
                 dict(force_clock_on=1, force_clock_off=1, cache_controller_enable=1),
                 id="PPUControlRegister"),
    # §15: 0x5A; 0x3C = address_setup 0xC | write_width 3 << 4 (NE = entry 1)
    pytest.param("neuron_sram_timing", 1, [(0x168402, 0x5A), (0x168403, 0x3C)],
                 dict(read_delay=0x5A, address_setup_time=0xC, write_width=3),
                 id="NeuronSRAMTimingConfig"),
    pytest.param("neuron_backend_sram_timing", 0, [(0x1A1402, 0x80), (0x1A1403, 0x0F)],
                 dict(read_delay=0x80, address_setup_time=0xF),
                 id="NeuronBackendSRAMTimingConfig"),
    pytest.param("synapse_driver_sram_timing", 1, [(0x118602, 0xC3), (0x118603, 0xF0)],
                 dict(read_delay=0xC3, write_width=0xF), id="SynapseDriverSRAMTimingConfig"),
    pytest.param("capmem_sram_timing", 3, [(0x15A800, 0x01), (0x15A801, 0x21)],
                 dict(read_delay=1, address_setup_time=1, write_width=2),
                 id="CapMemSRAMTimingConfig"),
]


@pytest.mark.parametrize(("kind", "entry", "writes", "expected"), FIELDS)
def test_fields(chip, kind, entry, writes, expected):
    """Every word of the entry is written, so each field not listed must be 0."""
    write_all(chip, writes)
    got = chip.fields(kind, entry)
    assert expected.keys() <= got.keys()
    assert got == {name: expected.get(name, 0) for name in got}


def test_neuron_config_has_all_38_fields(chip):
    assert len(chip.fields("neuron_config", 0)) == 38  # §1


def test_cadc_channel_offset_field(chip):
    # §11: top west column 23 acausal at 0x02400800 + 46 + 1; 0x85 = offset 5 + 128, 0x7B = -5.
    # The chip holds the stored code (offset + 128) as its field (docs/chip.md, cadc_channel_config)
    table = chip.config.fields["cadc_channel_config"]["offset"]
    before = table.astype(np.int64)
    write_all(chip, [(0x0240082F, 0x85), (0x0240002E, 0x7B)])
    changed = np.flatnonzero(table.astype(np.int64) != before)
    assert sorted((table.astype(np.int64)[changed] - 128).tolist()) == [-5, 5]


def test_synapse_views_model(chip):
    """§10: the views name the same synapses of chip.config's (hemisphere, row, column)
    arrays; column of quad q, entry e = 2e + 8 (q mod 32) + q div 32; weights permuted."""
    # haldls SynapseQuad (quad 3, row 1, top), entry 2 -> column 4 + 24 = 28: weight 61 =
    # 0b111101 stored 0b110111 = 0x37 | time_calib 2 << 6 = 0xB7 in bits 15..8; label 63 |
    # amp_calib 1 << 6 = 0x7F
    write_all(chip, [(0x02CF0083, 0x0000B700), (0x02CF00C3, 0x00007F00)])
    assert (chip.config.weight[0, 1, 28], chip.config.time_calib[0, 1, 28]) == (61, 2)
    assert (chip.config.label[0, 1, 28], chip.config.amp_calib[0, 1, 28]) == (63, 1)
    assert chip.config.weight.sum() == 61 and chip.config.label.sum() == 63
    # weight plane, bottom row 200 quad 35 (columns 25, 27, 29, 31) at 0x03C00000 + 12800 + 35:
    # stored 0x01 -> weight bit 4 = 16, 0x02 -> bit 3 = 8, 0x10 -> bit 0 = 1, 0x08 -> bit 1 =
    # 2; row 201 (0x03C03263): 0x04 -> bit 2 = 4, 0x20 -> bit 5 = 32, 0x3F -> 63
    write_all(chip, [(0x03C03223, 0x01021008), (0x03C03263, 0x04203F00)])
    cols = [25, 27, 29, 31]
    assert chip.config.weight[1, 200, cols].tolist() == [16, 8, 1, 2]
    assert chip.config.weight[1, 201, cols].tolist() == [4, 32, 63, 0]
    # label plane (not permuted) and the two calibration planes of row 200 quad 35
    write_all(chip, [(0x03C43223, 0x01021008), (0x03C13223, 0x00010203),
                     (0x03C23223, 0x03020100)])
    assert chip.config.label[1, 200, cols].tolist() == [1, 2, 16, 8]
    assert chip.config.time_calib[1, 200, cols].tolist() == [0, 1, 2, 3]
    assert chip.config.amp_calib[1, 200, cols].tolist() == [3, 2, 1, 0]


def test_column_switches_model(chip):
    """§10: top quad 3 = columns 24, 26, 28, 30 (entries 0..3, entry 0 in bits 31..24)."""
    cfg = chip.config
    # ColumnCurrentQuad: 0x01 exc (24), 0x02 inh (26), 0x03 both (28), debug word 0x03 (30)
    write_all(chip, [(0x02C14003, 0x01020300), (0x02C24003, 0x00000003)])
    assert np.flatnonzero(cfg.current_exc[0]).tolist() == [24, 28]
    assert np.flatnonzero(cfg.current_inh[0]).tolist() == [26, 28]
    assert np.flatnonzero(cfg.current_debug_exc[0]).tolist() == [30]
    assert np.flatnonzero(cfg.current_debug_inh[0]).tolist() == [30]
    assert not (cfg.current_exc[1].any() or cfg.current_inh[1].any())
    # ColumnCorrelationQuad: w0 0x40 internal causal (24), 0x80 acausal (26); w1 0xC0 both debug
    # (28), 0x40 debug causal (30); w2 0x20 cadc readout causal (24); w3 0x20 acausal (30)
    write_all(chip, [(0x02CF8083, 0x40800000), (0x02CF80C3, 0x0000C040),
                     (0x02C04003, 0x20000000), (0x02C44003, 0x00000020)])
    expected = {"corr_internal_causal": [24], "corr_internal_acausal": [26],
                "corr_debug_causal": [28, 30], "corr_debug_acausal": [28],
                "cadc_neuron_causal": [24], "cadc_neuron_acausal": [30]}
    got = {name: np.flatnonzero(getattr(cfg, name)[0]).tolist() for name in expected}
    assert got == expected
    assert not any(getattr(cfg, name)[1].any() for name in expected)


def test_capmem_model(chip):
    """§5: cell (x, y) of block b at base + 32x + y is chip.config.capmem[b, x, y]."""
    write_all(chip, [(0x1482ED, 0x320), (0x151008, 0x3E8), (0x159037, 0x3FF)])
    cap = chip.config.capmem
    assert (cap[1, 23, 13], cap[2, 128, 8], cap[3, 129, 23]) == (800, 1000, 1023)
    assert np.count_nonzero(cap) == 3


# -- behaviour ------------------------------------------------------------------------------
CAPMEM_BASE = (0x140000, 0x148000, 0x150000, 0x158000)  # §5 NW, NE, SW, SE
NEURON_CONFIG_BASE = (0x160000, 0x168000, 0x170000, 0x178000)  # §1
BACKEND_BASE = (0x1A1000, 0x1A9000)  # §2 west, east
NEURON_CAPMEM = ((0, 0x12C),  # v_leak 300
                 (2, 0x17C),  # v_threshold 380
                 (8, 0x0E4),  # i_bias_leak 228
                 (10, 0x0BA),  # i_bias_synin_exc_tau 186
                 (13, 0x320),  # i_bias_synin_exc_gm 800
                 (14, 0x0BA),  # i_bias_synin_inh_tau 186
                 (17, 0x320))  # i_bias_synin_inh_gm 800
NEURON = 28  # top hemisphere column 28: quad 32*0 + 28 div 8 = 3, entry (28 div 2) mod 4 = 2
DRIVER_4 = 0x110410  # §6 top driver 4 at 0x110400 + 4*4: PADI bus 4 mod 4 = 0, index 4 div 4 = 1
ROW_TOP, ROW_BOTTOM = 9, 8  # §6 driver 4: top row 2d + 1, bottom row 2d
LABEL = 0x0045  # SPL1 0 << 14 | row select 1 << 6 | synapse label 5


def configure_neuron(chip: Chip, hemisphere: int, column: int, v_reset: int = 0x122) -> None:
    """CapMem, NeuronConfig and backend of one neuron (block and index by §1, §2, §5)."""
    block, n = 2 * hemisphere + column // 128, column % 128
    cells = CAPMEM_BASE[block] + 32 * n
    write_all(chip, [(cells + row, value) for row, value in NEURON_CAPMEM])
    chip.write(cells + 1, v_reset)  # row 1 v_reset (default 290)
    chip.write(CAPMEM_BASE[block] + 32 * 128 + 8, 0x3E8)  # syn_i_bias_dac (128, 8) = 1000
    config = NEURON_CONFIG_BASE[block] + 8 * n
    chip.write(config + 5, 0xFC)  # membrane_capacitor_size 63 << 2
    chip.write(config + 6, 0x3C)  # fire 0x04 | threshold comparator 0x08 | inh 0x10 | exc 0x20
    backend = BACKEND_BASE[column // 128] + 4 * (128 * hemisphere + n)
    # §2 example words: address_out 0x45, refractory 100, holdoff 15, spike_out
    write_all(chip, [(backend + k, w) for k, w in enumerate((0xEE, 0xE9, 0xAC, 0x10))])


def configure_synapse_path(chip: Chip, row_mode_word: int, row: int) -> None:
    """Top neuron 28 behind driver 4 on top PADI bus 0, fed by FPGA SPL1 address 0 (crossbar
    input 8): one synapse of weight 63 and label 5 in `row`."""
    configure_neuron(chip, 0, NEURON)
    write_all(chip, [
        (0x02C14003, 0x00000300),  # ColumnCurrentQuad quad 3: entry 2 (bits 15..8) exc | inh
        (0x110001, 0x1),  # CommonPADIBusConfig top: enable_spl1 bus 0
        (0x130031, 0),  # CrossbarNode 24 (L2 0 -> top PADI 0): word 0 passes everything
        # driver 4: receiver 0x8000 | compare mask 0x1F << 9 (address out enabled) = 0xBE00;
        # row modes | hagen_dac_offset 0 inverted 0x3F00; word 2 default 0x40
        (DRIVER_4, 0xBE00), (DRIVER_4 + 1, 0x3F00 | row_mode_word), (DRIVER_4 + 2, 0x40),
        # quad 3 of `row`: weight 63 (stored 0x3F) and label 5 in entry 2 (bits 15..8)
        (0x02C00000 + 64 * row + 3, 0x00003F00), (0x02C40000 + 64 * row + 3, 0x00000500)])


def drive_of(chip: Chip) -> float:
    """Excitatory drive a LABEL event from crossbar input 8 reaches neuron 28 with (0 if it
    does not)."""
    fan = chip.router.fanout(8, LABEL)
    hit = (fan.neuron == NEURON) & (fan.channel == 0)
    return float(fan.amplitude[hit].sum())


def spikes_of(chip: Chip) -> int:
    """Spikes of neuron 28 during a run with a burst of 20 LABEL events."""
    events = input_events(np.arange(20) * 20 + 100, np.full(20, LABEL))
    return int(np.count_nonzero(chip.run(events, 3000).spikes["neuron"] == NEURON))


@pytest.mark.parametrize(("row_mode_word", "row", "reaches"), [
    pytest.param(0x20, ROW_TOP, True, id="SynapseDriverConfig-top-mode-row-2d+1"),
    pytest.param(0x20, ROW_BOTTOM, False, id="SynapseDriverConfig-top-mode-row-2d"),
    pytest.param(0x10, ROW_BOTTOM, True, id="SynapseDriverConfig-bottom-mode-row-2d"),
    pytest.param(0x10, ROW_TOP, False, id="SynapseDriverConfig-bottom-mode-row-2d+1"),
])
def test_driver_rows(chip, row_mode_word, row, reaches):
    """§6: the top row of driver d is synapse row 2d + 1 (word 1 bit 5 = excitatory top),
    the bottom row 2d (bit 4 = excitatory bottom)."""
    configure_synapse_path(chip, row_mode_word, row)
    assert (drive_of(chip) > 0) == reaches
    assert (spikes_of(chip) > 0) == reaches


@pytest.mark.parametrize(("word", "reaches"), [
    pytest.param(0, False, id="ColumnCurrentQuad-cleared"),
    pytest.param(0x00000100, True, id="ColumnCurrentQuad-exc"),  # entry 2 (bits 15..8) bit 0
])
def test_column_current_switch(chip, word, reaches):
    """§10: the synapse current reaches the neuron only through its column's
    enable_synaptic_current_excitatory (ColumnCurrentQuad word 0 of quad 3)."""
    configure_synapse_path(chip, 0x20, ROW_TOP)
    chip.write(0x02C14003, word)
    assert (drive_of(chip) > 0) == reaches
    assert (spikes_of(chip) > 0) == reaches


def test_column_current_switch_toggled_between_runs(chip):
    """§10: cleared -> the synapse no longer reaches the neuron; set again -> it does."""
    configure_synapse_path(chip, 0x20, ROW_TOP)
    assert spikes_of(chip) > 0
    chip.write(0x02C14003, 0)
    assert drive_of(chip) == 0 and spikes_of(chip) == 0
    chip.write(0x02C14003, 0x00000100)
    assert drive_of(chip) > 0 and spikes_of(chip) > 0


def test_capmem_v3_rows(chip):
    """§5: exc gm is row 13, inh gm row 17 (coba rows 11, 15 do not drive); syn_i_bias_dac is
    shared cell (128, 8), (128, 0) is stp_v_charge_0."""
    configure_synapse_path(chip, 0x20, ROW_TOP)

    def drives() -> tuple[float, float]:
        p = chip.parameters
        return float(p.drive_exc[NEURON]), float(p.drive_inh[NEURON])

    base = drives()
    assert min(base) > 0
    nw = 0x140000 + 32 * NEURON  # NW block, column 28
    for address, word in ((nw + 11, 0x100), (nw + 15, 0x100), (0x141000, 0x200)):
        chip.write(address, word)  # exc coba, inh coba, (128, 0) stp_v_charge_0
        assert drives() == base, f"{address:#x}"
    chip.write(nw + 13, 0x190)  # exc gm 800 -> 400
    exc = drives()
    assert exc[0] < base[0] and exc[1] == base[1]
    chip.write(nw + 17, 0x190)  # inh gm 800 -> 400
    assert drives()[1] < base[1]
    chip.write(0x141008, 0x1F4)  # syn_i_bias_dac (128, 8) 1000 -> 500
    assert drives()[0] < exc[0]


def test_spike_counter_read_and_reset(chip):
    """§4: SpikeCounterRead at 0x122800 + 4i holds count (bits 7..0) and overflow (bit 8);
    SpikeCounterReset at 0x122C00 + 4i with data 0 clears it."""
    configure_synapse_path(chip, 0x20, ROW_TOP)
    spikes = spikes_of(chip)
    assert 0 < spikes < 256
    counter, neighbour = 0x122800 + 4 * NEURON, 0x122800 + 4 * (NEURON + 1)
    assert (chip.read(counter), chip.read(neighbour)) == (spikes, 0)
    chip.write(0x122C00 + 4 * NEURON, 0)
    assert chip.read(counter) == 0


@pytest.mark.parametrize("data", [0, 0xFFFFFFFF])
def test_neuron_reset_acts(chip, data):
    """§4: NeuronReset (0x122000 + 4i, any data) pulls the membrane to v_reset: with v_reset
    (600) above the threshold (380) the neuron fires; without the reset it rests at v_leak."""
    configure_neuron(chip, 0, NEURON, v_reset=0x258)
    assert chip.run(None, 1000).spikes.size == 0
    chip.write(0x122000 + 4 * NEURON, data)
    assert set(chip.run(None, 1000).spikes["neuron"].tolist()) == {NEURON}


def test_neuron_reset_quad_acts(chip):
    """§4: NeuronResetQuad (quad 23, bottom) = haldls' 0x03C94017 resets the bottom neurons of
    quad 23: columns 2e + 8*23 = 184, 186, 188, 190 (not 185)."""
    columns = (184, 185, 186, 188, 190)
    for column in columns:
        configure_neuron(chip, 1, column, v_reset=0x258)
    assert chip.run(None, 1000).spikes.size == 0
    chip.write(0x03C94017, 0)
    fired = set(chip.run(None, 1000).spikes["neuron"].tolist())
    assert fired == {256 + 184, 256 + 186, 256 + 188, 256 + 190}


def l2_labels(chip: Chip, labels: list[int]) -> list[int]:
    """Labels of the events that come back to the FPGA for events sent with SPL1 address 0."""
    result = chip.run(input_events(np.arange(len(labels)) * 50 + 10, np.array(labels)), 2000)
    return result.events["label"].tolist()


def test_crossbar_node(chip):
    """§8: node 32 (L2 0 -> L2 0) at 0x130039: word 0 passes every event, drop_all
    (0x00010000) drops all, mask 1 / target 1 (0x00010001) passes odd labels only; the event
    counter of output 8 (0x130079 + 8) counts routed events when enabled (bit 4 + 8)."""
    labels = [0x0045, 0x1ABC, 0x3FFF, 0x0000]
    assert l2_labels(chip, labels) == []  # reset state: drop_all
    chip.write(0x130039, 0)
    assert l2_labels(chip, labels) == labels
    assert chip.router.fanout(8, 0x1ABC).l2_label == 0x1ABC
    chip.write(0x130039, 0x00010000)
    assert l2_labels(chip, labels) == []
    chip.write(0x130039, 0x00010001)
    assert l2_labels(chip, labels) == [0x0045, 0x3FFF]
    chip.write(0x130000, 0x1000)  # CrossbarOutputConfig: enable_event_counter output 8
    before = chip.read(0x130081)
    l2_labels(chip, labels)
    assert chip.read(0x130081) - before == 2


def test_background_source(chip):
    """§9: source 0 (0x130001..3) written +1, +2, then +0 with enable; routed through node 61
    (background 0 -> L2 8, 0x130056). Events carry the neuron_label, the first comes one
    period after enable, then one per period."""
    chip.write(0x130056, 0)  # node 61 passes everything
    chip.write(0x130002, 0x0000BEEF)  # +1 seed
    chip.write(0x130003, 0x01230000)  # +2 neuron_label 0x0123 << 16, rate 0, mask 0
    assert chip.run(None, 2000).events.size == 0  # not enabled yet
    chip.write(0x130001, 0x03E80001)  # +0 period 1000 << 16 | enable
    events = chip.run(None, 4000).events
    assert events.size >= 3
    assert set(events["label"].tolist()) == {0x0123}  # SPL1 0 | label
    t = events["chip_time"]
    spacing = np.diff(t)
    assert (spacing == spacing[0]).all() and spacing[0] > 0
    assert spacing[0] <= t[0] < 2 * spacing[0]
