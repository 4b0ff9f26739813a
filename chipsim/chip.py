"""The emulated HICANN-X chip: omnibus register file, analog parameters with fixed-pattern
noise, event routing, and runs on one of the neuron engines."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from bss2emu.protocol import event_label as el
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.synapse import QUAD_COLUMNS

from . import background, parameters, reference
from . import engine as c_engine
from .analog import FixedPattern
from .cadc import Cadc
from .config import ChipConfig
from .correlation import CorrelationSensors
from .engine_types import Mode, NetworkTables, NeuronState
from .errors import ChipError, ParameterError
from .event_ring import EventRing
from .events import OUTPUT_EVENT_DTYPE, SPIKE_DTYPE, validate_input
from .geometry import (
    BACKGROUND_INPUT_BASE,
    CHIP_TICK_S,
    CHIP_TICKS_PER_FPGA_TICK,
    L2_INPUT_BASE,
    MADC_BITS,
    MADC_SAMPLE_INTERVAL_TICKS,
    ROUTING_LATENCY_TICKS,
    fpga_ticks,
)
from .parallel_rng import ParallelRng
from .ppu import bus as ppu_bus
from .ppu.core import EXTMEM_BYTES
from .ppu.unit import PpuUnit
from .registers import RegisterFile
from .routing import PADI_TRIGGER_INPUT_BASE, Layout, Router, neuron_label

ENGINES = ("auto", "event", "stepped", "reference")
COSTLY_BACKGROUND_RATE = 0.01
"""Background events per chip tick above which emulation slows down markedly."""
_MADC_LINES = {"neuron_top_even": (0, 0), "neuron_top_odd": (0, 1),
               "neuron_bottom_even": (1, 0), "neuron_bottom_odd": (1, 1)}
"""Readout source selection line -> (hemisphere, column parity) of the neurons on it."""
MADC_FULL_SCALE_V = 1.2
_NOISE_SALT = 0x5EED_B552


@dataclass
class RunResult:
    """What a run produced; times are relative to the start of the run."""

    events: np.ndarray  # OUTPUT_EVENT_DTYPE: events routed to the FPGA (L2)
    spikes: np.ndarray  # SPIKE_DTYPE: every neuron spike
    madc: np.ndarray | None = None  # (samples, recorded neurons) 10-bit codes
    madc_time: np.ndarray | None = None  # sample times in chip ticks
    madc_neurons: np.ndarray | None = None
    engine: str = "event"


def _finite_nonnegative(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ParameterError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


class Chip:
    """One emulated chip. The seed is its identity: the same seed is the same silicon
    (fixed-pattern noise) and gives the same bits for the same inputs."""

    def __init__(self, seed: int = 0, *, fpn_scale: float = 1.0, threshold_noise: float = 0.0,
                 jitter: float = 0.0) -> None:
        """`threshold_noise` is the per-spike threshold sigma in volts, `jitter` the scale of
        the half-normal comparator latency in seconds; both default to off."""
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ParameterError(f"chip seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self.fpn = FixedPattern.draw(self.seed, _finite_nonnegative("fpn_scale", fpn_scale))
        self.threshold_noise = _finite_nonnegative("threshold_noise", threshold_noise)
        self.jitter = _finite_nonnegative("jitter", jitter)
        self.correlation = CorrelationSensors(self.seed, fpn_scale)
        self.cadc = Cadc(self.seed, fpn_scale)
        self._parallel_rng: ParallelRng | None = None
        #: the FPGA's external memory (both PPUs reach it); held here, not cleared by reset()
        self.extmem = np.zeros(EXTMEM_BYTES, np.uint8)
        #: the FPGA's event recorder into extmem (configured by the FPGA, kept by reset())
        self.event_ring = EventRing(self.extmem)
        self.reset()

    def __getstate__(self) -> dict:
        """Copies and pickles leave out the cached engine network (a C object, rebuilt)."""
        return {**self.__dict__, "_quiet_net": None}

    # -- configuration --------------------------------------------------------------------
    def reset(self) -> None:
        """Chip reset: registers to their reset values, neurons at rest, time and counters 0."""
        self.config = ChipConfig()
        self.ppus = [PpuUnit(h, self.extmem) for h in range(ob.HEMISPHERES)]
        self._watch_event_ring()
        self._registers = RegisterFile(self.config, self._handlers(),
                                       {"background_spike_source": self._background_changed})
        self.time = 0  # chip ticks since reset
        self.spike_count = np.zeros(ob.NEURONS, np.int64)
        self.crossbar_drops = np.zeros(ob.CROSSBAR_INPUTS, np.int64)
        self.crossbar_events = np.zeros(ob.CROSSBAR_OUTPUTS, np.int64)
        self.madc_recording = False
        #: PADIEvent triggers not yet delivered: (pseudo input, label14), arriving when the
        #: next run starts (the write's time)
        self._pending_padi: list[tuple[int, int]] = []
        self._bg_enabled_at = np.zeros(ob.BACKGROUND_SOURCES, np.int64)
        self._bg_seed = np.zeros(ob.BACKGROUND_SOURCES, np.int64)  # loaded on enable
        self._cache_generation = -1
        #: the fan-out tables of the sources seen so far (`_FanCache`)
        self._fan_cache: _FanCache | None = None
        #: (structure generation, engine network) of the last event-engine segment
        self._quiet_net: tuple | None = None
        self._clear_in_flight()
        self._structure_generation = -1
        self._settled_generation = -1
        self.state = NeuronState.at_rest(self.parameters.e_leak)
        self._settled_generation = self._registers.generation

    @property
    def jtag_id(self) -> int:
        """JTAG IDCODE of a HICANN-X v3."""
        return ob.JTAG_IDCODE_HXV3

    def write(self, address: int, word: int, *, from_ppu: bool = False) -> None:
        """Write a 32-bit word to an omnibus address (OmnibusError names bad addresses/fields).
        A write by a running PPU changes the network in flight: neurons keep their state."""
        self._registers.write(address, word)
        if from_ppu:
            self._settled_generation = self._registers.generation

    def ppu_configured(self, weights_only: bool) -> None:
        """A PPU changed synapse configuration through vector I/O (neurons keep their state)."""
        self._registers.changed(weights_only)
        self._settled_generation = self._registers.generation

    def read(self, address: int) -> int:
        """Read a 32-bit word from an omnibus address."""
        return self._registers.read(address)

    def write_many(self, addresses, words) -> None:
        """Write many words in order (same result as repeated write(), vectorised for the
        synapse arrays)."""
        self._registers.write_many(addresses, words)

    def fields(self, kind: str, entry: int) -> dict[str, int]:
        """Logical field values the chip holds for a configuration container entry, e.g.
        fields("neuron_backend", 151) (entry numbers as halco enumerates them)."""
        return self._registers.fields(kind, entry)

    def _background_changed(self, entry: int, old: dict, new: dict) -> None:
        """Enabling a source loads its seed and starts its period counter (haldls)."""
        if new["enable"] and not old["enable"]:
            self._bg_enabled_at[entry] = self.time
            self._bg_seed[entry] = new["seed"]

    def configure_event_ring(self, enable: bool, base: int = 0, capacity: int = 0) -> None:
        """Enable (and reinitialise) or disable the FPGA's event ring in extmem (see
        chipsim.event_ring); OmnibusError if the ring does not fit. While enabled, PPU accesses
        to its header wait for the network (lockstep), so they see exactly the earlier events."""
        if enable:
            self.event_ring.enable(base, capacity)
        else:
            self.event_ring.disable()
        self._watch_event_ring()

    def _watch_event_ring(self) -> None:
        for unit in self.ppus:
            unit.core.watch(*self.event_ring.header_span())

    def _neuron_reset(self, neuron: int) -> None:
        self._settle()
        self.reset_neuron(neuron)

    def reset_neuron(self, neuron: int) -> None:
        """Pull one neuron's membrane to its reset potential now."""
        self.state.v[neuron] = self.parameters.v_reset[neuron]
        self.state.mode[neuron] = Mode.FREE

    def _handlers(self) -> dict:
        """Omnibus handlers of what is not configuration: triggers (any data word acts, as
        haldls sends 0), counters, CADC samples, and the PPU blocks."""
        ppus = self.ppus

        def neuron(block, index) -> int:
            return int(ob.BACKEND_TO_NEURON[block.first + index])

        def control_write(block, index, values):
            ppus[block.unit[0]].write_control(values, self.time)

        def counter_read(block, index):
            count = int(self.spike_count[neuron(block, index)])
            return {"count": count & 0xFF, "overflow": int(count > 0xFF)}

        def reset_quad(block, index, values):
            self._settle()
            for col in QUAD_COLUMNS[index].tolist():
                self.reset_neuron(block.unit[0] * ob.COLUMNS + int(col))

        def correlation_reset(block, index, values):
            row, quad = divmod(index, ob.QUADS_PER_ROW)
            for which in (0, 1):
                self.correlation.reset(which, block.unit[0], row, QUAD_COLUMNS[quad])

        def cadc_read(block, index):
            h, which, buffered = block.unit
            row, quad = divmod(index, ob.QUADS_PER_ROW)
            cols = QUAD_COLUMNS[quad]
            if buffered:
                codes = self.cadc.buffer[which, h, row, cols]
            else:
                switch = (self.config.cadc_neuron_causal, self.config.cadc_neuron_acausal)[which]
                codes = self.cadc.convert(which, h, row, cols,
                                          self.correlation.accumulator[which, h, row, cols],
                                          self.state.v[h * ob.COLUMNS + cols], switch[h, cols])
            return {f"sample_{e}": int(c) for e, c in enumerate(codes)}

        def padi_event(block, index, values):
            self._settle()
            h = block.unit[0]
            spl1 = int(self.config.padi.enable_spl1[h])
            label14 = el.pack(el.PADI_LABEL, row_select=values["row_select_address"],
                              synapse_label=values["event_address"])
            for bus in range(ob.PADI_BUSES):
                if values["fire_bus"] >> bus & 1 and not spl1 >> bus & 1:
                    self._pending_padi.append((PADI_TRIGGER_INPUT_BASE
                                               + h * ob.PADI_BUSES + bus, label14))

        def counter(array):
            def read(block, index):
                width = block.container.fields["value"]
                return {"value": int(array()[index]) & ((1 << width) - 1)}
            return read

        no_effect = (None, lambda block, index, values: None)
        return {
            "neuron_reset": (None, lambda b, i, v: self._neuron_reset(neuron(b, i))),
            "spike_counter_reset": (None, lambda b, i, v: self._spike_counter_reset(neuron(b, i))),
            "spike_counter_read": (counter_read, None),
            "neuron_reset_quad": (None, reset_quad),
            "correlation_reset": (None, correlation_reset),
            "cadc_sample_quad": (cadc_read, None),
            "crossbar_input_drop_counter": (counter(lambda: self.crossbar_drops), None),
            "crossbar_output_event_counter": (counter(lambda: self.crossbar_events), None),
            "block_post_pulse": no_effect,
            "padi_event": (None, padi_event),
            "madc_control": (None, lambda b, i, v: self.madc_control(v)),
            "ppu_memory": (lambda b, i: {"value": ppus[b.unit[0]].read_word(i)},
                           lambda b, i, v: ppus[b.unit[0]].write_word(i, v["value"])),
            "ppu_control": (lambda b, i: dict(ppus[b.unit[0]].control), control_write),
            "ppu_status": (lambda b, i: {"sleep": int(ppus[b.unit[0]].sleeping)}, None),
            "ppu_debug": (lambda b, i: {"value": ppus[b.unit[0]].debug_word(i)}, None),
            "ppu_stack_limit": (lambda b, i: {"address": ppus[b.unit[0]].core.stack_limit},
                                lambda b, i, v: setattr(ppus[b.unit[0]].core, "stack_limit",
                                                        v["address"])),
        }

    def madc_control(self, values: dict[str, int]) -> None:
        """MADCControl strobes: start_recording starts sampling, stop_recording ends it (the
        other bits have no effect in the emulator)."""
        if values["start_recording"]:
            self.madc_recording = True
        if values["stop_recording"]:
            self.madc_recording = False
        #: PADIEvent triggers not yet delivered: (pseudo input, label14), arriving when the
        #: next run starts (the write's time)
        self._pending_padi: list[tuple[int, int]] = []

    def _madc_lines(self) -> list[tuple[int, int]]:
        """(channel, neuron) the MADC samples: channel m is readout multiplexer m; of the neuron
        lines it selects, the first with a neuron whose readout is on gives the neuron (the
        lowest-numbered one if several drive the line: bss2emu's choice)."""
        if not self.madc_recording:
            return []
        select = self.config.fields["readout_source_selection"]
        readout = np.flatnonzero(self.config.neuron.enable_readout)
        out = []
        for m in range(2):
            for line, (h, parity) in _MADC_LINES.items():
                if not select[f"mux_{m}_{line}"][0]:
                    continue
                on = readout[(readout // ob.COLUMNS == h) & (readout % 2 == parity)]
                if on.size:
                    out.append((m, int(on[0])))
                    break
        return out

    def costly(self) -> bool:
        """Whether a millisecond of emulated time is expensive: AdEx neurons (time-stepped
        engine) or background sources sending more than one event per 100 chip ticks."""
        bg = self.config.background
        on = bg.enable.astype(bool) & (bg.period > 0)
        rate = float(np.sum(1.0 / bg.period[on])) if on.any() else 0.0
        return rate > COSTLY_BACKGROUND_RATE or bool(self.parameters.adex_enable.any())

    def madc_neurons(self) -> list[int]:
        """Neurons the MADC samples now, in channel order (empty when not recording)."""
        return [n for _, n in self._madc_lines()]

    def madc_channels(self) -> list[int]:
        """Channel of each neuron of `madc_neurons()`."""
        return [m for m, _ in self._madc_lines()]

    @property
    def parallel_rng(self) -> ParallelRng:
        """The per-column random generators (built on first use)."""
        if self._parallel_rng is None:
            self._parallel_rng = ParallelRng(self.seed)
        return self._parallel_rng

    def _spike_counter_reset(self, neuron: int) -> None:
        self.spike_count[neuron] = 0

    # -- derived state ----------------------------------------------------------------------
    def _refresh(self) -> None:
        regs = self._registers
        if self._cache_generation == regs.generation:
            return
        if self._structure_generation != regs.structure_generation:
            self._params = parameters.compute(self.config, self.fpn)
            self._router = Router(self.config, self._params.drive_exc, self._params.drive_inh,
                                  self.fpn.synapse)
            self._structure_generation = regs.structure_generation
            self._weights_stale = False
            enabled = self.config.backend.enable_spike_out[ob.NEURON_TO_BACKEND]
            labels = neuron_label(self.config, np.arange(ob.NEURONS))
            self._neuron_keys = [(int(n % ob.COLUMNS) // 32, int(labels[n]))
                                 if enabled[n] else None for n in range(ob.NEURONS)]
        else:  # only synapse weights changed: the router reads them when next asked
            self._weights_stale = True
        self._cache_generation = self._registers.generation

    def _fresh_router(self) -> Router:
        """The router with the current synapse weights."""
        self._refresh()
        if self._weights_stale:
            self._router.set_weights()
            self._weights_stale = False
        return self._router

    @property
    def parameters(self) -> parameters.NeuronParameters:
        """Physical neuron parameters for the current configuration (engine units)."""
        self._refresh()
        return self._params

    @property
    def router(self) -> Router:
        return self._fresh_router()

    def _settle(self) -> None:
        """Configuration access takes far longer than any neuron time constant: after a
        configuration change the next run starts with every neuron at rest."""
        if self._settled_generation != self._registers.generation:
            index = self.state.spike_index
            self.state = NeuronState.at_rest(self.parameters.e_leak)
            self.state.spike_index = index
            self._settled_generation = self._registers.generation
            self._clear_in_flight()

    def _clear_in_flight(self) -> None:
        """Forget neuron spikes still on their way to synapses (reset, settling)."""
        self._in_flight = (np.zeros(0, np.int64), np.zeros(0, np.int32))

    def _take_in_flight(self, t_end: int) -> tuple[np.ndarray, np.ndarray]:
        """Spikes of earlier runs that arrive at synapses during the next `t_end` ticks:
        (arrival ticks relative to now, source neurons); later ones stay in flight."""
        arrival, neuron = self._in_flight
        now = arrival < self.time + t_end
        self._in_flight = (arrival[~now], neuron[~now])
        return arrival[now] - self.time, neuron[now]

    # -- running ----------------------------------------------------------------------------
    def run(self, input_events=None, duration: int = 0, *, engine: str = "auto",
            record=None, substeps: int = 4) -> RunResult:
        """Run for `duration` FPGA ticks, injecting `input_events` (INPUT_EVENT_DTYPE).

        engine: 'event' (exact, default for LIF), 'stepped' (needed for AdEx), 'reference' (slow
        Python model of the event engine) or 'auto'. record: neurons whose membrane the MADC
        samples (10 bit, 29.4 MSa/s): exact closed-form samples on the event engines.
        """
        if engine not in ENGINES:
            raise ChipError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        if not isinstance(duration, (int, np.integer)) or duration <= 0:
            raise ChipError(f"duration must be a positive number of FPGA ticks, got {duration!r}")
        events = validate_input(input_events, int(duration))
        record_neurons = self._record_neurons(record)
        params = self.parameters
        adex = bool(params.adex_enable.any())
        if engine == "auto":
            engine = "stepped" if adex else "event"
        if engine in ("event", "reference") and adex:
            raise ChipError(f"the {engine} engine is LIF-only; use engine='stepped' for AdEx "
                            "neurons")
        self._settle()
        t_end = int(duration) * CHIP_TICKS_PER_FPGA_TICK
        tick = events["time"].astype(np.int64) * CHIP_TICKS_PER_FPGA_TICK
        label = events["label"].astype(np.int64)
        if not any(u.active for u in self.ppus):
            return self._segment(tick, label, t_end, engine, record_neurons, substeps)
        return self._run_with_ppus(tick, label, t_end, engine, record_neurons, substeps)

    def _run_with_ppus(self, tick: np.ndarray, label: np.ndarray, t_end: int, engine: str,
                       record: np.ndarray, substeps: int) -> RunResult:
        """Lockstep: the PPUs run until their next access outside the core; the network is
        brought up to that tick, the access is served, and so on to the end of the run."""
        end = self.time + t_end
        start = self.time
        parts: list[tuple[int, RunResult]] = []
        while True:
            stops = []
            for unit in self.ppus:
                while unit.active and (at := unit.run_until(end)) is not None:
                    if ppu_bus.needs_network(unit):
                        stops.append((at, unit.hemisphere))
                        break
                    self._serve(unit)  # the network's state does not matter to this access
            due = [s for s in stops if s[0] < end]
            now = min([s[0] for s in due], default=end)
            if now > self.time:
                first = self.time - start
                sel = (tick >= first) & (tick < now - start)
                parts.append((first, self._segment(tick[sel] - first, label[sel],
                                                   now - self.time, engine, record,
                                                   substeps)))
            if not due:
                break
            for _, h in sorted(s for s in due if s[0] == now):
                self._serve(self.ppus[h])
        return _concatenate(parts, engine)

    def _serve(self, unit: PpuUnit) -> None:
        """Serve a PPU's pending access; one without a target faults the core instead."""
        try:
            ppu_bus.serve(self, unit)
        except ppu_bus.BusError as err:
            unit.bus_error(str(err))

    def _segment(self, tick: np.ndarray, label: np.ndarray, t_end: int, engine: str,
                 record: np.ndarray, substeps: int) -> RunResult:
        """Run the network for t_end chip ticks with FPGA events at `tick` (relative)."""
        if (engine == "event" and not tick.size and not self._in_flight[0].size
                and not self._pending_padi and not record.size):
            quiet = self._quiet_segment(t_end)
            if quiet is not None:
                return quiet
        result = RunResult(events=None, spikes=None, engine=engine)  # type: ignore[arg-type]
        # spikes of an earlier run (or segment) still travelling to their synapses arrive now
        carry_tick, carry_neuron = self._take_in_flight(t_end)
        quiet = not carry_tick.size and not tick.size
        tables, in_tick, in_source, source_l2, keys, stale = self._tables(tick, label, t_end,
                                                                          stale_ok=quiet)
        arr_tick, arr_source = in_tick, in_source
        if carry_tick.size:
            arr_tick = np.concatenate([carry_tick, in_tick])
            arr_source = np.concatenate([carry_neuron, in_source]).astype(np.int32)
            order = np.argsort(arr_tick, kind="stable")
            arr_tick, arr_source = arr_tick[order], arr_source[order]
        before = _copy_state(self.state) if stale else None
        ticks, neurons, trace = self._engine(engine, tables, arr_tick, arr_source, t_end, record,
                                             substeps)
        if stale and ticks.size:
            # a neuron fired while the fan-outs were those of an earlier configuration (e.g.
            # between PPU weight writes): run again with the current ones
            self.state = before
            tables, in_tick, in_source, source_l2, keys, _ = self._tables(tick, label, t_end)
            ticks, neurons, trace = self._engine(engine, tables, in_tick, in_source, t_end,
                                                 record, substeps)
        if record.size:
            result.madc = np.clip(np.round(trace / MADC_FULL_SCALE_V * (2**MADC_BITS - 1)),
                                  0, 2**MADC_BITS - 1).astype(np.uint16)
            result.madc_time = np.arange(trace.shape[0]) * MADC_SAMPLE_INTERVAL_TICKS
            result.madc_neurons = record
        result.spikes, result.events = c_engine.output_records(
            ticks, neurons, in_tick, in_source, source_l2, self.spike_count)
        late = int(np.searchsorted(ticks, t_end - ROUTING_LATENCY_TICKS))  # (spikes are sorted)
        if late < ticks.size:
            flying_tick, flying_neuron = self._in_flight
            self._in_flight = (
                np.concatenate([flying_tick, self.time + ticks[late:] + ROUTING_LATENCY_TICKS]),
                np.concatenate([flying_neuron, neurons[late:]]).astype(np.int32))
        if self.event_ring.enabled:
            self.event_ring.record(self.time, tick, label, result.events["chip_time"],
                                   result.events["label"])
        if self.config.corr_internal_causal.any() or self.config.corr_internal_acausal.any():
            self._correlate(keys, in_tick, in_source, ticks, neurons)
        self._pending_padi = []
        if self._crossbar_counters_on():
            sources = np.concatenate([neurons, in_source]).astype(np.int64)
            self._count_crossbar(keys, np.bincount(sources, minlength=len(keys)))
        self.time += t_end
        return result

    def _crossbar_counters_on(self) -> bool:
        return bool(self.config.crossbar.enable_drop_counter.any()
                    or self.config.fields["crossbar_output_config"]["enable_event_counter"][0])

    def _count_crossbar(self, keys: list, counts: np.ndarray) -> None:
        """Crossbar counters for `counts[i]` events of source key i: an output's event counter
        counts what passes its node (when enabled in CrossbarOutputConfig), an input's drop
        counter what its drop-counting nodes filter out (bss2emu's reading of "drop")."""
        node = self.config.crossbar
        enabled = self.config.fields["crossbar_output_config"]["enable_event_counter"][0]
        for key, count in zip(keys, counts.tolist(), strict=True):
            if key is None or not count:
                continue
            x, label14 = key
            if x >= ob.CROSSBAR_INPUTS:  # a PADI trigger event: never crosses the crossbar
                continue
            nodes = ob.NODES_OF_INPUT[x]
            passes = (label14 & node.mask[nodes]) == node.target[nodes]
            for o in ob.CROSSBAR_NODES[nodes[passes], 1].tolist():
                if int(enabled) >> o & 1:
                    self.crossbar_events[o] += count
            self.crossbar_drops[x] += count * int(np.sum(~passes & (
                node.enable_drop_counter[nodes] != 0)))

    def _quiet_segment(self, t_end: int) -> RunResult | None:
        """A segment without arrivals (no FPGA event, no spike in flight, no background
        source) in which no neuron fires, run on the last engine network of this configuration
        structure (weight changes do not matter without arrivals): the cheap path for the many
        short segments between PPU accesses. None when it does not apply."""
        self._refresh()
        net = self._quiet_net
        if (net is None or net[0] != self._structure_generation
                or self.config.background.enable.any()):
            return None
        before = _copy_state(self.state)
        ticks, _, _ = c_engine.event_run(net[1], self.state, _NO_TICKS, _NO_SOURCES, t_end)
        if ticks.size:
            self.state = before
            return None
        self.time += t_end
        return RunResult(events=np.empty(0, OUTPUT_EVENT_DTYPE),
                         spikes=np.empty(0, SPIKE_DTYPE), engine="event")

    def _engine(self, engine: str, tables: NetworkTables, arr_tick: np.ndarray,
                arr_source: np.ndarray, t_end: int, record: np.ndarray, substeps: int):
        """Advance the neuron state by t_end ticks with one engine: (spike ticks, neurons,
        membrane trace or None)."""
        if engine == "event":
            quiet = self._quiet_net
            if quiet is not None and quiet[0] == self._structure_generation \
                    and quiet[1].retarget(tables):
                net = quiet[1]
            else:
                net = c_engine.CNetwork(tables)
                self._quiet_net = (self._structure_generation, net)
            return c_engine.event_run(net, self.state, arr_tick, arr_source, t_end, record,
                                      MADC_SAMPLE_INTERVAL_TICKS)
        if engine == "reference":
            return reference.event_run(tables, self.state, arr_tick, arr_source, t_end, record,
                                       MADC_SAMPLE_INTERVAL_TICKS)
        active = self._active(tables, record)
        return c_engine.stepped_run(c_engine.CNetwork(tables), self.state, arr_tick, arr_source,
                                    t_end, substeps, active, record, MADC_SAMPLE_INTERVAL_TICKS)

    def _correlate(self, keys, in_tick, in_source, ticks, neurons) -> None:
        """Feed one segment's synapse arrivals and neuron spikes to the correlation sensors."""
        pre = []
        arrivals = [(in_tick, in_source),
                    (ticks + ROUTING_LATENCY_TICKS, neurons)]
        for when, source in arrivals:
            for t, src in zip(when.tolist(), source.tolist(), strict=True):
                key = keys[src]
                if key is None:
                    continue
                for rs in self._fresh_router().row_sets(key):
                    pre.append((self.time + t, rs.hemisphere, rs.rows, rs.match))
        self.correlation.record(self.config, pre, self.time + ticks, neurons)

    def _record_neurons(self, record) -> np.ndarray:
        if record is None:
            return np.zeros(0, np.int32)
        rec = np.atleast_1d(np.asarray(record))
        if rec.size and (not np.issubdtype(rec.dtype, np.integer) or rec.min() < 0
                         or rec.max() >= ob.NEURONS):
            raise ChipError(f"record must list neuron indices 0..{ob.NEURONS - 1}, got {record!r}")
        return rec.astype(np.int32)

    def _tables(self, tick: np.ndarray, label: np.ndarray, t_end: int, stale_ok: bool = False):
        """Engine tables for a run: neurons first, then one source per distinct external
        (crossbar input, label); arrivals in chip ticks, FPGA events before background ones.
        Also returns the routing key of every source, and whether the fan-outs are stale:
        with `stale_ok` and no external source, the fan-outs of an earlier configuration are
        returned instead of rebuilt (valid only if no neuron spikes; see `_segment`).
        `tick` (the FPGA events') is sorted, as `run` checks."""
        self._refresh()
        bg_tick, bg_src, bg_label = background.generate(
            self.config, self._bg_enabled_at, self._bg_seed, self.time, self.time + t_end)
        # runs split by PPU accesses see the same configuration again with varying subsets of
        # the sources: one table per configuration generation holds every source seen so far,
        # and the FPGA source of each label seen (a lookup instead of hashing the keys)
        cached = self._fan_cache
        source = None if cached is None else cached.label_source[label]
        new_keys = []  # of the sources the table lacks: FPGA labels in ascending order first
        fresh = source is None or bool(source.size and source.min() < 0)  # unknown labels
        if fresh:
            # the distinct 16-bit labels in ascending order (counting beats np.unique's sort)
            unseen = label if source is None else label[source < 0]
            labels = np.flatnonzero(np.bincount(unseen, minlength=1 << 16))
            channel = L2_INPUT_BASE + el.unpack(el.SPIKE_LABEL, labels, "spl1_address")
            new_keys += zip(channel.tolist(),
                            el.unpack(el.SPIKE_LABEL, labels, "neuron_label").tolist(),
                            strict=True)
        bg_keys = []
        if bg_src.size:
            unique, bg_inverse = np.unique(
                np.stack([BACKGROUND_INPUT_BASE + bg_src, bg_label], axis=1), axis=0,
                return_inverse=True)
            bg_keys = [(int(x), int(lab)) for x, lab in unique]
        other_keys = bg_keys + list(dict.fromkeys(self._pending_padi))  # background, PADI
        new_keys += [k for k in other_keys if cached is None or k not in cached.index]
        generation = self._registers.generation
        stale = False
        if cached is not None and cached.generation == generation and not new_keys:
            pass
        elif stale_ok and cached is not None and not label.size and not other_keys:
            stale = True  # neuron sources come first in any cached table
        else:
            key_list = new_keys if cached is None else cached.key_list + new_keys
            cached = self._fan_cache = self._fan_tables(generation, key_list, cached)
            if fresh:
                source = cached.label_source[label]
        fpga_src = ob.NEURONS + source
        if not other_keys:  # FPGA events only: already in time order
            in_tick, in_source = tick, fpga_src.astype(np.int32)
        else:
            bg_index = np.array([cached.index[k] for k in bg_keys], np.int64)
            bg_srcs = bg_index[bg_inverse.reshape(-1)] if bg_keys else bg_index
            padi_srcs = np.array([cached.index[k] for k in self._pending_padi], np.int64)
            in_tick = np.concatenate([tick, bg_tick - self.time,
                                      np.zeros(len(self._pending_padi), np.int64)])
            in_source = np.concatenate([fpga_src, ob.NEURONS + bg_srcs,
                                        ob.NEURONS + padi_srcs]).astype(np.int32)
            order = np.argsort(in_tick, kind="stable")
            in_tick, in_source = in_tick[order], in_source[order]
        return (self._network_tables(cached.fan), in_tick, in_source, cached.fan[4],
                cached.keys, stale)

    def _fan_tables(self, generation: int, key_list: list, earlier: _FanCache | None = None
                    ) -> _FanCache:
        """The fan-out tables of the neurons and the external sources `key_list` (in this
        order) for the current configuration; `earlier`, a cache whose key list begins
        `key_list`, hands over its FPGA label lookup (extended here by the new keys) and, if
        neither the sources nor the routing structure changed since, its layout."""
        router = self._fresh_router()
        if earlier is not None and len(earlier.key_list) == len(key_list) \
                and earlier.structure_generation == self._structure_generation:
            keys, layout = earlier.keys, earlier.layout  # only the weights changed
        else:
            keys = self._neuron_keys + key_list
            layout = router.layout(keys)
        if earlier is None:
            label_source, known = np.full(1 << 16, -1, np.int64), 0
        else:
            label_source, known = earlier.label_source, len(earlier.key_list)
        if len(key_list) > known:
            x, label14 = np.array(key_list[known:], np.int64).reshape(-1, 2).T
            fpga = np.flatnonzero((x >= L2_INPUT_BASE) & (x < BACKGROUND_INPUT_BASE))
            label_source[el.pack(el.SPIKE_LABEL, spl1_address=x[fpga] - L2_INPUT_BASE,
                                 neuron_label=label14[fpga])] = known + fpga
        return _FanCache(generation, key_list, {k: i for i, k in enumerate(key_list)},
                         self._structure_generation, keys, layout, router.tables(layout),
                         label_source)

    def _network_tables(self, fan: tuple) -> NetworkTables:
        """The engine tables of the current neuron parameters with the fan-outs `fan`."""
        p = self._params
        sizes, fan_neuron, fan_channel, fan_amp, _ = fan
        return NetworkTables(
            e_leak=p.e_leak, v_reset=p.v_reset, v_threshold=p.v_threshold, tau_mem=p.tau_mem,
            tau_syn_exc=p.tau_syn_exc, tau_syn_inh=p.tau_syn_inh, hold_ticks=p.hold_ticks,
            refractory_ticks=p.refractory_ticks, fire_enable=p.fire_enable,
            adex_enable=p.adex_enable, exp_enable=p.exp_enable, delta_t=p.delta_t,
            v_exp=p.v_exp, adapt_a=p.adapt_a, adapt_b=p.adapt_b, tau_adapt=p.tau_adapt,
            fan_ptr=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32),
            fan_neuron=fan_neuron, fan_channel=fan_channel, fan_amp=fan_amp,
            latency_ticks=ROUTING_LATENCY_TICKS,
            threshold_noise=self.threshold_noise, jitter=self.jitter / CHIP_TICK_S,
            noise_seed=(self.seed * 0x9E3779B1 + _NOISE_SALT) & 0xFFFFFFFFFFFFFFFF)

    def _active(self, tables: NetworkTables, record: np.ndarray) -> np.ndarray:
        """Neurons the stepped engine must integrate; all others sit exactly at rest."""
        st, p = self.state, self._params
        targeted = np.zeros(ob.NEURONS, bool)
        targeted[tables.fan_neuron] = True
        moving = (st.v != p.e_leak) | (st.je != 0) | (st.ji != 0) | (st.w != 0) | \
            (st.mode != Mode.FREE)
        tonic = p.fire_enable & (p.e_leak >= p.v_threshold)
        active = targeted | moving | tonic | p.adex_enable
        active[record] = True
        return np.flatnonzero(active).astype(np.int32)


@dataclass
class _FanCache:
    """The fan-out tables of one configuration generation: the external sources seen so far
    (keys in source order after the neurons, and key -> index among them), the generation of
    the routing structure, the keys of all sources and their layout (`Router.layout`), the
    tables (`Router.tables`) and the index among the external sources of the FPGA source of
    every 16-bit FPGA label (-1: not among them)."""

    generation: int
    key_list: list
    index: dict
    structure_generation: int
    keys: list
    layout: Layout
    fan: tuple
    label_source: np.ndarray


_NO_TICKS = np.zeros(0, np.int64)
_NO_SOURCES = np.zeros(0, np.int32)


def _copy_state(state: NeuronState) -> NeuronState:
    """An independent copy of the neuron state (engines update it in place)."""
    return NeuronState(**{f.name: getattr(state, f.name).copy() for f in fields(state)})


def _concatenate(parts: list[tuple[int, RunResult]], engine: str) -> RunResult:
    """One RunResult from consecutive segments that started `offset` chip ticks into the run."""
    if len(parts) == 1 and parts[0][0] == 0:
        return parts[0][1]
    out = RunResult(events=np.empty(0, OUTPUT_EVENT_DTYPE), spikes=np.empty(0, SPIKE_DTYPE),
                    engine=engine)
    if not parts:
        return out
    spikes, events = [], []
    for offset, r in parts:
        s = r.spikes.copy()
        s["chip_time"] += offset
        spikes.append(s)
        e = r.events.copy()
        e["chip_time"] += offset
        e["time"] = fpga_ticks(e["chip_time"])
        events.append(e)
    out.spikes, out.events = np.concatenate(spikes), np.concatenate(events)
    traced = [(offset, r) for offset, r in parts if r.madc is not None]
    if traced:
        out.madc = np.concatenate([r.madc for _, r in traced])
        out.madc_time = np.concatenate([r.madc_time + offset for offset, r in traced])
        out.madc_neurons = traced[0][1].madc_neurons
    return out
