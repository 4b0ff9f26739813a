"""On-chip training: the PPU computes every gradient and update; the host maps the network,
loads the learning program, streams samples (input spikes after a marker event carrying the
class) as playback programs and reads the program's counters.

Nothing here differentiates anything: the host's share is what a user of the real system does
(configuration, sample streaming, reading results). The initial weights, batch order and
learning-rate schedule are drawn exactly as the host trainer draws them (same seeds).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from bss2emu.host.chip.mapping import (
    MAX_WEIGHT,
    Placement,
    configuration_writes,
    marker_label,
    quantise,
    weight_writes,
)
from bss2emu.host.chip.neurons import TAU_US, WEIGHT_SCALE, NeuronSettings
from bss2emu.host.chip.runner import FPGA_TICKS_PER_US
from bss2emu.host.connection import Connection
from bss2emu.host.learning.adam import step_learning_rate
from bss2emu.host.learning.checkpoint import TrainState
from bss2emu.host.learning.config import TrainConfig
from bss2emu.host.learning.dataset import Dataset, Split
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.ppu.runner import load_writes, start_write, stop_write
from bss2emu.host.program import PlaybackProgramBuilder
from bss2emu.protocol import builders as b
from bss2emu.protocol import event_ring as er
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol.clocks import PPU_CYCLES_PER_US
from tqdm import tqdm

from .layout import OnChipLayout, label_quads, label_table, onchip_constants
from .program import extmem_used, onchip_program, with_parameters

OFFSET_US = 20.0          # from a program's start to its first sample
POLL_US = 50.0            # emulated time between two looks at the program's progress
HEMISPHERE = 0            # the PPU next to the input layer's synapses
EVAL_CHUNK = 250          # samples per evaluation program
FIRST_PERIOD_US = 2000.0  # sample period until the PPU's time per sample has been measured
PERIOD_MARGIN = 1.1       # sample period / the PPU's measured time per sample


class OnChipError(RuntimeError):
    """The on-chip program failed or fell behind (the message says what it reported)."""


def _q(value: float, bits: int) -> int:
    return int(round(value * (1 << bits)))


@dataclass
class Counters:
    """The program's counters (onchip.h), as read at one moment."""

    words: np.ndarray

    def __getitem__(self, name: str) -> int:
        return int(self.words[onchip_constants()[name]])

    def loss(self, kind: str) -> float:
        raw = (self[f"{kind}_LOSS_HI"] << 32) | self[f"{kind}_LOSS_LO"]
        return float(np.int64(np.uint64(raw))) / 65536.0


class OnChipTrainer:
    """One on-chip training run on a connected (emulated) chip; mirrors Trainer's interface
    (run_epoch, train, test, state, history)."""

    def __init__(self, config: TrainConfig, data: Dataset, connection: Connection,
                 settings: NeuronSettings | None = None, state: TrainState | None = None,
                 window_us: float = 180.0) -> None:
        self.config = config
        self.data = data
        self.connection = connection
        self.window_us = window_us
        self._check(config, data, state)
        sizes = [data.n_inputs, *config.hidden, data.n_classes]
        init_seq, train_seq = np.random.SeedSequence(config.seed).spawn(2)
        self.rng = np.random.default_rng(train_seq)
        init_rng = np.random.default_rng(init_seq)
        weights = [init_rng.normal(mean, std, (sizes[i] + len(config.bias_times[i]),
                                               sizes[i + 1]))
                   for i, (mean, std) in enumerate(config.weight_init)]
        self.epoch = 0
        self.history: list[dict] = []
        limit = MAX_WEIGHT / WEIGHT_SCALE
        self.initial = [np.clip(w, -limit, limit) for w in weights]
        self.placement = Placement(self.initial[0].shape[0], sizes[1], sizes[2])
        self.replicas = config.input_replicas
        self.bias = np.asarray(config.bias_times[0], np.float64)
        self._setup(settings)

    # -- checks and setup ------------------------------------------------------------------
    @staticmethod
    def _check(config: TrainConfig, data: Dataset, state: TrainState | None) -> None:
        if state is not None:
            raise LearningInputError("on-chip training cannot resume yet (its optimiser state "
                                     "lives on the chip); start a new run")
        if config.tau_ratio != 1:
            raise LearningInputError("on-chip learning runs tau_mem = tau_syn: --tau-ratio 1")
        if len(config.hidden) != 1 or config.bias_times[1]:
            raise LearningInputError("on-chip learning needs one hidden layer and bias spikes "
                                     "only in its input (the chip configuration)")
        n_in = data.n_inputs + len(config.bias_times[0])
        if n_in % config.input_replicas:
            raise LearningInputError("input channels must come in whole replica groups")

    def _setup(self, settings: NeuronSettings | None) -> None:
        p = self.placement
        hw_in, hw_out, self.report = quantise(p, *self.initial, WEIGHT_SCALE)
        config_writes = configuration_writes(p, settings)
        synapses = weight_writes(p, hw_in, hw_out)
        quads = label_quads(p)
        current = dict(zip(synapses[0].tolist(), synapses[1].tolist(), strict=True))
        quad_words = np.array([current[a] for a in quads.addresses.tolist()], np.uint32)
        program = onchip_program()
        self.layout = layout = OnChipLayout.plan(p.n_inputs, self.replicas, p.n_hidden,
                                                 p.n_labels, len(quads.addresses),
                                                 start=extmem_used(program))
        c = onchip_constants()
        groups = p.n_inputs // self.replicas
        control = np.zeros(c["WORDS"], np.uint32)
        control[c["BUMP_VALUE"]] = _q(self.config.bump_value, 24)
        extmem = [
            layout.words("control", control, ">u4"),
            layout.words("table", label_table(p, self.data.n_classes), ">u4"),
            layout.words("w1", np.round(self.initial[0] * (1 << 24)).astype(np.int64)),
            layout.words("w2", np.round(self.initial[1] * (1 << 24)).astype(np.int64)),
            *(layout.words(name, np.zeros(n, np.int64)) for name, n in
              (("g1", groups * p.n_hidden), ("m1", groups * p.n_hidden),
               ("g2", p.n_hidden * p.n_labels), ("m2", p.n_hidden * p.n_labels))),
            layout.words("v1", np.zeros(groups * p.n_hidden, np.uint64), ">u8"),
            layout.words("v2", np.zeros(p.n_hidden * p.n_labels, np.uint64), ">u8"),
            layout.words("hw1", hw_in, ">i1"),
            layout.words("quads", np.stack([quads.addresses, quad_words, quad_words], 1), ">u4"),
            layout.words("slots", quads.slots, ">u4"),
            layout.words("perm", OnChipLayout.permutation(), ">u1"),
        ]
        cfg = self.config
        ticks_per_tau = TAU_US * FPGA_TICKS_PER_US
        r = layout.regions
        parameters = {
            "n_in": p.n_inputs, "replicas": self.replicas, "n_hidden": p.n_hidden,
            "n_out": p.n_labels, "ticks_recip": _q(1.0 / ticks_per_tau, 32),
            "window_ticks": int(self.window_us * FPGA_TICKS_PER_US),
            "c_q16": _q(cfg.backward_params().c, 16), "xi_q16": _q(cfg.xi, 16),
            "alpha_q16": _q(cfg.alpha, 16), "beta_q16": _q(cfg.beta, 16),
            "max_dw_q24": _q(cfg.max_dw_norm, 24) if cfg.max_dw_norm is not None else 0,
            "max_missing_hidden_q16": _q(cfg.max_missing[0], 16),
            "max_missing_label_q16": _q(cfg.max_missing[1], 16),
            "bump_q24": _q(cfg.bump_value, 24),
            "w_limit_q24": _q(MAX_WEIGHT / WEIGHT_SCALE, 24), "scale": int(WEIGHT_SCALE),
            "ring_at": r["ring"].ppu_address, "control_at": r["control"].ppu_address,
            "table_at": r["table"].ppu_address,
            **{f"{name}_at": r[name].ppu_address for name in
               ("w1", "w2", "w1g", "g1", "m1", "v1", "g2", "m2", "v2", "hw1", "rows", "quads",
                "slots", "perm")},
            "n_quads": len(quads.addresses),
        }
        program = with_parameters(program, parameters)
        builder = PlaybackProgramBuilder(timer_setup=False)
        builder.write_many(*b.concat(config_writes, synapses))
        builder.write_many(*load_writes(program, HEMISPHERE))
        for addresses, words in extmem:
            builder.write_many(addresses, words)
        builder.write_many(*er.config_writes(r["ring"].offset, ring_capacity(r["ring"].size)))
        # the host needs none of the chip's events: only the PPU's ring records them
        builder.write(fr.EVENT_RECORDING_CONFIG,
                      fr.EVENT_RECORDING_CONFIG_WORD.build(enable_event_recording=0))
        builder.write(*start_write(HEMISPHERE))
        self._run(builder)
        self.batches_sent = 0
        #: time from one sample marker to the next: the window, or longer while the PPU needs
        #: more time per sample (it works on a sample while the next one runs)
        self.period_us = max(self.window_us, FIRST_PERIOD_US)
        self.update_us = 0.0  # the PPU's measured time per update

    def close(self) -> None:
        """Leave the chip as other clients expect it: the PPU held in reset, the event ring off,
        chip events streamed to the host again (the weights stay)."""
        builder = PlaybackProgramBuilder(timer_setup=False)
        builder.write(*stop_write(HEMISPHERE))
        builder.write_many(*er.disable_writes())
        builder.write(fr.EVENT_RECORDING_CONFIG,
                      fr.EVENT_RECORDING_CONFIG_WORD.build(enable_event_recording=1))
        self._run(builder)

    def __enter__(self) -> OnChipTrainer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- device access ------------------------------------------------------------------------
    def _run(self, builder: PlaybackProgramBuilder):
        result = self.connection.run(builder.done())
        if (why := result.rejection()) is not None:
            raise OnChipError(why)
        return result

    def _control_address(self, name: str) -> int:
        return int(self.layout.regions["control"].omnibus_words()[onchip_constants()[name]])

    def counters(self) -> Counters:
        """Read the program's control block."""
        builder = PlaybackProgramBuilder(timer_setup=False)
        ticket = builder.read_many(self.layout.regions["control"].omnibus_words())
        self._run(builder)
        return Counters(np.asarray(ticket.value, np.uint32))

    def _zero_counters(self) -> None:
        c = onchip_constants()
        names = ["TRAIN_SAMPLES", "TRAIN_CORRECT", "TRAIN_LOSS_HI", "TRAIN_LOSS_LO",
                 "EVAL_SAMPLES", "EVAL_CORRECT", "EVAL_LOSS_HI", "EVAL_LOSS_LO",
                 "SILENT_HIDDEN", "SILENT_LABEL", "GUARD_DROPS", "UPDATES", "BUMPS",
                 "SAMPLE_CYCLES", "UPDATE_CYCLES", "UNKNOWN_EVENTS", "LATE_EVENTS",
                 "GRADIENT_CYCLES", "OPTIMISER_CYCLES", "WRITE_CYCLES"]
        words = self.layout.regions["control"].omnibus_words()
        builder = PlaybackProgramBuilder(timer_setup=False)
        builder.write_many(words[[c[n] for n in names]], np.zeros(len(names), np.uint32))
        self._run(builder)

    # -- streaming ----------------------------------------------------------------------------
    def _stream(self, times: np.ndarray, labels: np.ndarray, evaluate: bool,
                learning_rate: float = 0.0) -> None:
        """One playback program: a marker and the inputs per sample, then the END marker; the
        program waits until the PPU has handled the END marker (the batch's update)."""
        c = onchip_constants()
        # evaluation costs the PPU little (loss and prediction): one window per sample
        period_us = self.window_us if evaluate else self.period_us
        n, period = len(times), round(period_us * FPGA_TICKS_PER_US)
        channels = np.concatenate([times, np.broadcast_to(self.bias, (n, self.bias.size))], 1)
        start = OFFSET_US * FPGA_TICKS_PER_US + np.arange(n) * period
        ticks = np.round(start[:, None] + channels * TAU_US * FPGA_TICKS_PER_US)
        finite = np.isfinite(channels)
        if (channels[finite] * TAU_US >= self.window_us).any():
            raise LearningInputError(f"input spike times must lie inside the {self.window_us} "
                                     "us window")
        marker_index = labels.astype(np.int64) | (c["MARKER_EVAL"] if evaluate else 0)
        end = OFFSET_US * FPGA_TICKS_PER_US + n * period
        all_ticks = np.concatenate([start, ticks[finite], [end]]).astype(np.int64)
        all_labels = np.concatenate([
            [marker_label(int(k)) for k in marker_index],
            np.broadcast_to(self.placement.input_labels, channels.shape)[finite],
            [marker_label(c["MARKER_END"])]]).astype(np.int64)
        order = np.argsort(all_ticks, kind="stable")
        builder = PlaybackProgramBuilder()
        builder.write(self._control_address("PERIOD"), period)
        builder.write(self._control_address("LEARNING_RATE"),
                      min(_q(learning_rate, 32), 0xFFFF_FFFF))
        builder.write(self._control_address("BATCH"), n)
        builder.inject(all_ticks[order], all_labels[order])
        builder.wait_until(int(end))
        self._run(builder)
        self.batches_sent += 1
        self._wait_for_ppu()
        self._pace(evaluate)

    def _pace(self, evaluate: bool) -> None:
        """Fit the sample period to the PPU's measured time per sample; refuse a batch whose
        events did not all reach the PPU (never silently corrupted)."""
        counters = self.counters()
        kind = "EVAL" if evaluate else "TRAIN"
        samples = counters[f"{kind}_SAMPLES"]
        if samples and not evaluate:
            per_sample_us = counters["SAMPLE_CYCLES"] / samples / PPU_CYCLES_PER_US
            self.period_us = max(self.window_us, PERIOD_MARGIN * per_sample_us)
            steps = counters["UPDATES"] + counters["BUMPS"]
            if steps:
                self.update_us = counters["UPDATE_CYCLES"] / steps / PPU_CYCLES_PER_US
        overflows = self.ring_overflows()
        if overflows:
            raise OnChipError(f"the FPGA dropped {overflows} events because the PPU fell "
                              f"behind (sample period {self.period_us:.0f} us)")

    def _wait_for_ppu(self, limit_us: float = 1e6) -> None:
        """Let emulated time pass until the program has handled every END marker sent: first
        the update time measured so far, then doubling steps."""
        waited, step = 0.0, max(POLL_US, self.update_us)
        address = self._control_address("BATCHES_DONE")
        while True:
            builder = PlaybackProgramBuilder()
            builder.wait_until(int(step * FPGA_TICKS_PER_US))
            done = builder.read(address)
            self._run(builder)
            waited += step
            if done.value == self.batches_sent:
                return
            if waited >= limit_us:
                raise OnChipError(f"the PPU has not finished after {waited:.0f} us (handled "
                                  f"{done.value} of {self.batches_sent} batches)")
            step *= 2

    def _noisy(self, times: np.ndarray) -> np.ndarray:
        if self.config.training_noise <= 0:
            return times
        return np.abs(times + self.rng.normal(0.0, self.config.training_noise, times.shape))

    def _evaluate(self, split: Split) -> tuple[float, float]:
        before = self.counters()
        for begin in range(0, len(split), EVAL_CHUNK):
            part = slice(begin, begin + EVAL_CHUNK)
            self._stream(split.times[part], split.labels[part], evaluate=True)
        after = self.counters()
        n = after["EVAL_SAMPLES"] - before["EVAL_SAMPLES"]
        if n != len(split):
            raise OnChipError(f"the PPU evaluated {n} of {len(split)} samples")
        correct = after["EVAL_CORRECT"] - before["EVAL_CORRECT"]
        return (after.loss("EVAL") - before.loss("EVAL")) / n, correct / n

    # -- training -------------------------------------------------------------------------
    def run_epoch(self, progress: bool = False) -> dict:
        """Stream one epoch of training batches, then the validation set; returns metrics."""
        cfg = self.config
        wall = time.perf_counter()
        lr = step_learning_rate(cfg.learning_rate, self.epoch, cfg.lr_step, cfg.lr_gamma)
        self._zero_counters()
        train = self.data.train
        order = self.rng.permutation(len(train))
        batches = [order[i:i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
        for idx in tqdm(batches, desc=f"epoch {self.epoch + 1}/{cfg.epochs}", leave=False,
                        disable=not progress, unit="batch"):
            self._stream(self._noisy(train.times[idx]), train.labels[idx], False, lr)
        counters = self.counters()
        val_loss, val_acc = self._evaluate(self.data.validation)
        self.epoch += 1
        samples = max(counters["TRAIN_SAMPLES"], 1)
        steps = max(counters["UPDATES"] + counters["BUMPS"], 1)
        metrics = {
            "epoch": self.epoch,
            "learning_rate": lr,
            "train_loss": counters.loss("TRAIN") / samples,
            "train_accuracy": counters["TRAIN_CORRECT"] / samples,
            "validation_loss": val_loss,
            "validation_accuracy": val_acc,
            "bumped_batches": counters["BUMPS"],
            "seconds": time.perf_counter() - wall,
            "ppu_cycles_per_sample": counters["SAMPLE_CYCLES"] / samples,
            "ppu_cycles_per_update": counters["UPDATE_CYCLES"] / steps,
            "ppu_gradient_cycles_per_sample": counters["GRADIENT_CYCLES"] / samples,
            "ppu_optimiser_cycles_per_update": counters["OPTIMISER_CYCLES"] / steps,
            "ppu_write_cycles_per_update": counters["WRITE_CYCLES"] / steps,
            "sample_period_us": self.period_us,
            "silent_hidden": counters["SILENT_HIDDEN"],
            "silent_labels": counters["SILENT_LABEL"],
            "guard_drops": counters["GUARD_DROPS"],
            "ring_overflows": self.ring_overflows(),
            "unknown_events": counters["UNKNOWN_EVENTS"],
        }
        if counters["TRAIN_SAMPLES"] != len(train):
            raise OnChipError(f"the PPU trained on {counters['TRAIN_SAMPLES']} of {len(train)} "
                              f"samples ({metrics['ring_overflows']} ring overflows)")
        self.history.append(metrics)
        return metrics

    def train(self, epochs: int, progress: bool = False, on_epoch=None) -> None:
        """Run epochs until `epochs` have been completed, calling `on_epoch` after each."""
        while self.epoch < epochs:
            self.run_epoch(progress)
            if on_epoch is not None:
                on_epoch(self)

    def test(self) -> tuple[float, float, None]:
        """(loss, accuracy, None) on the test split, evaluated by the PPU."""
        loss, accuracy = self._evaluate(self.data.test)
        return loss, accuracy, None

    def ring_overflows(self) -> int:
        """Events the FPGA dropped because the ring was full."""
        builder = PlaybackProgramBuilder(timer_setup=False)
        offset = self.layout.regions["ring"].offset + er.HEADER_OFFSETS["overflow_count"]
        ticket = builder.read(fr.EXTMEM_BASE + offset // 4)
        self._run(builder)
        return int(ticket.value)

    # -- results -----------------------------------------------------------------------------
    def _read(self, name: str, dtype: str) -> np.ndarray:
        region = self.layout.regions[name]
        builder = PlaybackProgramBuilder(timer_setup=False)
        ticket = builder.read_many(region.omnibus_words())
        self._run(builder)
        raw = np.asarray(ticket.value, np.uint32).astype(">u4").tobytes()
        return np.frombuffer(raw, dtype)

    def weights(self) -> list[np.ndarray]:
        """The shadow weights of both layers, read back from the chip (model units)."""
        p = self.placement
        w1 = self._read("w1", ">i4")[:p.n_inputs * p.n_hidden] / float(1 << 24)
        w2 = self._read("w2", ">i4")[:p.n_hidden * p.n_labels] / float(1 << 24)
        return [w1.reshape(p.n_inputs, p.n_hidden), w2.reshape(p.n_hidden, p.n_labels)]

    def state(self) -> TrainState:
        """A checkpoint in the format of the other modes (Adam moments per weight)."""
        p = self.placement
        groups = p.n_inputs // self.replicas
        m1 = self._read("m1", ">i4")[:groups * p.n_hidden].reshape(groups, p.n_hidden)
        v1 = self._read("v1", ">u8")[:groups * p.n_hidden].reshape(groups, p.n_hidden)
        m2 = self._read("m2", ">i4")[:p.n_hidden * p.n_labels].reshape(p.n_hidden, p.n_labels)
        v2 = self._read("v2", ">u8")[:p.n_hidden * p.n_labels].reshape(p.n_hidden, p.n_labels)
        counters = self.counters()
        return TrainState(
            config=self.config, epoch=self.epoch, weights=self.weights(),
            adam_m=[np.repeat(m1, self.replicas, 0) / 2.0**24, m2 / 2.0**24],
            adam_v=[np.repeat(v1, self.replicas, 0) / 2.0**48, v2 / 2.0**48],
            adam_steps=counters["ADAM_STEPS"],
            bump_layer=counters["BUMP_LAYER"] - 1 if counters["BUMP_LAYER"] else None,
            bump_value=counters["BUMP_VALUE"] / 2.0**24,
            rng_state=self.rng.bit_generator.state, history=list(self.history))


def ring_capacity(ring_bytes: int) -> int:
    """Entries of a ring region of `ring_bytes` bytes."""
    return (ring_bytes - er.HEADER_BYTES) // er.ENTRY_BYTES

