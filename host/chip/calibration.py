"""Neuron calibration through the wire protocol, in the spirit of the real system's calibration
library: MADC traces of two neurons per playback program, fits, and per-neuron CapMem code
updates towards the targets. Nothing here knows the chip model; every measurement is a
playback program.

Measurements (each on every neuron, two at a time on the MADC's two channels):
* leak: the membrane at rest;
* threshold: with the leak raised above threshold the neuron fires tonically and its membrane's
  maximum is the threshold;
* tau_mem: after a neuron reset to a low potential, the relaxation back to leak, fitted by an
  exponential;
* tau_syn and synaptic strength (excitatory and inhibitory): the PSP of one input event through a
  calibration synapse row, fitted by (exp(-t/tau_syn) - exp(-t/tau_mem)) with tau_mem known.
Codes move by the inverse of bss2emu's documented transfer-function shapes (linear voltages,
tau ~ 1/(code+1)^2, strength ~ gm), which converges in a few rounds despite mismatch.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from bss2emu.host.connection import Connection
from bss2emu.host.program import PlaybackProgramBuilder
from bss2emu.protocol import builders as b
from bss2emu.protocol import event_label as el
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.clocks import FPGA_TICKS_PER_US
from bss2emu.protocol.layouts.crossbar import DROP_ALL

from .mapping import ROW_MODES
from .neurons import (
    C_MEM,
    CLOCK_SCALE_SLOW,
    DEFAULT_CODES,
    I_SYN_LSB,
    MEMBRANE_CAPACITANCE,
    SYNAPSE_DAC,
    TAU_US,
    VOLT_PER_CODE,
    NeuronSettings,
)

MADC_VOLT_PER_LSB = 1.2 / 1023
CAL_DRIVER = 127  # rows 254 (bottom: excitatory) and 255 (top: inhibitory) of both hemispheres
CAL_LABEL = {0: 60, 1: 61}  # synapse labels of the excitatory / inhibitory calibration row
CAL_WEIGHT = 40
CODE_MAX = ob.CAPMEM_MAX
FILE_VERSION = 2
"""2: since the registers follow haldls' layouts (version 1 files predate them)."""


@dataclass(frozen=True)
class Targets:
    """What the calibration aims for (the paper's setup, docs/chip.md §4)."""

    leak_v: float = 0.15 + (DEFAULT_CODES["v_leak"] - 70) * VOLT_PER_CODE
    threshold_gap_v: float = (DEFAULT_CODES["v_threshold"] - DEFAULT_CODES["v_leak"]) * \
        VOLT_PER_CODE
    tau_mem_s: float = TAU_US * 1e-6
    tau_syn_s: float = TAU_US * 1e-6

    @property
    def drive(self) -> float:
        """Synaptic drive q = w I_lsb / C (V/s) of a calibration synapse on an ideal neuron,
        the factor of the PSP kernel that the fit returns."""
        return CAL_WEIGHT * I_SYN_LSB / C_MEM


@dataclass
class Measurement:
    """Per-neuron measured values (NaN where a fit failed)."""

    leak: np.ndarray
    threshold: np.ndarray
    tau_mem: np.ndarray
    tau_exc: np.ndarray
    tau_inh: np.ndarray
    drive_exc: np.ndarray  # w I_lsb / C in V/s for the calibration weight
    drive_inh: np.ndarray

    def spread(self) -> dict[str, float]:
        """Relative standard deviation per quantity (threshold: of the gap to leak)."""
        gap = self.threshold - self.leak
        out = {}
        for name, values in (("tau_mem", self.tau_mem), ("tau_syn_exc", self.tau_exc),
                             ("tau_syn_inh", self.tau_inh), ("threshold", gap),
                             ("drive_exc", self.drive_exc), ("drive_inh", self.drive_inh)):
            out[name] = float(np.nanstd(values) / abs(np.nanmean(values)))
        return out


@dataclass
class Calibration:
    """Per-neuron CapMem codes, keyed by the chip's identity, saved as JSON."""

    chip_id: str
    codes: dict[int, dict[str, int]] = field(default_factory=dict)
    before: dict[str, float] = field(default_factory=dict)
    after: dict[str, float] = field(default_factory=dict)

    def settings(self) -> NeuronSettings:
        return NeuronSettings({n: dict(c) for n, c in self.codes.items()})

    def save(self, path: str | Path) -> None:
        data = {"version": FILE_VERSION, "chip_id": self.chip_id,
                "codes": {str(n): c for n, c in self.codes.items()},
                "spread_before": self.before, "spread_after": self.after}
        Path(path).write_text(json.dumps(data, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        data = json.loads(Path(path).read_text())
        version = data.get("version")
        if version != FILE_VERSION:
            raise ValueError(
                f"{path}: calibration file version {version!r}, this bss2emu reads version "
                f"{FILE_VERSION} (files from before the haldls register layouts are version 1): "
                f"delete it and run `bss2emu calibrate` again")
        return cls(data["chip_id"], {int(n): c for n, c in data["codes"].items()},
                   data.get("spread_before", {}), data.get("spread_after", {}))



def _madc_pairs(neurons: list[int]) -> list[list[int]]:
    """Neurons in groups the MADC can record at once: two on different readout lines
    (hemisphere, column parity), in order; a neuron whose neighbour shares its line goes alone."""
    out: list[list[int]] = []
    for n in neurons:
        if out and len(out[-1]) == 1 and b.madc_line(out[-1][0]) != b.madc_line(n):
            out[-1].append(n)
        else:
            out.append([n])
    return out


class Calibrator:
    """Measures and calibrates neurons on a connected chip."""

    def __init__(self, connection: Connection, neurons: np.ndarray,
                 targets: Targets | None = None, timeout: float | None = None) -> None:
        self.connection = connection
        self.neurons = np.asarray(neurons, np.int64)
        self.targets = targets or Targets()
        self.timeout = timeout
        self.codes = {int(n): dict(DEFAULT_CODES) for n in self.neurons}

    # -- programs --------------------------------------------------------------------------
    def _run(self, builder: PlaybackProgramBuilder):
        result = self.connection.run(builder.done(), self.timeout)
        if (why := result.rejection()) is not None:
            raise RuntimeError(why)
        return result

    def _write(self, writes: b.Writes) -> None:
        builder = PlaybackProgramBuilder(timer_setup=False)
        builder.write_many(*writes)
        self._run(builder)

    def _neuron_words(self, overrides: dict[str, int] | None = None) -> b.Writes:
        writes = []
        for n in self.neurons.tolist():
            codes = {**self.codes[n], **(overrides or {})}
            codes = {k: int(np.clip(v, 0, CODE_MAX)) for k, v in codes.items()}
            writes.append(b.neuron_capmem(n, **codes))
        return b.concat(*writes)

    def setup(self) -> None:
        """Static configuration: neurons on, calibration rows from FPGA channel 0."""
        writes = [b.crossbar_drop_all()]
        writes += [b.common_neuron_backend(s, clock_scale_slow=CLOCK_SCALE_SLOW)
                   for s in range(2)]
        writes += [b.shared_capmem(blk, "syn_i_bias_dac", SYNAPSE_DAC) for blk in range(4)]
        for n in self.neurons.tolist():
            writes += [b.neuron_config(n, membrane_capacitor_size=MEMBRANE_CAPACITANCE,
                                       enable_fire=1, enable_threshold_comparator=1,
                                       enable_synaptic_input_excitatory=1,
                                       enable_synaptic_input_inhibitory=1),
                       b.neuron_backend(n, refractory_time=20, reset_holdoff=15)]
        bus = CAL_DRIVER % 4
        for h in range(2):
            cols = self.neurons[self.neurons // ob.COLUMNS == h] % ob.COLUMNS
            used = np.zeros(ob.COLUMNS, np.uint32)
            used[cols] = 1
            writes += [b.crossbar_node(8, 4 * h + bus, 0, 0), b.padi_bus(h, 1 << bus),
                       b.synapse_driver(h, CAL_DRIVER, enable_receiver=1, **ROW_MODES),
                       b.column_currents(h, used, used)]
            weights = np.zeros((2, ob.COLUMNS), np.int64)
            weights[:, cols] = CAL_WEIGHT
            labels = np.array([[CAL_LABEL[0]] * ob.COLUMNS, [CAL_LABEL[1]] * ob.COLUMNS])
            writes.append(b.synapse_rows(h, [2 * CAL_DRIVER, 2 * CAL_DRIVER + 1], weights,
                                         labels))
        self._write(b.concat(*writes))

    def teardown(self) -> None:
        """Undo the calibration routing (nodes, drivers, rows) so that it cannot leak into the
        network configured next; the calibrated neuron codes stay."""
        writes = []
        bus = CAL_DRIVER % 4
        for h in range(2):
            writes += [b.crossbar_node(8, 4 * h + bus, **DROP_ALL), b.padi_bus(h, 0),
                       b.synapse_driver(h, CAL_DRIVER),
                       b.synapse_rows(h, [2 * CAL_DRIVER, 2 * CAL_DRIVER + 1],
                                      np.zeros((2, ob.COLUMNS)), np.zeros((2, ob.COLUMNS)))]
        self._write(b.concat(*writes))

    def _traces(self, duration_us: float, overrides: dict[str, int] | None = None,
                reset: bool = False, stimulus: int | None = None,
                ) -> tuple[np.ndarray, np.ndarray]:
        """MADC traces (volts) of every neuron: (sample times in s, traces[neuron, sample])."""
        self._write(self._neuron_words(overrides))
        duration = int(duration_us * FPGA_TICKS_PER_US)
        traces = []
        times = None
        for chosen in _madc_pairs(self.neurons.tolist()):
            builder = PlaybackProgramBuilder()
            if reset:
                for n in chosen:
                    builder.write_many(*b.neuron_reset(n))
            builder.madc_record(chosen)
            if stimulus is not None:
                label = el.pack(el.PADI_LABEL, row_select=CAL_DRIVER // 4,
                                synapse_label=CAL_LABEL[stimulus])
                builder.inject(np.array([FPGA_TICKS_PER_US]), np.array([label]))
            builder.wait_until(duration)
            builder.madc_stop()
            madc = self._run(builder).madc
            for channel in range(len(chosen)):
                sel = madc["channel"] == channel
                t = madc["seconds"][sel]
                v = madc["value"][sel] * MADC_VOLT_PER_LSB
                times = t if times is None else times
                traces.append(np.interp(times, t, v))
        return times, np.array(traces)

    # -- measurements ------------------------------------------------------------------------
    def measure(self) -> Measurement:
        """All quantities for the current codes."""
        _, rest = self._traces(4.0)
        leak = rest.mean(axis=1)
        t, tonic = self._traces(20.0, {"v_leak": DEFAULT_CODES["v_threshold"] + 150})
        tonic = tonic[:, t > 3e-6]  # after the first reset: the rest value lies above threshold
        threshold = tonic.max(axis=1) + _threshold_correction(tonic)
        t, relax = self._traces(30.0, {"v_reset": DEFAULT_CODES["v_leak"] - 150,
                                       "v_threshold": CODE_MAX}, reset=True)
        tau_mem = np.array([_fit_relaxation(t, v, e) for v, e in zip(relax, leak, strict=True)])
        fits = {}
        for channel in (0, 1):
            t, psp = self._traces(40.0, {"v_threshold": CODE_MAX}, stimulus=channel)
            t_rel = t - 1e-6
            fits[channel] = [_fit_psp(t_rel, v, e, tm, sign=1 - 2 * channel)
                             for v, e, tm in zip(psp, leak, tau_mem, strict=True)]
        return Measurement(
            leak=leak, threshold=threshold, tau_mem=tau_mem,
            tau_exc=np.array([f[0] for f in fits[0]]), tau_inh=np.array([f[0] for f in fits[1]]),
            drive_exc=np.array([f[1] for f in fits[0]]),
            drive_inh=np.array([f[1] for f in fits[1]]))

    def step(self, m: Measurement) -> None:
        """Move every neuron's codes towards the targets by the transfer functions' shapes."""
        tg = self.targets
        for k, n in enumerate(self.neurons.tolist()):
            c = self.codes[n]
            _linear(c, "v_leak", tg.leak_v - m.leak[k])
            _linear(c, "v_threshold", tg.leak_v + tg.threshold_gap_v - m.threshold[k])
            c["v_reset"] = c["v_leak"]
            _inverse_square(c, "i_bias_leak", m.tau_mem[k] / tg.tau_mem_s)
            _inverse_square(c, "i_bias_synin_exc_tau", m.tau_exc[k] / tg.tau_syn_s)
            _inverse_square(c, "i_bias_synin_inh_tau", m.tau_inh[k] / tg.tau_syn_s)
            _proportional(c, "i_bias_synin_exc_gm", tg.drive / m.drive_exc[k])
            _proportional(c, "i_bias_synin_inh_gm", tg.drive / m.drive_inh[k])

    def calibrate(self, rounds: int = 4, progress: Callable[[int, Measurement], None] | None
                  = None) -> tuple[Measurement, Measurement]:
        """Set up, measure, and update the codes `rounds` times; (before, after)."""
        self.setup()
        first = current = self.measure()
        for r in range(rounds):
            self.step(current)
            current = self.measure()
            if progress is not None:
                progress(r, current)
        self.teardown()
        return first, current


def _linear(codes: dict[str, int], name: str, error_v: float) -> None:
    if np.isfinite(error_v):
        codes[name] = int(np.clip(round(codes[name] + error_v / VOLT_PER_CODE), 0, CODE_MAX))


def _inverse_square(codes: dict[str, int], name: str, ratio: float) -> None:
    """tau ~ 1/(code+1)^2: code+1 scales with sqrt(measured / target)."""
    if np.isfinite(ratio) and ratio > 0:
        codes[name] = int(np.clip(round((codes[name] + 1) * np.sqrt(ratio) - 1), 1, CODE_MAX))


def _proportional(codes: dict[str, int], name: str, ratio: float) -> None:
    if np.isfinite(ratio) and ratio > 0:
        codes[name] = int(np.clip(round(codes[name] * ratio), 1, CODE_MAX))


def _threshold_correction(tonic: np.ndarray) -> np.ndarray:
    """Half the largest rise between two samples: the maximum sample misses the threshold by
    at most one sample's rise."""
    rise = np.diff(tonic, axis=1)
    return 0.5 * np.max(np.where(rise > 0, rise, 0), axis=1)


def _fit_relaxation(t: np.ndarray, v: np.ndarray, rest: float) -> float:
    gap = rest - v
    use = gap > 20 * MADC_VOLT_PER_LSB
    if use.sum() < 5:
        return np.nan
    slope = np.polyfit(t[use], np.log(gap[use]), 1)[0]
    return -1.0 / slope if slope < 0 else np.nan


def _fit_psp(t: np.ndarray, v: np.ndarray, rest: float, tau_mem: float, sign: int
             ) -> tuple[float, float]:
    """(tau_syn, drive) of V - E = sign q K(t) with K the synaptic kernel; least squares over a
    grid of tau_syn, q linear. q = w I_lsb / C (V/s)."""
    if not np.isfinite(tau_mem):
        return np.nan, np.nan
    use = t > 0
    t, y = t[use], sign * (v[use] - rest)

    def fit(tau: float) -> tuple[float, float]:
        d = 1.0 / tau_mem - 1.0 / tau
        k = t * np.exp(-t / tau_mem) if abs(d) < 1e-9 else \
            (np.exp(-t / tau) - np.exp(-t / tau_mem)) / d
        q = float(k @ y / (k @ k))
        return float(np.sum((y - q * k) ** 2)), q

    grid = np.log(np.geomspace(1e-6, 30e-6, 120))
    residuals = np.array([fit(np.exp(g))[0] for g in grid])
    i = int(np.clip(np.argmin(residuals), 1, grid.size - 2))
    r0, r1, r2 = residuals[i - 1:i + 2]
    curvature = r0 - 2 * r1 + r2
    step = grid[1] - grid[0]
    # vertex of the parabola through the three residuals around the grid minimum
    shift = 0.5 * (r0 - r2) / curvature if curvature > 0 else 0.0
    tau = float(np.exp(grid[i] + np.clip(shift, -1, 1) * step))
    return tau, fit(tau)[1]
