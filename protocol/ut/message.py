"""One UT message as a Python value, and its construct-based encoding to a message-wide integer.

This is the reference codec: slow, exact, and the oracle the numpy bulk paths are tested
against.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import construct as cs

from .dictionary import DICTIONARIES, InstructionSpec, spec
from .enums import Direction, FromFPGA, ToFPGA


class UTError(ValueError):
    """A UT message or word stream that violates the format (unknown header, bad field)."""


@dataclass(frozen=True)
class Message:
    """An instruction and the values of all its payload fields (ints; flags are 0/1)."""

    instruction: ToFPGA | FromFPGA
    fields: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = spec(self.instruction).fields
        if set(self.fields) != set(names):
            raise UTError(f"{self.instruction.name} takes fields {sorted(names)}, "
                          f"got {sorted(self.fields)}")
        object.__setattr__(self, "fields", {k: int(self.fields[k]) for k in names})

    @property
    def spec(self) -> InstructionSpec:
        """The dictionary row of this message's instruction."""
        return spec(self.instruction)

    def __getitem__(self, name: str) -> int:
        return self.fields[name]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:#x}" for k, v in self.fields.items())
        return f"{type(self.instruction).__name__}.{self.instruction.name}({args})"


def message(instruction: ToFPGA | FromFPGA, **fields: int) -> Message:
    """Shorthand: `message(ToFPGA.WAIT_UNTIL, value=10)`."""
    return Message(instruction, fields)


def encode_message(msg: Message) -> bytes:
    """The message's `spec.word_width` bits, big-endian (the comma bit is the first bit)."""
    try:
        return msg.spec.struct.build(dict(msg.fields))
    except cs.ConstructError as err:
        raise UTError(f"{msg.instruction.name}: {err}") from err


def decode_message(direction: Direction, raw: bytes) -> Message:
    """Decode one whole message; its length must be the width its header declares."""
    dictionary = DICTIONARIES[direction]
    if not raw:
        raise UTError("empty message")
    header = raw[0]
    if header >= len(dictionary):
        raise UTError(f"unknown {direction.name} header {header}")
    row = dictionary[header]
    if len(raw) * 8 != row.word_width:
        raise UTError(f"{row.name} is {row.word_width} bits, got {len(raw) * 8}")
    parsed = row.struct.parse(raw)
    return Message(row.instruction, {k: parsed[k] for k in row.fields})
