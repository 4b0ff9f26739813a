"""Plain-Python reference of the event-driven engine, for differential tests against the C core.

Mirrors chipsim/csrc/{lif,noise,event_engine}.c operation by operation (same order of floating
point operations, the same exponential and e^x - 1 (exp_kernel) and the other libm functions
through `math`), so both give identical output events.
It is slow and meant for small networks only.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .engine_types import Mode, NetworkTables, NeuronState
from .exp_kernel import exp, expm1_small

DEGENERATE_REL = 1e-6
ROOT_TOL = 1e-7
CRIT_TOL = 1e-4
EXPM1_BELOW = 1e-3
MAX_ITER = 200
BOUND_MARGIN = 1e-12
CONVERGED_STEP = 1e-2
SEPARATE_REL = 0.05
_MASK64 = (1 << 64) - 1
INF = math.inf


def kernel(dt: float, rate_mem: float, rate_syn: float) -> float:
    """Synaptic kernel: integral of exp(-s rs) exp(-(dt-s) rm) over [0, dt] (rates 1/tau)."""
    d = rate_mem - rate_syn
    x = dt * d
    if d == 0.0:
        return dt * exp(-dt * rate_mem)
    if abs(x) < EXPM1_BELOW:
        return exp(-dt * rate_mem) * (expm1_small(x) / d)
    return (exp(-dt * rate_syn) - exp(-dt * rate_mem)) / d


@dataclass(frozen=True)
class Rates:
    """Per-neuron rates and derived constants (mirrors bss2_rates in lif.h)."""

    mem: float
    exc: float
    inh: float
    inv_d_exc: float
    inv_d_inh: float
    peak_exc: float

    @classmethod
    def of(cls, tau_mem: float, tau_exc: float, tau_inh: float) -> Rates:
        rm, re, ri = 1.0 / tau_mem, 1.0 / tau_exc, 1.0 / tau_inh
        de, di = rm - re, rm - ri
        tpeak = tau_mem if rm == re else math.log(re / rm) / (re - rm)
        return cls(rm, re, ri, 1.0 / de if de != 0.0 else 0.0, 1.0 / di if di != 0.0 else 0.0,
                   kernel(tpeak, rm, re))


def _kernel_term(dt: float, em: float, es: float, d: float, inv_d: float) -> float:
    if d == 0.0:
        return dt * em
    x = dt * d
    if abs(x) < EXPM1_BELOW:
        return em * (expm1_small(x) * inv_d)
    return (es - em) * inv_d


def advance(dt: float, move_v: bool, v: float, je: float, ji: float, e_leak: float,
            r: Rates) -> tuple[float, float, float]:
    """(v, je, ji) after dt without input or spike; v stays unless move_v (mirrors lif.c)."""
    ee = exp(-dt * r.exc) if je != 0.0 else 0.0
    ei = exp(-dt * r.inh) if ji != 0.0 else 0.0
    if move_v:
        em = exp(-dt * r.mem)
        vn = e_leak + (v - e_leak) * em
        if je != 0.0:
            vn += je * _kernel_term(dt, em, ee, r.mem - r.exc, r.inv_d_exc)
        if ji != 0.0:
            vn -= ji * _kernel_term(dt, em, ei, r.mem - r.inh, r.inv_d_inh)
        v = vn
    return v, je * ee, ji * ei


def _slope_curvature(v: float, je: float, ji: float, e_leak: float, r: Rates
                     ) -> tuple[float, float]:
    """Slope and curvature of the membrane in the state (v, je, ji) (mirrors lif.c)."""
    slope = -(v - e_leak) * r.mem + je - ji
    return slope, -r.mem * slope - r.exc * je + r.inh * ji


def _membrane_derivatives(dt, v0, je0, ji0, e_leak, r: Rates):
    v, je, ji = advance(dt, True, v0, je0, ji0, e_leak, r)
    return (v, *_slope_curvature(v, je, ji, e_leak, r))


def _membrane(v0: float, je0: float, ji0: float, e_leak: float, r: Rates
              ) -> Callable[[float], tuple[float, float, float]]:
    """The membrane a search evaluates, t -> (v, slope, curvature) (mirrors membrane_init and
    membrane_derivatives in lif.c): the exponential sum e_leak + sum of c_k exp(-rate_k t)
    where a current flows and both synaptic rates differ from the membrane's by more than
    SEPARATE_REL, the propagation otherwise."""
    if not ((je0 != 0.0 or ji0 != 0.0) and abs(r.mem - r.exc) > SEPARATE_REL * r.mem
            and abs(r.mem - r.inh) > SEPARATE_REL * r.mem):
        return lambda t: _membrane_derivatives(t, v0, je0, ji0, e_leak, r)
    c = ((v0 - e_leak) - je0 * r.inv_d_exc + ji0 * r.inv_d_inh, je0 * r.inv_d_exc,
         -ji0 * r.inv_d_inh)
    neg = (-r.mem, -r.exc, -r.inh)
    sq = tuple(x * x for x in neg)

    def at(t: float) -> tuple[float, float, float]:
        term = [ck * exp(t * nk) for ck, nk in zip(c, neg, strict=True)]
        slope = (term[0] * neg[0] + term[1] * neg[1]) + term[2] * neg[2]
        curvature = (term[0] * sq[0] + term[1] * sq[1]) + term[2] * sq[2]
        return ((term[0] + term[1]) + term[2]) + e_leak, slope, curvature
    return at


class _ExpPoly:
    """Sum of (c0 + c1 t) exp(-rate t) terms."""

    __slots__ = ("rate", "c0", "c1")

    def __init__(self) -> None:
        self.rate: list[float] = []
        self.c0: list[float] = []
        self.c1: list[float] = []

    def add(self, rate: float, c0: float, c1: float) -> None:
        if c0 == 0.0 and c1 == 0.0:
            return
        for k, r in enumerate(self.rate):
            if r == rate:
                self.c0[k] += c0
                self.c1[k] += c1
                return
        self.rate.append(rate)
        self.c0.append(c0)
        self.c1.append(c1)

    def eval(self, t: float) -> float:
        s = 0.0
        for r, c0, c1 in zip(self.rate, self.c0, self.c1, strict=True):
            p = c0 + c1 * t
            s += p if (r == 0.0 or t == 0.0) else p * exp(-r * t)
        return s

    def dimension(self) -> int:
        return sum(2 if c1 != 0.0 else 1 for c1 in self.c1)

    def slowest(self) -> float:
        return min(self.rate)

    def shifted(self, r0: float) -> _ExpPoly:
        g = _ExpPoly()
        g.rate = [r - r0 for r in self.rate]
        g.c0 = list(self.c0)
        g.c1 = list(self.c1)
        return g

    def scaled_derivative(self) -> _ExpPoly:
        r0 = self.slowest()
        g = _ExpPoly()
        for r, c0, c1 in zip(self.rate, self.c0, self.c1, strict=True):
            rr = r - r0
            d0 = c1 - rr * c0
            d1 = -rr * c1
            if d0 != 0.0 or d1 != 0.0:
                g.rate.append(rr)
                g.c0.append(d0)
                g.c1.append(d1)
        return g


def _cap(f: _ExpPoly) -> float:
    """Time beyond which the decaying terms of f cannot outweigh its constant (see lif.c)."""
    c = 0.0
    n_decay = 0
    for r, c0, c1 in zip(f.rate, f.c0, f.c1, strict=True):
        if r == 0.0:
            if c1 != 0.0:
                return INF
            c = abs(c0)
        else:
            n_decay += 1
    if c == 0.0:
        return INF
    cap = 0.0
    for r, c0, c1 in zip(f.rate, f.c0, f.c1, strict=True):
        if r == 0.0:
            continue
        if c1 == 0.0:
            t = math.log(n_decay * abs(c0) / c) / r
        else:
            m = abs(c0) + 2.0 * abs(c1) / (2.718281828459045 * r)
            t = 2.0 * math.log(n_decay * m / c) / r
        if t > cap:
            cap = t
    return cap


def _refine(f: _ExpPoly, df: _ExpPoly, a: float, b: float, fa: float, fb: float) -> float:
    lo, hi = a, b
    rising = fa < 0.0
    t = a - fa * ((b - a) / (fb - fa))
    if not (lo < t < hi):
        t = 0.5 * (lo + hi)
    for _ in range(MAX_ITER):
        ft = f.eval(t)
        if ft == 0.0:
            return t
        if (ft < 0.0) == rising:
            lo = t
        else:
            hi = t
        if hi - lo <= CRIT_TOL:
            break
        slope = df.eval(t)
        nxt = t - ft / slope if slope != 0.0 else lo
        if abs(nxt - t) < 0.25 * CRIT_TOL and lo < nxt < hi:
            return nxt
        if not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi)
        t = nxt
    return hi


def _zeros(f: _ExpPoly, a: float, b: float) -> list[float]:
    if f.dimension() <= 1:
        return []
    if len(f.rate) == 1:
        t = -f.c0[0] / f.c1[0]
        return [t] if a < t < b else []
    if len(f.rate) == 2 and f.dimension() == 2:
        q = -f.c0[1] / f.c0[0]
        if q <= 0.0:
            return []
        t = math.log(q) / (f.rate[1] - f.rate[0])
        return [t] if a < t < b else []
    fs = f.shifted(f.slowest())
    g = f.scaled_derivative()
    crit = _zeros(g, a, b)
    out = []
    lo = a
    flo = fs.eval(lo)
    for i in range(len(crit) + 1):
        hi = crit[i] if i < len(crit) else b
        fhi = fs.eval(hi)
        if (flo < 0.0 < fhi) or (flo > 0.0 > fhi):
            out.append(_refine(fs, g, lo, hi, flo, fhi))
        lo, flo = hi, fhi
    return out


def _add_synaptic(f: _ExpPoly, j: float, rate_mem: float, rate_syn: float,
                  inv_d: float) -> None:
    d = rate_mem - rate_syn
    if abs(d) < DEGENERATE_REL * rate_mem:
        f.add(rate_mem, 0.0, j)
    else:
        f.add(rate_mem, -j * inv_d, 0.0)
        f.add(rate_syn, j * inv_d, 0.0)


def _converged(step: float, f: float, s: float, c: float) -> bool:
    """Whether a Halley step lands close enough to a transversal crossing to be taken as it
    (mirrors converged in lif.c)."""
    return abs(step) < CONVERGED_STEP and s * s > 4.0 * abs(f * c)


def _crossing_in(a: float, b: float, va: float, vb: float, theta: float, at: Callable
                 ) -> float:
    """Root of V - theta on [a, b], V(a) < theta <= V(b), one crossing: guarded Halley with
    bisections (mirrors lif.c)."""
    t = a + (theta - va) * ((b - a) / (vb - va)) if vb > va else 0.5 * (a + b)
    if not (a < t < b):
        t = 0.5 * (a + b)
    step = step_before = b - a
    for _ in range(MAX_ITER):
        v, s, c = at(t)
        if v >= theta:
            b = t
        else:
            a = t
        if b - a <= ROOT_TOL:
            break
        f = v - theta
        denom = 2.0 * s * s - f * c
        nxt = t - 2.0 * f * s / denom if (s > 0.0 and denom > 0.0) else 0.5 * (a + b)
        if abs(nxt - t) < 0.25 * ROOT_TOL or (s > 0.0 and denom > 0.0 and a < nxt < b
                                               and _converged(nxt - t, f, s, c)):
            up = nxt + 0.25 * ROOT_TOL
            return up if up < b else b
        if not (a < nxt < b) or abs(nxt - t) > 0.5 * step_before:
            nxt = 0.5 * (a + b)
        step_before, step = step, abs(nxt - t)
        t = nxt
    return b


def _bump_crossing(a: float, b: float, va: float, sa: float, ca: float, theta: float,
                   at: Callable) -> float:
    """Crossing on a rise-then-fall piece [a, b], -1 if its maximum stays below theta
    (mirrors lif.c: Halley from the left, Newton on the slope once past the maximum)."""
    t, v, s, c = a, va, sa, ca
    below = theta - BOUND_MARGIN * (1.0 + abs(theta))
    for _ in range(MAX_ITER):
        if v + s * (b - t) < below:
            return -1.0
        f = v - theta
        denom = 2.0 * s * s - f * c
        nxt = t - 2.0 * f * s / denom if denom > 0.0 else t - f / s
        if not nxt < b:
            nxt = b
        if abs(nxt - t) < 0.25 * ROOT_TOL or (nxt < b and denom > 0.0
                                               and _converged(nxt - t, f, s, c)):
            return nxt + 0.25 * ROOT_TOL
        vn, sn, cn = at(nxt)
        if vn >= theta:
            return _crossing_in(t, nxt, v, vn, theta, at)
        if not sn > 0.0:
            lo, hi, slo = t, nxt, s
            u = lo + s * ((hi - lo) / (s - sn))
            for _ in range(MAX_ITER):
                if not (lo < u < hi):
                    u = 0.5 * (lo + hi)
                vu, su, cu = at(u)
                if vu >= theta:
                    return _crossing_in(lo, u, v, vu, theta, at)
                if su > 0.0:
                    lo, v, slo = u, vu, su
                else:
                    hi = u
                if hi - lo <= CRIT_TOL or v + slo * (hi - lo) < below:
                    break
                u = u - su / cu if cu < 0.0 else 0.5 * (lo + hi)
            return -1.0
        t, v, s, c = nxt, vn, sn, cn
    return -1.0


def first_crossing(v0: float, je0: float, ji0: float, e_leak: float, theta: float, r: Rates,
                   horizon: float) -> float:
    """Earliest t in [0, horizon] with V(t) >= theta, +inf if none (mirrors lif.c)."""
    if v0 >= theta:
        return 0.0
    rest = e_leak - theta
    if rest < 0.0:
        bound = rest + (v0 - e_leak if v0 > e_leak else 0.0)
        drive = je0 - ji0 if (r.inh <= r.exc and ji0 > 0.0) else je0
        if drive > 0.0:
            bound += drive * r.peak_exc
        if bound < 0.0:
            return INF
    f = _ExpPoly()
    f.rate, f.c0, f.c1 = [0.0], [rest], [0.0]  # kept even when zero: df must be exactly f'
    if v0 != e_leak:
        f.add(r.mem, v0 - e_leak, 0.0)
    if je0 != 0.0:
        _add_synaptic(f, je0, r.mem, r.exc, r.inv_d_exc)
    if ji0 != 0.0:
        _add_synaptic(f, -ji0, r.mem, r.inh, r.inv_d_inh)
    cap = _cap(f)
    if rest < 0.0 and cap < horizon:
        horizon = cap
    piece_end = _zeros(f.scaled_derivative().scaled_derivative(), 0.0, horizon)
    at = _membrane(v0, je0, ji0, e_leak, r)
    a, va = 0.0, v0
    sa, ca = _slope_curvature(v0, je0, ji0, e_leak, r)
    for i in range(len(piece_end) + 1):
        b = piece_end[i] if i < len(piece_end) else horizon
        vb, sb, cb = at(b)
        if vb >= theta:
            return _crossing_in(a, b, va, vb, theta, at)
        if sa > 0.0 and sb < 0.0:
            tc = _bump_crossing(a, b, va, sa, ca, theta, at)
            if tc >= 0.0:
                return tc
        a, va, sa, ca = b, vb, sb, cb
    return INF


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def gauss(seed: int, neuron: int, index: int, stream: int) -> float:
    """Counter-based standard normal draw (mirrors noise.c)."""
    h1 = _splitmix64(seed ^ _splitmix64(((neuron << 32) ^ index ^ (stream << 56)) & _MASK64))
    h2 = _splitmix64(h1)
    u1 = float((h1 >> 11) + 1) * 2.0**-53
    u2 = float(h2 >> 11) * 2.0**-53
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)


@dataclass
class _Run:
    net: NetworkTables
    st: NeuronState
    t_end: float

    def threshold(self, n: int) -> float:
        th = float(self.net.v_threshold[n])
        if self.net.threshold_noise > 0.0:
            th += self.net.threshold_noise * gauss(self.net.noise_seed, n,
                                                   int(self.st.spike_index[n]), 0)
        return th

    def fire_tick(self, n: int, tc: float) -> float:
        delay = 0.0
        if self.net.jitter > 0.0:
            delay = self.net.jitter * abs(gauss(self.net.noise_seed, n,
                                                int(self.st.spike_index[n]), 1))
        return math.floor(tc + delay) + 1.0


def event_run(net: NetworkTables, st: NeuronState, in_tick: np.ndarray, in_source: np.ndarray,
              t_end: int, trace_neurons: np.ndarray | None = None, trace_interval: float = 1.0,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Run the reference engine; mutates `st` like the C engine and returns (ticks, neurons,
    membrane samples[sample, neuron] of `trace_neurons` every `trace_interval` ticks or None),
    each sample taken after the events of its time."""
    nn = net.n_neurons
    run = _Run(net, st, float(t_end))
    p = {name: [float(x) for x in getattr(net, name)] for name in ("e_leak", "v_reset")}
    rate = [Rates.of(float(tm), float(te), float(ti)) for tm, te, ti in
            zip(net.tau_mem, net.tau_syn_exc, net.tau_syn_inh, strict=True)]
    v, je, ji = [float(x) for x in st.v], [float(x) for x in st.je], [float(x) for x in st.ji]
    mode = [int(x) for x in st.mode]
    fire_time = [float(x) for x in st.fire_time]
    hold_end = [int(x) for x in st.hold_end]
    ref_end = [int(x) for x in st.refractory_end]
    t_state = [0.0] * nn
    nxt = [INF] * nn
    fan_ptr = net.fan_ptr.tolist()
    fan_neuron = net.fan_neuron.tolist()
    fan_channel = net.fan_channel.tolist()
    fan_amp = net.fan_amp.tolist()

    def advance_to(n: int, t: float, move_v: bool = True) -> None:
        dt = t - t_state[n]
        if dt == 0.0:
            return
        v[n], je[n], ji[n] = advance(dt, mode[n] != Mode.HOLD and move_v, v[n], je[n], ji[n],
                                     p["e_leak"][n], rate[n])
        t_state[n] = t

    def predict(n: int) -> None:
        tc = INF
        if net.fire_enable[n]:
            tc = first_crossing(v[n], je[n], ji[n], p["e_leak"][n], run.threshold(n), rate[n],
                                run.t_end - t_state[n])
        nxt[n] = t_state[n] + tc

    def schedule(n: int) -> None:
        if mode[n] == Mode.PENDING:
            nxt[n] = fire_time[n]
        elif mode[n] == Mode.HOLD:
            nxt[n] = float(hold_end[n])
        elif mode[n] == Mode.REFRACTORY:
            nxt[n] = float(ref_end[n])
        else:
            predict(n)

    def deliver(src: int, t: float, dirty: list[int]) -> None:
        for k in range(fan_ptr[src], fan_ptr[src + 1]):
            m = fan_neuron[k]
            advance_to(m, t)
            if fan_channel[k] == 0:
                je[m] += fan_amp[k]
            else:
                ji[m] += fan_amp[k]
            if m not in dirty:
                dirty.append(m)

    def membrane_at(n: int, t: float) -> float:
        """The membrane at t from the stored state, storing nothing (a HOLD ends by event)."""
        dt = t - t_state[n]
        if dt == 0.0:
            return v[n]
        return advance(dt, mode[n] != Mode.HOLD, v[n], je[n], ji[n], p["e_leak"][n], rate[n])[0]

    traced = [] if trace_neurons is None else [int(x) for x in trace_neurons]
    samples: list[list[float]] = []
    capacity = int(math.floor((t_end - 1e-9) / trace_interval)) + 2 if traced else 0

    def sample_until(t: float) -> None:
        while len(samples) < capacity and len(samples) * trace_interval < t:
            ts = len(samples) * trace_interval
            samples.append([membrane_at(n, ts) for n in traced])

    spikes_t: list[int] = []
    spikes_n: list[int] = []
    fifo: list[tuple[int, int]] = []
    fifo_head = 0
    for n in range(nn):
        schedule(n)
    in_tick_l = in_tick.tolist()
    in_src_l = in_source.tolist()
    next_in = 0
    n_in = len(in_tick_l)
    while True:
        t_arr = INF
        if fifo_head < len(fifo):
            t_arr = float(fifo[fifo_head][0])
        if next_in < n_in and float(in_tick_l[next_in]) < t_arr:
            t_arr = float(in_tick_l[next_in])
        n = min(range(nn), key=lambda i: (nxt[i], i))
        t_n = nxt[n]
        sample_until(min(t_n, t_arr, run.t_end))
        if t_n < run.t_end and t_n <= t_arr:
            if mode[n] == Mode.FREE:
                mode[n] = Mode.PENDING
                fire_time[n] = run.fire_tick(n, t_n)
                nxt[n] = fire_time[n]
            elif mode[n] == Mode.PENDING:
                if net.hold_ticks[n] <= 0:  # the membrane is reset below and moves from here
                    advance_to(n, t_n, move_v=False)
                # else clamped from the spike to the hold's end: one step for the currents
                spikes_t.append(int(t_n))
                spikes_n.append(n)
                arrival = int(t_n) + net.latency_ticks
                if arrival < t_end and fan_ptr[n + 1] > fan_ptr[n]:
                    fifo.append((arrival, n))
                st.spike_index[n] += 1
                v[n] = p["v_reset"][n]
                hold_end[n] = int(t_n) + int(net.hold_ticks[n])
                ref_end[n] = int(t_n) + int(net.refractory_ticks[n])
                if net.hold_ticks[n] > 0:
                    mode[n] = Mode.HOLD
                elif net.refractory_ticks[n] > 0:
                    mode[n] = Mode.REFRACTORY
                else:
                    mode[n] = Mode.FREE
                schedule(n)
            elif mode[n] == Mode.HOLD:
                advance_to(n, t_n)
                mode[n] = Mode.REFRACTORY if ref_end[n] > hold_end[n] else Mode.FREE
                schedule(n)
            else:
                advance_to(n, t_n)
                mode[n] = Mode.FREE
                predict(n)
            continue
        if not t_arr < run.t_end:
            break
        dirty: list[int] = []
        while fifo_head < len(fifo) and float(fifo[fifo_head][0]) == t_arr:
            deliver(fifo[fifo_head][1], t_arr, dirty)
            fifo_head += 1
        while next_in < n_in and float(in_tick_l[next_in]) == t_arr:
            deliver(in_src_l[next_in], t_arr, dirty)
            next_in += 1
        for m in dirty:
            if mode[m] == Mode.FREE:
                predict(m)
    for n in range(nn):
        advance_to(n, run.t_end)
    st.v[:] = v
    st.je[:] = je
    st.ji[:] = ji
    st.mode[:] = mode
    st.fire_time[:] = np.asarray(fire_time) - run.t_end
    st.hold_end[:] = np.asarray(hold_end, dtype=np.int64) - t_end
    st.refractory_end[:] = np.asarray(ref_end, dtype=np.int64) - t_end
    trace = np.asarray(samples, np.float64).reshape(-1, len(traced)) if traced else None
    return np.asarray(spikes_t, dtype=np.int64), np.asarray(spikes_n, dtype=np.int32), trace
