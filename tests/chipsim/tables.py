"""Engine tables for hand-made networks (bypassing routing), for engine-level tests."""
from __future__ import annotations

import numpy as np
from bss2emu.chipsim.engine_types import NetworkTables


def make_tables(n_neurons: int, fanout: dict[int, list[tuple[int, int, float]]], *,
                e_leak=0.0, v_reset=0.0, v_threshold=1.0, tau_mem=1500.0, tau_exc=1500.0,
                tau_inh=1500.0, hold=0, refractory=0, latency=8, **noise) -> NetworkTables:
    """Tables with scalar or per-neuron parameters; fanout[source] = [(neuron, channel, amp)]
    where sources 0..n_neurons-1 are the neurons."""
    n_sources = max([n_neurons, *[s + 1 for s in fanout]])
    ptr, neu, ch, amp = [0], [], [], []
    for s in range(n_sources):
        for target, channel, a in fanout.get(s, []):
            neu.append(target)
            ch.append(channel)
            amp.append(a)
        ptr.append(len(neu))

    def full(x, dtype=np.float64):
        return np.broadcast_to(np.asarray(x, dtype), (n_neurons,)).copy()

    return NetworkTables(
        e_leak=full(e_leak), v_reset=full(v_reset), v_threshold=full(v_threshold),
        tau_mem=full(tau_mem), tau_syn_exc=full(tau_exc), tau_syn_inh=full(tau_inh),
        hold_ticks=full(hold, np.int32), refractory_ticks=full(refractory, np.int32),
        fire_enable=full(1, np.uint8), adex_enable=full(0, np.uint8),
        exp_enable=full(0, np.uint8), delta_t=full(1.0),
        v_exp=full(1e3), adapt_a=full(0.0), adapt_b=full(0.0), tau_adapt=full(1.0),
        fan_ptr=np.array(ptr, np.int32), fan_neuron=np.array(neu, np.int32),
        fan_channel=np.array(ch, np.uint8), fan_amp=np.array(amp, np.float64),
        latency_ticks=latency, **noise)
