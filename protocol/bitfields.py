"""Helpers around `construct` bit structs for 32-bit register words.

A register layout is declared once as a `BitStruct` (fields MSB first, padded to 32 bits).
`Register` wraps it with word <-> dict conversion, range checks that name the field, and the
(shift, width) of every field derived from the declaration, for vectorised numpy paths.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import construct as cs
import numpy as np


class FieldRangeError(ValueError):
    """A register field value does not fit its width."""


def _field_widths(struct: cs.Construct) -> list[tuple[str | None, int]]:
    """(name, width) of each subcon of a BitStruct, MSB first; padding has name None."""
    inner = struct
    while not isinstance(inner, cs.Struct):
        inner = inner.subcon
    out = []
    for sub in inner.subcons:
        out.append((sub.name, sub.sizeof()))
    return out


@dataclass(frozen=True)
class Register:
    """A named 32-bit register word layout."""

    name: str
    struct: cs.Construct

    def __post_init__(self) -> None:
        total = sum(w for _, w in _field_widths(self.struct))
        if total != 32:
            raise ValueError(f"{self.name}: layout has {total} bits, not 32")

    @cached_property
    def fields(self) -> dict[str, tuple[int, int]]:
        """Field name -> (shift, width), derived from the declaration (computed once: every
        register access uses it)."""
        out = {}
        pos = 32
        for name, width in _field_widths(self.struct):
            pos -= width
            if name is not None:
                out[name] = (pos, width)
        return out

    @cached_property
    def _masks(self) -> tuple[tuple[str, int, int], ...]:
        """(name, shift, mask) per field: the scalar fast path, same layout as `struct`."""
        return tuple((name, shift, (1 << width) - 1)
                     for name, (shift, width) in self.fields.items())

    def parse(self, word: int) -> dict[str, int]:
        """Decode a 32-bit word into its fields."""
        if not 0 <= word < 1 << 32:
            raise FieldRangeError(f"{self.name}: word {word:#x} does not fit 32 bits")
        word = int(word)
        return {name: (word >> shift) & mask for name, shift, mask in self._masks}

    def build(self, **values: int) -> int:
        """Encode fields (missing ones are 0) into a 32-bit word; out-of-range values raise."""
        fields = self.fields
        word = 0
        for key, value in values.items():
            if key not in fields:
                raise FieldRangeError(f"{self.name} has no field '{key}'")
            shift, width = fields[key]
            value = int(value)
            if not 0 <= value < 1 << width:
                raise FieldRangeError(
                    f"{self.name}.{key} = {value} out of range 0..{(1 << width) - 1}")
            word |= value << shift
        return word

    def extract(self, words: np.ndarray, field: str) -> np.ndarray:
        """Vectorised field extraction from an array of words."""
        shift, width = self.fields[field]
        return (np.asarray(words, np.uint32) >> np.uint32(shift)) & np.uint32((1 << width) - 1)

    def insert(self, field: str, values: np.ndarray) -> np.ndarray:
        """Vectorised field placement (values must already fit the width)."""
        shift, _ = self.fields[field]
        return np.asarray(values, np.uint32) << np.uint32(shift)


def register(name: str, *fields: tuple[str | None, int]) -> Register:
    """Declare a register word from (name, width) pairs listed MSB first, ending at bit 0.

    A name of None is reserved padding; unused high bits are padded automatically.
    """
    used = sum(w for _, w in fields)
    subcons = [cs.Padding(32 - used)] if used < 32 else []
    subcons += [cs.Padding(w) if n is None else (n / cs.BitsInteger(w)) for n, w in fields]
    return Register(name, cs.BitStruct(*subcons))
