"""Per-synapse correlation sensors: every synapse has a causal and an acausal accumulator that
grow by an exponentially decaying function of the time between a presynaptic arrival and a
postsynaptic spike (nearest-neighbour pairing, as the analog sensor circuit does: each event
recharges its trace, the partner event reads it out). Amplitude and time constant carry
per-synapse mismatch and are trimmed by the synapse's 2-bit calibration fields."""
from __future__ import annotations

import numpy as np
from bss2emu.protocol import omnibus as ob

from .config import ChipConfig
from .geometry import CHIP_TICK_S

TAU_NOMINAL_S = 5e-6
"""Sensor time constant at calibration code 2 (hardware time)."""
AMPLITUDE_NOMINAL_LSB = 8.0
"""Charge of one pairing at dt = 0 at calibration code 2, in CADC LSB."""
CALIB_STEP = 0.12
"""Relative change of tau (time_calib) or amplitude (amp_calib) per calibration code step."""
MISMATCH = 0.1
"""Relative sigma of the per-synapse tau and amplitude mismatch at fpn_scale 1."""
_SALT = 0xC0_44E1


class CorrelationSensors:
    """Causal/acausal accumulators of both synapse arrays, in CADC LSB (unbounded; the CADC
    clips). Only columns whose `enable_internal_*` switch is set accumulate."""

    def __init__(self, seed: int, fpn_scale: float = 1.0) -> None:
        rng = np.random.default_rng([seed, _SALT])
        shape = (2, ob.HEMISPHERES, ob.SYNAPSE_ROWS, ob.COLUMNS)  # (causal/acausal, h, row, col)
        self.tau_mismatch = np.exp(rng.normal(0.0, MISMATCH * fpn_scale, shape))
        self.amp_mismatch = np.exp(rng.normal(0.0, MISMATCH * fpn_scale, shape))
        self.accumulator = np.zeros(shape)
        self.last_pre = np.full(shape[1:], -np.inf)  # chip ticks (absolute)
        self.last_post = np.full((ob.HEMISPHERES, ob.COLUMNS), -np.inf)

    def parameters(self, config: ChipConfig) -> tuple[np.ndarray, np.ndarray]:
        """(tau in chip ticks, amplitude in LSB), each (2, h, row, col), for the current
        calibration bits: time_calib trims tau, amp_calib trims the amplitude."""
        tau_code = config.time_calib.astype(np.float64) - 2.0
        amp_code = config.amp_calib.astype(np.float64) - 2.0
        tau = TAU_NOMINAL_S / CHIP_TICK_S * (1 + CALIB_STEP * tau_code) * self.tau_mismatch
        amp = AMPLITUDE_NOMINAL_LSB * (1 + CALIB_STEP * amp_code) * self.amp_mismatch
        return tau, amp

    def record(self, config: ChipConfig, pre: list[tuple[int, int, np.ndarray, np.ndarray]],
               post_tick: np.ndarray, post_neuron: np.ndarray) -> None:
        """Accumulate one run's pairings. `pre`: arrivals (tick, hemisphere, rows, match) with
        match (rows, 256) marking the synapses the event reached; `post_*`: neuron spikes;
        ticks are absolute chip ticks. Events are taken in time order, arrivals before spikes
        of the same tick."""
        enabled = np.stack([config.corr_internal_causal, config.corr_internal_acausal])
        if not enabled.any():
            return
        tau, amp = self.parameters(config)
        items = [(int(t), 0, i) for i, (t, *_rest) in enumerate(pre)]
        items += [(int(t), 1, i) for i, t in enumerate(post_tick.tolist())]
        items.sort()
        acc, last_pre, last_post = self.accumulator, self.last_pre, self.last_post
        for t, kind, i in items:
            if kind == 0:
                _, h, rows, match = pre[i]
                sel = match & enabled[1, h][None, :]
                r, c = np.nonzero(sel)
                r = rows[r]
                dt = t - last_post[h, c]
                acc[1, h, r, c] += amp[1, h, r, c] * np.exp(-dt / tau[1, h, r, c])
                last_pre[h, rows[:, None], np.arange(ob.COLUMNS)[None, :]] = np.where(
                    match, t, last_pre[h][rows])
            else:
                h, c = divmod(int(post_neuron[i]), ob.COLUMNS)
                if enabled[0, h, c]:
                    dt = t - last_pre[h, :, c]
                    acc[0, h, :, c] += amp[0, h, :, c] * np.exp(-dt / tau[0, h, :, c])
                last_post[h, c] = t

    def reset(self, which: int, hemisphere: int, row: int, columns: np.ndarray) -> None:
        """Clear the causal (which 0) or acausal (1) accumulators of some synapses of a row."""
        self.accumulator[which, hemisphere, row, columns] = 0.0
