"""The PPU's fixed-point spike-time gradients, loss and prediction (ppu_programs/learning/fsgrad.c)
against the host's float reference (host/learning: layer_backward, SpikeTimeLoss, predictions).

A driver program (programs_learning/fsgrad_cases.c) runs batches of random single-sample cases
from the external memory on our PPU core. Inputs are quantised first (times Q16.16, weights,
errors and the threshold as the PPU sees them) and the reference runs on the quantised values,
so the comparison measures the PPU arithmetic alone.

Tolerances (per entry, Q8.24 results): |ppu - ref| <= 8 LSB + 2e-3 |ref| + 2e-5 max|ref| for
gradients and input errors (max over the gradient column or the err_in vector: errors in a
neuron's common factor 1 / (a1 (1 + W)) scale with it, and near-threshold neurons with
1 + W -> 0 are ill-conditioned); loss within 1e-4 + 1e-5 |L|, loss errors within 4 LSB +
1e-5 |ref|, predictions exact. Guard decisions must agree except for columns whose largest
entry lies within 1e-3 of the guard.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from bss2emu.chipsim.ppu.core import EXTMEM_BASE, EXTMEM_BYTES, PpuCore, Status
from bss2emu.host.chip.neurons import backward_threshold
from bss2emu.host.learning.gradients import layer_backward
from bss2emu.host.learning.loss import SpikeTimeLoss, predictions
from bss2emu.host.learning.neuron import NeuronParams
from bss2emu.host.learning.spiketime import first_spike_times
from bss2emu.host.onchip.program import extmem_used
from bss2emu.host.ppu.elf import read_program
from bss2emu.host.ppu.toolchain import build
from bss2emu.ppu_programs import ROOT

LEARNING_DIR = ROOT / "learning"
DRIVER = Path(__file__).parent / "programs_learning" / "fsgrad_cases.c"
NEVER = 2**31 - 1
LSB = 2.0**-24
MAX_CYCLES = 2_000_000_000
N_LAYER_CASES = {"5x120": 150, "120x3": 300, "small": 600}
N_LOSS_CASES = 500


def quantise(x: np.ndarray, frac: int) -> np.ndarray:
    """Round to a Q.frac int32 (saturating); non-finite values become FS_NEVER."""
    finite = np.isfinite(x)
    raw = np.round(np.where(finite, x, 0.0) * 2.0**frac)
    return np.where(finite, np.clip(raw, -(2**31), 2**31 - 1), NEVER).astype(np.int64)


def times_of(raw: np.ndarray) -> np.ndarray:
    """Q16.16 spike times back to floats (FS_NEVER -> inf)."""
    return np.where(raw == NEVER, np.inf, raw / 65536.0)


@dataclass
class LayerCase:
    """One layer of one sample, quantised; `result` holds what the PPU returned."""

    shape: str
    t_in: np.ndarray
    t_out: np.ndarray
    w: np.ndarray  # (n_in, n_out)
    err_out: np.ndarray
    c: int
    max_dw: int
    grad0: np.ndarray
    flags: int = 0
    result: dict = field(default_factory=dict)

    def words(self) -> list[int]:
        n_in, n_out = self.w.shape
        return [0, n_in, n_out, self.c, self.max_dw, self.flags, 0, 0, *self.t_in, *self.t_out,
                *self.w.ravel(), *self.err_out, *self.grad0.ravel(), *([0x5A5A5A5A] * n_in)]

    def read(self, words: np.ndarray) -> None:
        n_in, n_out = self.w.shape
        at = 8 + n_in + n_out + n_in * n_out + n_out
        self.result = {"drops": int(words[6]), "cycles": int(words[7]),
                       "grad": words[at:at + n_in * n_out].reshape(n_in, n_out),
                       "err_in": words[at + n_in * n_out:at + n_in * n_out + n_in]}


@dataclass
class LossCase:
    """One sample's loss, quantised; `result` holds what the PPU returned."""

    t: np.ndarray
    label: int
    xi: int
    alpha: int
    beta: int
    result: dict = field(default_factory=dict)

    def words(self) -> list[int]:
        return [1, len(self.t), self.label, self.xi, self.alpha, self.beta, 0, 0, 0, *self.t,
                *([0x5A5A5A5A] * len(self.t))]

    def read(self, words: np.ndarray) -> None:
        n = len(self.t)
        self.result = {"loss": int(words[6]), "cycles": int(words[7]),
                       "prediction": int(words[8]), "err": words[9 + n:9 + 2 * n]}


def run_cases(elf: Path, cases: list) -> None:
    """Run the cases on our PPU core in as few batches as the external memory allows (after
    the program's own code there)."""
    program = read_program(elf)
    at = extmem_used(program)
    program = program.with_symbol_value("cases_at", EXTMEM_BASE + at)
    core = PpuCore(extmem=True, halt_on_exception=True)
    limit_words = (EXTMEM_BYTES - at) // 4 - 1
    start = 0
    while start < len(cases):
        batch, words = [], []
        while start < len(cases) and len(words) + len(cases[start].words()) <= limit_words:
            batch.append(cases[start])
            words += cases[start].words()
            start += 1
        blob = struct.pack(f">{len(words) + 1}I", len(batch), *(w & 0xFFFFFFFF for w in words))
        core.write_memory(0, bytes(program.sram_image()))
        core.extmem[:] = 0
        for segment in program.segments_in("extmem"):
            core.write_memory(EXTMEM_BASE + segment.offset, segment.data)
        core.write_memory(EXTMEM_BASE + at, blob)
        core.reset()
        assert core.run(MAX_CYCLES) == Status.SLEEPING, core.fault
        back = np.frombuffer(core.read_memory(EXTMEM_BASE + at + 4, 4 * len(words)), ">i4")
        back = back.astype(np.int64)
        offset = 0
        for case in batch:
            size = len(case.words())
            case.read(back[offset:offset + size])
            offset += size


def chip_like_layer(rng: np.random.Generator, shape: str) -> LayerCase:
    """Chip-network statistics: inputs in [0, 3] (5 -> 120) or hidden times of such a layer
    (120 -> 3), weights so that most neurons fire, output times from first_spike_times (half
    of them perturbed by up to +-0.02 like measured ones), and for `small` random shapes."""
    c = int(round((backward_threshold() if rng.random() < 0.3 else rng.uniform(0.5, 2)) * 65536))
    params = NeuronParams(tau_ratio=1, threshold=c / 65536)
    origin = rng.uniform(-3, 10)
    if shape == "120x3":
        first = rng.uniform(0, 3, (1, 5))
        w_first = rng.normal(1.2, 0.6, (5, 120)) * params.c
        t_in = first_spike_times(first, quantise(w_first, 24) / 2**24, params) + origin
        n_out = 3
    else:
        n_in, n_out = (5, 120) if shape == "5x120" else tuple(rng.integers(1, 21, 2))
        t_in = rng.uniform(0, 3, (1, n_in)) + origin
        t_in[rng.random(t_in.shape) < 0.05] = np.inf
    n_in = t_in.shape[1]
    t_in = quantise(t_in[0], 16)
    mean = 2.5 / max(np.sqrt(n_in), 1.0) if shape != "5x120" else 1.0
    w = quantise(rng.normal(mean, 0.7 * mean, (n_in, n_out)) * params.c, 24)
    t_out = first_spike_times(times_of(t_in)[None], w / 2**24, params)
    if rng.random() < 0.5:
        t_out = t_out + rng.uniform(-0.02, 0.02, t_out.shape)
    err = quantise(rng.normal(0, 0.3, n_out), 24)
    max_dw = int(rng.choice([0, 2**24 // 2, 2**24 // 50])) if rng.random() < 0.5 else 0
    grad0 = quantise(rng.normal(0, 0.1, (n_in, n_out)), 24)
    flags = int(rng.integers(0, 4)) if rng.random() < 0.1 else 0
    return LayerCase(shape, t_in, quantise(t_out[0], 16), w, err, c, max_dw, grad0, flags)


def loss_case(rng: np.random.Generator) -> LossCase:
    """Label-layer times (some silent, sometimes the label's), loss parameters around the
    paper's."""
    n = 3 if rng.random() < 0.5 else int(rng.integers(1, 11))
    t = rng.uniform(0, 4, n) + rng.uniform(0, 6)
    t[rng.random(n) < 0.15] = np.inf
    xi, alpha, beta = (int(quantise(np.float64(v), 16))
                       for v in (rng.uniform(0.1, 1), rng.uniform(0, 0.05), rng.uniform(0.5, 5)))
    return LossCase(quantise(t, 16), int(rng.integers(0, n)), xi, alpha, beta)


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Path:
    sources = [DRIVER, LEARNING_DIR / "fsgrad.c", LEARNING_DIR / "fixed.c"]
    return build(sources, tmp_path_factory.mktemp("fsgrad") / "cases.elf",
                 include_dirs=[LEARNING_DIR])


@pytest.fixture(scope="module")
def layer_cases(driver) -> list[LayerCase]:
    rng = np.random.default_rng(2021)
    cases = [chip_like_layer(rng, shape) for shape, count in N_LAYER_CASES.items()
             for _ in range(count)]
    run_cases(driver, cases)
    return cases


def _reference(case: LayerCase) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(per-sample dL/dw without guard, dL/dt_in, largest |entry| per column) in floats."""
    params = NeuronParams(tau_ratio=1, threshold=case.c / 65536)
    args = (times_of(case.t_in)[None], case.w / 2**24, times_of(case.t_out)[None],
            case.err_out[None] / 2**24, params)
    grad, err_in = layer_backward(*args)
    return grad, err_in[0], np.abs(grad).max(axis=0)


def _excess(got: np.ndarray, ref: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
    """How far each entry lies outside the tolerance, in units of the tolerance (<= 1 passes)."""
    tol = 8 * LSB + 2e-3 * np.abs(ref) + 2e-5 * scale
    return np.abs(got - ref) / tol


def test_layer_backward_matches_float_reference(layer_cases):
    worst_abs, worst_rel, worst_excess, compared = 0.0, 0.0, 0.0, 0
    for case in layer_cases:
        grad_ref, err_in_ref, column_max = _reference(case)
        res = case.result
        guard = case.max_dw / 2**24
        borderline = np.abs(column_max - guard) <= 1e-3 * guard
        dropped = (column_max > guard) if case.max_dw > 0 else np.zeros_like(borderline)
        assert abs(res["drops"] - dropped.sum()) <= borderline.sum()
        if not case.flags & 1:
            got = (res["grad"] - case.grad0) / 2**24
            keep = ~(dropped | borderline)
            expected = np.where(keep[None], grad_ref, 0.0)
            cols = keep | ~borderline
            excess = _excess(got[:, cols], expected[:, cols], column_max[cols][None])
            worst_excess = max(worst_excess, excess.max(initial=0))
            diff = np.abs(got[:, cols] - expected[:, cols])
            worst_abs = max(worst_abs, diff.max(initial=0))
            big = np.abs(expected[:, cols]) > 1e-3
            worst_rel = max(worst_rel, (diff[big] / np.abs(expected[:, cols][big])).max(initial=0))
            compared += got.size
        if not case.flags & 2:
            got = res["err_in"] / 2**24
            excess = _excess(got, err_in_ref, np.abs(err_in_ref).max(initial=0))
            worst_excess = max(worst_excess, excess.max(initial=0))
        else:
            assert (res["err_in"] == 0x5A5A5A5A).all()
    print(f"\nfs_layer_backward: {len(layer_cases)} cases, {compared} gradient entries; worst "
          f"|err| {worst_abs:.3g}, worst relative error (|ref| > 1e-3) {worst_rel:.3g}, "
          f"worst tolerance use {worst_excess:.3g}")
    assert worst_excess <= 1.0


def test_layer_backward_large_factors(driver):
    """Output errors large enough that R = err / (S0 (1 + W)) exceeds the fixed-point multipliers
    (|R| >= 16): the software-float path, whose entries saturate at +-128 like the sums."""
    rng = np.random.default_rng(11)
    cases = []
    for _ in range(40):
        case = chip_like_layer(rng, "small")
        case.err_out = quantise(rng.normal(0, 30, case.err_out.shape), 24)
        case.max_dw, case.flags = 0, 2
        cases.append(case)
    run_cases(driver, cases)
    checked = 0
    for case in cases:
        grad_ref, _, _ = _reference(case)
        expected = np.clip(case.grad0 / 2**24 + grad_ref, -128, 128 - LSB)
        got = case.result["grad"] / 2**24
        inside = np.abs(case.grad0 / 2**24 + grad_ref) < 127  # clear of saturation
        excess = _excess(got[inside], expected[inside], np.abs(grad_ref).max(initial=0))
        assert excess.max(initial=0) <= 1.0
        assert np.all(np.abs(got[~inside]) >= 126)
        checked += int((np.abs(grad_ref) >= 16).sum())
    assert checked > 0  # the wide path ran


def test_layer_backward_cycles(layer_cases):
    """PPU cycles per call (printed; bounded so regressions show)."""
    for shape, bound in (("5x120", 160_000), ("120x3", 45_000)):
        cycles = np.array([c.result["cycles"] for c in layer_cases if c.shape == shape])
        print(f"\nfs_layer_backward {shape}: median {np.median(cycles):.0f}, max {cycles.max()} "
              "cycles")
        assert 0 < np.median(cycles) < bound


def test_loss_and_prediction_match_float_reference(driver):
    rng = np.random.default_rng(7)
    cases = [loss_case(rng) for _ in range(N_LOSS_CASES)]
    run_cases(driver, cases)
    worst_loss, worst_err = 0.0, 0.0
    for case in cases:
        t = times_of(case.t)[None]
        loss_fn = SpikeTimeLoss(xi=case.xi / 65536, alpha=case.alpha / 65536,
                                beta=case.beta / 65536)
        loss, err = loss_fn(t, np.array([case.label]))
        loss, err = min(loss, 2.0**15), np.clip(err, -128, 128 - LSB)  # Q16.16, Q8.24 saturate
        got_loss = case.result["loss"] / 65536
        assert abs(got_loss - loss) <= 1e-4 + 1e-5 * abs(loss), (case, loss)
        got_err = case.result["err"] / 2**24
        assert np.all(np.abs(got_err - err[0]) <= 4 * LSB + 1e-5 * np.abs(err[0])), (case, err)
        assert case.result["prediction"] == predictions(t)[0]
        worst_loss = max(worst_loss, abs(got_loss - loss))
        worst_err = max(worst_err, np.abs(got_err - err[0]).max())
    cycles = [c.result["cycles"] for c in cases if len(c.t) == 3]
    print(f"\nfs_loss: worst |dL| {worst_loss:.3g}, worst |d err| {worst_err:.3g}; "
          f"median {np.median(cycles):.0f} cycles for 3 labels")
