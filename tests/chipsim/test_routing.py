"""Event routing: crossbar label masks, PADI bus enables, row-select compare masks, row modes,
6-bit synapse label matching, and neuron labels re-entering the crossbar."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from bss2emu.chipsim import Chip, OmnibusError, input_events
from bss2emu.chipsim.routing import Router
from bss2emu.protocol import builders as b

NEURON = 5  # top hemisphere, column 5
DRIVER = 6  # bus 2, index 1 -> rows 13 (top) and 12 (bottom)


def _chip(*, node_mask=0, node_target=0, compare_mask=0x1F, mode_top=1, mode_bottom=2,
          syn_label=9, address_out=1, padi=0xF) -> Chip:
    chip = Chip(seed=3)
    chip.write_many(*b.concat(
        b.neuron_capmem(NEURON, v_leak=300, v_reset=290, v_threshold=330, i_bias_leak=228,
                        i_bias_synin_exc_tau=186, i_bias_synin_inh_tau=186,
                        i_bias_synin_exc_gm=800, i_bias_synin_inh_gm=800),
        b.shared_capmem(0, "syn_i_bias_dac", 1000),
        b.neuron_config(NEURON, membrane_capacitor_size=63, enable_fire=1,
                        enable_threshold_comparator=1, enable_synaptic_input_excitatory=1,
                        enable_synaptic_input_inhibitory=1),
        b.crossbar_node(8, 2, node_mask, node_target),
        b.padi_bus(0, padi),
        b.synapse_driver(0, DRIVER, enable_receiver=1, row_mode_top=mode_top,
                         row_mode_bottom=mode_bottom, row_address_compare_mask=compare_mask,
                         enable_address_out=address_out),
        b.column_currents(0, 1, 1),
        b.synapse_rows(0, [12, 13], np.full((2, 256), 40), np.full((2, 256), syn_label)),
    ))
    return chip


def _label(row_select: int, syn: int, spl1: int = 0) -> int:
    return (spl1 << 14) | (row_select << 6) | syn


def _drive(chip: Chip, label: int) -> dict[int, float]:
    """Synaptic drive per channel that an FPGA event with `label` gives NEURON."""
    f = chip.router.fanout(8 + (label >> 14), label & 0x3FFF)
    return {int(c): float(a) for n, c, a in zip(f.neuron, f.channel, f.amplitude, strict=True)
            if n == NEURON}


def test_matching_event_drives_both_rows_with_their_modes():
    drive = _drive(_chip(), _label(1, 9))
    assert set(drive) == {0, 1} and drive[0] > 0 and drive[1] > 0


@pytest.mark.parametrize("mode_top, mode_bottom, channels", [
    (0, 0, set()), (1, 0, {0}), (0, 2, {1}), (3, 0, {0, 1}), (2, 2, {1})])
def test_row_modes(mode_top, mode_bottom, channels):
    assert set(_drive(_chip(mode_top=mode_top, mode_bottom=mode_bottom), _label(1, 9))) == \
        channels


def test_row_mode_both_drives_exc_and_inh_equally_per_row():
    chip = _chip(mode_top=3, mode_bottom=0)
    drive = _drive(chip, _label(1, 9))
    n = NEURON
    p = chip.parameters
    assert drive[0] / p.drive_exc[n] == pytest.approx(drive[1] / p.drive_inh[n])


def test_synapse_label_must_match_all_six_bits():
    chip = _chip(syn_label=9)
    assert _drive(chip, _label(1, 9))
    for other in (8, 9 ^ 0x20, 9 ^ 0x01, 41):
        assert not _drive(chip, _label(1, other))


def test_without_address_out_only_the_label_msb_is_forwarded():
    chip = _chip(address_out=0, syn_label=0x20)
    assert _drive(chip, _label(1, 0x25))  # MSB set, low bits dropped -> 0x20 matches
    assert not _drive(chip, _label(1, 0x05))


def test_row_select_compare_mask():
    exact = _chip(compare_mask=0x1F)
    assert _drive(exact, _label(1, 9))
    assert not _drive(exact, _label(3, 9))
    loose = _chip(compare_mask=0x1D)  # bit 1 ignored: index 1 also answers 3
    assert _drive(loose, _label(3, 9))
    assert not _drive(loose, _label(5, 9))
    anything = _chip(compare_mask=0)
    assert _drive(anything, _label(31, 9))


def test_crossbar_mask_and_target():
    chip = _chip(node_mask=0x3FC0, node_target=_label(1, 0))  # match on row-select only
    assert _drive(chip, _label(1, 9))
    assert not _drive(chip, _label(2, 9))
    blocked = Chip(seed=3)  # reset value: drop everything
    assert not blocked.router.fanout(8, _label(1, 9)).neuron.size


def test_padi_bus_must_take_crossbar_events():
    assert _drive(_chip(padi=0b0100), _label(1, 9))
    assert not _drive(_chip(padi=0b1011), _label(1, 9))


def test_spl1_channel_selects_the_crossbar_input():
    chip = _chip()  # only L2 input 0 (crossbar input 8) routes to PADI 2
    assert _drive(chip, _label(1, 9, spl1=0))
    assert not _drive(chip, _label(1, 9, spl1=1))


def test_neuron_spikes_route_on_chip_and_to_the_fpga():
    """Neuron A (top, driven from the FPGA) excites neuron B (bottom) through the crossbar and
    a bottom synapse row; both spikes leave through L2 with the neuron label in 14 bits."""
    chip = _chip(mode_bottom=0)
    a, b_neuron = NEURON, 256 + 70  # B: bottom hemisphere, column 70 -> event output 2
    chip.write_many(*b.concat(
        b.neuron_backend(a, address_out=(3 << 6) | 17, enable_spike_out=1,
                         refractory_time=200, reset_holdoff=15),
        b.neuron_capmem(b_neuron, v_leak=300, v_reset=290, v_threshold=320, i_bias_leak=228,
                        i_bias_synin_exc_tau=186, i_bias_synin_exc_gm=1000),
        b.neuron_config(b_neuron, membrane_capacitor_size=20, enable_fire=1,
                        enable_threshold_comparator=1, enable_synaptic_input_excitatory=1),
        b.neuron_backend(b_neuron, address_out=0x3F, enable_spike_out=1, refractory_time=200),
        b.shared_capmem(2, "syn_i_bias_dac", 1022),
        b.common_neuron_backend(0, clock_scale_slow=3),
        # neuron output 0 (columns 0..31) -> bottom PADI bus 0 and L2 out 0
        b.crossbar_node(0, 4, 0, 0), b.crossbar_node(0, 8, 0, 0),
        b.crossbar_node(2, 10, 0, 0),  # neuron output 2 -> L2 out 2
        b.padi_bus(1, 0x1),
        # A's label: event output 0, address_out (3 << 6) | 17 -> row select 3, synapse 17;
        # driver 12 on bus 0 has index 3
        b.synapse_driver(1, 12, enable_receiver=1, row_mode_bottom=1,
                         row_address_compare_mask=0x1F, enable_address_out=1),
        b.column_currents(1, 1, 1),
        b.synapse_rows(1, [24], np.full(256, 63), np.full(256, 17)),
    ))
    result = chip.run(input_events([10, 11, 12, 13], [_label(1, 9)] * 4), 5000)
    spikes = result.spikes
    assert set(spikes["neuron"].tolist()) == {a, b_neuron}
    first_a = spikes["chip_time"][spikes["neuron"] == a][0]
    first_b = spikes["chip_time"][spikes["neuron"] == b_neuron][0]
    assert first_b > first_a
    labels = set(result.events["label"].tolist())
    assert labels == {(0 << 14) | (3 << 6) | 17,  # A via L2 out 0
                      (2 << 14) | (2 << 8) | 0x3F}  # B via L2 out 2


def test_padi_trigger_register_sends_events_only_on_buses_off_the_crossbar():
    """PADIEvent (PADI base + 0): row select 1, label 9 on bus 2 reaches DRIVER (bus 2, index
    1) when the bus takes events from the trigger register, not while it listens to SPL1."""
    word = (1 << 22) | (9 << 16) | 0b0100  # row_select [26:22], event_address [21:16], bus 2
    for spl1, fires in ((0b1011, True), (0b1111, False)):
        chip = _chip(padi=spl1, mode_bottom=0)
        chip.write_many(*b.neuron_capmem(NEURON, v_threshold=310))
        chip.run(None, 500)
        drive = []
        for _ in range(3):
            chip.write(0x0011_0000, word)
            drive.append(chip.run(None, 300).spikes.size)
        assert (sum(drive) > 0) == fires
    with pytest.raises(OmnibusError, match="write-only"):
        chip.read(0x0011_0000)



@pytest.mark.parametrize("seed", range(4))
def test_single_row_fanout_tables_equal_the_dense_path(seed):
    """Random routing where each event drives at most one row per hemisphere and channel
    (one bus per hemisphere, exact row selects): the synapse-by-synapse tables equal the
    dense path's bit for bit, for any key list; with several rows per target the dense path
    sums them."""
    rng = np.random.default_rng(seed)
    chip = Chip(seed=seed)
    c = chip.config
    c.crossbar.mask[:] = rng.choice([0, 0x3FFF, 0x40], c.crossbar.mask.size)
    c.crossbar.target[:] = 0
    c.padi.enable_spl1[:] = 1 << rng.integers(0, 4, c.padi.enable_spl1.size)
    d = c.driver
    d.enable_receiver[:] = rng.random(d.enable_receiver.size) < 0.8
    d.row_address_compare_mask[:] = 0x1F
    d.row_mode_top[:] = rng.integers(0, 2, d.row_mode_top.size)       # off or excitatory
    d.row_mode_bottom[:] = 2 * rng.integers(0, 2, d.row_mode_bottom.size)  # off or inhibitory
    d.enable_address_out[:] = rng.integers(0, 2, d.enable_address_out.size)
    c.label[:] = rng.integers(0, 3, c.label.shape)
    c.weight[:] = rng.integers(0, 64, c.weight.shape) * (rng.random(c.weight.shape) < 0.7)
    router = Router(c, rng.random(512), rng.random(512), chip.fpn.synapse)
    keys = [None if rng.random() < 0.2 else (8 + int(rng.integers(0, 4)),
                                             int(rng.integers(0, 1 << 14)))
            for _ in range(60)]
    layout = router.layout(keys)
    got = router.tables(layout)
    assert layout.synapses is not None and got[3].size > 100
    want = router.tables(dataclasses.replace(layout, synapses=None))  # the dense path
    for fast, dense in zip(got, want, strict=True):
        assert fast.dtype == dense.dtype and fast.tobytes() == dense.tobytes()
    d.row_address_compare_mask[:] = 0  # every driver of a bus listens: many rows per target
    several = Router(c, rng.random(512), rng.random(512), chip.fpn.synapse)
    assert several.layout(keys).synapses is None
