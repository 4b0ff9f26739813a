"""Container layouts and the omnibus register file: encode/decode round trips, golden words
written from the documented layouts (haldls-layouts.md, docs/chip.md), and address errors."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.chipsim import Chip, OmnibusError
from bss2emu.chipsim.geometry import CROSSBAR_POPULATED
from bss2emu.protocol import builders as b
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol import synapse
from hypothesis import given, settings
from hypothesis import strategies as st

ALL_CONTAINERS = sorted({blk.container.name: blk.container for blk in ob.BLOCKS}.values(),
                        key=lambda r: r.name)


@pytest.mark.parametrize("container", ALL_CONTAINERS, ids=lambda r: r.name)
@settings(max_examples=50, derandomize=True)
@given(data=st.data())
def test_container_round_trip(container, data):
    values = {name: data.draw(st.integers(0, (1 << width) - 1))
              for name, width in container.fields.items()}
    words = container.encode(**values)
    assert all(0 <= w < 1 << 32 and w & ~m == 0
               for w, m in zip(words, container.masks, strict=True))
    assert container.decode(words) == values
    # word by word from any starting values gives the same
    k = data.draw(st.integers(0, len(words) - 1))
    start = container.decode_word(container.default_values(), k, words[k])
    assert container.encode_word(start, k) == words[k]


def test_weight_permutation_golden():
    # stored bit 5 = weight bit 5, stored bits 4..0 = weight bits 0..4 reversed
    assert synapse.WEIGHT_TO_STORED[0b000001] == 0b010000
    assert synapse.WEIGHT_TO_STORED[0b000010] == 0b001000
    assert synapse.WEIGHT_TO_STORED[0b010000] == 0b000001
    assert synapse.WEIGHT_TO_STORED[0b100000] == 0b100000
    assert synapse.WEIGHT_TO_STORED[0b100011] == 0b111000
    assert sorted(synapse.WEIGHT_TO_STORED) == list(range(64))


def test_quad_column_mapping_golden():
    # quads 0..31 hold even columns, 32..63 odd; entry 0 in bits 31..24
    assert synapse.QUAD_COLUMNS[0].tolist() == [0, 2, 4, 6]
    assert synapse.QUAD_COLUMNS[1].tolist() == [8, 10, 12, 14]
    assert synapse.QUAD_COLUMNS[32].tolist() == [1, 3, 5, 7]
    assert synapse.QUAD_COLUMNS[63].tolist() == [249, 251, 253, 255]
    weights = np.zeros(256, int)
    weights[[0, 2, 4, 6]] = [1, 2, 3, 63]
    word = int(synapse.encode_weight_rows(weights)[0])
    # entry0: weight 1 -> stored 0b010000; entry1: weight 2 -> 0b001000
    # entry2: weight 3 -> stored 0b011000; entry3: weight 63 -> 0b111111
    assert word == (0b00010000 << 24) | (0b00001000 << 16) | (0b00011000 << 8) | 0b00111111


def test_synapse_rows_round_trip_through_chip():
    rng = np.random.default_rng(5)
    chip = Chip(seed=1)
    rows = np.array([0, 7, 255])
    w = rng.integers(0, 64, (3, 256))
    lab = rng.integers(0, 64, (3, 256))
    chip.write_many(*b.synapse_rows(1, rows, w, lab))
    assert np.array_equal(chip.config.weight[1, rows], w)
    assert np.array_equal(chip.config.label[1, rows], lab)
    # word-level reads give back exactly the words written
    addresses, words = b.synapse_rows(1, rows, w, lab)
    assert [chip.read(int(a)) for a in addresses[:70]] == words[:70].tolist()
    # scalar writes decode the same way as the vectorised path
    other = Chip(seed=1)
    for a, word in zip(addresses.tolist(), words.tolist(), strict=True):
        other.write(a, word)
    assert np.array_equal(other.config.weight, chip.config.weight)
    assert np.array_equal(other.config.label, chip.config.label)


def test_synapse_rows_weight_positions_name_the_weight_words():
    """The positions builders gives for weight words of chosen rows and quads hold the words
    encoded from those rows' weights, at the weight quads' addresses."""
    rng = np.random.default_rng(6)
    rows = np.array([3, 7, 255])
    w = rng.integers(0, 64, (3, 256))
    addresses, words = b.synapse_rows(0, rows, w, rng.integers(0, 64, (3, 256)))
    picked, quads = np.array([0, 2]), np.array([0, 5, 63])
    at = b.synapse_rows_weight_positions(picked, quads)
    index = (rows[picked, None] * ob.QUADS_PER_ROW + quads).ravel()
    assert addresses[at].ravel().tolist() == \
        ob.block("synapse_weight_quad", 0).addresses(index).tolist()
    assert np.array_equal(words[at], synapse.encode_weight_rows(w)[picked][:, quads])


def test_capmem_and_neuron_words_land_in_the_right_cells():
    chip = Chip()
    neuron = 256 + 130  # bottom hemisphere, column 130 -> block SE (3), column 2
    chip.write_many(*b.neuron_capmem(neuron, v_threshold=777))
    assert chip.config.capmem[3, 2, ob.CAPMEM_NEURON_ROWS.index("v_threshold")] == 777
    assert ob.capmem_address(3, 2, 2) == 0x0015_8000 + 2 * 32 + 2
    chip.write_many(*b.neuron_backend(neuron, address_out=0xAB, refractory_time=9,
                                      enable_spike_out=1))
    backend = chip.fields("neuron_backend", int(ob.NEURON_TO_BACKEND[neuron]))
    assert (backend["address_out"], backend["refractory_time"]) == (0xAB, 9)
    assert backend["enable_spike_out"] == 1 and backend["reset_holdoff"] == 15


@pytest.mark.parametrize("address", [0x0, 0x0012_1FFF, 0x0014_0018, 0x02C0_4040, 0xFFFF_FFFF])
def test_unknown_addresses_raise_naming_the_address(address):
    chip = Chip()
    with pytest.raises(OmnibusError, match=f"{address:#010x}"):
        chip.write(address, 0)
    with pytest.raises(OmnibusError, match=f"{address:#010x}"):
        chip.read(address)


def test_out_of_range_fields_raise_naming_the_field():
    chip = Chip()
    with pytest.raises(OmnibusError, match="unused bits"):
        chip.write(ob.capmem_address(0, 0, 0), 1 << 12)
    with pytest.raises(OmnibusError, match="not a 32-bit value"):
        chip.write(ob.capmem_address(0, 0, 0), 1 << 32)
    with pytest.raises(OmnibusError, match="read-only"):
        chip.write(b.spike_counter_read_address(0), 0)
    with pytest.raises(ValueError, match="0..63"):
        b.synapse_rows(0, [0], np.full(256, 64), np.zeros(256))


def test_crossbar_population_and_unpopulated_nodes():
    assert CROSSBAR_POPULATED.sum() == 76
    # neuron output 5 -> top PADI 1, bottom PADI 1 (output 5), L2 out 1 (output 9)
    assert np.flatnonzero(CROSSBAR_POPULATED[5]).tolist() == [1, 5, 9]
    # L2 input 2 -> all 8 PADI buses and L2 out 2
    assert np.flatnonzero(CROSSBAR_POPULATED[10]).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 10]
    # halco numbering: inputs in order, outputs ascending, populated pairs only
    assert ob.crossbar_node_address(0, 0) == 0x0013_0019
    assert ob.crossbar_node_address(9, 9) == 0x0013_0042
    assert ob.crossbar_node_address(12, 8) == 0x0013_0056
    assert ob.crossbar_node_address(19, 11) == 0x0013_0064
    with pytest.raises(ValueError, match="not populated"):
        ob.crossbar_node_address(0, 2)
    chip = Chip()
    address = ob.crossbar_node_address(0, 0)
    chip.write(address, ob.block("crossbar_node").container.build(mask=3, target=1))
    assert chip.fields("crossbar_node", 0) == {"enable_drop_counter": 0, "target": 1, "mask": 3}


def test_bulk_synapse_writes_keep_order_and_match_the_declared_geometry():
    from bss2emu.chipsim._core import lib

    assert (lib.BSS2_COLUMNS, lib.BSS2_SYNAPSE_ROWS, lib.BSS2_QUADS_PER_ROW) == (
        ob.COLUMNS, ob.SYNAPSE_ROWS, ob.QUADS_PER_ROW)
    chip = Chip()
    first = b.synapse_rows(0, [5], np.full(256, 7), np.full(256, 1))
    second = b.synapse_rows(0, [5], np.full(256, 9), np.full(256, 2))
    addresses = np.concatenate([first[0], second[0], first[0][:3]])
    words = np.concatenate([first[1], second[1], first[1][:3]])
    chip.write_many(addresses, words)  # the last write to a quad wins, as one by one
    one_by_one = Chip()
    for a, w in zip(addresses.tolist(), words.tolist(), strict=True):
        one_by_one.write(a, w)
    assert np.array_equal(chip.config.weight, one_by_one.config.weight)
    assert np.array_equal(chip.config.label, one_by_one.config.label)
    assert chip.config.weight[0, 5, 0] == 7 and chip.config.weight[0, 5, 255] == 9


@pytest.mark.parametrize("layout", ["runs", "scattered", "mixed"])
def test_write_many_with_uint32_arrays_equals_int64_arrays(layout):
    """The FPGA queues writes as uint32 arrays (no range check, no conversion); any layout
    gives the chip state of the same writes as int64 arrays, and a bad word still raises."""
    rng = np.random.default_rng(5)
    rows = np.arange(0, 256, 3)
    addresses, words = b.synapse_rows(1, rows, rng.integers(0, 64, (rows.size, 256)),
                                      rng.integers(0, 64, (rows.size, 256)))
    if layout != "runs":
        order = rng.permutation(addresses.size)
        addresses, words = addresses[order], words[order]
    if layout == "mixed":  # configuration words that go through write() one by one
        extra = b.neuron_backend(17, address_out=0x3C, refractory_time=5)
        addresses = np.concatenate([addresses[:500], extra[0], addresses[500:]])
        words = np.concatenate([words[:500], extra[1], words[500:]])
    wide, narrow = Chip(), Chip()
    wide.write_many(addresses.astype(np.int64), words.astype(np.int64))
    narrow.write_many(addresses.astype(np.uint32), words.astype(np.uint32))
    assert np.array_equal(wide.config.weight, narrow.config.weight)
    assert np.array_equal(wide.config.label, narrow.config.label)
    assert wide.fields("neuron_backend", 17) == narrow.fields("neuron_backend", 17)
    with pytest.raises(OmnibusError, match="sets unused bits"):
        narrow.write_many(addresses[:4].astype(np.uint32), np.full(4, 0xC0C0_C0C0, np.uint32))
