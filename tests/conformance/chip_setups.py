"""A configured network for end-to-end tests: 25 FPGA inputs -> 120 hidden neurons (top
hemisphere) -> 3 output neurons (bottom), all neuron spikes routed to the FPGA; the mapping
of bench/emulator_throughput.py, as (addresses, words) omnibus writes."""
from __future__ import annotations

import numpy as np
from bss2emu.protocol import builders as b
from bss2emu.protocol import omnibus as ob

N_IN, N_HIDDEN, N_OUT = 25, 120, 3


def hidden_neuron(i: int) -> int:
    return (i // 30) * 32 + i % 30


def input_label(i: int) -> int:
    """FPGA label of input i: row-select = driver index, synapse label = i."""
    return ((i // 4) << 6) | i


def _neuron(neuron: int, address_out: int) -> b.Writes:
    return b.concat(
        b.neuron_capmem(neuron, v_leak=300, v_reset=290, v_threshold=380, i_bias_leak=228,
                        i_bias_synin_exc_tau=186, i_bias_synin_inh_tau=186,
                        i_bias_synin_exc_gm=550, i_bias_synin_inh_gm=550),
        b.neuron_config(neuron, membrane_capacitor_size=63, enable_fire=1,
                        enable_threshold_comparator=1,
                        enable_synaptic_input_excitatory=1, enable_synaptic_input_inhibitory=1),
        b.neuron_backend(neuron, address_out=address_out, refractory_time=250,
                         reset_holdoff=15, enable_spike_out=1))


def network_writes(rng: np.random.Generator) -> b.Writes:
    """Random signed weights on the 25-120-3 mapping."""
    w_in = np.round(rng.normal(9.0, 12.0, (N_IN, N_HIDDEN))).astype(int)
    w_out = np.round(rng.normal(6.0, 20.0, (N_HIDDEN, N_OUT))).astype(int)
    writes = [b.common_neuron_backend(s, clock_scale_slow=3, clock_scale_fast=3)
              for s in range(2)]
    writes += [b.shared_capmem(q, "syn_i_bias_dac", 800) for q in range(4)]
    writes += [_neuron(hidden_neuron(i), hidden_neuron(i) % 32) for i in range(N_HIDDEN)]
    writes += [_neuron(ob.COLUMNS + j, 63 - j) for j in range(N_OUT)]
    writes += [b.crossbar_node(8, bus, 0, 0) for bus in range(4)] + [b.padi_bus(0, 0xF)]
    writes += [b.column_currents(h, 1, 1) for h in range(2)]
    rows_w = np.zeros((2 * N_IN, ob.COLUMNS), np.int64)
    rows_l = np.zeros((2 * N_IN, ob.COLUMNS), np.int64)
    cols = np.array([hidden_neuron(i) for i in range(N_HIDDEN)])
    for i in range(N_IN):
        writes.append(b.synapse_driver(0, i, enable_receiver=1, row_mode_bottom=1, row_mode_top=2,
                                       row_address_compare_mask=0x1F, enable_address_out=1))
        rows_w[2 * i, cols] = np.clip(w_in[i], 0, 63)
        rows_w[2 * i + 1, cols] = np.clip(-w_in[i], 0, 63)
        rows_l[2 * i:2 * i + 2] = input_label(i) & 0x3F
    writes.append(b.synapse_rows(0, np.arange(2 * N_IN), rows_w, rows_l))
    for k in range(4):
        writes.append(b.crossbar_node(k, 4 + k, 0, 0))
        writes.append(b.crossbar_node(k, 8 + k, 0, 0))  # every spike to the FPGA
    writes.append(b.padi_bus(1, 0xF))
    rows_w = np.zeros((2 * ob.SYNAPSE_DRIVERS, ob.COLUMNS), np.int64)
    rows_l = np.full((2 * ob.SYNAPSE_DRIVERS, ob.COLUMNS), 63, np.int64)
    for i in range(N_HIDDEN):
        k, s = divmod(i, 30)
        d = 4 * s + k
        writes.append(b.synapse_driver(1, d, enable_receiver=1, row_mode_bottom=1, row_mode_top=2,
                                       row_address_compare_mask=0, enable_address_out=1))
        rows_w[2 * d, :N_OUT] = np.clip(w_out[i], 0, 63)
        rows_w[2 * d + 1, :N_OUT] = np.clip(-w_out[i], 0, 63)
        rows_l[2 * d:2 * d + 2, :N_OUT] = s
    writes.append(b.synapse_rows(1, np.arange(2 * ob.SYNAPSE_DRIVERS), rows_w, rows_l))
    return b.concat(*writes)


def input_spikes(rng: np.random.Generator, count: int, duration: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """`count` input spikes at random sorted FPGA ticks in [0, duration) on random inputs."""
    times = np.sort(rng.integers(0, duration, count))
    labels = np.array([input_label(i) for i in rng.integers(0, N_IN, count)], np.int64)
    return times, labels
