"""Multi-word configuration containers as haldls encodes them: logical fields stored in raw bit
fields of one or more 32-bit words, possibly split across words, inverted or bit-reversed.

A raw field named ``"address_out[7:2]"`` holds bits 7..2 of the logical field ``address_out``;
a plain name holds the whole value. `Container.encode`/`decode` convert between logical values
and words; the chip model keeps logical values, the wire carries words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from .bitfields import FieldRangeError, Register, register

_SLICE = re.compile(r"^(?P<name>\w+)\[(?P<hi>\d+):(?P<lo>\d+)\]$")

INVERTED = "inverted"
"""Stored as the bitwise NOT of the value (within the raw field's width)."""
REVERSED = "reversed"
"""Stored with its bit order reversed (value bit 0 in the raw field's most significant bit)."""


@dataclass(frozen=True)
class Piece:
    """One raw field: word `word`, raw name `raw`, holding logical bits lsb .. lsb+width-1."""

    word: int
    raw: str
    lsb: int
    width: int
    encoding: str | None

    @property
    def field(self) -> str:
        """The logical field this piece belongs to."""
        return self.raw.split("[")[0]


def _reverse(value: int, width: int) -> int:
    return int(f"{value:0{width}b}"[::-1], 2) if width else 0


@dataclass(frozen=True)
class Container:
    """`words[k]` is the layout of word k; `encodings` maps raw field names to INVERTED or
    REVERSED; `defaults` are logical values after reset (others 0)."""

    name: str
    words: tuple[Register, ...]
    encodings: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        widths: dict[str, list[tuple[int, int]]] = {}
        for piece in self.pieces:
            widths.setdefault(piece.raw.split("[")[0], []).append((piece.lsb, piece.width))
        for name, spans in widths.items():
            covered = sorted(spans)
            pos = 0
            for lsb, width in covered:
                if lsb != pos:
                    raise ValueError(f"{self.name}.{name}: bits {pos}.. not declared")
                pos += width
        unknown = set(self.encodings) - {p.raw for p in self.pieces}
        if unknown:
            raise ValueError(f"{self.name}: encodings for unknown raw fields {sorted(unknown)}")
        bad = set(self.defaults) - set(self.fields)
        if bad:
            raise ValueError(f"{self.name}: defaults for unknown fields {sorted(bad)}")

    @cached_property
    def pieces(self) -> tuple[Piece, ...]:
        out = []
        for k, layout in enumerate(self.words):
            for raw, (_, width) in reversed(layout.fields.items()):
                m = _SLICE.match(raw)
                if m:
                    hi, lo = int(m["hi"]), int(m["lo"])
                    if hi - lo + 1 != width:
                        raise ValueError(f"{self.name}: {raw} is {width} bits wide")
                    out.append(Piece(k, raw, lo, width, None))
                else:
                    out.append(Piece(k, raw, 0, width, None))
        return tuple(Piece(p.word, p.raw, p.lsb, p.width, self.encodings.get(p.raw))
                     for p in out)

    @cached_property
    def fields(self) -> dict[str, int]:
        """Logical field name -> width in bits, in declaration order."""
        out: dict[str, int] = {}
        for p in self.pieces:
            name = p.field
            out[name] = out.get(name, 0) + p.width
        return out

    @cached_property
    def masks(self) -> tuple[int, ...]:
        """Defined bits of each word (the rest is unused and must be 0)."""
        return tuple(sum(((1 << w) - 1) << s for s, w in layout.fields.values())
                     for layout in self.words)

    def encode(self, **values: int) -> list[int]:
        """Words for logical values (missing fields take their defaults)."""
        full = {**self.default_values(), **values}
        for key, value in full.items():
            if key not in self.fields:
                raise FieldRangeError(f"{self.name} has no field '{key}'")
            width = self.fields[key]
            if not 0 <= int(value) < 1 << width:
                raise FieldRangeError(
                    f"{self.name}.{key} = {int(value)} out of range 0..{(1 << width) - 1}")
        full = {key: int(value) for key, value in full.items()}
        return [self.encode_word(full, k) for k in range(len(self.words))]

    def decode(self, words: list[int] | tuple[int, ...]) -> dict[str, int]:
        """Logical values of a full set of words; FieldRangeError if an unused bit is set."""
        if len(words) != len(self.words):
            raise FieldRangeError(f"{self.name} has {len(self.words)} words, got {len(words)}")
        values = dict.fromkeys(self.fields, 0)
        for k, word in enumerate(words):  # every bit of every field lies in exactly one word
            values = self.decode_word(values, k, word)
        return values

    def encode_word(self, values: dict[str, int], k: int) -> int:
        """Word k for complete logical values (no range checks: the values are stored ones).
        Each piece goes straight to its shift in the word's layout (what `Register.build`
        would do, without building a dict of raw fields: register reads are hot)."""
        word = 0
        for name, lsb, mask, shift, p in self._word_shifts[k]:
            raw = (values[name] >> lsb) & mask
            word |= (self._store(raw, p) if p.encoding else raw) << shift
        return word

    def decode_word(self, values: dict[str, int], k: int, word: int) -> dict[str, int]:
        """The fields of word k replaced by what `word` holds; the rest of `values` is kept
        (a field split across words keeps its bits from the other words)."""
        word = int(word)
        if not 0 <= word < 1 << 32:
            raise FieldRangeError(f"{self.name} word {k}: {word!r} is not a 32-bit value")
        if word & ~self.masks[k]:
            raise FieldRangeError(f"{self.name} word {k}: {word:#010x} sets unused bits "
                                  f"(defined: {self.masks[k]:#010x})")
        out = dict(values)
        parsed = self.words[k].parse(word)
        for p in self._word_pieces[k]:
            keep = out[p.field] & ~(((1 << p.width) - 1) << p.lsb)
            out[p.field] = keep | self._store(parsed[p.raw], p) << p.lsb
        return out

    @cached_property
    def _word_shifts(self) -> tuple[tuple[tuple[str, int, int, int, Piece], ...], ...]:
        """Per word: (logical field, its lowest bit here, mask of the piece's width, shift of
        the raw field in the word's layout, the piece) for every piece."""
        return tuple(tuple((p.field, p.lsb, (1 << p.width) - 1, self.words[k].fields[p.raw][0],
                            p) for p in pieces)
                     for k, pieces in enumerate(self._word_pieces))

    @cached_property
    def word_fields(self) -> tuple[tuple[str, ...], ...]:
        """Per word: the logical fields with bits in it (what `encode_word` reads)."""
        return tuple(tuple(dict.fromkeys(p.field for p in pieces)) for pieces in self._word_pieces)

    @cached_property
    def _word_pieces(self) -> tuple[tuple[Piece, ...], ...]:
        return tuple(tuple(p for p in self.pieces if p.word == k) for k in range(len(self.words)))

    def build(self, **values: int) -> int:
        """The word of a one-word container."""
        if len(self.words) != 1:
            raise FieldRangeError(f"{self.name} has {len(self.words)} words: use encode()")
        return self.encode(**values)[0]

    def parse(self, word: int) -> dict[str, int]:
        """The fields of a one-word container's word."""
        return self.decode([word])

    def default_values(self) -> dict[str, int]:
        return {**dict.fromkeys(self.fields, 0), **self.defaults}

    @cached_property
    def default_words(self) -> tuple[int, ...]:
        return tuple(self.encode())

    @staticmethod
    def _store(value: int, piece: Piece) -> int:
        """Raw <-> logical bits of one piece (both encodings are involutions)."""
        if piece.encoding == INVERTED:
            return value ^ ((1 << piece.width) - 1)
        if piece.encoding == REVERSED:
            return _reverse(value, piece.width)
        return value


def container(name: str, *words: list[tuple[str | None, int]] | Register,
              encodings: dict[str, str] | None = None,
              defaults: dict[str, int] | None = None) -> Container:
    """Declare a container from per-word field lists, each listed **from bit 0 upwards** (the
    order of the facts sheet's tables); None names unused bits."""
    layouts = tuple(w if isinstance(w, Register) else register(f"{name}[{k}]", *reversed(w))
                    for k, w in enumerate(words))
    return Container(name, layouts, dict(encodings or {}), dict(defaults or {}))
