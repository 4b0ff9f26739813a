"""The host's tables for the on-chip learning program: label-layer quad slots reproduce the
mapping's synapse words, the label table resolves every event label, oversize networks are
refused by name."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.host.chip.mapping import Placement, marker_label, weight_writes
from bss2emu.host.onchip.layout import (
    OnChipLayout,
    OnChipLayoutError,
    label_quads,
    label_table,
    onchip_constants,
)
from bss2emu.protocol import event_ring as er


def _lookup(table: np.ndarray, label: int, chip: bool = False) -> int:
    """The program's probe sequence (onchip.c `lookup`) for an injected or a chip event."""
    c = onchip_constants()
    key = label | (er.CHIP_FLAG << 16 if chip else 0)
    slot = ((key * c["HASH_MULTIPLIER"]) & 0xFFFF_FFFF) >> 23
    while table[slot] != 0xFFFF_FFFF:
        if table[slot] >> 15 == key:
            return int(table[slot] & 0x7FFF)
        slot = (slot + 1) % c["TABLE_SLOTS"]
    return 0


def test_slot_updates_reproduce_the_mapping_words():
    """Writing hardware weights through the slots (as the PPU does) gives exactly the words
    host.chip.mapping writes for the same weights."""
    rng = np.random.default_rng(3)
    placement = Placement(25, 120, 3)
    hw_in = rng.integers(-63, 64, (25, 120))
    start = rng.integers(-63, 64, (120, 3))
    target = rng.integers(-63, 64, (120, 3))
    quads = label_quads(placement)
    addresses, words = weight_writes(placement, hw_in, start)
    current = dict(zip(addresses.tolist(), words.tolist(), strict=True))
    state = np.array([current[a] for a in quads.addresses.tolist()], np.int64)
    perm = OnChipLayout.permutation().astype(np.int64)
    for at, hw in enumerate(target.reshape(-1).tolist()):
        slot = int(quads.slots[at])
        shift, inh, exc = slot & 0xFF, (slot >> 8) & 0xFFF, slot >> 20
        mask = 0x3F << shift
        state[exc] = (state[exc] & ~mask) | (perm[max(hw, 0)] << shift)
        state[inh] = (state[inh] & ~mask) | (perm[max(-hw, 0)] << shift)
    expected_addresses, expected_words = weight_writes(placement, hw_in, target)
    expected = dict(zip(expected_addresses.tolist(), expected_words.tolist(), strict=True))
    assert state.tolist() == [expected[a] for a in quads.addresses.tolist()]
    assert len(set(quads.addresses.tolist())) == len(quads.addresses) == 480


def test_label_table_resolves_every_event():
    placement = Placement(25, 120, 3)
    table = label_table(placement, 3)
    c = onchip_constants()
    for i, label in enumerate(placement.input_labels.tolist()):
        assert _lookup(table, label) == (c["KIND_INPUT"] << 12) | i
    for h, label in enumerate(placement.hidden_labels.tolist()):
        assert _lookup(table, label, chip=True) == (c["KIND_HIDDEN"] << 12) | h
    for j, label in enumerate(placement.output_labels.tolist()):
        assert _lookup(table, label, chip=True) == (c["KIND_LABEL"] << 12) | j
    eval_marker = 2 | c["MARKER_EVAL"]
    assert _lookup(table, marker_label(eval_marker)) == (c["KIND_MARKER"] << 12) | eval_marker
    assert _lookup(table, marker_label(c["MARKER_END"])) >> 12 == c["KIND_MARKER"]
    assert _lookup(table, 0x7777) == 0
    assert _lookup(table, int(placement.output_labels[0])) == 0  # injected, not a label spike


def test_layout_is_aligned_disjoint_and_refuses_what_does_not_fit():
    layout = OnChipLayout.plan(25, 5, 120, 3, 480)
    spans = sorted((r.offset, r.offset + r.size) for r in layout.regions.values())
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert all(r.offset % 16 == 0 for r in layout.regions.values())
    assert layout.regions["rows"].offset % 128 == 0
    with pytest.raises(OnChipLayoutError, match="needs .* bytes of FPGA memory"):
        OnChipLayout.plan(128, 1, 128, 10, 512)
