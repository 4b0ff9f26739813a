"""The per-column random generators the PPU reads through vector I/O: one 16-bit Galois LFSR
per synapse column and hemisphere, each with its own primitive feedback polynomial; a read
steps every addressed generator 8 times and returns the low byte of its state. (The real
polynomials are not public; these are the first 512 primitive degree-16 polynomials.)"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from bss2emu.protocol import omnibus as ob

_ORDER = (1 << 16) - 1  # 65535 = 3 * 5 * 17 * 257
_PRIME_FACTORS = (3, 5, 17, 257)
_SALT = 0x5A5D


def _mulmod(a: int, b: int, poly: int) -> int:
    """a * b in GF(2)[x] / poly (degree 16)."""
    out = 0
    while b:
        if b & 1:
            out ^= a
        b >>= 1
        a <<= 1
        if a >> 16:
            a ^= poly
    return out


def _powmod(exponent: int, poly: int) -> int:
    """x^exponent mod poly."""
    result, base = 1, 2
    while exponent:
        if exponent & 1:
            result = _mulmod(result, base, poly)
        base = _mulmod(base, base, poly)
        exponent >>= 1
    return result


def is_primitive(poly: int) -> bool:
    """True if the degree-16 polynomial (bit 16 set) generates the full 65535-cycle."""
    if _powmod(_ORDER, poly) != 1:
        return False
    return all(_powmod(_ORDER // p, poly) != 1 for p in _PRIME_FACTORS)


@lru_cache(maxsize=1)
def polynomials() -> np.ndarray:
    """Feedback taps (low 16 bits of the polynomial) of the 512 generators."""
    found = []
    poly = (1 << 16) | 1
    while len(found) < ob.HEMISPHERES * ob.COLUMNS:
        if is_primitive(poly):
            found.append(poly & 0xFFFF)
        poly += 2  # the constant term must be 1
    return np.array(found, np.uint32).reshape(ob.HEMISPHERES, ob.COLUMNS)


class ParallelRng:
    """All 512 generators; seeded from the chip seed (a state is never 0)."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng([seed, _SALT])
        self.state = rng.integers(1, 1 << 16, (ob.HEMISPHERES, ob.COLUMNS)).astype(np.uint32)
        self.taps = polynomials()

    def read(self, hemisphere: int, columns: np.ndarray) -> np.ndarray:
        """Step the addressed generators 8 times; return their low state bytes."""
        s = self.state[hemisphere, columns]
        taps = self.taps[hemisphere, columns]
        for _ in range(8):
            carry = s >> 15
            s = ((s << 1) & 0xFFFF) ^ np.where(carry == 1, taps, 0)
        self.state[hemisphere, columns] = s
        return (s & 0xFF).astype(np.uint8)
