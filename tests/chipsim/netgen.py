"""Random chip configurations (weights, labels, row modes, routing) and input events, written
through the omnibus register layouts, for differential tests between the engines.

The generator aims events at configured drivers and neurons so that the networks are active:
input labels carry row-select addresses of configured drivers, and some drivers listen to the
labels of configured neurons (recurrent and layer-to-layer routing)."""
from __future__ import annotations

import numpy as np
from bss2emu.chipsim import Chip, input_events
from bss2emu.chipsim.geometry import CROSSBAR_POPULATED, DRIVER_BUS, DRIVER_INDEX
from bss2emu.protocol import builders as b
from bss2emu.protocol import omnibus as ob


def configure_neuron(rng: np.random.Generator, neuron: int, *, address_out: int,
                     spike_out: bool = True):
    """Writes for one neuron with plausible random CapMem codes and backend settings."""
    leak = int(rng.integers(250, 330))
    return b.concat(
        b.neuron_capmem(
            neuron, v_leak=leak, v_reset=leak - int(rng.integers(0, 40)),
            v_threshold=leak + int(rng.integers(10, 50)), i_bias_leak=int(rng.integers(150, 400)),
            i_bias_synin_exc_tau=int(rng.integers(120, 320)),
            i_bias_synin_inh_tau=int(rng.integers(120, 320)),
            i_bias_synin_exc_gm=int(rng.integers(300, 1000)),
            i_bias_synin_inh_gm=int(rng.integers(300, 1000))),
        b.neuron_config(neuron, membrane_capacitor_size=int(rng.integers(20, 64)),
                        enable_fire=1, enable_threshold_comparator=1,
                        enable_synaptic_input_excitatory=1, enable_synaptic_input_inhibitory=1),
        b.neuron_backend(neuron, address_out=address_out,
                         refractory_time=int(rng.integers(0, 256)),
                         reset_holdoff=int(rng.integers(0, 16)),
                         select_input_clock=int(rng.integers(0, 2)),
                         enable_spike_out=int(spike_out)),
    )


def _node(rng: np.random.Generator, i: int, o: int, labels: np.ndarray):
    kind = rng.integers(0, 4)
    if kind == 0:  # pass everything
        return b.crossbar_node(i, o, 0, 0)
    label = int(rng.choice(labels))
    mask = (0x3FFF, 0x3FC0, 0x0FFF, int(rng.integers(0, 1 << 14)))[int(rng.integers(0, 4))]
    return b.crossbar_node(i, o, mask, label & mask)


def random_network(rng: np.random.Generator, chip: Chip, max_neurons: int = 16):
    """Configure `chip` randomly; returns (input events, duration in FPGA ticks)."""
    neurons = rng.choice(ob.NEURONS, int(rng.integers(2, max_neurons + 1)), replace=False)
    address_out = rng.integers(0, 256, neurons.size)
    writes = [configure_neuron(rng, int(n), address_out=int(a),
                               spike_out=bool(rng.random() < 0.8))
              for n, a in zip(neurons, address_out, strict=True)]
    for side in range(2):
        writes.append(b.common_neuron_backend(side, clock_scale_slow=int(rng.integers(0, 4)),
                                              clock_scale_fast=int(rng.integers(0, 3))))
    for block in range(4):
        writes.append(b.shared_capmem(block, "syn_i_bias_dac", int(rng.integers(400, 1023))))
    syn_labels = rng.integers(0, 64, 4)
    neuron_labels = (((neurons % ob.COLUMNS) // 32) << 8) | address_out
    # drivers: some listen to input labels, some to the configured neurons' labels
    input_drivers = [(int(h), int(d)) for h, d in zip(rng.integers(0, 2, 8),
                                                       rng.integers(0, ob.SYNAPSE_DRIVERS, 8),
                                                       strict=True)]
    recurrent_drivers = []
    for lab, n in zip(neuron_labels, neurons, strict=True):
        bus = ((n % ob.COLUMNS) // 32) % 4
        index = (lab >> 6) & 0x1F
        d = int(np.flatnonzero((DRIVER_BUS == bus) & (DRIVER_INDEX == index))[0])
        if rng.random() < 0.6:
            recurrent_drivers.append((int(rng.integers(0, 2)), d))
    input_labels = np.array([(DRIVER_INDEX[d] << 6) | int(rng.choice(syn_labels))
                             for _, d in input_drivers])
    all_labels = np.concatenate([input_labels, neuron_labels])
    for i, o in zip(*np.nonzero(CROSSBAR_POPULATED), strict=True):
        if rng.random() < 0.8:
            writes.append(_node(rng, int(i), int(o), all_labels))
    for h in range(2):
        writes.append(b.padi_bus(h, int(rng.choice([15, 15, 15, rng.integers(0, 16)]))))
        writes.append(b.column_currents(h, 1, 1))
    for h, d in input_drivers + recurrent_drivers:
        writes.append(b.synapse_driver(
            h, d, enable_receiver=1, row_mode_bottom=int(rng.integers(0, 4)),
            row_mode_top=int(rng.integers(0, 4)),
            row_address_compare_mask=int(rng.choice([0x1F, 0x1F, 0x1E, 0x0F, 0])),
            enable_address_out=int(rng.random() < 0.9)))
        rows = np.array([2 * d, 2 * d + 1])
        weights = rng.integers(0, 64, (2, ob.COLUMNS)) * (rng.random((2, ob.COLUMNS)) < 0.3)
        targets = neurons[neurons // ob.COLUMNS == h] % ob.COLUMNS
        weights[:, targets] = rng.integers(25, 64, (2, targets.size))
        labels = rng.choice(np.concatenate([syn_labels, neuron_labels & 0x3F]), (2, ob.COLUMNS))
        writes.append(b.synapse_rows(h, rows, weights, labels))
    addresses, words = b.concat(*writes)
    chip.write_many(addresses, words)
    duration = int(rng.integers(500, 2500))
    n_events = int(rng.integers(30, 200))
    labels = (rng.integers(0, 4, n_events) << 14) | rng.choice(input_labels, n_events)
    times = np.sort(rng.integers(0, duration, n_events))
    return input_events(times, labels), duration
