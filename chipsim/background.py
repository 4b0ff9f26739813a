"""Background spike generators: regular or random (Bernoulli per period) event sources.

The real generator's RNG polynomial is not public; bss2emu uses a maximal-length 16-bit Galois
LFSR (x^16 + x^14 + x^13 + x^11 + 1, taps 0xB400), advanced once per period. A spike is sent
when the low byte of the state is below `rate` (probability rate/256); the `mask` bits of the
label are replaced by the state's high byte. The first event comes one period after enable.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from bss2emu.protocol import event_label as el

from .config import ChipConfig

LFSR_TAPS = 0xB400
LFSR_PERIOD = 0xFFFF


@lru_cache(maxsize=1)
def _orbit() -> tuple[np.ndarray, np.ndarray]:
    """The LFSR's state sequence from state 1, and each state's position in it."""
    states = np.empty(LFSR_PERIOD, np.uint32)
    s = 1
    for i in range(LFSR_PERIOD):
        states[i] = s
        s = (s >> 1) ^ (LFSR_TAPS if s & 1 else 0)
    position = np.zeros(1 << 16, np.int64)
    position[states] = np.arange(LFSR_PERIOD)
    return states, position


def lfsr_states(seed: int, steps: np.ndarray) -> np.ndarray:
    """LFSR state after `steps` advances from the seed's low 16 bits (0 is mapped to 1)."""
    states, position = _orbit()
    start = (int(seed) & 0xFFFF) or 1
    return states[(position[start] + np.asarray(steps, np.int64)) % LFSR_PERIOD]


def generate(config: ChipConfig, enabled_at: np.ndarray, seeds: np.ndarray, t_start: int,
             t_end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events of all enabled sources in chip ticks [t_start, t_end) (absolute chip time);
    `enabled_at` and `seeds` are each source's enable time and the seed it loaded then.

    Returns (absolute tick, source index, 14-bit label), sorted by time then source.
    """
    bg = config.background
    ticks, sources, labels = [], [], []
    for i in np.flatnonzero(bg.enable):
        period = int(bg.period[i])
        if period == 0:
            continue
        first = max(1, -(-(t_start - int(enabled_at[i])) // period))
        last = (t_end - 1 - int(enabled_at[i])) // period
        if last < first:
            continue
        k = np.arange(first, last + 1, dtype=np.int64)
        state = lfsr_states(int(seeds[i]), k)
        keep = ((state & 0xFF) < bg.rate[i]) if bg.enable_random[i] else np.ones(k.size, bool)
        mask = int(bg.mask[i])
        label = (int(bg.neuron_label[i]) & ~mask & el.NEURON_LABEL_MASK) | ((state >> 8) & mask)
        ticks.append(int(enabled_at[i]) + k[keep] * period)
        sources.append(np.full(int(keep.sum()), i, np.int64))
        labels.append(label[keep].astype(np.int64))
    if not ticks:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    t, s, lab = np.concatenate(ticks), np.concatenate(sources), np.concatenate(labels)
    order = np.lexsort((s, t))
    return t[order], s[order], lab[order]
